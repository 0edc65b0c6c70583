// The timeline and roles capability as the service host builds it: the timeline service (with the
// registry's providers; other capabilities register theirs on `timeline`), the element
// verification, the role service, and their request handlers.
import type { Handlers } from '../services/router';
import type { EventBus } from '../services/events';
import type { Logger } from '../services/logger';
import type { ChainService } from '../chain/chain-service';
import type { TwinStore } from '../store/twin-store';
import type { SyncService } from '../sync/sync-service';
import type { OutboxService } from '../sync/outbox';
import type { Vault } from '../vault/vault';
import { RoleService } from '../roles/role-service';
import type { rolesMethods } from '../../shared/api/roles';
import type { timelineMethods } from '../../shared/api/timeline';
import { TimelineService } from './timeline-service';
import { roleHandlers, timelineHandlers } from './handlers';
import type { VerificationSources } from './element-verification';

export interface TimelineCapability {
  /** Null when the twin database (and so sync) is unavailable. */
  timeline: TimelineService | null;
  roles: RoleService | null;
  handlers: Pick<Handlers, keyof typeof timelineMethods | keyof typeof rolesMethods>;
  close(): void;
}

export function createTimelineCapability(options: {
  store: TwinStore | null;
  sync: SyncService | null;
  outbox: OutboxService | null;
  vault: Vault;
  chain: ChainService;
  bus: EventBus;
  logger: Logger;
  unavailable?: string | null;
}): TimelineCapability {
  const { store, sync, vault, chain, bus } = options;
  const timeline =
    store && sync
      ? new TimelineService({
          store,
          index: sync.index,
          outbox: () => options.outbox?.outbox ?? null,
          bus,
          provider: () => chain.provider(),
          labels: () =>
            new Map(
              vault
                .list()
                .map((i) => [i.address.toLowerCase(), i.label.replace(/ \(public demo key\)$/, '')]),
            ),
          logError: (message, error) => options.logger.error(message, error),
        })
      : null;
  const verification: VerificationSources | null =
    store && sync && timeline
      ? {
          store,
          index: sync.index,
          queries: timeline.queries,
          provider: () => chain.provider(),
          registry: () => sync.deployment.get()?.registry ?? null,
        }
      : null;
  const roles =
    store && sync
      ? new RoleService({
          sync,
          store,
          vault,
          chain,
          onChanged: (twinId) => timeline?.changed(twinId),
        })
      : null;
  return {
    timeline,
    roles,
    handlers: {
      ...timelineHandlers({ timeline, verification, unavailable: options.unavailable ?? null }),
      ...roleHandlers({ roles, unavailable: options.unavailable ?? null }),
    },
    close: () => timeline?.close(),
  };
}
