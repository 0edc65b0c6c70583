// The chain indexer: follows the registry's events in bounded block ranges (halving a range a
// provider refuses), holds back a confirmation depth, writes each range's events, derived state and
// cursor in one transaction, and detects reorgs by block hash (rolls back what orphaned blocks
// wrote, then indexes the new branch). After a crash it resumes from the stored cursor.
import { decodeRegistryEvent } from './log-decoder';
import type { Eip1193Provider } from '../chain/embedded-chain';
import type { ChainIndex, IndexBatch, IndexChange, IndexedBlock, IndexedEvent } from '../store/chain-index';
import type { Deployment } from './deployment';

export const DEFAULT_MAX_BLOCK_RANGE = 2000;
/** Ranges in a row that must go through before a halved range doubles again. */
const GROW_AFTER = 8;

export interface IndexerOptions {
  provider: Eip1193Provider;
  index: ChainIndex;
  deployment: Pick<Deployment, 'chainId' | 'registry' | 'startBlock'>;
  /** Blocks held back from the head before indexing (default 0: the sandbox cannot reorg by itself). */
  confirmations?: number;
  /** Largest range asked of eth_getLogs (default 2,000 blocks; halved while the provider refuses). */
  maxBlockRange?: number;
  /** How many stored block hashes a reorg walk-back checks before re-indexing from the start. */
  maxReorgWalk?: number;
  /** Called after each committed range or rollback. */
  onCommit?: (change: IndexChange, progress: IndexProgress) => void;
  /** Called when a reorg was found, before anything is rolled back. */
  onReorg?: (reorg: { from: number; ancestor: number }) => void;
}

export interface IndexProgress {
  head: number;
  /** head - confirmations: the last block the indexer may index now. */
  target: number;
  cursor: number;
  /** The range size currently used (smaller after a provider refused a larger one). */
  range: number;
}

export interface SyncOutcome extends IndexProgress {
  events: number;
  ranges: number;
  reorgs: number;
  /** Ranges retried smaller because the provider refused them. */
  splits: number;
}

interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
}

interface RpcBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** True for the errors hosted providers give when a getLogs range holds too much. */
export function isRangeTooLarge(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : '';
  if (e?.code === -32005) return true;
  return /too many|more than \d+ results|range (is )?too (large|wide|big)|block range|exceed|limit/i.test(
    message,
  );
}

/** Decodes one registry log into an indexed event; null for a log the ABI does not know. */
export function decodeRegistryLog(log: RpcLog): IndexedEvent | null {
  const decoded = decodeRegistryEvent(log.topics, log.data);
  if (!decoded) return null;
  const { name, args } = decoded;
  const twinRef = args.twinId ?? (name === 'Transfer' || name === 'Approval' ? args.tokenId : undefined);
  return {
    blockNumber: Number(log.blockNumber),
    logIndex: Number(log.logIndex),
    blockHash: log.blockHash,
    txHash: log.transactionHash,
    txIndex: Number(log.transactionIndex),
    name,
    twinId: twinRef === undefined ? null : String(twinRef),
    args,
  };
}

export class ChainIndexer {
  private range: number;
  private successes = 0;
  private readonly maxRange: number;
  private readonly confirmations: number;

  constructor(private readonly options: IndexerOptions) {
    this.maxRange = Math.max(1, options.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE);
    this.range = this.maxRange;
    this.confirmations = Math.max(0, options.confirmations ?? 0);
    options.index.ensureScope({
      chainId: options.deployment.chainId,
      registry: options.deployment.registry,
      startBlock: options.deployment.startBlock,
    });
  }

  get currentRange(): number {
    return this.range;
  }

  async headNumber(): Promise<number> {
    return Number(await this.rpc<string>('eth_blockNumber', []));
  }

  /**
   * Indexes from the cursor up to head - confirmations, range by range; answers when caught up
   * (or when `shouldStop` says so between ranges). Provider errors other than "range too large"
   * propagate: the caller decides on backoff.
   */
  async syncOnce(shouldStop: () => boolean = () => false): Promise<SyncOutcome> {
    const outcome: SyncOutcome = {
      head: 0,
      target: 0,
      cursor: 0,
      range: this.range,
      events: 0,
      ranges: 0,
      reorgs: 0,
      splits: 0,
    };
    let head = await this.headNumber();
    for (;;) {
      const cursor = this.options.index.cursor();
      if (!cursor) throw new Error('The chain index has no cursor.');
      if (await this.checkReorg(cursor.blockNumber, cursor.blockHash)) {
        outcome.reorgs++;
        head = await this.headNumber();
        continue;
      }
      const target = head - this.confirmations;
      Object.assign(outcome, { head, target, cursor: cursor.blockNumber, range: this.range });
      if (cursor.blockNumber >= target || shouldStop()) {
        if (cursor.blockNumber >= target && !shouldStop()) {
          // Caught up with the head we knew: look once more, blocks may have come meanwhile.
          const latest = await this.headNumber();
          if (latest > head) {
            head = latest;
            continue;
          }
        }
        return outcome;
      }
      const from = cursor.blockNumber + 1;
      const to = Math.min(from + this.range - 1, target);
      const batch = await this.readRange(from, to, outcome);
      if (!batch) continue; // range shrunk or the chain moved under us: go again
      // The range must extend what is indexed: a stored cursor the chain no longer has is a reorg,
      // checked again here because it could have happened while the logs were read.
      if (cursor.blockHash !== null && batch.parentHash !== cursor.blockHash) {
        const still = await this.blockOrNull(cursor.blockNumber);
        if (!still || still.hash !== cursor.blockHash) continue; // the next turn rolls back
        // The cursor's block is unchanged, so this is no reorg: some nodes report a zero parent
        // hash for blocks mined in bulk (EDR's hardhat_mine), and the hash by number is what counts.
      }
      const change = this.options.index.applyBatch(batch.batch);
      outcome.events += change.events;
      outcome.ranges++;
      outcome.cursor = to;
      // After a run of ranges that went through, grow back towards the maximum (event density and
      // providers' limits vary), slowly enough not to be refused every other time.
      if (this.range < this.maxRange && ++this.successes >= GROW_AFTER) {
        this.successes = 0;
        this.range = Math.min(this.maxRange, this.range * 2);
      }
      this.options.onCommit?.(change, { head, target, cursor: to, range: this.range });
    }
  }

