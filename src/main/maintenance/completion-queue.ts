// Relays the completions crews signed (maybe offline) to the maintenance contract once the chain
// answers: per (signer, twin) lane in nonce order, signed again when the lane's nonce or the
// deadline moved, sent as `completeWorkOrderBySig` from the signer's own account, and settled from
// the receipt. The contract's nonce makes a completion execute at most once, so after a crash an
// item whose nonce the chain has passed is confirmed from the index (same report hash) instead of
// being sent again. A refusal fails the item with the reason in words; it can be retried.
import { getAddress } from 'ethers';
import { AppError } from '../../shared/result';
import type { Eip1193Provider } from '../chain/embedded-chain';
import { createEthersProvider } from '../chain/ethers';
import type { Logger } from '../services/logger';
import type { MaintenanceIndex, MaintenanceIntentRow } from '../store/maintenance-index';
import { isUnreachable } from '../sync/relayer';
import { revertData } from '../timeline/element-verification';
import type { Vault } from '../vault/vault';
import { decodeMaintenanceError, maintenanceInterface, orderNumber } from './contract';
import { BackgroundLoop } from '../services/background-loop';

export interface CompletionQueueOptions {
  index: MaintenanceIndex;
  vault: Vault;
  /** The chain when it answers; null offline. */
  provider: () => Eip1193Provider | null;
  target: () => { chainId: number; contract: string } | null;
  /** Runs a task in line with the service's other transactions (one nonce stream per account). */
  exclusive: <T>(task: () => Promise<T>) => Promise<T>;
  /** Signs an item again with this nonce and a deadline from this chain time. */
  sign: (row: MaintenanceIntentRow, want: { nonce: number; chainTime: number }) => Promise<void>;
  onChange: (storeTwinId: string) => void;
  logger: Logger;
  /** Idle wait between looks for work (default 2 s). */
  idleMs?: number;
  /** Sign again when a deadline is closer than this (default 600 s). */
  deadlineMarginSeconds?: number;
}

const WAITING_FOR_VAULT = 'waiting for the vault to be unlocked to sign it again';

/** A completion's lane: its signer's nonces for one twin (each lane goes in nonce order). */
const laneOf = (item: MaintenanceIntentRow): string => `${item.signer.toLowerCase()}/${item.chainTwinId}`;

export class CompletionQueue {
  private readonly background = new BackgroundLoop(() => this.run());
  private lastProblem: string | null = null;

  constructor(private readonly options: CompletionQueueOptions) {}

  start(): void {
    this.background.start();
  }

  async stop(): Promise<void> {
    await this.background.stop();
  }

  wake(): void {
    this.background.wake();
  }

  /** The lane's next nonce: past the chain's count and every nonce the queue holds. */
  async nextNonce(signer: string, chainTwinId: string, excludeId?: number): Promise<number> {
    let chainNonce = 0;
    const provider = this.options.provider();
    const target = this.options.target();
    if (provider && target) {
      try {
        chainNonce = await this.intentNonce(provider, target.contract, signer, chainTwinId);
      } catch (error) {
        if (!isUnreachable(error)) throw error;
      }
    }
    const held = this.options.index
      .intents({ statuses: ['queued', 'sent'] })
      .filter(
        (i) =>
          i.id !== excludeId &&
          i.chainTwinId === chainTwinId &&
          i.signer.toLowerCase() === signer.toLowerCase(),
      )
      .reduce((max, i) => Math.max(max, i.nonce + 1), 0);
    return Math.max(chainNonce, held);
  }

