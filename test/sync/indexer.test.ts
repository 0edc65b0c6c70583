// The indexer against real chains: bounded ranges through a JSON-RPC node that enforces provider
// log limits, reorgs of up to 12 blocks (snapshot/revert, then a different history) leaving the
// store equal to a fresh index of the new chain, and a rebuild from scratch that reproduces it.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { EmbeddedChain } from '../../src/main/chain/embedded-chain';
import { httpProvider } from '../../src/main/chain/chain-service';
import { ChainRpcServer } from '../../src/main/chain/rpc-server';
import { sandboxGenesis } from '../../src/main/chain/sandbox-genesis';
import { openDatabase } from '../../src/main/store/database';
import { ChainIndex, diffIndexDumps, IndexMovedError } from '../../src/main/store/chain-index';
import { ChainIndexer } from '../../src/main/sync/indexer';
import { demoWallet, type DemoRole } from '../../src/main/vault/demo-identities';
import { RegistryDriver, random, writeHistory } from './registry-fixture';
import { tempDir } from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function freshIndex(name: string): ChainIndex {
  const { dir, remove } = tempDir(`index-${name}`);
  const db = openDatabase(join(dir, 'twins.sqlite'));
  cleanups.push(remove, () => void db.close());
  return new ChainIndex(db);
}

async function memoryChain(logLimits?: { maxLogs?: number; maxBlockRange?: number }): Promise<EmbeddedChain> {
  const chain = await EmbeddedChain.start({
    genesis: () => sandboxGenesis(),
    ...(logLimits ? { logLimits } : {}),
  });
  cleanups.push(() => chain.close());
  return chain;
}

/** A fresh index of the whole chain, read straight from the chain without limits. */
async function referenceDump(chain: EmbeddedChain, driver: RegistryDriver) {
  const index = freshIndex('reference');
  await new ChainIndexer({ provider: chain, index, deployment: driver.deployment }).syncOnce();
  return index.dump();
}

