// The relayer: sends queued intents to the registry in relayBatch transactions when the chain
// answers, one batch in flight at a time. Every raw transaction is written to the outbox before it
// is broadcast, so a crash at any point is recovered from the database: a batch whose receipt
// exists is settled from it, one the node never saw is broadcast again (the same bytes), one stuck
// in the mempool is replaced with bumped fees, and one whose relayer nonce was used by something
// else is dropped after the chain is asked whether its intents executed anyway. An intent is never
// sent again once the chain has its digest (IntentExecuted) or its nonce moved past it.
import { getAddress, id as eventTopic, keccak256, type TransactionRequest } from 'ethers';
import type { Eip1193Provider } from '../chain/embedded-chain';
import type { Logger } from '../services/logger';
import type { BatchRow, ItemOutcome, OutboxItemRow, OutboxStore } from '../store/outbox';
import { decodeIntentFailure, registryInterface, relayBatchCalldata, type DecodedFailure } from './intents';
import { BackgroundLoop } from '../services/background-loop';

/** Pays gas for batches; signs raw transactions only (its key stays where it lives). */
export interface RelayerAccount {
  readonly address: string;
  signTransaction(tx: TransactionRequest): Promise<string>;
}

export interface RelayTarget {
  chainId: number;
  registry: string;
  /** Lowest block worth searching for this registry's logs. */
  startBlock: number;
}

export interface RelayerHooks {
  /** Runs inside the transaction that settles a batch: the outbox's own consequences (versions...). */
  onSettled(outcomes: readonly ItemOutcome[]): void;
  /**
   * Signs an item again (new nonce, deadline, or a rebase when its base moved). Answers false when it
   * cannot now (vault locked, offline for the data it needs): the item waits, its reason says why.
   */
  resign(item: OutboxItemRow, want: { nonce: number; chainTime: number }): Promise<boolean>;
  /** Counts changed (status bar); `itemIds`: items whose status this changed, where it names them. */
  onChange(itemIds?: readonly number[]): void;
  /** Items a reorg put back in the queue (their store versions wait again). */
  onReorged?(items: readonly OutboxItemRow[]): void;
}

export interface RelayerOptions {
  store: OutboxStore;
  provider: () => Eip1193Provider | null;
  target: () => RelayTarget | null;
  account: () => RelayerAccount | null;
  hooks: RelayerHooks;
  logger: Logger;
  /** Most intents per relayBatch (default 50). */
  maxBatch?: number;
  /** How often to look for a pending batch's receipt (default 100 ms). */
  receiptPollMs?: number;
  /** After this long unmined, a batch is re-sent with bumped fees (default 30 s). */
  stuckAfterMs?: number;
  /** Backoff while the chain is unreachable: first and longest wait (default 500 ms, 30 s). */
  backoffMs?: { initial: number; max: number };
  /** Largest eth_getLogs range when searching for a digest (default 2,000 blocks). */
  maxLogRange?: number;
  /** Idle wait between looks for work when nothing wakes the relayer (default 2 s). */
  idleMs?: number;
  /** Re-sign an intent whose deadline is closer than this (default 600 s). */
  deadlineMarginSeconds?: number;
  /**
   * Blocks after which a confirmation is final (network mode; default 0, the sandbox cannot reorg).
   * Until then each batch's receipt is looked at again, and a batch a reorg removed is sent again.
   */
  confirmations?: () => number;
}

export type RelayerState = 'stopped' | 'waiting' | 'idle' | 'relaying' | 'offline' | 'error';

const INTENT_EXECUTED = eventTopic('IntentExecuted(bytes32)');
const INTENT_FAILED = eventTopic('IntentFailed(uint256,bytes)');
const GWEI = 1_000_000_000n;

interface Receipt {
  transactionHash: string;
  blockNumber: string;
  status: string;
  logs: { address: string; topics: string[]; data: string; blockNumber: string; transactionHash: string }[];
}

/** The chain cannot be reached (stopped node, no network): wait and retry, quietly. */
export function isUnreachable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  if (e?.code === -32002) return true;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return /cannot be reached|ECONNREFUSED|ECONNRESET|fetch failed|socket hang up|The chain is closed|timed? ?out|aborted/i.test(
    message,
  );
}

