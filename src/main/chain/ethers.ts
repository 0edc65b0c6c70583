// ethers over an EIP-1193 provider (the embedded chain, or raw EDR): revert bytes are moved to
// where ethers looks for them, so contract.method() rejects with decodable custom errors.
import { BrowserProvider, Network } from 'ethers';
import type { Eip1193Provider } from './embedded-chain';
import { normalizeRpcError, ProviderRpcError } from './rpc-errors';

/** Wraps any EIP-1193 provider so its errors carry revert data at error.data, as ethers expects. */
export function withStandardErrors(provider: Eip1193Provider): Eip1193Provider {
  return {
    request: async (args) => {
      try {
        return await provider.request(args);
      } catch (error) {
        const e = error as { code?: unknown; message?: unknown; data?: unknown };
        if (typeof e?.code === 'number' && typeof e.message === 'string') {
          throw new ProviderRpcError(normalizeRpcError({ code: e.code, message: e.message, data: e.data }));
        }
        throw error;
      }
    },
  };
}

export interface EthersProviderOptions {
  /** How often ethers polls for new blocks and receipts (default 250 ms: the chain is local). */
  pollingIntervalMs?: number;
}

/** An ethers provider for a chain whose id is known (no network detection round-trip). */
export function createEthersProvider(
  provider: Eip1193Provider,
  chainId: number,
  options: EthersProviderOptions = {},
): BrowserProvider {
  const network = Network.from(chainId);
  const ethersProvider = new BrowserProvider(withStandardErrors(provider), network, {
    staticNetwork: network,
    pollingInterval: options.pollingIntervalMs ?? 250,
    cacheTimeout: -1,
  });
  return ethersProvider;
}
