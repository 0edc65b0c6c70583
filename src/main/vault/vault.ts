// The vault: the only holder of private keys. Identities live as ethers JSON keystores (scrypt) in
// the data folder, all under one vault password; unlocking decrypts them into memory until lock()
// or the idle timeout. It signs EIP-712 intents and says in words what was signed. Nothing secret
// is ever logged, returned in an error, or sent to a renderer except by an explicit export.
import { randomUUID, scrypt as nodeScrypt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  decryptKeystoreJson,
  encryptKeystoreJson,
  HDNodeWallet,
  Mnemonic,
  scrypt,
  Wallet,
  type KeystoreAccount,
  type Provider,
  type TypedDataDomain,
  type TypedDataField,
} from 'ethers';
import { AppError } from '../../shared/result';
import { readJsonFile, writeFileDurably } from '../services/durable-file';
import { demoIdentities, demoWallet, DEMO_ROLES, type DemoRole } from './demo-identities';
import type { SecretProtector } from './secret-protector';
import { summarizeTypedData, withoutDomainType, type TypedDataSummary } from './typed-data-summary';

export type IdentityKind = 'generated' | 'privateKey' | 'mnemonic' | 'demo';

export interface IdentityRecord {
  id: string;
  label: string;
  address: string;
  kind: IdentityKind;
  createdAt: string;
  /** For demo identities: the role they play in the sample twin. */
  demoRole?: DemoRole;
}

export interface IdentityView extends IdentityRecord {
  active: boolean;
  /** Whether it can sign right now (unlocked, or a public demo key). */
  usable: boolean;
}

export interface VaultStatusView {
  locked: boolean;
  /** Whether a vault password has been set (at least one keystore exists). */
  initialized: boolean;
  protection: { kind: 'os' | 'none'; description: string };
  /** The OS keychain holds the password: unlock without typing it. */
  canUnlockWithoutPassword: boolean;
  idleLockMinutes: number;
  /** When the vault will lock itself (ms since epoch), or null when locked. */
  lockAt: number | null;
  active: { id: string; label: string; address: string; kind: IdentityKind } | null;
  identityCount: number;
}

export interface VaultOptions {
  dataDir: string;
  protector: SecretProtector;
  /** Minutes of inactivity before the vault locks itself (read on every use). */
  idleLockMinutes: () => number;
  /** Told after every change of identities, active identity or lock state. */
  onChange?: (status: VaultStatusView) => void;
  /** scrypt cost of new keystores (default 2^17, as ethers and geth use); lower only in tests. */
  scryptN?: number;
  /** Chain ids demo identities may sign for (default: the sandbox chain 31337). */
  demoChainIds?: number[];
}

export interface SignedTypedData {
  signer: string;
  signature: string;
  digest: string;
  summary: TypedDataSummary;
}

interface IndexFile {
  version: 1;
  activeId: string | null;
  identities: IdentityRecord[];
}

const MIN_PASSWORD = 8;

let scryptRegistered = false;
/** ethers' scrypt is pure JS (seconds per keystore); Node's native one is several times faster. */
function useNativeScrypt(): void {
  if (scryptRegistered) return;
  scryptRegistered = true;
  scrypt.register(
    (password, salt, N, r, p, dkLen) =>
      new Promise((resolve, reject) =>
        nodeScrypt(password, salt, dkLen, { N, r, p, maxmem: 256 * N * r }, (error, key) =>
          error ? reject(error) : resolve(new Uint8Array(key)),
        ),
      ),
  );
}

type Signer = Wallet | HDNodeWallet;

