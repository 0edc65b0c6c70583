// One transaction from the vault's active identity, as the app's services send them (roles,
// maintenance): connect the contract to the signer, send, wait for the receipt, turn a failure
// into an AppError in words, and wait for the index to hold the change (a local chain indexes
// within milliseconds) so that what the caller shows next already reflects it.
import type { ContractTransactionResponse, Signer, TransactionReceipt } from 'ethers';
import { AppError } from '../../shared/result';
import type { Eip1193Provider } from '../chain/embedded-chain';
import { createEthersProvider } from '../chain/ethers';
import type { Vault } from '../vault/vault';
import type { SyncService } from './sync-service';

export interface SendFromActiveIdentity<C> {
  sync: Pick<SyncService, 'caughtUp' | 'refreshChainTime'>;
  vault: Pick<Vault, 'connectedSigner'>;
  provider: Eip1193Provider;
  chainId: number;
  /** The contract, connected to the active identity's signer. */
  connect(signer: Signer): C;
  send(contract: C, signer: Signer): Promise<ContractTransactionResponse>;
  /** A failed send or a reverted transaction, in words (the contract's decoded custom error). */
  explain(error: unknown): AppError;
  /** Said when the receipt shows a revert that carried no reason. */
  revertedWithoutReason: string;
}

/** Sends, waits for the receipt (status 1, or an AppError) and for the index to catch up. */
export async function sendFromActiveIdentity<C>(
  request: SendFromActiveIdentity<C>,
): Promise<TransactionReceipt> {
  const ethersProvider = createEthersProvider(request.provider, request.chainId);
  try {
    const signer = request.vault.connectedSigner(undefined, ethersProvider, request.chainId);
    const contract = request.connect(signer);
    let receipt: TransactionReceipt | null;
    try {
      const tx = await request.send(contract, signer);
      receipt = await tx.wait();
    } catch (error) {
      throw request.explain(error);
    }
    if (!receipt || receipt.status !== 1) throw new AppError('CONFLICT', request.revertedWithoutReason);
    await request.sync.caughtUp(10_000).catch(() => undefined);
    await request.sync.refreshChainTime();
    return receipt;
  } finally {
    ethersProvider.destroy();
  }
}
