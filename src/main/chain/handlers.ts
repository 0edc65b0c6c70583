// Handlers of the chain requests.
import type { chainMethods } from '../../shared/api';
import type { Handlers } from '../services/router';
import type { ChainService } from './chain-service';

export function chainHandlers({ chain }: { chain: ChainService }): Pick<Handlers, keyof typeof chainMethods> {
  return {
    'chain.status': () => chain.status(),
    'chain.setSandboxRunning': ({ running }) => chain.setSandboxRunning(running),
  };
}