export class Vault {
  private readonly dir: string;
  private readonly keysDir: string;
  private index: IndexFile;
  private unlocked: Map<string, Signer> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private lockAt: number | null = null;
  /** The idle time the clock runs with (ms), and the one the last status told (minutes). */
  private idleMs = 0;
  private toldIdleMinutes: number | null = null;
  /** Serialises changes so two requests cannot interleave writes of the index. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: VaultOptions) {
    useNativeScrypt();
    this.dir = join(options.dataDir, 'vault');
    this.keysDir = join(this.dir, 'keys');
    mkdirSync(this.keysDir, { recursive: true, mode: 0o700 });
    this.index = this.loadIndex();
  }

  // ---- reading -------------------------------------------------------------------------------

  list(): IdentityView[] {
    return this.index.identities.map((identity) => ({
      ...identity,
      active: identity.id === this.index.activeId,
      usable: identity.kind === 'demo' || (this.unlocked?.has(identity.id) ?? false),
    }));
  }

  get locked(): boolean {
    return this.unlocked === null;
  }

  activeIdentity(): IdentityRecord | null {
    return this.index.identities.find((identity) => identity.id === this.index.activeId) ?? null;
  }

  status(): VaultStatusView {
    const active = this.activeIdentity();
    return {
      locked: this.locked,
      initialized: this.keyedIdentities().length > 0,
      protection: { kind: this.options.protector.kind, description: this.options.protector.description },
      canUnlockWithoutPassword:
        this.options.protector.kind === 'os' && existsSync(this.protectedPasswordPath),
      idleLockMinutes: this.options.idleLockMinutes(),
      lockAt: this.lockAt,
      active: active && { id: active.id, label: active.label, address: active.address, kind: active.kind },
      identityCount: this.index.identities.length,
    };
  }

  // ---- identities ----------------------------------------------------------------------------

  /** A new random identity (BIP-39 phrase kept inside its keystore, exportable with the password). */
  create(label: string, password: string): Promise<IdentityView> {
    return this.exclusive(() => this.addKeyed(label, password, 'generated', Wallet.createRandom()));
  }

  importPrivateKey(label: string, privateKey: string, password: string): Promise<IdentityView> {
    return this.exclusive(async () => {
      let wallet: Wallet;
      try {
        wallet = new Wallet(privateKey);
      } catch {
        throw new AppError('BAD_REQUEST', 'That is not a valid private key.');
      }
      return this.addKeyed(label, password, 'privateKey', wallet);
    });
  }

  importMnemonic(label: string, phrase: string, password: string, accountIndex = 0): Promise<IdentityView> {
    return this.exclusive(async () => {
      const normalized = phrase.trim().toLowerCase().split(/\s+/).join(' ');
      if (!Mnemonic.isValidMnemonic(normalized)) {
        throw new AppError(
          'BAD_REQUEST',
          'That is not a valid BIP-39 recovery phrase (check the words and their order).',
        );
      }
      const wallet = HDNodeWallet.fromPhrase(normalized, undefined, `m/44'/60'/0'/0/${accountIndex}`);
      return this.addKeyed(label, password, 'mnemonic', wallet);
    });
  }

  /** Adds the public demo identities (sandbox mode); idempotent. Answers them in role order. */
  addDemoIdentities(): Promise<IdentityView[]> {
    return this.exclusive(async () => {
      const existing = new Set(this.index.identities.filter((i) => i.kind === 'demo').map((i) => i.demoRole));
      const added = demoIdentities().filter((demo) => !existing.has(demo.role));
      if (added.length > 0) {
        const now = new Date().toISOString();
        this.index.identities.push(
          ...added.map((demo) => ({
            id: `demo-${demo.role}`,
            label: demo.label,
            address: demo.address,
            kind: 'demo' as const,
            createdAt: now,
            demoRole: demo.role,
          })),
        );
        this.index.activeId ??= 'demo-owner';
        this.saveIndex();
        this.changed();
      }
      return DEMO_ROLES.map((role) => this.list().find((i) => i.demoRole === role)!);
    });
  }

  setActive(id: string): IdentityView {
    this.require(id);
    this.index.activeId = id;
    this.saveIndex();
    this.changed();
    return this.list().find((identity) => identity.id === id)!;
  }

  // ---- lock state ----------------------------------------------------------------------------

  /** Unlocks with the password, or without one when the OS keychain holds it. */
  unlock(password?: string, remember = true): Promise<VaultStatusView> {
    return this.exclusive(async () => {
      const keyed = this.keyedIdentities();
      if (keyed.length === 0)
        throw new AppError('NOT_FOUND', 'The vault holds no keys yet: create or import one.');
      let secret = password;
      if (secret === undefined) {
        if (!this.status().canUnlockWithoutPassword) {
          throw new AppError('FORBIDDEN', 'Enter the vault password to unlock.');
        }
        try {
          secret = this.options.protector.reveal(
            Buffer.from(readFileSync(this.protectedPasswordPath, 'utf8'), 'base64'),
          );
        } catch {
          throw new AppError(
            'FORBIDDEN',
            'The OS keychain could not give back the vault password; enter it.',
          );
        }
      }
      const signers = await this.decryptAll(keyed, secret);
      if (password !== undefined) this.rememberPassword(password, remember);
      this.unlocked = signers;
      this.touch();
      this.changed();
      return this.status();
    });
  }

