// Handlers of the sync requests: status, permissions of the active identity, index rebuild.
import type { syncMethods } from '../../shared/api/sync';
import { AppError } from '../../shared/result';
import type { Handlers } from '../services/router';
import type { SyncService } from './sync-service';

export function syncHandlers({
  sync,
  unavailable,
}: {
  sync: SyncService | null;
  /** Why there is no sync service (the twin database could not be opened). */
  unavailable?: string | null;
}): Pick<Handlers, keyof typeof syncMethods> {
  const service = (): SyncService => {
    if (!sync)
      throw new AppError(
        'UNAVAILABLE',
        `Sync is unavailable: ${unavailable ?? 'the twin database is closed'}.`,
      );
    return sync;
  };
  return {
    'sync.status': () => service().status(),
    'sync.permissions': ({ twinId }) => service().permissionsFor(twinId),
    'sync.rebuildIndex': () => ({ started: service().rebuildIndex() }),
  };
}
