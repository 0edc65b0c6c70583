// Crash test: a child process relaying the outbox is killed with SIGKILL at random moments (50 runs
// by default, seeds printed; OUTBOX_CRASH_RUNS and OUTBOX_CRASH_SEED to change them) while new
// commits and service logs keep being queued. After each kill a restart settles what the dead
// process left; then every intent is either confirmed on chain exactly once or still queued (and
// never executed). At the end everything is confirmed, each digest executed once.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { bundleChild } from '../support/bundle-child';
import { Lab, Laptop, random, tempDir, REPO_ROOT } from './outbox-fixture';

const RUNS = Number(process.env.OUTBOX_CRASH_RUNS ?? 50);
const SEED = Number(process.env.OUTBOX_CRASH_SEED ?? Date.now() % 1_000_000);
const WALLS = [
  'wall000000000000000001',
  'wall000000000000000002',
  'wall000000000000000003',
  'wall000000000000000004',
];

let lab: Lab;
let laptop: Laptop;
const dirs: { remove: () => void }[] = [];
/** The child, bundled once (packages stay external): starts in a fraction of tsx's time. */
let CHILD: string;

beforeAll(async () => {
  CHILD = await bundleChild('test/sync/outbox-crash-child.ts');
  lab = await Lab.start({ rpc: true });
  const dir = tempDir('crash');
  const shared = tempDir('crash-packages');
  dirs.push(dir, shared);
  laptop = await Laptop.open({
    lab,
    dir: dir.dir,
    sharedPackages: shared.dir,
    identity: 'engineer',
    start: false,
  });
  for (const name of ['north', 'south']) {
    const chainTwinId = await lab.registerTwin(name);
    const v1 = laptop.createTwin(
      name,
      name,
      chainTwinId,
      WALLS.map((globalId) => ({ globalId })),
    );
    await lab.commitDirect('engineer', chainTwinId, 0, laptop.db.version(v1)!.merkleRoot);
    laptop.db.learnChainVersion(chainTwinId, 1, laptop.db.version(v1)!.merkleRoot);
  }
});

afterAll(async () => {
  await laptop?.close();
  await lab?.close();
  for (const dir of dirs) dir.remove();
});

/** Starts the relayer in a child process; resolves once it runs, with a promise of its nth step. */
function startChild(
  maxBatch: number,
): Promise<{ child: ReturnType<typeof spawn>; step: (n: number) => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      CHILD,
      laptop.options.dir,
      lab.server!.url,
      lab.registry,
      String(lab.chainId),
      String(lab.startBlock),
      String(maxBatch),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  let steps = 0;
  const waiters: { n: number; done: () => void }[] = [];
  const step = (n: number) =>
    new Promise<void>((done) => {
      if (steps >= n) done();
      else waiters.push({ n, done });
    });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (text.includes('ready')) resolve({ child, step });
      steps += text.split('\n').filter((line) => line.startsWith('step')).length;
      for (const waiter of waiters.splice(0)) {
        if (steps >= waiter.n) waiter.done();
        else waiters.push(waiter);
      }
    });
    child.on('exit', (code, signal) =>
      reject(new Error(`crash child exited early (${code ?? signal}): ${errors.slice(-2000)}`)),
    );
  });
}

async function queueWork(next: () => number, run: number): Promise<number> {
  let queued = 0;
  const logs = Math.floor(next() * 12);
  laptop.vault.setActive('demo-crew');
  for (let i = 0; i < logs; i++) {
    const twin = next() < 0.5 ? 'north' : 'south';
    await laptop.outbox.logService({
      twinId: twin,
      element: { globalId: WALLS[Math.floor(next() * WALLS.length)]! },
      kind: 'inspection',
      notes: `run ${run} log ${i}`,
      attachments: [],
    });
    queued++;
  }
  laptop.vault.setActive('demo-engineer');
  if (next() < 0.5) {
    // A commit chained on whatever the twin's head is now (maybe a version still waiting).
    const twin = next() < 0.5 ? 'north' : 'south';
    if (!laptop.store.getTwin(twin).draft) {
      laptop.editDraft(twin, [{ globalId: WALLS[Math.floor(next() * WALLS.length)]!, name: `run ${run}` }]);
      await laptop.outbox.commitVersion({ twinId: twin });
      queued++;
    }
  }
  return queued;
}

async function checkInvariant(): Promise<{ confirmed: number; waiting: number }> {
  const executions = await lab.executions();
  let confirmed = 0;
  let waiting = 0;
  for (const item of laptop.db.items()) {
    const digests = [item.digest, ...laptop.db.previousDigests(item.id)];
    const times = digests.reduce((sum, d) => sum + (executions.get(d) ?? 0), 0);
    if (item.status === 'confirmed') {
      expect(times, `item ${item.id} confirmed`).toBe(1);
      confirmed++;
    } else {
      expect(item.status, `item ${item.id}`).toBe('queued');
      expect(times, `item ${item.id} still queued but executed`).toBe(0);
      waiting++;
    }
  }
  expect([...executions.values()].every((n) => n === 1)).toBe(true);
  return { confirmed, waiting };
}

test(`the relaying process killed at ${RUNS} random points: after each restart every intent is confirmed exactly once or still queued`, async () => {
  const next = random(SEED);
  console.log(`outbox crash test: ${RUNS} runs, seed ${SEED} (OUTBOX_CRASH_SEED=${SEED} replays it)`);
  let total = 0;
  const killedDuring = { idle: 0, sending: 0 };
  for (let run = 0; run < RUNS; run++) {
    total += await queueWork(next, run);
    const maxBatch = 2 + Math.floor(next() * 8);
    const { child, step } = await startChild(maxBatch);
    // Aim at a random durable step (0: right after start), then a random few milliseconds more:
    // kills land before, during and after writing, broadcasting and settling batches.
    const steps = Math.floor(next() * 5);
    const delay = Math.floor(next() * 25);
    await Promise.race([step(steps), new Promise((done) => setTimeout(done, 500))]);
    await new Promise((done) => setTimeout(done, delay));
    const pendingAtKill = laptop.db.pendingBatches().length;
    child.kill('SIGKILL');
    await new Promise((done) => child.once('close', done));
    if (pendingAtKill > 0) killedDuring.sending++;
    else killedDuring.idle++;
    // The restart: settle what the dead process left, then check.
    expect(await laptop.outbox.relayer.recover()).toBe(0);
    const { confirmed, waiting } = await checkInvariant();
    console.log(
      `run ${String(run).padStart(2)} seed ${SEED}+${run}: killed ${String(delay).padStart(2)} ms after step ${steps} (batches of ${maxBatch}), ${confirmed} confirmed, ${waiting} queued`,
    );
  }
  laptop.outbox.start();
  await laptop.outbox.drained(60_000);
  const { confirmed, waiting } = await checkInvariant();
  expect(waiting).toBe(0);
  expect(confirmed).toBe(total);
  console.log(
    `outbox crash test: ${RUNS} kills (${killedDuring.sending} with a batch in flight), ${total} intents, all confirmed exactly once in ${laptop.db.batchCount('mined')} batches`,
  );
}, 240_000);
