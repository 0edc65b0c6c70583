// Handlers of the outbox requests: list, sign and queue (commit, service log), retry, discard and
// resolve; all answered by the outbox service, or UNAVAILABLE when the twin database is not open.
import type { outboxMethods } from '../../shared/api/outbox';
import { AppError } from '../../shared/result';
import type { Handlers } from '../services/router';
import type { OutboxService } from './outbox';

export function outboxHandlers({
  outbox,
  unavailable,
}: {
  outbox: OutboxService | null;
  /** Why there is no outbox (the twin database could not be opened). */
  unavailable?: string | null;
}): Pick<Handlers, keyof typeof outboxMethods> {
  const service = (): OutboxService => {
    if (!outbox)
      throw new AppError(
        'UNAVAILABLE',
        `The outbox is unavailable: ${unavailable ?? 'the twin database is closed'}.`,
      );
    return outbox;
  };
  return {
    'outbox.list': (request) => service().list(request),
    'outbox.commitVersion': (request) => service().commitVersion(request),
    'outbox.logService': (request) => service().logService(request),
    'outbox.retry': ({ itemId }) => service().retry(itemId),
    'outbox.discard': ({ itemId }) => service().discard(itemId),
    'outbox.resolveConflict': ({ itemId, choices }) => service().resolveConflict(itemId, choices),
  };
}