export class Relayer {
  private state: RelayerState = 'stopped';
  private readonly background = new BackgroundLoop(() => this.run());
  private lastProblem: string | null = null;
  private readonly maxBatch: number;
  /** Shrinks after a batch that ran out of gas; grows back after successes. */
  private batchLimit: number;

  constructor(private readonly options: RelayerOptions) {
    this.maxBatch = options.maxBatch ?? 50;
    this.batchLimit = this.maxBatch;
  }

  get status(): { state: RelayerState; lastError: string | null } {
    return { state: this.state, lastError: this.lastProblem };
  }

  start(): void {
    this.background.start();
  }

  async stop(): Promise<void> {
    await this.background.stop();
    this.state = 'stopped';
  }

  /** Look for work now (a new item, the chain came back, the vault unlocked). */
  wake(): void {
    this.background.wake();
  }

  private async run(): Promise<void> {
    const backoff = this.options.backoffMs ?? { initial: 500, max: 30_000 };
    let delay = backoff.initial;
    while (this.background.running) {
      try {
        const progressed = await this.round();
        delay = backoff.initial;
        if (this.state === 'offline' || this.state === 'error') {
          this.options.logger.info('relayer: the chain answers again');
        }
        this.lastProblem = null;
        if (progressed === 'busy') {
          this.state = 'relaying';
          await this.sleep(this.options.receiptPollMs ?? 100);
        } else if (progressed === 'sent') {
          this.state = 'relaying';
        } else {
          this.state = progressed === 'waiting' ? 'waiting' : 'idle';
          await this.sleep(this.options.idleMs ?? 2000);
        }
      } catch (error) {
        if (!this.background.running) return;
        const offline = isUnreachable(error);
        const message = (error as Error).message ?? String(error);
        // One line per change of situation, not one per retry.
        if (offline && this.state !== 'offline') {
          this.options.logger.warn(
            `relayer: the chain cannot be reached; ${this.waitingCount()} intents wait`,
          );
        } else if (!offline && message !== this.lastProblem) {
          this.options.logger.warn(`relayer: ${message}`);
        }
        this.state = offline ? 'offline' : 'error';
        this.lastProblem = message;
        await this.sleep(delay);
        delay = Math.min(delay * 2, backoff.max);
      }
    }
  }

  private waitingCount(): number {
    const counts = this.options.store.counts();
    return counts.queued + counts.sent;
  }

