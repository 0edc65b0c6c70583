// The relayer's reliability on a real chain: restarts between writing a batch and broadcasting it
// or between broadcasting and reading its receipt, a transaction stuck in the mempool (replaced
// with bumped fees), one dropped from it (the same bytes fill the nonce gap), a lane nonce used
// elsewhere (signed again), and the chain node going away mid-batch and coming back. Every intent
// executes exactly once.
import { afterEach, expect, test } from 'vitest';
import type { Eip1193Provider } from '../../src/main/chain/embedded-chain';
import { ProviderRpcError } from '../../src/main/chain/rpc-errors';
import { Lab, Laptop, tempDir } from './outbox-fixture';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const WALL = 'wall000000000000000001';

async function world(options: { rpc?: boolean } = {}) {
  const lab = await Lab.start(options);
  const dir = tempDir('relayer');
  const shared = tempDir('packages');
  cleanups.push(
    () => lab.close(),
    () => dir.remove(),
    () => shared.remove(),
  );
  const chainTwinId = await lab.registerTwin('relayed');
  const open = async (extra: Partial<Parameters<typeof Laptop.open>[0]> = {}) => {
    const laptop = await Laptop.open({
      lab,
      dir: dir.dir,
      sharedPackages: shared.dir,
      identity: 'crew',
      start: false,
      ...extra,
    });
    cleanups.push(() => laptop.close());
    return laptop;
  };
  const first = await open();
  first.createTwin('twin', 'relayed', chainTwinId, [{ globalId: WALL }]);
  return { lab, chainTwinId, open, first };
}

async function queueLogs(laptop: Laptop, count: number, label = ''): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(
      (
        await laptop.outbox.logService({
          twinId: 'twin',
          element: { globalId: WALL },
          kind: 'inspection',
          notes: `${label}#${i}`,
          attachments: [],
        })
      ).id,
    );
  }
  return ids;
}

async function expectExactlyOnce(lab: Lab, laptop: Laptop, ids: number[]): Promise<void> {
  const executions = await lab.executions();
  for (const id of ids) {
    const item = laptop.outbox.get(id);
    expect(item.status, `item ${id}`).toBe('confirmed');
    expect(executions.get(item.digest), `item ${id} on chain`).toBe(1);
  }
  expect([...executions.values()].every((n) => n === 1)).toBe(true);
}

/** A provider whose calls of `method` fail as if the node were gone, while `fail()` says so. */
function failing(inner: Eip1193Provider, method: string, fail: () => boolean): Eip1193Provider {
  return {
    request: async (args) => {
      if (args.method === method && fail())
        throw new ProviderRpcError({ code: -32002, message: 'The chain cannot be reached (test).' });
      return inner.request(args);
    },
  };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((done) => setTimeout(done, 10));
  }
}

test('restart after the batch was written but before it was broadcast: the same transaction goes out once', async () => {
  const { lab, open, first } = await world();
  const ids = await queueLogs(first, 5);
  await first.close();
  const crashing = await open({ provider: () => failing(lab.chain, 'eth_sendRawTransaction', () => true) });
  crashing.outbox.start();
  await until(() => crashing.outbox.counts().sent === 5);
  const written = crashing.db.pendingBatches()[0]!;
  expect(crashing.db.attempts(written.id)[0]!.broadcastAt).toBeNull();
  await crashing.close();
  expect(await lab.relayerTransactions()).toBe(0);

  const restarted = await open();
  restarted.outbox.start();
  await restarted.outbox.drained(10_000);
  await expectExactlyOnce(lab, restarted, ids);
  expect(await lab.relayerTransactions()).toBe(1);
  expect(restarted.outbox.get(ids[0]!).txHash).toBe(written.txHash);
});

test('restart after the broadcast but before the receipt was read: settled from the receipt, nothing resent', async () => {
  const { lab, open, first } = await world();
  const ids = await queueLogs(first, 5);
  await first.close();
  const blind = await open({ provider: () => failing(lab.chain, 'eth_getTransactionReceipt', () => true) });
  blind.outbox.start();
  await until(async () => (await lab.relayerTransactions()) === 1);
  await blind.close();
  const restarted = await open();
  restarted.outbox.start();
  await restarted.outbox.drained(10_000);
  await expectExactlyOnce(lab, restarted, ids);
  expect(await lab.relayerTransactions()).toBe(1);
});

