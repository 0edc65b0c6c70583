// Relays the readings that matter (queued durably by the ingest flush) to the maintenance contract:
// each reading signed (EIP-712 `Reading`, by the vault identity that holds the sensor's key, or the
// sensor's own signature), sent in `reportReadings` batches, one transaction in flight at a time.
// The signature is saved before sending and the transaction hash before broadcasting, so a restart
// or a dropped chain connection loses nothing: items stay queued and are retried with backoff.
import {
  type BrowserProvider,
  keccak256,
  verifyTypedData,
  type Signer,
  type TransactionRequest,
  type TypedDataDomain,
  type TypedDataField,
} from 'ethers';
import { toChainValue } from '../../shared/api/sensors';
import type { Eip1193Provider } from '../chain/embedded-chain';
import { createEthersProvider } from '../chain/ethers';
import type { GatewayLogger, RelayEngine } from './gateway-service';
import type { SignatureCheck } from './ingest';
import {
  READING_TYPES,
  maintenanceDomain,
  maintenanceInterface,
  metricToBytes32,
  type ChainReading,
} from './maintenance-abi';
import type { RelayQueueItem, SensorStore } from './sensor-store';

export interface RelayTarget {
  chainId: number;
  /** The maintenance contract's address. */
  maintenance: string;
}

export interface RelayContext {
  provider(): Eip1193Provider | null;
  /** The deployment's maintenance contract, or null while none is known. */
  target(): RelayTarget | null;
  /** The chain's token id of a store twin (null: not on chain yet). */
  chainTwinId(storeTwinId: string): string | null;
  /** Signs EIP-712 data with a vault identity (main only; keys never leave the vault). */
  signTypedData(request: {
    identityId: string;
    domain: TypedDataDomain;
    types: Record<string, TypedDataField[]>;
    message: Record<string, unknown>;
  }): Promise<{ signer: string; signature: string }>;
  /** A transaction signer that pays for the batch (the sensor identity itself). */
  transactionSigner(identityId: string, provider: BrowserProvider, chainId: number): Signer;
  /** Who pays for batches of self-signing sensors (the sandbox: the demo sensor identity). */
  defaultPayerIdentity?(): string | null;
  /** After a batch landed (rules and their baselines may have moved). */
  onBatchLanded?(): void;
  logger: GatewayLogger;
  /** Readings per batch transaction (default 50). */
  batchSize?: number;
  /** First retry delay after the chain failed (doubles up to a minute). */
  retryMs?: number;
}

const ERROR_WORDS: Record<string, string> = {
  MaintenanceSensorNotRegistered: 'no sensor key is registered on chain for this element and metric',
  MaintenanceReadingInvalidSignature: 'the signature is not the registered sensor key’s',
  MaintenanceReadingStale: 'the reading is older than the twin’s reading window',
  MaintenanceReadingFromFuture: 'the reading is ahead of the chain’s clock',
  MaintenanceReadingSequenceNotIncreasing:
    'the chain already has a reading with this sequence or a later one',
  MaintenanceReadingOutOfBounds: 'the value is outside the bounds registered on chain',
  TwinMissingRole: 'the sensor key holds no live SENSOR role on the twin',
};

/** A chain reading as the EIP-712 message (and its JSON form for the queue). */
export function chainReadingOf(
  item: Pick<RelayQueueItem, 'elementKey' | 'metric' | 'value' | 'ts' | 'seq'>,
  chainTwinId: string,
): ChainReading {
  return {
    twinId: BigInt(chainTwinId),
    elementKey: item.elementKey,
    metric: metricToBytes32(item.metric),
    value: toChainValue(item.value),
    timestamp: BigInt(Math.floor(item.ts / 1000)),
    sequence: BigInt(item.seq),
  };
}

const readingJson = (r: ChainReading): string =>
  JSON.stringify({
    ...r,
    twinId: String(r.twinId),
    value: String(r.value),
    timestamp: String(r.timestamp),
    sequence: String(r.sequence),
  });

const readingFromJson = (text: string): ChainReading => {
  const o = JSON.parse(text) as Record<string, string>;
  return {
    twinId: BigInt(o.twinId!),
    elementKey: o.elementKey!,
    metric: o.metric!,
    value: BigInt(o.value!),
    timestamp: BigInt(o.timestamp!),
    sequence: BigInt(o.sequence!),
  };
};

export class ReadingRelay implements RelayEngine {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private waitingFor: string | null = null;
  private ethers: { raw: Eip1193Provider; wrapped: BrowserProvider; chainId: number } | null = null;
  private closed = false;