  /**
   * What a restart does first: settles every batch written before the stop (receipt found, the
   * same bytes broadcast again, or given up when its nonce went elsewhere), without sending new
   * ones. Answers how many batches are still pending (0 unless the chain is slow to mine).
   */
  async recover(timeoutMs = 10_000): Promise<number> {
    const provider = this.options.provider();
    const target = this.options.target();
    const account = this.options.account();
    if (!provider || !target || !account) return this.options.store.pendingBatches().length;
    const chain = new ChainReader(provider, target, this.options.maxLogRange ?? 2000);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const pending = this.options.store.pendingBatches();
      if (pending.length === 0 || Date.now() > until) return pending.length;
      for (const batch of pending) await this.settle(chain, account, batch);
      if (this.options.store.pendingBatches().length > 0)
        await new Promise((done) => setTimeout(done, this.options.receiptPollMs ?? 100));
    }
  }

  /**
   * One step: settle the batch in flight, or send the next one. Answers 'busy' while a batch is
   * pending, 'sent' after a broadcast, 'idle' when there is nothing to do, 'waiting' without a chain.
   */
  async round(): Promise<'busy' | 'sent' | 'idle' | 'waiting'> {
    const provider = this.options.provider();
    const target = this.options.target();
    const account = this.options.account();
    if (!provider || !target || !account) return 'waiting';
    const chain = new ChainReader(provider, target, this.options.maxLogRange ?? 2000);
    for (const batch of this.options.store.pendingBatches()) {
      const settled = await this.settle(chain, account, batch);
      if (settled === 'pending') return 'busy';
    }
    await this.checkRecent(chain);
    const items = await this.prepare(chain);
    if (items.length === 0) return 'idle';
    await this.send(chain, account, target, items);
    return 'sent';
  }

  // ---- settling a batch in flight ---------------------------------------------------------------

  private async settle(
    chain: ChainReader,
    account: RelayerAccount,
    batch: BatchRow,
  ): Promise<'done' | 'pending'> {
    const store = this.options.store;
    const attempts = store.attempts(batch.id);
    for (const attempt of attempts) {
      const receipt = await chain.receipt(attempt.txHash);
      if (receipt) {
        await this.applyReceipt(batch, receipt);
        return 'done';
      }
    }
    const used = await chain.nonce(batch.relayer, 'latest');
    if (used > batch.txNonce) {
      // The relayer's nonce moved on without any of our transactions: look once more (a receipt may
      // have landed meanwhile), then give the batch up and ask the chain about each intent.
      for (const attempt of attempts) {
        const receipt = await chain.receipt(attempt.txHash);
        if (receipt) {
          await this.applyReceipt(batch, receipt);
          return 'done';
        }
      }
      this.options.logger.warn(
        `relayer: batch ${batch.id} was dropped (relayer nonce ${batch.txNonce} used elsewhere)`,
      );
      this.finish(
        batch,
        null,
        batch.itemIds.map((itemId) => ({
          itemId,
          kind: 'requeue',
          needsResign: false,
          reason: null,
          reasonCode: null,
        })),
      );
      return 'done';
    }
    const latest = attempts[0]!;
    let known = false;
    for (const attempt of attempts) {
      if (await chain.transaction(attempt.txHash)) {
        known = true;
        break;
      }
    }
    if (!known) {
      // Written but never broadcast (a crash, or the node went away), or dropped from the mempool:
      // the same signed bytes again fill the relayer's nonce gap.
      await this.broadcast(chain, latest.txHash, latest.rawTx);
      return 'pending';
    }
    const stuckAfter = this.options.stuckAfterMs ?? 30_000;
    if (Date.now() - latest.createdAt >= stuckAfter) {
      const fees = await chain.fees();
      const bump = (value: bigint) => (value * 5n) / 4n + 1n;
      const maxPriorityFeePerGas = maxOf(bump(latest.maxPriorityFeePerGas), fees.maxPriorityFeePerGas);
      const maxFeePerGas = maxOf(bump(latest.maxFeePerGas), fees.maxFeePerGas, maxPriorityFeePerGas);
      const raw = await account.signTransaction({
        type: 2,
        chainId: batch.chainId,
        nonce: batch.txNonce,
        to: batch.registry,
        data: batch.calldata,
        gasLimit: batch.gasLimit,
        maxFeePerGas,
        maxPriorityFeePerGas,
        value: 0n,
      });
      const txHash = keccak256(raw);
      this.options.store.addAttempt(batch.id, { txHash, rawTx: raw, maxFeePerGas, maxPriorityFeePerGas });
      this.options.logger.info(
        `relayer: batch ${batch.id} stuck for ${stuckAfter} ms; replaced by ${txHash} with higher fees`,
      );
      this.options.hooks.onChange();
      await this.broadcast(chain, txHash, raw);
    }
    return 'pending';
  }

  private async applyReceipt(batch: BatchRow, receipt: Receipt): Promise<void> {
    const store = this.options.store;
    const mined = { txHash: receipt.transactionHash, blockNumber: Number(receipt.blockNumber) };
    const registry = batch.registry.toLowerCase();
    const executed = new Set<string>();
    const failed = new Map<number, DecodedFailure>();
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== registry) continue;
      if (log.topics[0] === INTENT_EXECUTED) executed.add(log.topics[1]!.toLowerCase());
      else if (log.topics[0] === INTENT_FAILED) {
        const parsed = registryInterface.parseLog(log);
        if (parsed) failed.set(Number(parsed.args.index), decodeIntentFailure(parsed.args.reason as string));
      }
    }
    const outcomes: ItemOutcome[] = [];
    if (receipt.status !== '0x1') {
      // The whole transaction reverted (out of gas, most likely): nothing happened; smaller batches.
      this.batchLimit = Math.max(1, Math.floor(this.batchLimit / 2));
      for (const itemId of batch.itemIds)
        outcomes.push({ itemId, kind: 'requeue', needsResign: false, reason: null, reasonCode: null });
      this.options.logger.warn(
        `relayer: batch transaction ${mined.txHash} reverted; retrying in smaller batches`,
      );
    } else {
      this.batchLimit = Math.min(this.maxBatch, this.batchLimit * 2);
      for (const [index, itemId] of batch.itemIds.entries()) {
        const item = store.item(itemId);
        if (!item) continue;
        if (executed.has(item.digest)) {
          outcomes.push({ itemId, kind: 'confirmed' });
          continue;
        }
        const failure = failed.get(index);
        if (!failure) {
          // Executed under an older signature, or the receipt lacks it: ask the chain, not the batch.
          outcomes.push({ itemId, kind: 'requeue', needsResign: false, reason: null, reasonCode: null });
          continue;
        }
        outcomes.push(outcomeOf(itemId, failure));
      }
    }
    this.finish(batch, mined, outcomes);
  }

  private finish(
    batch: BatchRow,
    mined: { txHash: string; blockNumber: number } | null,
    outcomes: ItemOutcome[],
  ): void {
    const store = this.options.store;
    store.transaction(() => {
      store.finishBatch(batch.id, mined, outcomes);
      for (const outcome of outcomes) {
        if (outcome.kind !== 'confirmed') continue;
        const item = store.item(outcome.itemId)!;
        store.setLane(
          item.signer,
          item.chainTwinId,
          Math.max(item.nonce + 1, store.lane(item.signer, item.chainTwinId) ?? 0),
        );
        if (item.kind === 'commitVersion' && item.baseVersion !== null) {
          store.learnChainVersion(item.chainTwinId, item.baseVersion + 1, item.message.modelRoot!);
        }
      }
      this.options.hooks.onSettled(outcomes);
    });
    this.options.hooks.onChange();
  }

  /** Looks again at batches not yet final; one a reorg removed goes back to the queue. */
  private async checkRecent(chain: ChainReader): Promise<void> {
    const depth = this.options.confirmations?.() ?? 0;
    if (depth <= 0) return;
    const head = await chain.blockNumber();
    for (const batch of this.options.store.recentBatches(head - depth)) {
      const receipt = batch.txHash ? await chain.receipt(batch.txHash) : null;
      if (receipt && receipt.status === '0x1') continue;
      const store = this.options.store;
      const back = store.transaction(() => {
        const items = store.unmineBatch(
          batch.id,
          'its block was replaced by a reorganisation of the chain; it will be sent again',
        );
        this.options.hooks.onReorged?.(items);
        return items;
      });
      this.options.logger.warn(
        `relayer: batch ${batch.id} was removed by a reorg; ${back.length} intents wait again`,
      );
      this.options.hooks.onChange();
    }
  }

  // ---- choosing the next batch -----------------------------------------------------------------

  /**
   * The items to send next: per lane, in nonce order from the chain's next nonce, dependencies first.
   * Items whose nonce the chain has passed are looked up (executed: confirmed; not: signed again);
   * items whose nonce, deadline or base no longer fits are signed again first.
   */
  private async prepare(chain: ChainReader): Promise<OutboxItemRow[]> {
    const store = this.options.store;
    const queued = store.queued();
    if (queued.length === 0) return [];
    const chainTime = await chain.time();
    const margin = this.options.deadlineMarginSeconds ?? 600;
    const lanes = new Map<string, OutboxItemRow[]>();
    for (const item of queued) {
      const key = `${item.signer}/${item.chainTwinId}`;
      let lane = lanes.get(key);
      if (!lane) lanes.set(key, (lane = []));
      lane.push(item);
    }
    let changed = false;
    const ready: OutboxItemRow[] = [];
    for (const laneItems of lanes.values()) {
      const { signer, chainTwinId } = laneItems[0]!;
      let expected = await chain.intentNonce(signer, chainTwinId);
      store.setLane(signer, chainTwinId, expected);
      // Lane order is the order the user made them in.
      laneItems.sort((a, b) => a.id - b.id);
      for (const item of laneItems) {
        // Only a nonce the chain has passed can hide an execution of this work (under any of its
        // signatures): below the lane's nonce, ask the chain before sending anything again.
        if (item.nonce < expected) {
          const execution = await chain.findExecution(
            [item.digest, ...store.previousDigests(item.id)],
            item,
            store,
          );
          if (execution) {
            store.transaction(() => {
              store.markConfirmed(item.id, execution.txHash, execution.blockNumber);
              if (item.kind === 'commitVersion' && item.baseVersion !== null)
                store.learnChainVersion(item.chainTwinId, item.baseVersion + 1, item.message.modelRoot!);
              this.options.hooks.onSettled([{ itemId: item.id, kind: 'confirmed' }]);
            });
            changed = true;
            continue;
          }
        }
        const needs = item.needsResign || item.nonce !== expected || item.deadline < chainTime + margin;
        let current: OutboxItemRow | null = item;
        if (needs) {
          const ok = await this.options.hooks.resign(item, { nonce: expected, chainTime });
          changed = true;
          current = ok ? store.item(item.id) : null;
          if (!current || current.status !== 'queued' || current.needsResign || current.nonce !== expected) {
            // Could not sign again now, or it left the queue (conflict, failed): the lane waits
            // behind it unless it left, in which case the next item takes its nonce next round.
            if (current && current.status === 'queued') break;
            continue;
          }
        }
        ready.push(current);
        expected++;
      }
    }
    if (changed) this.options.hooks.onChange();
    return this.assemble(ready);
  }

  /** Orders ready items by creation, keeping each lane's nonce order and each commit after its base. */
  private assemble(ready: OutboxItemRow[]): OutboxItemRow[] {
    const store = this.options.store;
    const pending = [...ready].sort((a, b) => a.id - b.id);
    const chosen: OutboxItemRow[] = [];
    const chosenIds = new Set<number>();
    const blockedLanes = new Set<string>();
    for (const item of pending) {
      if (chosen.length >= this.batchLimit) break;
      const lane = `${item.signer}/${item.chainTwinId}`;
      if (blockedLanes.has(lane)) continue;
      if (item.dependsOn !== null && !chosenIds.has(item.dependsOn)) {
        const base = store.item(item.dependsOn);
        if (base && base.status !== 'confirmed') {
          // Its base is not on chain yet: it waits (and the rest of its lane behind it).
          blockedLanes.add(lane);
          continue;
        }
      }
      chosen.push(item);
      chosenIds.add(item.id);
    }
    return chosen;
  }

  // ---- sending ---------------------------------------------------------------------------------

  private async send(
    chain: ChainReader,
    account: RelayerAccount,
    target: RelayTarget,
    items: OutboxItemRow[],
  ): Promise<void> {
    const store = this.options.store;
    const calldata = relayBatchCalldata(items.map((item) => item.calldata));
    const from = getAddress(account.address);
    let gasLimit: bigint;
    try {
      gasLimit = ((await chain.estimateGas(from, target.registry, calldata)) * 6n) / 5n + 50_000n;
    } catch (error) {
      if (isUnreachable(error)) throw error;
      gasLimit = 150_000n * BigInt(items.length) + 100_000n;
    }
    const fees = await chain.fees();
    // Checked before anything is written: an unfunded relayer leaves the items queued, not "sent".
    const balance = await chain.balance(from);
    if (balance < gasLimit * fees.maxFeePerGas) {
      throw new Error(`the relayer account ${from} cannot pay for gas yet (balance ${balance} wei)`);
    }
    // Every earlier batch is settled (one in flight at a time), so the chain's count is the truth:
    // a nonce of ours the chain does not count (a reorg, a dropped batch) is free again.
    const nonce = await chain.nonce(from, 'pending');
    const raw = await account.signTransaction({
      type: 2,
      chainId: target.chainId,
      nonce,
      to: target.registry,
      data: calldata,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      value: 0n,
    });
    const txHash = keccak256(raw);
    // Durable before broadcast: from here on, a crash is recovered from these rows.
    store.createBatch(
      {
        chainId: target.chainId,
        registry: getAddress(target.registry),
        relayer: from,
        txNonce: nonce,
        itemIds: items.map((item) => item.id),
        calldata,
        gasLimit,
      },
      {
        txHash,
        rawTx: raw,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      },
    );
    // Its items are sent now: told by id, so that a view following one of them shows it.
    this.options.hooks.onChange(items.map((item) => item.id));
    await this.broadcast(chain, txHash, raw);
  }

  private async broadcast(chain: ChainReader, txHash: string, raw: string): Promise<void> {
    try {
      await chain.sendRaw(raw);
    } catch (error) {
      if (isUnreachable(error)) throw error;
      const message = (error as Error).message ?? '';
      // The node has it, or its nonce was used: settling finds out which; nothing to do now.
      if (!/already known|known transaction|nonce too low|already imported|AlreadyKnown/i.test(message)) {
        throw new Error(`the node refused batch transaction ${txHash}: ${message}`, { cause: error });
      }
    }
    this.options.store.markBroadcast(txHash);
  }

  /** Waits `ms`, or less when woken (new work, the chain back, the vault unlocked). */
  private sleep(ms: number): Promise<void> {
    return this.background.sleep(ms);
  }
}