  private async run(): Promise<void> {
    let delay = 500;
    while (this.background.running) {
      try {
        const worked = await this.round();
        delay = 500;
        this.lastProblem = null;
        if (!worked) await this.sleep(this.options.idleMs ?? 2000);
      } catch (error) {
        if (!this.background.running) return;
        const message = (error as Error).message ?? String(error);
        if (message !== this.lastProblem && !isUnreachable(error)) {
          this.options.logger.warn(`maintenance completions: ${message}`);
        }
        this.lastProblem = message;
        await this.sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  /** One look at the queue; answers whether anything changed (then it looks again at once). */
  async round(): Promise<boolean> {
    const provider = this.options.provider();
    const target = this.options.target();
    if (!provider || !target) return false;
    const index = this.options.index;
    let worked = false;
    const touched = new Set<string>();
    for (const item of index.intents({ statuses: ['sent'] })) {
      if (await this.settleSent(provider, item)) {
        worked = true;
        touched.add(item.storeTwinId);
      }
    }
    // A lane with a completion still pending on chain waits for it: the chain's nonce does not
    // count a pending transaction, so the next one would be signed again with that one's nonce
    // (and revert once the pending one is mined).
    const pending = new Set(index.intents({ statuses: ['sent'] }).map(laneOf));
    const queued = index.intents({ statuses: ['queued'] }).filter((i) => !pending.has(laneOf(i)));
    if (queued.length > 0) {
      const block = (await provider.request({
        method: 'eth_getBlockByNumber',
        params: ['latest', false],
      })) as {
        timestamp: string;
      };
      const chainTime = Number(block.timestamp);
      const lanes = new Map<string, MaintenanceIntentRow[]>();
      for (const item of queued) {
        lanes.set(laneOf(item), [...(lanes.get(laneOf(item)) ?? []), item]);
      }
      for (const lane of lanes.values()) {
        const changed = await this.runLane(provider, target, lane, chainTime);
        if (changed) {
          worked = true;
          touched.add(lane[0]!.storeTwinId);
        }
      }
    }
    for (const twin of touched) this.options.onChange(twin);
    return worked;
  }

  private async runLane(
    provider: Eip1193Provider,
    target: { chainId: number; contract: string },
    lane: MaintenanceIntentRow[],
    chainTime: number,
  ): Promise<boolean> {
    const index = this.options.index;
    const margin = this.options.deadlineMarginSeconds ?? 600;
    let expected = await this.intentNonce(provider, target.contract, lane[0]!.signer, lane[0]!.chainTwinId);
    let changed = false;
    for (const original of lane.sort((a, b) => a.id - b.id)) {
      let item = original;
      const order = index.workOrder(item.orderId);
      if (order && order.status !== 'open' && order.status !== 'assigned' && order.status !== 'accepted') {
        // Closed meanwhile: by this very completion (its report is on chain), or by someone else.
        if (
          order.status === 'completed' &&
          order.reportHash?.toLowerCase() === item.message.reportHash?.toLowerCase()
        ) {
          index.setIntentStatus(item.id, 'confirmed', { blockNumber: order.closedBlock });
        } else {
          index.setIntentStatus(item.id, 'failed', {
            reason: `work order ${orderNumber(item.orderId)} was ${order.status} meanwhile${order.status === 'completed' ? ' with another report' : ''}`,
            reasonCode: 'MaintenanceOrderWrongStatus',
          });
        }
        changed = true;
        continue;
      }
      if (item.nonce < expected && order === null) {
        // The index does not know the order yet (catching up): look again next round.
        break;
      }
      if (item.nonce !== expected || item.deadline < chainTime + margin) {
        try {
          await this.options.exclusive(() => this.options.sign(item, { nonce: expected, chainTime }));
        } catch (error) {
          if (error instanceof AppError && (error.code === 'FORBIDDEN' || error.code === 'UNAVAILABLE')) {
            if (!item.reason?.startsWith(WAITING_FOR_VAULT)) {
              index.setIntentStatus(item.id, 'queued', {
                reason: `${WAITING_FOR_VAULT} (its nonce or deadline moved)`,
              });
              changed = true;
            }
            break; // the lane waits behind it
          }
          throw error;
        }
        item = index.intent(item.id)!;
      }
      const outcome = await this.send(provider, target, item);
      if (outcome !== 'waiting') changed = true;
      if (outcome !== 'used') break; // refused or waiting: the next item's nonce is not free yet
      expected++;
    }
    return changed;
  }

  /**
   * Sends one completion and settles it from its receipt: 'used' (its nonce was spent), 'refused'
   * (failed, or back in the queue to be signed again) or 'waiting' (nothing happened: vault locked).
   */
  private send(
    provider: Eip1193Provider,
    target: { chainId: number; contract: string },
    item: MaintenanceIntentRow,
  ): Promise<'used' | 'refused' | 'waiting'> {
    const index = this.options.index;
    return this.options.exclusive(async () => {
      const ethersProvider = createEthersProvider(provider, target.chainId);
      try {
        let signer;
        try {
          signer = this.options.vault.connectedSigner(
            item.identityId ?? undefined,
            ethersProvider,
            target.chainId,
          );
        } catch {
          if (!item.reason?.startsWith('waiting for the vault')) {
            index.setIntentStatus(item.id, 'queued', {
              reason: 'waiting for the vault to be unlocked to send it (the signer pays the gas)',
            });
            return 'refused';
          }
          return 'waiting';
        }
        let tx;
        try {
          tx = await signer.sendTransaction({ to: target.contract, data: item.calldata });
        } catch (error) {
          if (isUnreachable(error)) throw error;
          this.refused(item, error);
          return 'refused';
        }
        index.markIntentSending(item.id, tx.hash, '');
        let receipt;
        try {
          receipt = await tx.wait();
        } catch (error) {
          if (isUnreachable(error)) throw error;
          this.refused(item, error);
          return 'used';
        }
        if (receipt && receipt.status === 1) {
          index.setIntentStatus(item.id, 'confirmed', { blockNumber: receipt.blockNumber });
          this.options.logger.info(
            `maintenance: completion of work order ${orderNumber(item.orderId)} by ${getAddress(item.signer)} confirmed in block ${receipt.blockNumber}`,
          );
        } else {
          index.setIntentStatus(item.id, 'failed', {
            reason: 'the transaction reverted',
            reasonCode: 'Reverted',
          });
        }
        return 'used';
      } finally {
        ethersProvider.destroy();
      }
    });
  }

  /** A refusal in words: signed again next round (nonce, deadline), or failed for good. */
  private refused(item: MaintenanceIntentRow, error: unknown): void {
    const data = revertData(error) ?? revertData((error as { error?: unknown }).error);
    const failure = decodeMaintenanceError(data);
    if (failure?.resign) {
      this.options.index.setIntentStatus(item.id, 'queued', {
        reason: failure.reason,
        reasonCode: failure.code,
      });
      return;
    }
    const reason =
      failure?.reason ??
      String((error as { shortMessage?: unknown }).shortMessage ?? (error as Error).message ?? error);
    this.options.index.setIntentStatus(item.id, 'failed', { reason, reasonCode: failure?.code ?? 'Unknown' });
    this.options.logger.warn(`maintenance: completion ${item.id} refused: ${reason}`);
  }

  /** A sent completion: its receipt settles it; one the node never saw goes back to the queue. */
  private async settleSent(provider: Eip1193Provider, item: MaintenanceIntentRow): Promise<boolean> {
    if (!item.txHash) {
      this.options.index.setIntentStatus(item.id, 'queued');
      return true;
    }
    const receipt = (await provider.request({
      method: 'eth_getTransactionReceipt',
      params: [item.txHash],
    })) as {
      status: string;
      blockNumber: string;
    } | null;
    if (receipt) {
      if (receipt.status === '0x1') {
        this.options.index.setIntentStatus(item.id, 'confirmed', {
          blockNumber: Number(receipt.blockNumber),
        });
      } else {
        this.options.index.setIntentStatus(item.id, 'failed', {
          reason: 'the transaction reverted',
          reasonCode: 'Reverted',
        });
      }
      return true;
    }
    const known = await provider.request({ method: 'eth_getTransactionByHash', params: [item.txHash] });
    if (known) return false; // still pending
    this.options.index.setIntentStatus(item.id, 'queued', {
      reason: 'sent again: the chain lost its transaction',
    });
    return true;
  }

  private async intentNonce(
    provider: Eip1193Provider,
    contract: string,
    signer: string,
    chainTwinId: string,
  ): Promise<number> {
    const data = maintenanceInterface.encodeFunctionData('intentNonce', [signer, BigInt(chainTwinId)]);
    const result = (await provider.request({
      method: 'eth_call',
      params: [{ to: contract, data }, 'latest'],
    })) as string;
    return Number(BigInt(result));
  }

  private sleep(ms: number): Promise<void> {
    return this.background.sleep(ms);
  }
}
