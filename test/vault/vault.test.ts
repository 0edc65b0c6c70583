// The vault keeps keys in scrypt keystores under one password, unlocks and locks (also by itself
// after the idle time), exports only with the password, and says in words what it signs.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptKeystoreJson, HDNodeWallet, TypedDataEncoder, verifyTypedData, Wallet } from 'ethers';
import { Vault, type VaultOptions } from '../../src/main/vault/vault';
import { passphraseOnly, type SecretProtector } from '../../src/main/vault/secret-protector';
import { DEMO_MNEMONIC, demoIdentities } from '../../src/main/vault/demo-identities';
import { tempDir } from '../chain/helpers';

const PASSWORD = 'correct horse battery';
const cleanups: (() => void)[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A stand-in for the OS keychain: reversible, and recognisably not plain text. */
const fakeKeychain = (): SecretProtector => ({
  kind: 'os',
  description: 'test keychain',
  protect: (secret) => Buffer.from(secret, 'utf8').reverse(),
  reveal: (blob) => Buffer.from(blob).reverse().toString('utf8'),
});

function makeVault(overrides: Partial<VaultOptions> = {}, dir?: string) {
  let dataDir = dir;
  if (!dataDir) {
    const temp = tempDir('vault');
    cleanups.push(temp.remove);
    dataDir = temp.dir;
  }
  const changes: unknown[] = [];
  const vault = new Vault({
    dataDir,
    protector: passphraseOnly('tests'),
    idleLockMinutes: () => 15,
    onChange: (status) => changes.push(status),
    scryptN: 1 << 10,
    ...overrides,
  });
  cleanups.push(() => vault.close());
  return { vault, dataDir, changes };
}

const typed = {
  domain: { name: 'TwinLedger', version: '1', chainId: 31337, verifyingContract: '0x' + '5'.repeat(40) },
  types: {
    CommitVersion: [
      { name: 'signer', type: 'address' },
      { name: 'twinId', type: 'uint256' },
      { name: 'modelRoot', type: 'bytes32' },
      { name: 'packageUri', type: 'string' },
      { name: 'elements', type: 'Element[]' },
    ],
    Element: [
      { name: 'key', type: 'bytes32' },
      { name: 'removed', type: 'bool' },
    ],
  },
};

describe('vault identities', () => {
  it('creates an identity in a scrypt keystore that ethers can open with the password', async () => {
    const { vault, dataDir } = makeVault();
    const identity = await vault.create('Design engineer', PASSWORD);
    expect(identity).toMatchObject({
      label: 'Design engineer',
      kind: 'generated',
      active: true,
      usable: true,
    });
    const [file] = readdirSync(join(dataDir, 'vault', 'keys'));
    const json = readFileSync(join(dataDir, 'vault', 'keys', file!), 'utf8');
    expect(JSON.parse(json).Crypto).toMatchObject({ kdf: 'scrypt', kdfparams: { n: 1024 } });
    expect(json).not.toContain(PASSWORD);
    const account = await decryptKeystoreJson(json, PASSWORD);
    expect(account.address).toBe(identity.address);
    expect(account.mnemonic?.entropy).toBeDefined();
  });

  it('imports a private key and a recovery phrase under the same vault password', async () => {
    const { vault } = makeVault();
    const key = Wallet.createRandom();
    const imported = await vault.importPrivateKey('Laptop key', key.privateKey, PASSWORD);
    expect(imported.address).toBe(key.address);
    const fromPhrase = await vault.importMnemonic(
      'Ledger backup',
      `  ${DEMO_MNEMONIC.toUpperCase()} `,
      PASSWORD,
      3,
    );
    expect(fromPhrase.address).toBe(
      HDNodeWallet.fromPhrase(DEMO_MNEMONIC, undefined, "m/44'/60'/0'/0/3").address,
    );
    await expect(vault.create('Other', 'another password')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(vault.importPrivateKey('Again', key.privateKey, PASSWORD)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(vault.importMnemonic('Bad', 'zoo '.repeat(12), PASSWORD)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.not.stringContaining('zoo'),
    });
    expect(vault.list().map((i) => i.label)).toEqual(['Laptop key', 'Ledger backup']);
  });

  it('locks and unlocks with the password; a wrong one is refused', async () => {
    const { vault, dataDir } = makeVault();
    const identity = await vault.create('Engineer', PASSWORD);
    vault.lock();
    expect(vault.locked).toBe(true);
    await expect(vault.signTypedData({ ...typed, message: message(identity.address) })).rejects.toMatchObject(
      {
        code: 'FORBIDDEN',
      },
    );
    await expect(vault.unlock('wrong password')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'Wrong vault password.',
    });
    await expect(vault.unlock()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await vault.unlock(PASSWORD);
    expect(vault.locked).toBe(false);
    // A new process finds the same identities, locked.
    const { vault: reopened } = makeVault({}, dataDir);
    expect(reopened.locked).toBe(true);
    expect(reopened.list()).toMatchObject([{ id: identity.id, active: true, usable: false }]);
  });

  it('locks itself after the idle time', async () => {
    vi.useFakeTimers();
    let minutes = 1;
    const { vault, changes } = makeVault({ idleLockMinutes: () => minutes });
    await vault.create('Engineer', PASSWORD);
    expect(vault.status().lockAt).toBeGreaterThan(Date.now());
    vi.advanceTimersByTime(59_000);
    expect(vault.locked).toBe(false);
    await vault.signTypedData({ ...typed, message: message(vault.activeIdentity()!.address) }); // use resets the clock
    vi.advanceTimersByTime(59_000);
    expect(vault.locked).toBe(false);
    vi.advanceTimersByTime(2_000);
    expect(vault.locked).toBe(true);
    expect(changes.at(-1)).toMatchObject({ locked: true, lockAt: null });
    minutes = 5;
    expect(vault.status().idleLockMinutes).toBe(5);
  });

  it('a new idle time counts from when it is set, not from the next use', async () => {
    vi.useFakeTimers();
    let minutes = 15;
    const { vault, changes } = makeVault({ idleLockMinutes: () => minutes });
    await vault.create('Engineer', PASSWORD);
    vi.advanceTimersByTime(5 * 60_000);
    const lockAt = vault.status().lockAt;
    // Saving another setting (the same idle time) leaves the clock alone.
    vault.idleLockChanged();
    expect(vault.status().lockAt).toBe(lockAt);
    const seen = changes.length;
    minutes = 1;
    vault.idleLockChanged();
    expect(vault.status().lockAt).toBe(Date.now() + 60_000);
    expect(changes.length).toBe(seen + 1);
    vi.advanceTimersByTime(59_000);
    expect(vault.locked).toBe(false);
    vi.advanceTimersByTime(2_000);
    expect(vault.locked).toBe(true);
    // Locked: a change has no clock to restart, and is told (the status names the idle time).
    const told = changes.length;
    minutes = 30;
    vault.idleLockChanged();
    expect(vault.status()).toMatchObject({ locked: true, lockAt: null });
    expect(changes.slice(told)).toMatchObject([{ locked: true, idleLockMinutes: 30 }]);
    vault.idleLockChanged();
    expect(changes.length).toBe(told + 1);
  });

  it('exports only with the password, whether locked or not', async () => {
    const { vault } = makeVault();
    const generated = await vault.create('Engineer', PASSWORD);
    const key = Wallet.createRandom();
    const imported = await vault.importPrivateKey('Key', key.privateKey, PASSWORD);
    await expect(vault.export(generated.id, 'not the password', 'privateKey')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const phrase = await vault.export(generated.id, PASSWORD, 'mnemonic');
    expect(HDNodeWallet.fromPhrase(phrase).address).toBe(generated.address);
    vault.lock();
    expect(await vault.export(imported.id, PASSWORD, 'privateKey')).toBe(key.privateKey);
    await expect(vault.export(imported.id, PASSWORD, 'mnemonic')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const keystore = await vault.export(imported.id, PASSWORD, 'keystore');
    expect((await Wallet.fromEncryptedJson(keystore, PASSWORD)).address).toBe(key.address);
  });
});

describe('vault at full strength', () => {
  it('uses scrypt N=2^17 by default and still unlocks in well under a second per key', async () => {
    const { vault, dataDir } = makeVault({ scryptN: undefined });
    const t0 = performance.now();
    await vault.create('Engineer', PASSWORD);
    const createMs = performance.now() - t0;
    vault.lock();
    const t1 = performance.now();
    await vault.unlock(PASSWORD);
    const unlockMs = performance.now() - t1;
    console.log(
      `vault: create ${createMs.toFixed(0)} ms, unlock ${unlockMs.toFixed(0)} ms (scrypt N=2^17, native)`,
    );
    const [file] = readdirSync(join(dataDir, 'vault', 'keys'));
    expect(JSON.parse(readFileSync(join(dataDir, 'vault', 'keys', file!), 'utf8')).Crypto.kdfparams.n).toBe(
      1 << 17,
    );
    expect(unlockMs).toBeLessThan(5000);
  });
});

describe('vault secret protection', () => {
  it('remembers the password in the OS keychain and unlocks without it', async () => {
    const { vault, dataDir } = makeVault({ protector: fakeKeychain() });
    await vault.create('Engineer', PASSWORD);
    const stored = readFileSync(join(dataDir, 'vault', 'password.protected'), 'utf8');
    expect(stored).not.toContain(PASSWORD);
    vault.lock();
    expect(vault.status()).toMatchObject({ canUnlockWithoutPassword: true, protection: { kind: 'os' } });
    await vault.unlock();
    expect(vault.locked).toBe(false);
    vault.forgetRememberedPassword();
    vault.lock();
    await expect(vault.unlock()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('asks for the passphrase where nothing protects a stored secret (basic_text, serve mode)', async () => {
    const { vault, dataDir } = makeVault({ protector: passphraseOnly('basic_text backend') });
    await vault.create('Engineer', PASSWORD);
    expect(readdirSync(join(dataDir, 'vault'))).not.toContain('password.protected');
    expect(vault.status()).toMatchObject({
      canUnlockWithoutPassword: false,
      protection: { kind: 'none', description: 'basic_text backend' },
    });
  });
});

describe('vault signing', () => {
  it('signs EIP-712 data and summarises domain, type and every field', async () => {
    const { vault } = makeVault();
    const identity = await vault.create('Engineer', PASSWORD);
    const signed = await vault.signTypedData({ ...typed, message: message(identity.address) });
    expect(verifyTypedData(typed.domain, typed.types, message(identity.address), signed.signature)).toBe(
      identity.address,
    );
    expect(signed.digest).toBe(TypedDataEncoder.hash(typed.domain, typed.types, message(identity.address)));
    expect(signed.summary).toMatchObject({
      primaryType: 'CommitVersion',
      domain: {
        name: 'TwinLedger',
        version: '1',
        chainId: '31337',
        verifyingContract: `0x${'5'.repeat(40)}`,
      },
    });
    expect(signed.summary.fields).toEqual([
      { path: 'signer', type: 'address', value: identity.address },
      { path: 'twinId', type: 'uint256', value: '7' },
      { path: 'modelRoot', type: 'bytes32', value: `0x${'ab'.repeat(32)}` },
      { path: 'packageUri', type: 'string', value: '"ipfs://model"' },
      { path: 'elements[0].key', type: 'bytes32', value: `0x${'01'.repeat(32)}` },
      { path: 'elements[0].removed', type: 'bool', value: 'true' },
    ]);
    expect(signed.summary.text).toContain('Sign CommitVersion for TwinLedger v1, chain 31337');
  });

  it('offers public demo identities that sign only for the sandbox chain', async () => {
    const { vault } = makeVault();
    const demos = await vault.addDemoIdentities();
    expect(demos.map((d) => d.demoRole)).toEqual(['owner', 'engineer', 'crew', 'planner', 'sensor']);
    expect(demos.map((d) => d.address)).toEqual(demoIdentities().map((d) => d.address));
    expect(demos.every((d) => d.label.includes('public demo key') && d.usable)).toBe(true);
    expect(await vault.addDemoIdentities()).toHaveLength(5);
    expect(vault.list()).toHaveLength(5);
    vault.setActive('demo-engineer');
    const signed = await vault.signTypedData({ ...typed, message: message(demos[1]!.address) });
    expect(signed.signer).toBe(demos[1]!.address);
    await expect(
      vault.signTypedData({
        ...typed,
        domain: { ...typed.domain, chainId: 1 },
        message: message(demos[1]!.address),
      }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(vault.export('demo-owner', PASSWORD, 'privateKey')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});

function message(signer: string) {
  return {
    signer,
    twinId: 7n,
    modelRoot: `0x${'ab'.repeat(32)}`,
    packageUri: 'ipfs://model',
    elements: [{ key: `0x${'01'.repeat(32)}`, removed: true }],
  };
}
