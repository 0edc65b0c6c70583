// The sensor gateway as a capability of the service host: built on the twin database, the vault
// (sensor keys), the chain and the current deployment (the maintenance contract), with the rules
// read from the chain. A sandbox gets mappings for the sample Duplex twin's pumps and fan once it has
// been imported, so a first start shows the whole loop with `npm run simulate-sensors`.
import { join } from 'node:path';
import { AppError } from '../../shared/result';
import { elementKeyOf } from '../../shared/fingerprint';
import type { sensorMethods } from '../../shared/api/sensors';
import type { ChainService } from '../chain/chain-service';
import type { EventBus } from '../services/events';
import type { Logger } from '../services/logger';
import type { Handlers } from '../services/router';
import type { TwinStore } from '../store/twin-store';
import type { SyncService } from '../sync/sync-service';
import type { Vault } from '../vault/vault';
import { ChainRules } from './chain-rules';
import { DEMO_CHANNELS, DUPLEX_PUMP_1 } from './demo-channels';
import { GatewayService } from './gateway-service';
import { sensorHandlers } from './handlers';
import { MAINTENANCE_CONTRACT } from './maintenance-abi';
import { ReadingRelay, type RelayTarget } from './relay';

/** The vault id of the demo sensor identity (sandbox). */
export const DEMO_SENSOR_IDENTITY = 'demo-sensor';

export interface GatewayCapabilityOptions {
  dataDir: string;
  /** The twin store, or why it is unavailable. */
  twins: { store: TwinStore | null; unavailable: string | null };
  vault: Vault;
  chain: ChainService;
  sync: SyncService | null;
  bus: EventBus;
  logger: Logger;
  /**
   * The app entries seed the sandbox and start the broker with the host; test hosts leave both off,
   * so they bind no port until they turn the gateway on with sensors.configure.
   */
  seedSandbox?: boolean;
}

export interface GatewayCapability {
  readonly gateway: GatewayService | null;
  readonly handlers: Pick<Handlers, keyof typeof sensorMethods>;
  close(): Promise<void>;
}

export function createGatewayCapability(options: GatewayCapabilityOptions): GatewayCapability {
  const { vault, chain, sync, bus, logger } = options;
  const store = options.twins.store;
  const startBroker = options.seedSandbox ?? false;
  let unavailable = options.twins.unavailable;
  let gateway: GatewayService | null = null;
  const sandbox = () => chain.status().mode === 'sandbox';
  const target = (): RelayTarget | null => {
    const deployment = sync?.deployment.get();
    const contract = deployment?.manifest.contracts[MAINTENANCE_CONTRACT];
    return deployment && contract ? { chainId: deployment.chainId, maintenance: contract.address } : null;
  };
  const hasIdentity = (id: string) => vault.list().some((identity) => identity.id === id);
  if (store) {
    try {
      let rules: ChainRules | null = null;
      const chainTwinId = (twinId: string) => gateway?.store.chainTwinIdOf(twinId) ?? null;
      rules = new ChainRules({
        provider: () => chain.provider(),
        target,
        chainTwinId,
        channels: () => gateway?.store.listMappings().filter((m) => m.enabled) ?? [],
        logger,
        // The sandbox chain is in-process: rules set in the app show up on the charts within seconds.
        refreshMs: () => (sandbox() ? 3000 : 15_000),
      });
      const ruleSource = rules;
      gateway = new GatewayService({
        dbPath: join(options.dataDir, 'twins.sqlite'),
        emit: (event, payload) => bus.emit(event, payload),
        rules: ruleSource,
        relay: (sensorStore, hooks) =>
          new ReadingRelay(
            sensorStore,
            {
              provider: () => chain.provider(),
              target,
              chainTwinId: (twinId) => sensorStore.chainTwinIdOf(twinId),
              signTypedData: (request) => vault.signTypedData(request),
              transactionSigner: (identityId, provider, chainId) =>
                vault.connectedSigner(identityId, provider, chainId),
              defaultPayerIdentity: () =>
                sandbox() && hasIdentity(DEMO_SENSOR_IDENTITY) ? DEMO_SENSOR_IDENTITY : null,
              onBatchLanded: () => void ruleSource.refresh().catch(() => {}),
              logger,
            },
            hooks,
          ),
        logger,
        resolveElement: (twinId, element) => {
          const key =
            'elementKey' in element ? element.elementKey.toLowerCase() : elementKeyOf(element.globalId);
          const detail = store.getElement(twinId, undefined, key);
          return { elementKey: key, globalId: detail.globalId };
        },
        identityExists: hasIdentity,
        defaultSignerIdentityId: () =>
          sandbox() && hasIdentity(DEMO_SENSOR_IDENTITY) ? DEMO_SENSOR_IDENTITY : null,
        ...(startBroker ? {} : { configOverride: { enabled: false } }),
      });
    } catch (error) {
      unavailable = (error as Error).message;
      logger.error('sensor gateway unavailable', error);
      gateway = null;
    }
  }
  const service = gateway;
  if (service && startBroker) void service.start();

  // Chain, deployment and vault changes: relay what waits, re-read the rules (at most every 2 s, and
  // once more after the last change, so rules seeded just after a refresh are not missed), add the
  // sample mappings.
  let rulesReadAt = 0;
  let rulesTimer: NodeJS.Timeout | null = null;
  const refreshRules = () => {
    if (rulesTimer) return;
    const wait = Math.max(0, rulesReadAt + 2000 - Date.now());
    rulesTimer = setTimeout(() => {
      rulesTimer = null;
      rulesReadAt = Date.now();
      void service?.refreshRules().catch(() => {});
    }, wait);
    rulesTimer.unref();
  };
  const unsubscribe = bus.subscribe((event) => {
    if (!service) return;
    if (event === 'chain.statusChanged' || event === 'sync.statusChanged' || event === 'vault.changed') {
      if (startBroker) provisionDemoMappings(service, store, sandbox());
      refreshRules();
      service.wakeRelay();
    } else if (event === 'twins.changed' && startBroker) provisionDemoMappings(service, store, sandbox());
  });

  return {
    gateway: service,
    handlers: sensorHandlers({ gateway: () => service, unavailable: () => unavailable }),
    close: async () => {
      unsubscribe();
      if (rulesTimer) clearTimeout(rulesTimer);
      await service?.close();
    },
  };
}

/**
 * Once per database: when a sandbox holds the sample Duplex twin (its MEP model imported), map the
 * simulator's topics to its pumps and fan, signed by the demo sensor identity.
 */
function provisionDemoMappings(gateway: GatewayService, store: TwinStore | null, sandbox: boolean): void {
  if (!store || !sandbox || gateway.demoMappingsProvisioned()) return;
  const pumpKey = elementKeyOf(DUPLEX_PUMP_1);
  const twin = store.listTwins().find((candidate) => {
    try {
      store.getElement(candidate.id, undefined, pumpKey);
      return true;
    } catch {
      return false;
    }
  });
  if (!twin) return;
  for (const channel of DEMO_CHANNELS) {
    try {
      gateway.addMapping({
        twinId: twin.id,
        element: { globalId: channel.globalId },
        topic: channel.topic,
        metric: channel.metric,
        unit: channel.unit,
        label: channel.label,
        minValue: channel.minValue,
        maxValue: channel.maxValue,
      });
    } catch (error) {
      // A topic the user already mapped stays as the user made it.
      if (!(error instanceof AppError)) throw error;
    }
  }
  gateway.markDemoMappingsProvisioned();
}