  lock(): VaultStatusView {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.lockAt = null;
    const wasUnlocked = this.unlocked !== null;
    this.unlocked = null;
    if (wasUnlocked) this.changed();
    return this.status();
  }

  /** Forgets the password held by the OS keychain (the next unlock asks for it). */
  forgetRememberedPassword(): void {
    rmSync(this.protectedPasswordPath, { force: true });
    this.changed();
  }

  // ---- export --------------------------------------------------------------------------------

  /** Export always asks for the password, locked or not. */
  export(id: string, password: string, format: 'keystore' | 'privateKey' | 'mnemonic'): Promise<string> {
    return this.exclusive(async () => {
      const identity = this.require(id);
      if (identity.kind === 'demo') {
        throw new AppError(
          'BAD_REQUEST',
          'Demo identities use public test keys; there is nothing secret to export.',
        );
      }
      const json = readFileSync(this.keyPath(id), 'utf8');
      const signer = await this.decryptOne(json, password);
      if (format === 'keystore') return json;
      if (format === 'privateKey') return signer.privateKey;
      const phrase = signer instanceof HDNodeWallet ? signer.mnemonic?.phrase : undefined;
      if (!phrase)
        throw new AppError(
          'NOT_FOUND',
          `"${identity.label}" was imported from a private key: it has no recovery phrase.`,
        );
      return phrase;
    });
  }

  // ---- signing (main only) -------------------------------------------------------------------

  /** Signs EIP-712 typed data with an identity (default: the active one) and says what was signed. */
  async signTypedData(request: {
    identityId?: string;
    domain: TypedDataDomain;
    types: Record<string, TypedDataField[]>;
    message: Record<string, unknown>;
  }): Promise<SignedTypedData> {
    const signer = this.signerFor(request.identityId, request.domain.chainId);
    const types = withoutDomainType(request.types);
    const summary = summarizeTypedData(request.domain, types, request.message);
    const signature = await signer.signTypedData(request.domain, types, request.message);
    this.touch();
    return { signer: signer.address, signature, digest: summary.digest, summary };
  }

  /** A transaction signer bound to a provider (for the relayer); it never leaves main. */
  connectedSigner(identityId: string | undefined, provider: Provider, chainId: number): Signer {
    const signer = this.signerFor(identityId, chainId);
    this.touch();
    return signer.connect(provider);
  }

  close(): void {
    this.lock();
  }

  // ---- internals -----------------------------------------------------------------------------

  private get protectedPasswordPath(): string {
    return join(this.dir, 'password.protected');
  }

  private keyPath(id: string): string {
    return join(this.keysDir, `${id}.json`);
  }

  private keyedIdentities(): IdentityRecord[] {
    return this.index.identities.filter((identity) => identity.kind !== 'demo');
  }

  private require(id: string): IdentityRecord {
    const identity = this.index.identities.find((candidate) => candidate.id === id);
    if (!identity) throw new AppError('NOT_FOUND', 'No such identity in this vault.');
    return identity;
  }

  private signerFor(identityId: string | undefined, chainId: unknown): Signer {
    const id = identityId ?? this.index.activeId;
    if (!id) throw new AppError('NOT_FOUND', 'No active identity: create, import or choose one.');
    const identity = this.require(id);
    if (identity.kind === 'demo') {
      const allowed = this.options.demoChainIds ?? [31337];
      if (chainId == null || !allowed.includes(Number(chainId))) {
        throw new AppError('FORBIDDEN', 'Demo identities sign only for the sandbox chain.');
      }
      return demoWallet(identity.demoRole!);
    }
    const signer = this.unlocked?.get(id);
    if (!signer) throw new AppError('FORBIDDEN', 'The vault is locked: unlock it to sign.');
    return signer;
  }

