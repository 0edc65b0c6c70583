// The embedded chain: EDR behind an EIP-1193 `request`, with every state-changing call recorded in
// the journal (so the chain survives restarts), snapshots that the journal follows on revert, errors
// shaped like a real node's, and optional eth_getLogs limits that mimic hosted providers.
import { join } from 'node:path';
import type { Provider } from '@nomicfoundation/edr';
import { createEdrProvider, defaultGenesis, edrCall, type ChainGenesis, type RpcErrorObject } from './edr';
import { ChainJournal, MINE_AT, type JournalEntry } from './journal';
import { normalizeRpcError, ProviderRpcError, rpcErrorCodes } from './rpc-errors';

export interface Eip1193Provider {
  request(args: { method: string; params?: readonly unknown[] | object }): Promise<unknown>;
}

export interface LogLimits {
  /** Most logs one eth_getLogs may answer (hosted providers: 10,000). */
  maxLogs?: number;
  /** Most blocks one eth_getLogs range may span (hosted providers: 2,000 or fewer). */
  maxBlockRange?: number;
}

export interface EmbeddedChainOptions {
  /** Folder of the journal; without one the chain lives in memory only. */
  dataDir?: string;
  /** Genesis of a new chain (ignored when the journal already has one). */
  genesis?: () => ChainGenesis;
  /** fsync every journal append (default true). */
  durable?: boolean;
  logLimits?: LogLimits;
  /** Compact the journal after replay when it holds at least this many droppable lines. */
  compactThreshold?: number;
}

export interface ChainStartTimings {
  /** Creating the EDR provider (context, genesis). */
  createMs: number;
  /** Replaying the journal into it. */
  replayMs: number;
  replayedEntries: number;
}

export interface ChainHead {
  number: number;
  hash: string;
  timestamp: number;
}

/** Calls that change the chain and therefore go into the journal. */
const JOURNALED = new Set([
  'eth_sendRawTransaction',
  'eth_sendTransaction',
  'evm_mine',
  'hardhat_mine',
  'evm_increaseTime',
  'evm_setNextBlockTimestamp',
  'evm_setAutomine',
  'evm_setBlockGasLimit',
  'hardhat_setBalance',
  'hardhat_setCode',
  'hardhat_setNonce',
  'hardhat_setStorageAt',
  'hardhat_setCoinbase',
  'hardhat_setMinGasPrice',
  'hardhat_setNextBlockBaseFeePerGas',
  'hardhat_setPrevRandao',
  'hardhat_impersonateAccount',
  'hardhat_stopImpersonatingAccount',
  'hardhat_dropTransaction',
]);

/** Calls whose effect could not be replayed faithfully. */
const REFUSED: Record<string, string> = {
  evm_setIntervalMining:
    'interval mining is not supported by the journaled chain (blocks must be reproducible)',
  hardhat_reset: 'reset is not supported; delete the chain folder instead',
  hardhat_metadata: 'not supported',
};

/** Replay skips these: their effect is in the recorded block timestamps and clock offsets. */
const CLOCK_ONLY = new Set(['evm_increaseTime', 'evm_setNextBlockTimestamp']);

const toQuantity = (n: number | bigint): string => `0x${n.toString(16)}`;

export class EmbeddedChain implements Eip1193Provider {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly snapshots = new Map<bigint, number>();
  private readonly blockListeners = new Set<(head: number) => void>();
  private closed = false;

  private constructor(
    private readonly edr: Provider,
    private readonly journal: ChainJournal | null,
    readonly genesis: ChainGenesis,
    readonly timings: ChainStartTimings,
    /** True when this start created the chain (nothing to replay): the caller may seed it. */
    readonly isNew: boolean,
    private readonly logLimits: LogLimits,
  ) {}

  static async start(options: EmbeddedChainOptions = {}): Promise<EmbeddedChain> {
    const newGenesis = options.genesis ?? (() => defaultGenesis([]));
    const journal = options.dataDir
      ? ChainJournal.open(join(options.dataDir, 'journal.jsonl'), newGenesis, {
          durable: options.durable ?? true,
        })
      : null;
    try {
      const genesis = journal?.genesis ?? newGenesis();
      const t0 = performance.now();
      const edr = await createEdrProvider(genesis);
      const t1 = performance.now();
      const entries = journal?.entries() ?? [];
      await replay(edr, entries, journal?.clockOffset ?? 0);
      const t2 = performance.now();
      if (
        journal &&
        options.compactThreshold !== undefined &&
        droppable(entries) >= options.compactThreshold
      ) {
        journal.compact();
      }
      return new EmbeddedChain(
        edr,
        journal,
        genesis,
        { createMs: t1 - t0, replayMs: t2 - t1, replayedEntries: entries.length },
        entries.length === 0,
        options.logLimits ?? {},
      );
    } catch (error) {
      journal?.close();
      throw error;
    }
  }

