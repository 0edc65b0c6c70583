// Crash and resume: a child process indexes a chain and is killed with SIGKILL at random points
// (seeded, printed); whatever it left is a prefix of the chain's events ending at its cursor (one
// transaction per range), and resuming from that cursor ends equal to a fresh index of the chain.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EmbeddedChain } from '../../src/main/chain/embedded-chain';
import { ChainRpcServer } from '../../src/main/chain/rpc-server';
import { sandboxGenesis } from '../../src/main/chain/sandbox-genesis';
import { openDatabase } from '../../src/main/store/database';
import { ChainIndex, diffIndexDumps, type IndexDump } from '../../src/main/store/chain-index';
import { ChainIndexer } from '../../src/main/sync/indexer';
import { bundleChild } from '../support/bundle-child';
import { tempDir } from './helpers';
import { RegistryDriver, random, writeHistory } from './registry-fixture';

const RUNS = Number(process.env.SYNC_CRASH_RUNS ?? 50);
const BASE_SEED = Number(process.env.SYNC_CRASH_SEED ?? 5000);
const RANGE = 2;

let chain: EmbeddedChain;
let server: ChainRpcServer;
let driver: RegistryDriver;
let reference: IndexDump;
let childScript: string;
let commitsPerIndex = 0;
// A process crash (unlike a power cut) loses nothing SQLite already handed to the OS, so the
// databases can live in memory-backed /dev/shm where there is one: fsync is then free.
const dir = tempDir('crash', existsSync('/dev/shm') ? '/dev/shm' : undefined);

beforeAll(async () => {
  childScript = await bundleChild('test/sync/crash-child.ts');
  chain = await EmbeddedChain.start({ genesis: () => sandboxGenesis() });
  server = await ChainRpcServer.start(chain);
  driver = await RegistryDriver.deploy(chain, chain.chainId);
  await writeHistory(driver, { twins: 3, versions: 5, perBlock: 2, seed: 42 });
  const index = new ChainIndex(openDatabase(join(dir.dir, 'reference.sqlite')));
  const outcome = await new ChainIndexer({
    provider: chain,
    index,
    deployment: driver.deployment,
    maxBlockRange: RANGE,
  }).syncOnce();
  commitsPerIndex = outcome.ranges;
  reference = index.dump();
  index.db.close();
  console.log(
    `crash test chain: ${outcome.events} events in ${outcome.cursor} blocks, ${commitsPerIndex} ranges of ${RANGE} blocks`,
  );
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await chain?.close();
  dir.remove();
});

interface Child {
  /** Starts indexing; kills after the `killAfter`-th commit plus `delayMs`; answers what it saw. */
  run(killAfter: number, delayMs: number): Promise<{ commits: number; finished: boolean }>;
}

/** Spawns a child that has loaded and opened its database but waits to be told to index. */
function spawnChild(dbPath: string): Child {
  const child = spawn(
    process.execPath,
    [
      childScript,
      dbPath,
      server.url,
      driver.registry,
      String(driver.chainId),
      String(driver.startBlock),
      String(RANGE),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<void>((resolve) => lines.once('line', () => resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    run: async (killAfter, delayMs) => {
      await ready;
      let commits = 0;
      let finished = false;
      const kill = () => setTimeout(() => child.kill('SIGKILL'), delayMs);
      lines.on('line', (line) => {
        if (line.startsWith('c ') && ++commits === killAfter) kill();
        if (line === 'done') finished = true;
      });
      child.stdin.write('go\n');
      if (killAfter === 0) kill();
      const { code, signal } = await exited;
      if (signal !== 'SIGKILL' && code !== 0) throw new Error(`child exited with ${code}: ${stderr}`);
      return { commits, finished };
    },
  };
}

/** The reference's rows that blocks up to `cursor` wrote (what an interrupted index must hold). */
function eventsUpTo(dump: IndexDump, cursor: number): unknown[][] {
  return dump.chain_events.filter((row) => (row[0] as number) <= cursor);
}

it(`resumes after SIGKILL at random points (${RUNS} runs) and ends equal to a fresh index`, async () => {
  let killed = 0;
  let midIndex = 0;
  let nextChild: Child | null = null;
  for (let run = 0; run < RUNS; run++) {
    const seed = BASE_SEED + run;
    const next = random(seed);
    const killAfter = Math.floor(next() * (commitsPerIndex + 1));
    const delayMs = next() * 4;
    const dbPath = join(dir.dir, `run-${run}.sqlite`);
    // The next child loads while this one runs (process start-up is most of a run's time).
    const child = nextChild ?? spawnChild(dbPath);
    nextChild = run + 1 < RUNS ? spawnChild(join(dir.dir, `run-${run + 1}.sqlite`)) : null;
    const t0 = performance.now();
    const { commits, finished } = await child.run(killAfter, delayMs);
    const childMs = performance.now() - t0;
    if (!finished) killed++;
    const db = openDatabase(dbPath);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const index = new ChainIndex(db);
    const cursor = index.cursor()?.blockNumber ?? driver.startBlock - 1;
    if (cursor > driver.startBlock && cursor < reference.cursor!.blockNumber) midIndex++;
    // All or nothing per range: exactly the events of the blocks up to the cursor are in.
    expect(index.dump().chain_events).toEqual(eventsUpTo(reference, cursor));
    const t1 = performance.now();
    const resumed = await new ChainIndexer({
      provider: chain,
      index,
      deployment: driver.deployment,
    }).syncOnce();
    const resumeMs = performance.now() - t1;
    const diff = diffIndexDumps(index.dump(), reference);
    console.log(
      `crash run ${run} seed ${seed}: kill after commit ${killAfter} +${delayMs.toFixed(1)} ms -> ` +
        `${finished ? 'finished first' : `killed at cursor #${cursor} (${commits} commits seen)`}; ` +
        `resumed ${resumed.events} events to #${resumed.cursor}; differences ${diff.length} (${childMs.toFixed(0)} + ${resumeMs.toFixed(0)} ms)`,
    );
    expect(diff).toEqual([]);
    db.close();
  }
  console.log(`crash runs: ${RUNS}, killed before finishing: ${killed}, killed mid-index: ${midIndex}`);
  expect(killed).toBeGreaterThanOrEqual(RUNS * 0.8);
}, 240_000);
