// The main services, independent of Electron: the desktop shell and the headless serve host both
// build one of these and connect a transport to its router and event bus.
import { mkdirSync } from 'node:fs';
import { createRouter, type Router } from './router';
import { EventBus } from './events';
import { SettingsService } from './settings';
import { appHandlers } from './app-handlers';
import { createTwinServices } from './twin-handlers';
import type { AppInfo } from '../../shared/api';
import type { Logger } from './logger';
import { Vault } from '../vault/vault';
import { vaultHandlers } from '../vault/handlers';
import { passphraseOnly, type SecretProtector } from '../vault/secret-protector';
import { ChainService } from '../chain/chain-service';
import { chainHandlers } from '../chain/handlers';
import { SyncService } from '../sync/sync-service';
import { syncHandlers } from '../sync/handlers';
import { createHostOutbox, type OutboxService } from '../sync/outbox';
import { outboxHandlers } from '../sync/outbox-handlers';
import { editHandlers } from '../edits/handlers';
import { createGatewayCapability } from '../gateway/capability';
import { createTimelineCapability } from '../timeline/capability';
import { createMaintenanceCapability } from '../maintenance/capability';
import type { TimelineService } from '../timeline/timeline-service';

export interface HostOptions {
  dataDir: string;
  host: AppInfo['host'];
  appVersion: string;
  logger: Logger;
  /** Versions worth showing in About (node, electron, chrome...). */
  versions?: Record<string, string>;
  /** Keeps the vault password between unlocks (Electron: safeStorage); default: ask every time. */
  secretProtector?: SecretProtector;
  /** Start the chain with the host (default true); it starts in the background either way. */
  startChain?: boolean;
  /**
   * Seed a sandbox chain with the demo identities, the sample twin and its roles (default false:
   * the app entries turn it on; tests of other capabilities want an empty start).
   */
  seedSandbox?: boolean;
  /** Where the sample twins are (default: resources/samples next to the app or in the repository). */
  samplesDir?: string;
}

export interface ServiceHost {
  readonly router: Router;
  readonly bus: EventBus;
  readonly settings: SettingsService;
  readonly vault: Vault;
  readonly chain: ChainService;
  /** Null when the twin database is unavailable (sync keeps its index there). */
  readonly sync: SyncService | null;
  /** Null when the twin database is unavailable (the outbox keeps its items there). */
  readonly outbox: OutboxService | null;
  /** The maintenance timeline: other capabilities add entry kinds with `timeline.register`. */
  readonly timeline: TimelineService | null;
  close(): Promise<void>;
}

export function createServiceHost(options: HostOptions): ServiceHost {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const bus = new EventBus();
  const settings = new SettingsService(options.dataDir, bus, (m) => options.logger.warn(m));
  const closers: (() => Promise<void> | void)[] = [];
  const vault = new Vault({
    dataDir: options.dataDir,
    protector:
      options.secretProtector ??
      passphraseOnly('Serve mode has no OS keychain: the vault asks for its password.'),
    idleLockMinutes: () => settings.get().vaultIdleLockMinutes,
    onChange: (status) => bus.emit('vault.changed', status),
  });
  const chain = new ChainService({
    dataDir: options.dataDir,
    config: () => settings.get(),
    onStatus: (status) => bus.emit('chain.statusChanged', status),
    logger: options.logger,
  });
  const unsubscribe = bus.subscribe((event) => {
    if (event !== 'settings.changed') return;
    vault.idleLockChanged();
    void chain.reconfigure();
  });
  if (options.startChain ?? true) void chain.start();
  closers.push(
    () => vault.close(),
    () => chain.close(),
    () => void unsubscribe(),
  );
  const twins = createTwinServices({
    dataDir: options.dataDir,
    bus,
    maxImportMegabytes: () => settings.get().maxImportMegabytes,
    logError: (message, error) => options.logger.error(message, error),
  });
  closers.push(() => twins.close());
  // The import process and its web-ifc start just after start-up, so a first import finds them warm.
  setTimeout(() => twins.importer?.warmUp(), 1500).unref();
  // Sync keeps its index in the twin database: without that database there is no sync either.
  const sync =
    twins.store && twins.importer
      ? new SyncService({
          dataDir: options.dataDir,
          bus,
          chain,
          vault,
          store: twins.store,
          importer: twins.importer,
          settings: () => settings.get(),
          logger: options.logger,
          seedSandbox: options.seedSandbox ?? false,
          ...(options.samplesDir ? { samplesDir: options.samplesDir } : {}),
        })
      : null;
  sync?.start();
  if (sync) closers.push(() => sync.close());
  // The outbox keeps the user's signed, unsynced work in the same database.
  const outbox = twins.store
    ? createHostOutbox({
        dataDir: options.dataDir,
        store: twins.store,
        vault,
        chain,
        deployment: () => sync?.deployment.get() ?? null,
        bus,
        logger: options.logger,
        onCounts: (counts) => sync?.setOutboxCounts(counts),
        assertAllowed: async (twinId, role, account) => sync?.assertAllowed(twinId, role, account),
        confirmations: () => (settings.get().chainMode === 'network' ? settings.get().syncConfirmations : 0),
      })
    : null;
  if (outbox) closers.push(() => outbox.close());
  const sensors = createGatewayCapability({ ...options, twins, vault, chain, sync, bus });
  closers.push(() => sensors.close());
  const timeline = createTimelineCapability({
    store: twins.store,
    sync,
    outbox: outbox?.service ?? null,
    vault,
    chain,
    bus,
    logger: options.logger,
    unavailable: twins.unavailable,
  });
  closers.push(() => timeline.close());
  const maintenance = createMaintenanceCapability({
    store: twins.store,
    sync,
    vault,
    chain,
    bus,
    logger: options.logger,
    timeline: timeline.timeline,
    unavailable: twins.unavailable,
  });
  closers.push(() => maintenance.close());

  // Each capability contributes one handler group; together they must cover the whole contract
  // (the Handlers type makes a missing method a compile error).
  const router = createRouter(
    {
      ...appHandlers({ options, settings, bus, vault, chain }),
      ...vaultHandlers({ vault }),
      ...chainHandlers({ chain, seeding: () => sync?.status().seeding.state ?? 'off' }),
      ...twins.handlers,
      ...syncHandlers({ sync, unavailable: twins.unavailable }),
      ...outboxHandlers({ outbox: outbox?.service ?? null, unavailable: twins.unavailable }),
      ...editHandlers({ store: twins.store, bus, sync, vault, unavailable: twins.unavailable }),
      ...sensors.handlers,
      ...timeline.handlers,
      ...maintenance.handlers,
    },
    { logError: (method, error) => options.logger.error(`request ${method} failed`, error) },
  );

  return {
    router,
    bus,
    settings,
    vault,
    chain,
    sync,
    outbox: outbox?.service ?? null,
    timeline: timeline.timeline,
    close: async () => {
      for (const close of closers.reverse()) await close();
    },
  };
}