test('a stuck transaction is replaced with bumped fees; a dropped one is broadcast again; each intent once', async () => {
  const { lab, first } = await world();
  await lab.chain.request({ method: 'evm_setAutomine', params: [false] });
  const ids = await queueLogs(first, 3);
  const laptop = first;
  // Stuck: not mined, so after stuckAfterMs a replacement with higher fees goes out.
  await laptop.close();
  const stuck = await Laptop.open({ ...laptop.options, relayer: { stuckAfterMs: 300 }, start: false });
  cleanups.push(() => stuck.close());
  stuck.outbox.start();
  await until(
    () =>
      stuck.db.pendingBatches().length === 1 &&
      stuck.db.attempts(stuck.db.pendingBatches()[0]!.id).length >= 2,
  );
  const batch = stuck.db.pendingBatches()[0]!;
  const [replacement, original] = stuck.db.attempts(batch.id);
  expect(replacement!.maxFeePerGas).toBeGreaterThan(original!.maxFeePerGas);
  expect(replacement!.maxPriorityFeePerGas).toBeGreaterThan(original!.maxPriorityFeePerGas);
  // Dropped: the node forgets it; the relayer sends the same bytes again into the gap.
  for (const attempt of stuck.db.attempts(batch.id)) {
    await lab.chain.request({ method: 'hardhat_dropTransaction', params: [attempt.txHash] });
  }
  await until(async () => {
    const known = await Promise.all(
      stuck.db
        .attempts(batch.id)
        .map((a) => lab.chain.request({ method: 'eth_getTransactionByHash', params: [a.txHash] })),
    );
    return known.some(Boolean);
  });
  await lab.chain.request({ method: 'evm_mine', params: [] });
  await lab.chain.request({ method: 'evm_setAutomine', params: [true] });
  await stuck.outbox.drained(10_000);
  await expectExactlyOnce(lab, stuck, ids);
  expect(await lab.relayerTransactions()).toBe(1);
});

test("a lane nonce used elsewhere (the same identity on another machine): the item is signed again with the chain's next nonce", async () => {
  const { lab, chainTwinId, first } = await world();
  // This laptop signs nonce 0 offline.
  first.online = false;
  const [mine] = await queueLogs(first, 1);
  expect(first.outbox.get(mine!).nonce).toBe(0);
  // Another machine of the same crew member relays its own nonce 0 first.
  const otherDir = tempDir('other');
  cleanups.push(() => otherDir.remove());
  const other = await Laptop.open({
    lab,
    dir: otherDir.dir,
    sharedPackages: otherDir.dir,
    identity: 'crew',
    start: false,
  });
  cleanups.push(() => other.close());
  other.createTwin('twin', 'relayed', chainTwinId, [{ globalId: WALL }]);
  const [theirs] = await queueLogs(other, 1, 'other machine ');
  other.outbox.start();
  await other.outbox.drained(10_000);
  expect(other.outbox.get(theirs!).status).toBe('confirmed');
  // Back online: nonce 0 is taken, so the outbox signs its work again as nonce 1 and sends it.
  first.online = true;
  first.outbox.start();
  await first.outbox.drained(10_000);
  const item = first.outbox.get(mine!);
  expect(item).toMatchObject({ status: 'confirmed', nonce: 1 });
  expect((await lab.executions()).get(item.digest)).toBe(1);
  expect(await lab.view<bigint>('intentNonce', [first.outbox.get(mine!).signer, chainTwinId])).toBe(2n);
});

test('the chain node stops mid-batch and returns: nothing lost, nothing sent twice, one warning while offline', async () => {
  const { lab, open, first } = await world({ rpc: true });
  const ids = await queueLogs(first, 140);
  await first.close();
  const provider = lab.httpProvider();
  const laptop = await open({
    provider: () => provider,
    relayer: { maxBatch: 50, backoffMs: { initial: 50, max: 200 } },
  });
  laptop.outbox.start();
  await until(() => laptop.outbox.counts().confirmed >= 50 || laptop.outbox.counts().sent > 0, 20_000);
  await lab.server!.stop();
  await new Promise((done) => setTimeout(done, 1500));
  const whileOffline = laptop.outbox.counts();
  expect(whileOffline.queued + whileOffline.sent + whileOffline.confirmed).toBe(140);
  expect(laptop.outbox.relayer.status.state).toBe('offline');
  await lab.server!.start();
  await laptop.outbox.drained(20_000);
  await expectExactlyOnce(lab, laptop, ids);
  expect(await lab.relayerTransactions()).toBe(3);
  const warnings = laptop.logger.lines.filter((line) => line.includes('cannot be reached'));
  expect(warnings.length).toBeLessThanOrEqual(2);
});

test('a reorg removes the block of a confirmed batch: its intents wait again and reach the new chain once', async () => {
  const { lab, open, first } = await world();
  await first.close();
  const snapshot = await lab.chain.request({ method: 'evm_snapshot', params: [] });
  const laptop = await open({ relayer: { confirmations: () => 5 } });
  const ids = await queueLogs(laptop, 4);
  laptop.outbox.start();
  await laptop.outbox.drained(10_000);
  const before = laptop.outbox.get(ids[0]!);
  expect(before.status).toBe('confirmed');
  // A different history: the batch's block is gone (and the lane nonces with it).
  await lab.chain.request({ method: 'evm_revert', params: [snapshot] });
  expect(await lab.relayerTransactions()).toBe(0);
  laptop.outbox.wake();
  await until(
    async () => (await lab.relayerTransactions()) === 1 && laptop.outbox.counts().confirmed === 4,
    10_000,
  );
  await expectExactlyOnce(lab, laptop, ids);
  expect(laptop.logger.lines.some((line) => line.includes('removed by a reorg'))).toBe(true);
});
