// The maintenance capability as the service host builds it: the service (views and actions, the
// crew's completion queue), its entries on the workspace timeline, and its request handlers.
import type { maintenanceMethods } from '../../shared/api/maintenance';
import { AppError } from '../../shared/result';
import type { ChainService } from '../chain/chain-service';
import type { EventBus } from '../services/events';
import type { Logger } from '../services/logger';
import type { Handlers } from '../services/router';
import type { TwinStore } from '../store/twin-store';
import type { MaintenanceIndex } from '../store/maintenance-index';
import type { SyncService } from '../sync/sync-service';
import type { TimelineService } from '../timeline/timeline-service';
import type { Vault } from '../vault/vault';
import { MaintenanceService } from './maintenance-service';
import { maintenanceTimelineProvider } from './timeline-provider';

export interface MaintenanceCapability {
  /** Null when the twin database (and so sync) is unavailable. */
  service: MaintenanceService | null;
  handlers: Pick<Handlers, keyof typeof maintenanceMethods>;
  close(): Promise<void>;
}

export function createMaintenanceCapability(options: {
  store: TwinStore | null;
  sync: SyncService | null;
  vault: Vault;
  chain: ChainService;
  bus: EventBus;
  logger: Logger;
  timeline: TimelineService | null;
  unavailable?: string | null;
}): MaintenanceCapability {
  const { store, sync } = options;
  const service =
    store && sync
      ? new MaintenanceService({
          sync,
          store,
          vault: options.vault,
          chain: options.chain,
          bus: options.bus,
          logger: options.logger,
        })
      : null;
  const unregister =
    store && sync && options.timeline
      ? options.timeline.register(
          maintenanceTimelineProvider({
            chainIndex: sync.index,
            index: () => sync.index.extension<MaintenanceIndex>('maintenance'),
            store,
          }),
        )
      : null;
  // The timeline follows the maintenance state (confirmed by the index, or a pending completion).
  const offBus = options.bus.subscribe((event, payload) => {
    if (event === 'maintenance.changed')
      options.timeline?.changed((payload as { twinId: string | null }).twinId);
  });
  return {
    service,
    handlers: maintenanceHandlers(service, options.unavailable ?? null),
    close: async () => {
      offBus();
      unregister?.();
      await service?.close();
    },
  };
}

export function maintenanceHandlers(
  service: MaintenanceService | null,
  unavailable: string | null,
): Pick<Handlers, keyof typeof maintenanceMethods> {
  const s = (): MaintenanceService => {
    if (!service)
      throw new AppError(
        'UNAVAILABLE',
        `Maintenance is unavailable: ${unavailable ?? 'the twin database is closed'}.`,
      );
    return service;
  };
  return {
    'maintenance.overview': ({ twinId }) => s().overview(twinId),
    'maintenance.workOrders': (request) => s().workOrders(request),
    'maintenance.rules': (request) => s().rules(request),
    'maintenance.addRule': (request) => s().addRule(request),
    'maintenance.editRule': (request) => s().editRule(request),
    'maintenance.removeRule': (request) => s().removeRule(request),
    'maintenance.registerSensor': (request) => s().registerSensor(request),
    'maintenance.setSlaTerms': (request) => s().setSlaTerms(request),
    'maintenance.postBond': (request) => s().postBond(request),
    'maintenance.withdrawBond': (request) => s().withdrawBond(request),
    'maintenance.withdrawClaimable': (request) => s().withdrawClaimable(request),
    'maintenance.openWorkOrder': (request) => s().openWorkOrder(request),
    'maintenance.acceptWorkOrder': (request) => s().acceptWorkOrder(request),
    'maintenance.completeWorkOrder': (request) => s().completeWorkOrder(request),
    'maintenance.retryCompletion': ({ intentId }) => s().retryCompletion(intentId),
    'maintenance.discardCompletion': ({ intentId }) => s().discardCompletion(intentId),
    'maintenance.cancelWorkOrder': (request) => s().cancelWorkOrder(request),
    'maintenance.enforce': (request) => s().enforce(request),
    'maintenance.advanceSandboxClock': ({ seconds }) => s().advanceSandboxClock(seconds),
  };
}
