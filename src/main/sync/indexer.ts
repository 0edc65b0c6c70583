// The chain indexer: follows the registry's events in bounded block ranges (halving a range a
// provider refuses), holds back a confirmation depth, writes each range's events, derived state and
// cursor in one transaction, and detects reorgs by block hash (rolls back what orphaned blocks
// wrote, then indexes the new branch). After a crash it resumes from the stored cursor.
import { decodeRegistryEvent } from './log-decoder';
import type { Eip1193Provider } from '../chain/embedded-chain';
import {
  IndexMovedError,
  type ChainIndex,
  type IndexBatch,
  type IndexChange,
  type IndexedBlock,
  type IndexedEvent,
} from '../store/chain-index';
import type { Deployment } from './deployment';

export const DEFAULT_MAX_BLOCK_RANGE = 2000;
/** Ranges in a row that must go through before a halved range doubles again. */
const GROW_AFTER = 8;
/** Events written per transaction at most (a range with more is cut at block boundaries). */
export const MAX_EVENTS_PER_TRANSACTION = 2000;

interface RangeRead {
  batch: IndexBatch;
  parentHash: string;
}

/**
 * Cuts a range's batch into parts of at most `maxEvents` events (more when one block holds more),
 * each ending on a block boundary with that block as its cursor; the last part keeps the range's.
 */
export function splitBatch(batch: IndexBatch, maxEvents: number): IndexBatch[] {
  if (batch.events.length <= maxEvents) return [batch];
  const parts: IndexBatch[] = [];
  let start = 0;
  while (start < batch.events.length) {
    let end = Math.min(start + maxEvents, batch.events.length);
    // Extend to the end of the last block so a block is never split between transactions.
    while (end < batch.events.length && batch.events[end]!.blockNumber === batch.events[end - 1]!.blockNumber)
      end++;
    const events = batch.events.slice(start, end);
    const numbers = new Set(events.map((e) => e.blockNumber));
    const lastEvent = events.at(-1)!;
    const isLast = end === batch.events.length;
    parts.push({
      ...(start === 0
        ? batch.after === undefined
          ? {}
          : { after: batch.after }
        : { after: parts.at(-1)!.cursor.number }),
      events,
      blocks: batch.blocks.filter(
        (b) => numbers.has(b.number) || (isLast && b.number === batch.cursor.number),
      ),
      cursor: isLast ? batch.cursor : { number: lastEvent.blockNumber, hash: lastEvent.blockHash },
    });
    start = end;
  }
  return parts;
}

export interface IndexerOptions {
  provider: Eip1193Provider;
  index: ChainIndex;
  /**
   * The registry, and the manifest whose other contracts (maintenance...) are indexed beside it when
   * given (their events are decoded by the same log decoder).
   */
  deployment: Pick<Deployment, 'chainId' | 'registry' | 'startBlock'> & {
    manifest?: { contracts: Record<string, { address: string }> };
  };
  /** Blocks held back from the head before indexing (default 0: the sandbox cannot reorg by itself). */
  confirmations?: number;
  /** Largest range asked of eth_getLogs (default 2,000 blocks; halved while the provider refuses). */
  maxBlockRange?: number;
  /** How many stored block hashes a reorg walk-back checks before re-indexing from the start. */
  maxReorgWalk?: number;
  /** Events written per transaction at most (default 2,000). */
  maxEventsPerTransaction?: number;
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
  /** The contracts whose logs are read: the registry first, then the manifest's other contracts. */
  private readonly addresses: string[];