function outcomeOf(itemId: number, failure: DecodedFailure): ItemOutcome {
  switch (failure.kind) {
    case 'nonce':
    case 'expired':
      return { itemId, kind: 'requeue', needsResign: true, reason: failure.reason, reasonCode: failure.code };
    case 'baseMoved':
      return { itemId, kind: 'requeue', needsResign: true, reason: failure.reason, reasonCode: failure.code };
    default:
      return { itemId, kind: 'failed', reason: failure.reason, reasonCode: failure.code };
  }
}

const maxOf = (...values: bigint[]): bigint => values.reduce((a, b) => (b > a ? b : a));

/** The few chain reads the relayer makes, over any EIP-1193 provider. */
export class ChainReader {
  constructor(
    private readonly provider: Eip1193Provider,
    private readonly target: RelayTarget,
    private readonly maxLogRange: number,
  ) {}

  private request<T>(method: string, params: unknown[]): Promise<T> {
    return this.provider.request({ method, params }) as Promise<T>;
  }

  receipt(hash: string): Promise<Receipt | null> {
    return this.request<Receipt | null>('eth_getTransactionReceipt', [hash]);
  }

  transaction(hash: string): Promise<unknown> {
    return this.request<unknown>('eth_getTransactionByHash', [hash]);
  }

