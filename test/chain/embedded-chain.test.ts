// The embedded chain survives restarts by replaying its journal: same head hash, same balances,
// same clock; snapshots and reverts keep the journal in step; errors decode like a real node's.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Contract, Wallet } from 'ethers';
import { EmbeddedChain } from '../../src/main/chain/embedded-chain';
import { createEthersProvider } from '../../src/main/chain/ethers';
import { sandboxGenesis } from '../../src/main/chain/sandbox-genesis';
import { demoIdentities, demoWallet } from '../../src/main/vault/demo-identities';
import { balanceOf, LOGGER_INIT, RawSender, REVERTER_INIT, ROLE_MISSING_ABI, tempDir } from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(dir: string, extra: Partial<Parameters<typeof EmbeddedChain.start>[0]> = {}) {
  const chain = await EmbeddedChain.start({ dataDir: dir, genesis: () => sandboxGenesis(), ...extra });
  cleanups.push(() => chain.close());
  return chain;
}

function scratch(prefix: string): string {
  const { dir, remove } = tempDir(prefix);
  cleanups.push(remove);
  return dir;
}

describe('embedded chain journal', () => {
  it('restarts with the same head hash, balances and contract code', async () => {
    const dir = scratch('chain-restart');
    const chain = await open(dir);
    expect(chain.isNew).toBe(true);
    const sender = RawSender.owner(chain.chainId);
    const reverter = await sender.deploy(chain, REVERTER_INIT);
    const recipients = [0, 1, 2].map(() => Wallet.createRandom().address);
    for (let i = 0; i < 30; i++) await sender.send(chain, { to: recipients[i % 3], value: BigInt(i + 1) });
    await sender.send(chain, { to: reverter }); // mined with status 0
    await chain.request({ method: 'evm_increaseTime', params: [3600] });
    await chain.request({ method: 'evm_mine', params: [] });
    await chain.request({ method: 'hardhat_mine', params: ['0x10', '0x5'] });
    const head = await chain.head();
    const balances = await Promise.all(recipients.map((a) => balanceOf(chain, a)));
    await chain.close();

    const again = await open(dir);
    expect(again.isNew).toBe(false);
    expect(await again.head()).toEqual(head);
    expect(await Promise.all(recipients.map((a) => balanceOf(again, a)))).toEqual(balances);
    expect(await again.request({ method: 'eth_getCode', params: [reverter, 'latest'] })).not.toBe('0x');
    // The clock keeps its lead over the wall clock: the hour it was moved forward plus the 75 s
    // that hardhat_mine's 16 blocks at 5 s intervals took.
    await again.request({ method: 'evm_mine', params: [] });
    const next = await again.head();
    expect(next.timestamp).toBeGreaterThanOrEqual(head.timestamp);
    expect(Math.abs(next.timestamp - (Math.floor(Date.now() / 1000) + 3675))).toBeLessThan(5);
    // And sending continues from the right nonce.
    await sender.send(again, { to: recipients[0], value: 1n });
    expect(await balanceOf(again, recipients[0]!)).toBe(balances[0]! + 1n);
  });

  it('forgets what a revert undid, also after a restart', async () => {
    const dir = scratch('chain-revert');
    const chain = await open(dir);
    const sender = RawSender.owner(chain.chainId);
    const alice = Wallet.createRandom().address;
    await sender.send(chain, { to: alice, value: 1n });
    const snapshot = await chain.request({ method: 'evm_snapshot' });
    const lengthAtSnapshot = chain.journalLength;
    for (let i = 0; i < 5; i++) await sender.send(chain, { to: alice, value: 100n });
    expect(await chain.request({ method: 'evm_revert', params: [snapshot] })).toBe(true);
    expect(chain.journalLength).toBe(lengthAtSnapshot);
    sender.nonce = 1;
    // A different history on top of the snapshot (a reorg of the node's chain).
    await sender.send(chain, { to: alice, value: 7n });
    await chain.request({ method: 'evm_mine', params: [] });
    const head = await chain.head();
    await chain.close();

    const again = await open(dir);
    expect(await again.head()).toEqual(head);
    expect(await balanceOf(again, alice)).toBe(8n);
    expect(await again.request({ method: 'evm_revert', params: ['0x99'] })).toBe(false);
  });

  it('does not journal calls that changed nothing', async () => {
    const dir = scratch('chain-noop');
    const chain = await open(dir);
    const sender = RawSender.owner(chain.chainId);
    await sender.send(chain, { to: Wallet.createRandom().address, value: 1n });
    sender.nonce = 0; // nonce too low: refused before mining
    await expect(sender.send(chain, { to: Wallet.createRandom().address })).rejects.toThrow(/nonce/i);
    await chain.request({ method: 'eth_getBlockByNumber', params: ['latest', false] });
    expect(chain.journalLength).toBe(1);
  });

  it('survives a half-written last line and compacts without changing the chain', async () => {
    const dir = scratch('chain-torn');
    const chain = await open(dir);
    const sender = RawSender.owner(chain.chainId);
    await sender.send(chain, { to: Wallet.createRandom().address, value: 1n });
    for (let i = 0; i < 10; i++) {
      await chain.request({ method: 'evm_increaseTime', params: [60] });
      await chain.request({ method: 'evm_mine', params: [] });
    }
    await sender.send(chain, { to: Wallet.createRandom().address, value: 1n });
    const head = await chain.head();
    expect(await chain.compact()).toEqual({ before: 22, after: 3 });
    await chain.close();
    appendFileSync(join(dir, 'journal.jsonl'), '{"method":"eth_sendRawTransa');

    const again = await open(dir);
    expect(await again.head()).toEqual(head);
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('moves revert data to error.data so ethers decodes custom errors', async () => {
    const chain = await EmbeddedChain.start({ genesis: () => sandboxGenesis() });
    cleanups.push(() => chain.close());
    const sender = RawSender.owner(chain.chainId);
    const address = await sender.deploy(chain, REVERTER_INIT);
    const provider = createEthersProvider(chain, chain.chainId);
    cleanups.push(() => provider.destroy());
    const contract = new Contract(address, ROLE_MISSING_ABI, provider);
    const error = await contract
      .getFunction('poke')
      .staticCall()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CALL_EXCEPTION', revert: { name: 'RoleMissing', args: [42n] } });
    const estimate = (await contract
      .getFunction('poke')
      .estimateGas()
      .catch((e: unknown) => e)) as { data: string };
    expect(contract.interface.parseError(estimate.data)?.name).toBe('RoleMissing');
  });

  it('refuses eth_getLogs beyond the configured block range and log count', async () => {
    const chain = await EmbeddedChain.start({
      genesis: () => sandboxGenesis(),
      logLimits: { maxLogs: 3, maxBlockRange: 10 },
    });
    cleanups.push(() => chain.close());
    const sender = RawSender.owner(chain.chainId);
    const address = await sender.deploy(chain, LOGGER_INIT);
    for (let i = 0; i < 4; i++) await sender.send(chain, { to: address });
    await chain.request({ method: 'hardhat_mine', params: ['0x20'] });
    const logs = (from: number, to: number | string) =>
      chain.request({
        method: 'eth_getLogs',
        params: [
          {
            address,
            fromBlock: `0x${from.toString(16)}`,
            toBlock: typeof to === 'string' ? to : `0x${to.toString(16)}`,
          },
        ],
      });
    await expect(logs(2, 4)).resolves.toHaveLength(3);
    await expect(logs(1, 10)).rejects.toMatchObject({ code: -32005, message: /more than 3 results/ });
    await expect(logs(0, 'latest')).rejects.toMatchObject({ code: -32005, message: /block range too large/ });
  });

  it('journals what ethers signers send (the path a sandbox seeder takes)', async () => {
    const dir = scratch('chain-ethers');
    const chain = await open(dir);
    const provider = createEthersProvider(chain, chain.chainId, { pollingIntervalMs: 10 });
    const owner = demoWallet('owner').connect(provider);
    const deploy = await owner.sendTransaction({ data: LOGGER_INIT });
    const receipt = await deploy.wait();
    const poke = await owner.sendTransaction({ to: receipt!.contractAddress! });
    expect((await poke.wait())?.logs).toHaveLength(1);
    const head = await chain.head();
    provider.destroy();
    await chain.close();
    const again = await open(dir);
    expect(await again.head()).toEqual(head);
    expect(again.journalLength).toBe(2);
  });

  it('funds the demo identities at genesis', async () => {
    const chain = await EmbeddedChain.start({ genesis: () => sandboxGenesis() });
    cleanups.push(() => chain.close());
    for (const identity of demoIdentities()) {
      expect(await balanceOf(chain, identity.address)).toBe(10_000n * 10n ** 18n);
    }
  });
});
