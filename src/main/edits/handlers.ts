// Handlers of the edit and history requests. Edits go through the sync service's permission check
// (a live EDITOR role for the active identity, judged at the chain's time) before anything is
// written; both answer UNAVAILABLE when the twin database is not open.
import type { editMethods } from '../../shared/api/edits';
import type { historyMethods } from '../../shared/api/history';
import { AppError } from '../../shared/result';
import type { EventBus } from '../services/events';
import type { Handlers } from '../services/router';
import type { TwinStore } from '../store/twin-store';
import type { SyncService } from '../sync/sync-service';
import type { Vault } from '../vault/vault';
import { EditService } from './edit-service';
import { HistoryService } from './history-service';

export interface EditHandlerDeps {
  store: TwinStore | null;
  bus: EventBus;
  sync: SyncService | null;
  vault: Vault;
  /** Why the twin database is unavailable, in words. */
  unavailable?: string | null;
}

export function createEditServices(
  deps: EditHandlerDeps,
): { edits: EditService; history: HistoryService } | null {
  const { store, sync, vault } = deps;
  if (!store) return null;
  const edits = new EditService({
    store,
    bus: deps.bus,
    assertEditor: async (twinId) => {
      if (!sync) throw new AppError('UNAVAILABLE', 'Permissions cannot be checked: sync is not running.');
      await sync.assertAllowed(twinId, 'EDITOR');
    },
    activeIdentity: () => {
      const active = vault.activeIdentity();
      return active && { address: active.address, label: active.label };
    },
  });
  const history = new HistoryService({
    store,
    index: () => sync?.index ?? null,
    labelOf: (address) =>
      vault.list().find((i) => i.address.toLowerCase() === address.toLowerCase())?.label ?? null,
  });
  return { edits, history };
}

export function editHandlers(
  deps: EditHandlerDeps,
): Pick<Handlers, keyof typeof editMethods | keyof typeof historyMethods> {
  const services = createEditServices(deps);
  const get = () => {
    if (!services)
      throw new AppError(
        'UNAVAILABLE',
        `Twins are unavailable: ${deps.unavailable ?? 'the twin database is closed'}.`,
      );
    return services;
  };
  return {
    'edits.apply': ({ twinId, element, edit }) => get().edits.apply(twinId, element, edit),
    'edits.undo': ({ twinId }) => get().edits.undo(twinId),
    'edits.redo': ({ twinId }) => get().edits.redo(twinId),
    'edits.draft': ({ twinId }) => get().edits.draft(twinId),
    'edits.statuses': ({ twinId, versionId }) => get().history.statuses(twinId, versionId),
    'history.timeline': ({ twinId }) => get().history.timeline(twinId),
    'history.diff': ({ twinId, fromVersionId, toVersionId, limit }) =>
      get().history.diff(twinId, fromVersionId, toVersionId, limit),
    'history.element': ({ twinId, element }) => get().history.element(twinId, element),
    'history.ghosts': ({ twinId, versionId, elementKeys }) =>
      get().history.ghosts(twinId, versionId, elementKeys),
  };
}