  private async addKeyed(
    label: string,
    password: string,
    kind: IdentityKind,
    wallet: Signer,
  ): Promise<IdentityView> {
    if (password.length < MIN_PASSWORD) {
      throw new AppError('BAD_REQUEST', `The vault password needs at least ${MIN_PASSWORD} characters.`);
    }
    if (this.index.identities.some((i) => i.address.toLowerCase() === wallet.address.toLowerCase())) {
      throw new AppError('CONFLICT', `This vault already holds ${wallet.address}.`);
    }
    // One password for the whole vault: a new key must use the one the others are under.
    const [first] = this.keyedIdentities();
    if (first) await this.decryptOne(readFileSync(this.keyPath(first.id), 'utf8'), password);
    const id = randomUUID();
    const account: KeystoreAccount = { address: wallet.address, privateKey: wallet.privateKey };
    if (wallet instanceof HDNodeWallet && wallet.mnemonic && wallet.path) {
      account.mnemonic = { path: wallet.path, locale: 'en', entropy: wallet.mnemonic.entropy };
    }
    const json = await encryptKeystoreJson(account, password, {
      scrypt: { N: this.options.scryptN ?? 1 << 17 },
    });
    writeFileDurably(this.keyPath(id), json);
    const record: IdentityRecord = {
      id,
      label,
      address: wallet.address,
      kind,
      createdAt: new Date().toISOString(),
    };
    this.index.identities.push(record);
    if (!this.index.activeId || this.activeIdentity()?.kind === 'demo') this.index.activeId = id;
    this.saveIndex();
    // The password was just proven right: a new key joins an unlocked vault, or unlocks a new one.
    if (this.unlocked) this.unlocked.set(id, wallet);
    else if (!first) this.unlocked = new Map([[id, wallet]]);
    if (!first) this.rememberPassword(password, true);
    this.touch();
    this.changed();
    return this.list().find((identity) => identity.id === id)!;
  }

  private async decryptOne(json: string, password: string): Promise<Signer> {
    let account: KeystoreAccount;
    try {
      account = await decryptKeystoreJson(json, password);
    } catch {
      throw new AppError('FORBIDDEN', 'Wrong vault password.');
    }
    if (account.mnemonic?.entropy) {
      const mnemonic = Mnemonic.fromEntropy(account.mnemonic.entropy);
      return HDNodeWallet.fromMnemonic(mnemonic, account.mnemonic.path ?? undefined);
    }
    return new Wallet(account.privateKey);
  }

  private async decryptAll(identities: IdentityRecord[], password: string): Promise<Map<string, Signer>> {
    // scrypt runs on libuv's thread pool, so several keystores decrypt in parallel.
    const signers = await Promise.all(
      identities.map((identity) =>
        this.decryptOne(readFileSync(this.keyPath(identity.id), 'utf8'), password),
      ),
    );
    return new Map(identities.map((identity, i) => [identity.id, signers[i]!]));
  }

  private rememberPassword(password: string, remember: boolean): void {
    if (this.options.protector.kind !== 'os') return;
    if (!remember) {
      rmSync(this.protectedPasswordPath, { force: true });
      return;
    }
    writeFileDurably(this.protectedPasswordPath, this.options.protector.protect(password).toString('base64'));
  }

  /**
   * The idle time setting changed: an unlocked vault's clock restarts with the new time, counted
   * from now (not from the next use; not from the last either, which could lock it the moment the
   * setting is saved). Nothing happens where the time is the one the clock runs with.
   */
  idleLockChanged(): void {
    const minutes = this.options.idleLockMinutes();
    if (this.unlocked && minutes * 60_000 !== this.idleMs) this.touch();
    // Its status names the idle time too: told where it differs from the one last told.
    if (minutes !== this.toldIdleMinutes) this.changed();
  }

  /** Restarts the idle clock: the vault locks itself after that many minutes without use. */
  private touch(): void {
    if (!this.unlocked) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const ms = this.options.idleLockMinutes() * 60_000;
    this.idleMs = ms;
    this.lockAt = Date.now() + ms;
    this.idleTimer = setTimeout(() => this.lock(), ms);
    this.idleTimer.unref?.();
  }

  private changed(): void {
    const status = this.status();
    this.toldIdleMinutes = status.idleLockMinutes;
    this.options.onChange?.(status);
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private loadIndex(): IndexFile {
    const raw = readJsonFile(join(this.dir, 'identities.json')) as IndexFile | undefined;
    if (!raw) return { version: 1, activeId: null, identities: [] };
    if (raw.version !== 1)
      throw new Error(`vault/identities.json has version ${raw.version}; this app reads 1.`);
    return raw;
  }

  private saveIndex(): void {
    writeFileDurably(join(this.dir, 'identities.json'), `${JSON.stringify(this.index, null, 2)}\n`);
  }
}