describe('indexer', () => {
  it('reads in bounded ranges through a node with log limits, halving refused ranges', async () => {
    const chain = await memoryChain({ maxLogs: 40, maxBlockRange: 16 });
    const server = await ChainRpcServer.start(chain);
    cleanups.push(() => server.stop());
    const driver = await RegistryDriver.deploy(chain, chain.chainId);
    await writeHistory(driver, { twins: 4, versions: 5, perBlock: 3, seed: 7 });
    await chain.request({ method: 'hardhat_mine', params: ['0x64'] });
    await writeHistory(driver, { twins: 2, versions: 3, perBlock: 4, seed: 8, label: 'late' });

    const index = freshIndex('limited');
    const indexer = new ChainIndexer({
      provider: httpProvider(server.url),
      index,
      deployment: driver.deployment,
    });
    const outcome = await indexer.syncOnce();
    console.log(
      `bounded ranges: ${outcome.events} events in ${outcome.ranges} ranges, ${outcome.splits} refused ranges ` +
        `halved; final range ${outcome.range} blocks (node limits: 40 logs, 16 blocks)`,
    );
    expect(outcome.splits).toBeGreaterThan(0);
    expect(outcome.ranges).toBeGreaterThan(8);
    expect(outcome.cursor).toBe(Number(await chain.request({ method: 'eth_blockNumber', params: [] })));
    expect(diffIndexDumps(index.dump(), await referenceDump(chain, driver))).toEqual([]);
    expect(index.grants('1').length).toBeGreaterThan(0);
    expect(index.versions('1').map((v) => v.version)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses to skip a block that alone exceeds the log limit', async () => {
    const chain = await memoryChain({ maxLogs: 3 });
    const driver = await RegistryDriver.deploy(chain, chain.chainId);
    const owner = demoWallet('owner').address;
    await driver.block(
      [0, 1, 2].map((i): [DemoRole, string] => ['owner', RegistryDriver.mint(owner, `crowded-${i}`)]),
    );
    const index = freshIndex('crowded');
    await expect(
      new ChainIndexer({ provider: chain, index, deployment: driver.deployment }).syncOnce(),
    ).rejects.toThrow(/alone holds more registry events/);
    // Nothing half-written: the cursor stayed before the crowded block.
    expect(index.eventCount()).toBe(0);
  });

  it('holds back the confirmation depth', async () => {
    const chain = await memoryChain();
    const driver = await RegistryDriver.deploy(chain, chain.chainId);
    await writeHistory(driver, { twins: 1, versions: 4, perBlock: 1 });
    const head = Number(await chain.request({ method: 'eth_blockNumber', params: [] }));
    const index = freshIndex('depth');
    const outcome = await new ChainIndexer({
      provider: chain,
      index,
      deployment: driver.deployment,
      confirmations: 3,
    }).syncOnce();
    expect(outcome.cursor).toBe(head - 3);
    expect(index.cursor()?.blockNumber).toBe(head - 3);
  });

  it('survives reorgs of 1 to 12 blocks: the store equals a fresh index of the new chain', async () => {
    const seeds = [1, 2, 3, 4, 5, 6];
    for (const seed of seeds) {
      const next = random(seed);
      const depth = seed === 1 ? 12 : 1 + Math.floor(next() * 12);
      const chain = await memoryChain();
      const driver = await RegistryDriver.deploy(chain, chain.chainId);
      await writeHistory(driver, { twins: 2, versions: 3, perBlock: 2, seed });
      const index = freshIndex(`reorg-${seed}`);
      // A store twin linked to chain twin 1, with the version the orphaned branch will confirm.
      const orphanRoot = await linkStoreTwin(index, 'orphan');
      const reorgs: { from: number; ancestor: number }[] = [];
      const indexer = new ChainIndexer({
        provider: chain,
        index,
        deployment: driver.deployment,
        onReorg: (r) => reorgs.push(r),
      });
      await indexer.syncOnce();
      const snapshot = await chain.request({ method: 'evm_snapshot', params: [] });
      const engineer = demoWallet('engineer').address;
      const headVersion = index.twin('1')!.headVersion;
      // The branch that will be orphaned: `depth` blocks, one of them committing the store's version.
      for (let b = 0; b < depth; b++) {
        if (b === 0) await driver.block([['engineer', commitWithRoot(1, headVersion, orphanRoot)]]);
        else if (b % 3 === 1) await driver.block([['owner', RegistryDriver.endEngagement(2, engineer)]]);
        else await driver.block([['crew', RegistryDriver.logService(1, `orphan-${b}`, `o${b}`)]]);
      }
      await indexer.syncOnce();
      expect(storeVersionStatus(index)).toBe('confirmed');
      expect(await chain.request({ method: 'evm_revert', params: [snapshot] })).toBe(true);
      driver.resetNonces();
      // The new branch: a different history, shorter or longer than the orphaned one.
      const length = Math.max(1, depth - 2 + Math.floor(next() * 5));
      for (let b = 0; b < length; b++) {
        if (b % 2 === 0)
          await driver.block([['owner', RegistryDriver.revoke(1, 2, demoWallet('crew').address)]]);
        else
          await driver.block([
            [
              'engineer',
              RegistryDriver.commit(2, index.twin('2')!.headVersion + Math.floor(b / 2), `new-${seed}-${b}`),
            ],
          ]);
      }
      // Equal heights make the reorg visible only by hash; shorter ones also by a missing block.
      const outcome = await indexer.syncOnce();
      const diff = diffIndexDumps(index.dump(), await referenceDump(chain, driver));
      console.log(
        `reorg seed ${seed}: ${depth} blocks orphaned, ${length} new; rolled back to #${reorgs[0]?.ancestor} ` +
          `(${outcome.reorgs} reorg), differences: ${diff.length}`,
      );
      expect(reorgs).toHaveLength(1);
      expect(diff).toEqual([]);
      // The version only the orphaned branch confirmed is no longer confirmed.
      expect(storeVersionStatus(index)).toBe('queued');
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    }
  });

  it('writes a range with many events in several transactions, each ending on a block boundary', async () => {
    const chain = await memoryChain();
    const driver = await RegistryDriver.deploy(chain, chain.chainId);
    await writeHistory(driver, { twins: 3, versions: 3, perBlock: 4, seed: 13 });
    const index = freshIndex('parts');
    const cursors: number[] = [];
    const outcome = await new ChainIndexer({
      provider: chain,
      index,
      deployment: driver.deployment,
      maxEventsPerTransaction: 5,
      onCommit: (_change, progress) => cursors.push(progress.cursor),
    }).syncOnce();
    expect(outcome.ranges).toBe(1);
    expect(cursors.length).toBeGreaterThan(3);
    // Each transaction's cursor is a block whose events are all in, none of the next block's.
    const events = (await referenceDump(chain, driver)).chain_events;
    for (const cursor of cursors.slice(0, -1)) {
      expect(events.some((row) => row[0] === cursor)).toBe(true);
    }
    expect(diffIndexDumps(index.dump(), await referenceDump(chain, driver))).toEqual([]);
  });

  it('refuses a range that does not continue from the stored cursor (a rebuild meanwhile)', async () => {
    const chain = await memoryChain();
    const driver = await RegistryDriver.deploy(chain, chain.chainId);
    await writeHistory(driver, { twins: 1, versions: 2, perBlock: 1, seed: 2 });
    const index = freshIndex('moved');
    await new ChainIndexer({ provider: chain, index, deployment: driver.deployment }).syncOnce();
    const before = index.dump();
    expect(() =>
      index.applyBatch({
        events: [],
        blocks: [],
        cursor: { number: 99, hash: `0x${'9'.repeat(64)}` },
        after: 3,
      }),
    ).toThrow(IndexMovedError);
    expect(index.dump()).toEqual(before);
  });

  it('rebuilds from scratch to the same state', async () => {
    const chain = await memoryChain();
    const driver = await RegistryDriver.deploy(chain, chain.chainId);
    await writeHistory(driver, { twins: 3, versions: 4, perBlock: 5, seed: 11 });
    const index = freshIndex('rebuild');
    await new ChainIndexer({
      provider: chain,
      index,
      deployment: driver.deployment,
      maxBlockRange: 3,
    }).syncOnce();
    const before = index.dump();
    index.reset({ chainId: driver.chainId, registry: driver.registry, startBlock: driver.startBlock });
    expect(index.eventCount()).toBe(0);
    await new ChainIndexer({ provider: chain, index, deployment: driver.deployment }).syncOnce();
    expect(diffIndexDumps(index.dump(), before)).toEqual([]);
  });
});

const ROOT_OF = (label: string) => `0x${Buffer.from(label.padEnd(32, '.')).subarray(0, 32).toString('hex')}`;

function commitWithRoot(twinId: number, base: number, root: string): string {
  const data = RegistryDriver.commit(twinId, base, 'orphan');
  // Replace the model root argument (third word after the selector) with `root`.
  const words = data.slice(10).match(/.{64}/g)!;
  words[2] = root.slice(2);
  return `${data.slice(0, 10)}${words.join('')}`;
}

/** Inserts a store twin linked to chain twin 1 with one committed version; answers its root. */
async function linkStoreTwin(index: ChainIndex, label: string): Promise<string> {
  const root = ROOT_OF(label);
  index.db
    .prepare(
      `INSERT INTO twins (id, name, created_at, head_version_id, chain_twin_id) VALUES ('store-twin', 'T', 0, NULL, NULL)`,
    )
    .run();
  index.db
    .prepare(
      `INSERT INTO versions (id, twin_id, seq, base_version_id, status, merkle_root, element_count, tree_nodes, created_at)
       VALUES (1, 'store-twin', 1, NULL, 'queued', ?, 0, x'', 0)`,
    )
    .run(root);
  index.linkStoreTwin('store-twin', '1');
  return root;
}

function storeVersionStatus(index: ChainIndex): string {
  return index.db.prepare('SELECT status FROM versions WHERE id = 1').pluck().get() as string;
}
