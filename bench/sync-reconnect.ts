// Reconnect: 1,000 intents queued offline across 20 twins (per twin 2 chained version commits by the
// engineer and 48 service logs by the crew), then the chain comes back and the outbox relays them.
// Judged by: all confirmed (each digest executed once) in under 60 s, in at least 10x fewer
// transactions than intents. The chain is a local JSON-RPC node (the embedded chain behind HTTP,
// as `npm run chain` serves it). Exits non-zero when a bound fails.
//   npm run bench:sync-reconnect [-- --twins 20 --per-twin 50 --commits 2]
import { parseArgs } from 'node:util';
import { Lab, Laptop, tempDir } from '../test/sync/outbox-fixture';

const { values } = parseArgs({
  options: {
    twins: { type: 'string', default: '20' },
    'per-twin': { type: 'string', default: '50' },
    commits: { type: 'string', default: '2' },
  },
});
const TWINS = Number(values.twins);
const PER_TWIN = Number(values['per-twin']);
const COMMITS = Number(values.commits);
const BOUND_SECONDS = 60;
const BOUND_RATIO = 10;
const WALLS = Array.from({ length: 8 }, (_, i) => `wall${String(i).padStart(18, '0')}`);

async function main(): Promise<void> {
  const lab = await Lab.start({ rpc: true });
  const dir = tempDir('bench-reconnect');
  const shared = tempDir('bench-packages');
  const provider = lab.httpProvider();
  const laptop = await Laptop.open({
    lab,
    dir: dir.dir,
    sharedPackages: shared.dir,
    identity: 'engineer',
    provider: () => provider,
    start: false,
  });
  try {
    const t0 = performance.now();
    const twins: string[] = [];
    for (let t = 0; t < TWINS; t++) {
      const chainTwinId = await lab.registerTwin(`bench-${t}`);
      const storeTwinId = `bench-${t}`;
      const v1 = laptop.createTwin(
        storeTwinId,
        `Bench twin ${t}`,
        chainTwinId,
        WALLS.map((globalId) => ({ globalId })),
      );
      await lab.commitDirect('engineer', chainTwinId, 0, laptop.db.version(v1)!.merkleRoot);
      laptop.db.learnChainVersion(chainTwinId, 1, laptop.db.version(v1)!.merkleRoot);
      twins.push(storeTwinId);
    }
    const setupMs = performance.now() - t0;

    // Offline: everything is signed and queued durably with no chain in reach.
    laptop.online = false;
    const t1 = performance.now();
    let intents = 0;
    for (const [t, twinId] of twins.entries()) {
      laptop.vault.setActive('demo-engineer');
      for (let c = 0; c < COMMITS; c++) {
        laptop.editDraft(twinId, [{ globalId: WALLS[c % WALLS.length]!, name: `twin ${t} commit ${c}` }]);
        await laptop.outbox.commitVersion({ twinId });
        intents++;
      }
      laptop.vault.setActive('demo-crew');
      for (let l = COMMITS; l < PER_TWIN; l++) {
        await laptop.outbox.logService({
          twinId,
          element: { globalId: WALLS[l % WALLS.length]! },
          kind: 'inspection',
          notes: `twin ${t} round ${l}`,
          attachments: [],
        });
        intents++;
      }
    }
    const queueMs = performance.now() - t1;
    const txBefore = await lab.relayerTransactions();

    // Reconnect.
    laptop.online = true;
    const t2 = performance.now();
    laptop.outbox.start();
    await laptop.outbox.drained(5 * 60_000);
    const relayMs = performance.now() - t2;
    const transactions = (await lab.relayerTransactions()) - txBefore;
    const executions = await lab.executions();
    const items = laptop.db.items();
    const confirmed = items.filter((i) => i.status === 'confirmed').length;
    const once = items.every((i) => executions.get(i.digest) === 1);
    const duplicates = [...executions.values()].filter((n) => n > 1).length;

    const seconds = relayMs / 1000;
    const ratio = intents / Math.max(1, transactions);
    console.log(
      `sync reconnect: ${intents} intents across ${TWINS} twins (${TWINS * COMMITS} commits, ${intents - TWINS * COMMITS} service logs)`,
    );
    console.log(`  setup (20 twins minted, roles, version 1): ${(setupMs / 1000).toFixed(1)} s`);
    console.log(
      `  queued offline (signed + durable):       ${(queueMs / 1000).toFixed(2)} s  (${(queueMs / intents).toFixed(2)} ms per intent)`,
    );
    console.log(
      `  relayed after reconnect:                 ${seconds.toFixed(2)} s  (${(intents / seconds).toFixed(0)} intents/s)`,
    );
    console.log(
      `  confirmed:                               ${confirmed}/${intents}, each digest executed once: ${once && duplicates === 0 ? 'yes' : 'NO'}`,
    );
    console.log(
      `  transactions:                            ${transactions}  (${ratio.toFixed(1)} intents per transaction)`,
    );
    console.log(
      `  bounds: time ${seconds.toFixed(2)} s < ${BOUND_SECONDS} s (x${(BOUND_SECONDS / seconds).toFixed(1)} headroom); ratio ${ratio.toFixed(1)} >= ${BOUND_RATIO} (x${(ratio / BOUND_RATIO).toFixed(1)})`,
    );
    const failures: string[] = [];
    if (confirmed !== intents) failures.push(`only ${confirmed} of ${intents} intents confirmed`);
    if (!once || duplicates > 0) failures.push('some intent did not execute exactly once');
    if (seconds >= BOUND_SECONDS)
      failures.push(`relaying took ${seconds.toFixed(1)} s (bound ${BOUND_SECONDS} s)`);
    if (transactions * BOUND_RATIO > intents)
      failures.push(`${transactions} transactions for ${intents} intents (bound: ${BOUND_RATIO}x fewer)`);
    if (failures.length) {
      console.error(`FAILED: ${failures.join('; ')}`);
      process.exitCode = 1;
    } else console.log('PASS');
  } finally {
    await laptop.close();
    await lab.close();
    dir.remove();
    shared.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