  constructor(private readonly options: IndexerOptions) {
    const registry = options.deployment.registry.toLowerCase();
    const modules = Object.values(options.deployment.manifest?.contracts ?? {})
      .map((c) => c.address.toLowerCase())
      .filter((address) => address !== registry);
    this.addresses = [registry, ...new Set(modules)];
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
   * propagate: the caller decides on backoff. The next range is read while the current one is
   * written, and a range holding many events is written in several transactions, each ending on a
   * block boundary, so the event loop is never held for long.
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
    let prefetch: { from: number; read: Promise<RangeRead | null | { failed: unknown }> } | null = null;
    try {
      for (;;) {
        const cursor = this.options.index.cursor();
        if (!cursor) throw new Error('The chain index has no cursor.');
        const target = head - this.confirmations;
        Object.assign(outcome, { head, target, cursor: cursor.blockNumber, range: this.range });
        if (cursor.blockNumber >= target || shouldStop()) {
          // Nothing to read: the cursor's block must still be the chain's (a reorg to a branch no
          // longer than ours shows only here).
          if (await this.checkReorg(cursor.blockNumber, cursor.blockHash)) {
            outcome.reorgs++;
            head = await this.headNumber();
            continue;
          }
          if (shouldStop()) return outcome;
          // Caught up with the head we knew: look once more, blocks may have come meanwhile.
          const latest = await this.headNumber();
          if (latest === head) return outcome;
          head = latest;
          continue;
        }
        const from = cursor.blockNumber + 1;
        const pending: RangeRead | null | { failed: unknown } | undefined =
          prefetch?.from === from ? await prefetch.read : undefined;
        prefetch = null;
        if (pending && 'failed' in pending) throw pending.failed;
        const read: RangeRead | null =
          pending !== undefined
            ? pending
            : await this.readRange(from, Math.min(from + this.range - 1, target), outcome);
        if (!read) {
          // Refused and halved, or the chain moved while it was read: look at the chain again.
          head = await this.headNumber();
          if (await this.checkReorg(cursor.blockNumber, cursor.blockHash)) outcome.reorgs++;
          continue;
        }
        // The range must extend what is indexed. Some nodes report a zero parent hash for blocks
        // mined in bulk (EDR's hardhat_mine): then the cursor block's hash by number decides.
        if (cursor.blockHash !== null && read.parentHash !== cursor.blockHash) {
          if (await this.checkReorg(cursor.blockNumber, cursor.blockHash)) {
            outcome.reorgs++;
            head = await this.headNumber();
            continue;
          }
        }
        const to: number = read.batch.cursor.number;
        if (to < target && !shouldStop()) {
          const nextFrom: number = to + 1;
          const nextTo = Math.min(nextFrom + this.range - 1, target);
          prefetch = {
            from: nextFrom,
            read: this.readRange(nextFrom, nextTo, outcome).catch((failed: unknown) => ({ failed })),
          };
        }
        if (shouldStop()) return outcome; // e.g. a rebuild reset the index while this range was read
        for (const part of splitBatch(
          read.batch,
          this.options.maxEventsPerTransaction ?? MAX_EVENTS_PER_TRANSACTION,
        )) {
          let change: IndexChange;
          try {
            change = this.options.index.applyBatch(part);
          } catch (error) {
            // Someone else moved the cursor meanwhile (a rebuild): read from where it is now.
            if (!(error instanceof IndexMovedError)) throw error;
            prefetch = null;
            break;
          }
          outcome.events += change.events;
          outcome.cursor = part.cursor.number;
          this.options.onCommit?.(change, { head, target, cursor: part.cursor.number, range: this.range });
          if (part.cursor.number !== to) await new Promise((next) => setImmediate(next));
        }
        outcome.ranges++;
        // After a run of ranges that went through, grow back towards the maximum (event density and
        // providers' limits vary), slowly enough not to be refused every other time.
        if (this.range < this.maxRange && ++this.successes >= GROW_AFTER) {
          this.successes = 0;
          this.range = Math.min(this.maxRange, this.range * 2);
        }
      }
    } finally {
      // A read still in flight when we stop is dropped (its errors with it).
      void prefetch?.read.catch(() => undefined);
    }
  }

  /** Reads one range; null when it has to be retried (smaller, or because the chain changed). */
  private async readRange(from: number, to: number, outcome: SyncOutcome): Promise<RangeRead | null> {
    // The range's end before and after its logs: the same hash both times means the logs are that
    // branch's. The range's start (for its parent hash) is read alongside the logs.
    const last = await this.blockOrNull(to);
    if (!last) return null; // the head went back (a reorg to a shorter branch)
    const [first, logs] = await Promise.all([
      from === to ? null : this.blockOrNull(from),
      this.rpc<RpcLog[]>('eth_getLogs', [
        {
          address: this.addresses.length === 1 ? this.addresses[0] : this.addresses,
          fromBlock: hex(from),
          toBlock: hex(to),
        },
      ]).catch((error: unknown) => {
        if (!isRangeTooLarge(error)) throw error;
        return null;
      }),
    ]);
    if (logs === null) {
      if (to === from) {
        throw new Error(
          `Block ${from} alone holds more registry events than the provider will return; ` +
            `raise its log limit or use another provider.`,
        );
      }
      this.range = Math.max(1, Math.floor((to - from + 1) / 2));
      this.successes = 0;
      outcome.splits++;
      return null;
    }
    if (from !== to && !first) return null;
    // The logs must come from the branch whose end we read: otherwise a reorg happened meanwhile.
    const again = await this.blockOrNull(to);
    if (again?.hash !== last.hash) return null;
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
      batch: {
        events,
        blocks: [...blocks.values()],
        cursor: { number: to, hash: last.hash },
        after: from - 1,
      },
      parentHash: (first ?? last).parentHash,
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

  private async blockOrNull(number: number): Promise<RpcBlock | null> {
    return this.rpc<RpcBlock | null>('eth_getBlockByNumber', [hex(number), false]);
  }

  private async rpc<T>(method: string, params: unknown[]): Promise<T> {
    return (await this.options.provider.request({ method, params })) as T;
  }
}