  get chainId(): number {
    return this.genesis.chainId;
  }

  get journalLength(): number {
    return this.journal?.length ?? 0;
  }

  /** Called with the new head number whenever a call mined blocks. */
  onBlock(listener: (head: number) => void): () => void {
    this.blockListeners.add(listener);
    return () => this.blockListeners.delete(listener);
  }

  async request(args: { method: string; params?: readonly unknown[] | object }): Promise<unknown> {
    if (this.closed) {
      throw new ProviderRpcError({ code: rpcErrorCodes.unavailable, message: 'The chain is closed.' });
    }
    const { method } = args;
    const params = Array.isArray(args.params) ? [...(args.params as unknown[])] : [];
    const refusal = REFUSED[method];
    if (refusal)
      throw new ProviderRpcError({ code: rpcErrorCodes.methodNotFound, message: `${method}: ${refusal}` });
    if (method === 'evm_snapshot') return this.exclusive(() => this.snapshot());
    if (method === 'evm_revert') return this.exclusive(() => this.revert(params[0]));
    if (JOURNALED.has(method)) return this.exclusive(() => this.journaled(method, params));
    if (method === 'eth_getLogs') return this.getLogs(params);
    return this.plain(method, params);
  }

  async head(): Promise<ChainHead> {
    const block = (await this.plain('eth_getBlockByNumber', ['latest', false])) as {
      number: string;
      hash: string;
      timestamp: string;
    };
    return { number: Number(block.number), hash: block.hash, timestamp: Number(block.timestamp) };
  }