  constructor(
    private readonly store: SensorStore,
    private readonly ctx: RelayContext,
    private readonly hooks: { onChange: () => void },
  ) {
    // Items a previous run left sent (crash between broadcast and receipt) are settled first.
    setTimeout(() => this.wake(), 0).unref();
  }

  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.running = this.run()
      .catch((error) => this.ctx.logger.error('sensor relay failed', error))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Resolves when nothing is being sent right now (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  waiting(): string | null {
    return this.waitingFor;
  }

  signatureCheck(): SignatureCheck | null {
    const target = this.ctx.target();
    if (!target) return null;
    const domain = maintenanceDomain(target.chainId, target.maintenance);
    return (mapping, payload) => {
      const chainTwinId = this.ctx.chainTwinId(mapping.twinId);
      if (!chainTwinId) return { ok: false, detail: 'the twin is not on chain yet' };
      const reading = chainReadingOf(
        { ...mapping, value: payload.value, ts: payload.ts, seq: payload.seq },
        chainTwinId,
      );
      let recovered: string;
      try {
        recovered = verifyTypedData(domain, READING_TYPES, reading, payload.sig);
      } catch {
        return { ok: false, detail: 'the signature does not decode' };
      }
      return recovered.toLowerCase() === mapping.sensorAddress?.toLowerCase()
        ? { ok: true }
        : { ok: false, detail: `signed by ${recovered}, not the sensor ${mapping.sensorAddress}` };
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.idle().catch(() => {});
    this.ethers?.wrapped.destroy();
  }

  private setWaiting(reason: string | null): void {
    if (reason === this.waitingFor) return;
    this.waitingFor = reason;
    this.hooks.onChange();
  }

  private retryLater(reason: string): void {
    this.setWaiting(reason);
    this.failures++;
    const delay = Math.min(60_000, (this.ctx.retryMs ?? 1000) * 2 ** Math.min(this.failures - 1, 6));
    if (this.failures === 1) this.ctx.logger.warn(`sensor relay: ${reason}; retrying`);
    if (!this.closed) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.wake();
      }, delay);
      this.timer.unref();
    }
  }

  private providerFor(target: RelayTarget): BrowserProvider | null {
    const raw = this.ctx.provider();
    if (!raw) return null;
    if (this.ethers?.raw !== raw || this.ethers.chainId !== target.chainId) {
      this.ethers?.wrapped.destroy();
      this.ethers = { raw, wrapped: createEthersProvider(raw, target.chainId), chainId: target.chainId };
    }
    return this.ethers.wrapped;
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const target = this.ctx.target();
      if (!target) return this.setWaiting('No maintenance contract in this deployment yet.');
      const provider = this.providerFor(target);
      if (!provider) return this.retryLater('The chain is not reachable.');

      // Settle what was sent before (a restart, or a receipt that never came).
      const sent = this.store.listRelay({ status: ['sent'], limit: 1000 });
      if (sent.length > 0) {
        const settled = await this.settleSent(provider, target, sent);
        if (!settled) return;
        continue;
      }

      const pending = this.store.pendingRelay(this.ctx.batchSize ?? 50);
      if (pending.length === 0) {
        this.failures = 0;
        return this.setWaiting(null);
      }
      // One payer per batch: the identity of the first item; others wait for their own batch.
      const payerIdentity = this.identityOf(pending[0]!);
      const batch = pending.filter((item) => this.identityOf(item) === payerIdentity);
      const prepared: { item: RelayQueueItem; reading: ChainReading; signature: string }[] = [];
      for (const item of batch) {
        const ready = await this.prepare(item, target);
        if (ready) prepared.push({ item, ...ready });
      }
      if (prepared.length === 0) continue;
      if (!payerIdentity) {
        this.store.markRelay(
          prepared.map((p) => p.item.id),
          { status: 'failed', error: 'No vault identity to pay for relaying this self-signed reading.' },
        );
        continue;
      }
      const ok = await this.send(provider, target, payerIdentity, prepared);
      if (!ok) return;
    }
  }

  private identityOf(item: RelayQueueItem): string | null {
    return (
      this.store.getMapping(item.mappingId)?.signerIdentityId ?? this.ctx.defaultPayerIdentity?.() ?? null
    );
  }

  /** Signs the item once (the signature is stored before anything is sent); null when it cannot. */
  private async prepare(
    item: RelayQueueItem,
    target: RelayTarget,
  ): Promise<{ reading: ChainReading; signature: string } | null> {
    if (item.message && item.signature)
      return { reading: readingFromJson(item.message), signature: item.signature };
    const mapping = this.store.getMapping(item.mappingId);
    const chainTwinId = mapping ? this.ctx.chainTwinId(mapping.twinId) : null;
    if (!mapping || !chainTwinId) {
      this.store.markRelay([item.id], {
        status: 'failed',
        error: mapping ? 'The twin is not registered on chain.' : 'The sensor mapping was removed.',
      });
      return null;
    }
    const reading = chainReadingOf(item, chainTwinId);
    // A sensor that signs itself: its own signature (checked at ingest) goes on chain as it is.
    if (item.signature) return { reading, signature: item.signature };
    if (!mapping.signerIdentityId) {
      this.store.markRelay([item.id], { status: 'failed', error: 'No key signs this sensor’s readings.' });
      return null;
    }
    try {
      const signed = await this.ctx.signTypedData({
        identityId: mapping.signerIdentityId,
        domain: maintenanceDomain(target.chainId, target.maintenance),
        types: READING_TYPES,
        message: { ...reading },
      });
      this.store.saveRelaySignature(item.id, readingJson(reading), signed.signer, signed.signature);
      return { reading, signature: signed.signature };
    } catch (error) {
      // A locked vault or a demo key on another chain: the item waits, the reason is shown.
      this.setWaiting(`Cannot sign sensor readings: ${(error as Error).message}`);
      return null;
    }
  }

  private async send(
    provider: BrowserProvider,
    target: RelayTarget,
    payerIdentity: string,
    prepared: { item: RelayQueueItem; reading: ChainReading; signature: string }[],
  ): Promise<boolean> {
    const ids = prepared.map((p) => p.item.id);
    const data = maintenanceInterface.encodeFunctionData('reportReadings', [
      prepared.map((p) => p.reading),
      prepared.map((p) => p.signature),
    ]);
    let raw: string;
    try {
      const signer = this.ctx.transactionSigner(payerIdentity, provider, target.chainId);
      const request: TransactionRequest = { to: target.maintenance, data };
      const populated = await signer.populateTransaction(request);
      raw = await signer.signTransaction(populated);
    } catch (error) {
      const reason = `Could not prepare the sensor batch: ${(error as Error).message}`;
      this.store.noteRelayError(ids, reason);
      this.retryLater(reason);
      return false;
    }
    const txHash = keccak256(raw);
    // The hash is recorded before the broadcast: a restart asks the chain for its receipt.
    this.store.markRelay(ids, { status: 'sent', txHash }, true);
    try {
      await provider.broadcastTransaction(raw);
    } catch (error) {
      const message = (error as Error).message;
      if (!/already known|known transaction/i.test(message)) {
        this.store.markRelay(ids, { status: 'queued', error: `Chain refused the batch: ${message}` });
        this.retryLater(`The chain refused a sensor batch (${message.slice(0, 200)})`);
        return false;
      }
    }
    return this.settleSent(provider, target, this.store.listRelay({ status: ['sent'], limit: 1000 }));
  }

  /** Waits for the receipts of sent items and marks each confirmed or failed with its reason. */
  private async settleSent(
    provider: BrowserProvider,
    target: RelayTarget,
    sent: RelayQueueItem[],
  ): Promise<boolean> {
    const byTx = new Map<string, RelayQueueItem[]>();
    for (const item of sent) {
      if (!item.txHash) continue;
      byTx.set(item.txHash, [...(byTx.get(item.txHash) ?? []), item]);
    }
    for (const [txHash, items] of byTx) {
      let receipt;
      try {
        receipt = await provider.waitForTransaction(txHash, 1, 30_000);
      } catch (error) {
        this.retryLater(`The chain is not answering (${(error as Error).message.slice(0, 120)})`);
        return false;
      }
      if (!receipt) {
        // Never mined (a node restart dropped it): send again; the contract refuses a replay.
        const known = await provider.getTransaction(txHash).catch(() => null);
        if (!known) {
          this.store.markRelay(
            items.map((i) => i.id),
            { status: 'queued', error: 'The batch was dropped before it was mined; sending again.' },
          );
          continue;
        }
        this.retryLater('A sensor batch is waiting to be mined.');
        return false;
      }
      if (receipt.status !== 1) {
        this.store.markRelay(
          items.map((i) => i.id),
          { status: 'failed', error: 'The batch transaction reverted.', blockNumber: receipt.blockNumber },
        );
        continue;
      }
      this.settleFromLogs(items, receipt.logs, target, receipt.blockNumber);
    }
    this.failures = 0;
    this.setWaiting(null);
    this.ctx.onBatchLanded?.();
    this.hooks.onChange();
    return true;
  }

  private settleFromLogs(
    items: RelayQueueItem[],
    logs: readonly { address: string; topics: readonly string[]; data: string }[],
    target: RelayTarget,
    blockNumber: number,
  ): void {
    // Order in the batch = order of the stored messages; ReadingRejected names the index.
    const ordered = [...items].sort((a, b) => a.id - b.id);
    const rejected = new Map<number, string>();
    for (const log of logs) {
      if (log.address.toLowerCase() !== target.maintenance.toLowerCase()) continue;
      let parsed;
      try {
        parsed = maintenanceInterface.parseLog({ topics: [...log.topics], data: log.data });
      } catch {
        continue;
      }
      if (parsed?.name === 'ReadingRejected') {
        rejected.set(Number(parsed.args.index), this.describeRevert(parsed.args.reason as string));
      }
    }
    const confirmed: number[] = [];
    ordered.forEach((item, index) => {
      const reason = rejected.get(index);
      if (reason) this.store.markRelay([item.id], { status: 'failed', error: reason, blockNumber });
      else confirmed.push(item.id);
    });
    if (confirmed.length > 0) this.store.markRelay(confirmed, { status: 'confirmed', blockNumber });
  }

  private describeRevert(data: string): string {
    try {
      const error = maintenanceInterface.parseError(data);
      if (error) return `${ERROR_WORDS[error.name] ?? error.name} (${error.name})`;
    } catch {
      // Not one of ours.
    }
    return `refused by the contract (${data.slice(0, 10)})`;
  }
}
