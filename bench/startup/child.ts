// One cold start of the app host, measured from process start: when modules are loaded, when
// twins.list is answered from the SQLite cache (and what the chain is doing then), when the
// sandbox chain is ready and when sync has caught up. Prints one JSON line. Bundled by
// bench/startup.ts (like the built app, one bundle with its packages beside it).
import { createServiceHost } from '../../src/main/services/host';
import type { Logger } from '../../src/main/services/logger';

const [dataDir, samplesDir] = process.argv.slice(2) as [string, string];
const importedAt = performance.now();
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const host = createServiceHost({
  dataDir,
  host: 'serve',
  appVersion: 'bench',
  logger: quiet,
  seedSandbox: true,
  samplesDir,
});
const hostAt = performance.now();
const list = await host.router.call('twins.list', {});
const listedAt = performance.now();
const chainStateAtList = host.chain.status().state;
await host.chain.start();
const chainReadyAt = performance.now();
await host.sync!.seeded();
await host.sync!.caughtUp(60_000);
const syncedAt = performance.now();
const status = host.chain.status();
console.log(
  JSON.stringify({
    importedAt,
    hostAt,
    listedAt,
    twins: list.ok ? list.value.length : -1,
    chainStateAtList,
    chainReadyAt,
    syncedAt,
    replayedEntries: status.replayedEntries,
    head: status.head?.number ?? null,
  }),
);
await host.close();
process.exit(0);