  async nonce(address: string, tag: 'latest' | 'pending'): Promise<number> {
    return Number(await this.request<string>('eth_getTransactionCount', [address, tag]));
  }

  async balance(address: string): Promise<bigint> {
    return BigInt(await this.request<string>('eth_getBalance', [address, 'latest']));
  }

  async blockNumber(): Promise<number> {
    return Number(await this.request<string>('eth_blockNumber', []));
  }

  /** The time the next block will carry at least (the latest block's). */
  async time(): Promise<number> {
    const block = await this.request<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false]);
    return Number(block.timestamp);
  }

  async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const block = await this.request<{ baseFeePerGas?: string }>('eth_getBlockByNumber', ['latest', false]);
    const base = block.baseFeePerGas ? BigInt(block.baseFeePerGas) : GWEI;
    let priority = GWEI;
    try {
      priority = BigInt(await this.request<string>('eth_maxPriorityFeePerGas', []));
    } catch (error) {
      if (isUnreachable(error)) throw error;
    }
    if (priority < GWEI / 10n) priority = GWEI / 10n;
    return { maxFeePerGas: base * 2n + priority, maxPriorityFeePerGas: priority };
  }

  async estimateGas(from: string, to: string, data: string): Promise<bigint> {
    return BigInt(await this.request<string>('eth_estimateGas', [{ from, to, data }]));
  }

  async sendRaw(raw: string): Promise<string> {
    return this.request<string>('eth_sendRawTransaction', [raw]);
  }

  async intentNonce(signer: string, chainTwinId: string): Promise<number> {
    const data = registryInterface.encodeFunctionData('intentNonce', [signer, BigInt(chainTwinId)]);
    const result = await this.request<string>('eth_call', [{ to: this.target.registry, data }, 'latest']);
    return Number(BigInt(result));
  }

  /**
   * Where one of these digests executed, if any: the indexer's table first, then the registry's
   * IntentExecuted logs from the item's signing block on, in bounded ranges.
   */
  async findExecution(
    digests: string[],
    item: OutboxItemRow,
    store: OutboxStore,
  ): Promise<{ digest: string; txHash: string; blockNumber: number } | null> {
    for (const digest of digests) {
      const indexed = store.indexedIntent(digest);
      if (indexed) return { digest, ...indexed };
    }
    const head = await this.blockNumber();
    const from = Math.max(
      this.target.startBlock,
      Math.min(item.signedAtBlock ?? this.target.startBlock, head),
    );
    for (let start = from; start <= head; start += this.maxLogRange) {
      const end = Math.min(head, start + this.maxLogRange - 1);
      const logs = await this.request<{ topics: string[]; transactionHash: string; blockNumber: string }[]>(
        'eth_getLogs',
        [
          {
            address: this.target.registry,
            fromBlock: `0x${start.toString(16)}`,
            toBlock: `0x${end.toString(16)}`,
            topics: [INTENT_EXECUTED, digests],
          },
        ],
      );
      const log = logs[0];
      if (log)
        return {
          digest: log.topics[1]!.toLowerCase(),
          txHash: log.transactionHash,
          blockNumber: Number(log.blockNumber),
        };
    }
    return null;
  }

  /** The twin's head version and the roots of versions above `above` (for conflicts). */
  async head(chainTwinId: string): Promise<number> {
    const data = registryInterface.encodeFunctionData('headVersion', [BigInt(chainTwinId)]);
    return Number(
      BigInt(await this.request<string>('eth_call', [{ to: this.target.registry, data }, 'latest'])),
    );
  }

  async versionRoot(chainTwinId: string, version: number): Promise<string> {
    const data = registryInterface.encodeFunctionData('versionRoot', [BigInt(chainTwinId), version]);
    return (
      await this.request<string>('eth_call', [{ to: this.target.registry, data }, 'latest'])
    ).toLowerCase();
  }

  /** VersionCommitted events of a twin from `fromBlock`, by version. */
  async versionEvents(
    chainTwinId: string,
    fromBlock: number,
  ): Promise<Map<number, { modelRoot: string; packageUri: string; actor: string; changesetHash: string }>> {
    const topic = registryInterface.getEvent('VersionCommitted').topicHash;
    const twinTopic = `0x${BigInt(chainTwinId).toString(16).padStart(64, '0')}`;
    const head = await this.blockNumber();
    const out = new Map<
      number,
      { modelRoot: string; packageUri: string; actor: string; changesetHash: string }
    >();
    for (let start = Math.max(fromBlock, this.target.startBlock); start <= head; start += this.maxLogRange) {
      const end = Math.min(head, start + this.maxLogRange - 1);
      const logs = await this.request<{ topics: string[]; data: string }[]>('eth_getLogs', [
        {
          address: this.target.registry,
          fromBlock: `0x${start.toString(16)}`,
          toBlock: `0x${end.toString(16)}`,
          topics: [topic, twinTopic],
        },
      ]);
      for (const log of logs) {
        const parsed = registryInterface.parseLog(log);
        if (!parsed) continue;
        out.set(Number(parsed.args.version), {
          modelRoot: String(parsed.args.modelRoot).toLowerCase(),
          packageUri: String(parsed.args.packageUri),
          actor: getAddress(String(parsed.args.actor)),
          changesetHash: String(parsed.args.changesetHash),
        });
      }
    }
    return out;
  }
}
