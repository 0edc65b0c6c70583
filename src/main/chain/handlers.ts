// Handlers of the chain requests.
import type { chainMethods } from '../../shared/api';
import { AppError } from '../../shared/result';
import type { Handlers } from '../services/router';
import type { ChainService } from './chain-service';

export function chainHandlers({
  chain,
  seeding,
}: {
  chain: ChainService;
  /** The sandbox seeding's state: its node is not stopped half-way through seeding. */
  seeding?: () => string;
}): Pick<Handlers, keyof typeof chainMethods> {
  return {
    'chain.status': () => chain.status(),
    'chain.setSandboxRunning': ({ running }) => {
      const state = seeding?.() ?? 'off';
      if (!running && (state === 'pending' || state === 'running')) {
        throw new AppError(
          'CONFLICT',
          'The sandbox is still being prepared (demo identities, sample twin, roles): stop its node once that is done.',
        );
      }
      return chain.setSandboxRunning(running);
    },
  };
}