  /** Rewrites the journal without the lines replay does not need. */
  compact(): Promise<{ before: number; after: number }> {
    return this.exclusive(async () => this.journal?.compact() ?? { before: 0, after: 0 });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let calls in flight finish (and reach the journal) before closing it.
    await this.exclusive(async () => {
      this.closed = true;
      this.journal?.close();
    });
    this.blockListeners.clear();
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async plain(method: string, params: unknown[]): Promise<unknown> {
    const outcome = await edrCall(this.edr, method, params);
    if ('error' in outcome) throw new ProviderRpcError(normalizeRpcError(outcome.error));
    return outcome.result;
  }

  private async blockNumber(): Promise<number> {
    return Number(await this.plain('eth_blockNumber', []));
  }

  private async journaled(method: string, params: unknown[]): Promise<unknown> {
    if (this.closed)
      throw new ProviderRpcError({ code: rpcErrorCodes.unavailable, message: 'The chain is closed.' });
    const before = await this.blockNumber();
    const outcome = await edrCall(this.edr, method, params);
    const after = await this.blockNumber();
    const failed = 'error' in outcome;
    // A call that failed without mining anything changed nothing: no journal line.
    if (!failed || after > before) {
      let recordedParams = params;
      if (method === 'eth_sendTransaction' && !failed)
        recordedParams = [await this.sentTransaction(outcome.result)];
      let blockTimestamps: number[] | null = null;
      if (after > before) {
        const first = (await this.plain('eth_getBlockByNumber', [toQuantity(before + 1), false])) as {
          timestamp: string;
        };
        blockTimestamps = [Number(first.timestamp)];
      }
      let clockOffset = this.journal?.clockOffset ?? 0;
      if (method === 'evm_increaseTime' && !failed) clockOffset = Number(outcome.result);
      else if (after > before) clockOffset = Number(await this.plain('evm_increaseTime', [0]));
      const entry: JournalEntry = { method, params: recordedParams, blockTimestamps, clockOffset };
      if (failed) entry.failed = true;
      this.journal?.append(entry);
    }
    if (after > before) for (const listener of [...this.blockListeners]) listener(after);
    if ('error' in outcome) throw new ProviderRpcError(normalizeRpcError(outcome.error));
    return outcome.result;
  }

  /** eth_sendTransaction is replayed with every field the node filled in, so it signs the same. */
  private async sentTransaction(hash: unknown): Promise<Record<string, unknown>> {
    const tx = (await this.plain('eth_getTransactionByHash', [hash])) as Record<string, unknown>;
    const fields: Record<string, unknown> = {
      from: tx.from,
      nonce: tx.nonce,
      gas: tx.gas,
      value: tx.value,
      data: tx.input,
      type: tx.type,
    };
    if (tx.to) fields.to = tx.to;
    if (tx.maxFeePerGas !== undefined) {
      fields.maxFeePerGas = tx.maxFeePerGas;
      fields.maxPriorityFeePerGas = tx.maxPriorityFeePerGas;
    } else fields.gasPrice = tx.gasPrice;
    if (Array.isArray(tx.accessList) && tx.accessList.length > 0) fields.accessList = tx.accessList;
    return fields;
  }

  private async snapshot(): Promise<unknown> {
    const id = (await this.plain('evm_snapshot', [])) as string;
    this.snapshots.set(BigInt(id), this.journal?.length ?? 0);
    return id;
  }

  /** A revert also forgets the journal lines written since its snapshot (durably, before answering). */
  private async revert(idParam: unknown): Promise<unknown> {
    const reverted = (await this.plain('evm_revert', [idParam])) as boolean;
    if (!reverted) return false;
    const id = BigInt(idParam as string);
    const length = this.snapshots.get(id);
    for (const other of [...this.snapshots.keys()]) if (other >= id) this.snapshots.delete(other);
    if (length !== undefined) this.journal?.truncate(length);
    const head = await this.blockNumber();
    for (const listener of [...this.blockListeners]) listener(head);
    return true;
  }

  private async getLogs(params: unknown[]): Promise<unknown> {
    const { maxLogs, maxBlockRange } = this.logLimits;
    const filter = (params[0] ?? {}) as { fromBlock?: string; toBlock?: string; blockHash?: string };
    if (maxBlockRange !== undefined && filter.blockHash === undefined) {
      const head = await this.blockNumber();
      const resolve = (tag: string | undefined): number => {
        if (tag === undefined || ['latest', 'pending', 'safe', 'finalized'].includes(tag)) return head;
        if (tag === 'earliest') return 0;
        return Number(tag);
      };
      const span = resolve(filter.toBlock) - resolve(filter.fromBlock) + 1;
      if (span > maxBlockRange) {
        throw new ProviderRpcError({
          code: rpcErrorCodes.limitExceeded,
          message: `eth_getLogs block range too large: ${span} blocks requested, the limit is ${maxBlockRange}`,
        });
      }
    }
    const logs = (await this.plain('eth_getLogs', params)) as unknown[];
    if (maxLogs !== undefined && logs.length > maxLogs) {
      throw new ProviderRpcError({
        code: rpcErrorCodes.limitExceeded,
        message: `query returned more than ${maxLogs} results`,
      });
    }
    return logs;
  }
}

function droppable(entries: readonly JournalEntry[]): number {
  return entries.filter((e) => CLOCK_ONLY.has(e.method) || e.method === 'evm_mine').length;
}

async function replay(edr: Provider, entries: readonly JournalEntry[], clockOffset: number): Promise<void> {
  const call = async (method: string, params: unknown[], mayFail = false): Promise<unknown> => {
    const outcome = await edrCall(edr, method, params);
    if ('error' in outcome && !mayFail) throw replayError(method, outcome.error);
    return 'result' in outcome ? outcome.result : undefined;
  };
  for (const [index, entry] of entries.entries()) {
    try {
      if (CLOCK_ONLY.has(entry.method)) continue;
      const timestamps = entry.blockTimestamps ?? [];
      if (entry.method === MINE_AT) {
        for (const ts of timestamps) {
          await call('evm_setNextBlockTimestamp', [toQuantity(ts)]);
          await call('evm_mine', []);
        }
        continue;
      }
      if (timestamps[0] !== undefined) await call('evm_setNextBlockTimestamp', [toQuantity(timestamps[0])]);
      await call(entry.method, entry.method === 'evm_mine' ? [] : entry.params, entry.failed === true);
    } catch (error) {
      throw new Error(`Chain journal replay failed at line ${index + 2}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  // Replay pinned every block's time, which moved EDR's clock back to the last block's; put it
  // back to where the recorded chain's clock was relative to the wall clock (it cannot go back).
  const current = Number(await call('evm_increaseTime', [0]));
  const delta = clockOffset - current;
  if (delta > 0) await call('evm_increaseTime', [delta]);
}

function replayError(method: string, error: RpcErrorObject): Error {
  return new Error(`${method} failed: ${error.message}`);
}