  /** Reads one range; null when it has to be retried (smaller, or because the chain changed). */
  private async readRange(
    from: number,
    to: number,
    outcome: SyncOutcome,
  ): Promise<{ batch: IndexBatch; parentHash: string } | null> {
    const last = await this.block(to);
    const first = from === to ? last : await this.block(from);
    let logs: RpcLog[];
    try {
      logs = await this.rpc<RpcLog[]>('eth_getLogs', [
        { address: this.options.deployment.registry, fromBlock: hex(from), toBlock: hex(to) },
      ]);
    } catch (error) {
      if (!isRangeTooLarge(error)) throw error;
      if (to === from) {
        throw new Error(
          `Block ${from} alone holds more registry events than the provider will return; ` +
            `raise its log limit or use another provider.`,
          { cause: error },
        );
      }
      this.range = Math.max(1, Math.floor((to - from + 1) / 2));
      this.successes = 0;
      outcome.splits++;
      return null;
    }
    // The logs must come from the branch whose end we read: otherwise a reorg happened meanwhile.
    const again = await this.block(to);
    if (again.hash !== last.hash) return null;
    const events: IndexedEvent[] = [];
    const blocks = new Map<number, IndexedBlock>();
    for (const log of logs) {
      if (log.removed) continue;
      const event = decodeRegistryLog(log);
      if (!event) continue;
      events.push(event);
      if (!blocks.has(event.blockNumber)) {
        blocks.set(event.blockNumber, { number: event.blockNumber, hash: event.blockHash, timestamp: null });
      }
    }
    if (blocks.get(to)?.hash !== undefined && blocks.get(to)!.hash !== last.hash) return null;
    blocks.set(to, { number: to, hash: last.hash, timestamp: Number(last.timestamp) });
    events.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
    return {
      batch: { events, blocks: [...blocks.values()], cursor: { number: to, hash: last.hash } },
      parentHash: first.parentHash,
    };
  }

  /**
   * Compares the stored cursor hash with the chain's block at that height; on a difference walks
   * back through stored hashes to the last block both agree on and rolls back to it.
   */
  private async checkReorg(cursorNumber: number, cursorHash: string | null): Promise<boolean> {
    if (cursorHash === null) return false;
    const onChain = await this.blockOrNull(cursorNumber);
    if (onChain && onChain.hash === cursorHash) return false;
    const index = this.options.index;
    const maxWalk = this.options.maxReorgWalk ?? 256;
    let ancestor: { number: number; hash: string | null } | null = null;
    for (const stored of index.storedBlocks(cursorNumber, maxWalk)) {
      const block = await this.blockOrNull(stored.number);
      if (block && block.hash === stored.hash) {
        ancestor = { number: stored.number, hash: stored.hash };
        break;
      }
    }
    // Nothing stored matches any more: start again from the deployment's first block.
    ancestor ??= { number: this.options.deployment.startBlock - 1, hash: null };
    this.options.onReorg?.({ from: cursorNumber, ancestor: ancestor.number });
    const change = index.rollbackTo(ancestor);
    const head = await this.headNumber();
    this.options.onCommit?.(change, {
      head,
      target: head - this.confirmations,
      cursor: ancestor.number,
      range: this.range,
    });
    return true;
  }

  private async block(number: number): Promise<RpcBlock> {
    const block = await this.blockOrNull(number);
    if (!block) throw new Error(`The chain has no block ${number} (yet).`);
    return block;
  }

  private async blockOrNull(number: number): Promise<RpcBlock | null> {
    return this.rpc<RpcBlock | null>('eth_getBlockByNumber', [hex(number), false]);
  }

  private async rpc<T>(method: string, params: unknown[]): Promise<T> {
    return (await this.options.provider.request({ method, params })) as T;
  }
}
