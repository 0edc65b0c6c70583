// The ingest pipeline: each MQTT message is checked (mapped topic, payload, physical bounds,
// freshness, sequence, signature) and either refused (counted per reason, never stored) or accepted
// into a buffer; a flush writes the buffer, its rollups, the sequences and the rule breaches to
// relay in one transaction. Memory (counts, live-chart events) changes only after that commit.
import type { EventPayload } from '../../shared/api';
import {
  REJECT_REASONS,
  type RejectCounts,
  type RejectReason,
  type SensorMapping,
} from '../../shared/api/sensors';
import { parsePayload, type SensorPayload } from './payload';
import { breaches, cleared, type RuleSource } from './rules';
import type { AcceptedReading, MappingState, RelayCandidate, SensorStore } from './sensor-store';

export type SignatureCheck = (
  mapping: SensorMapping,
  payload: SensorPayload & { sig: string },
) => { ok: true } | { ok: false; detail: string };

export interface IngestOptions {
  store: SensorStore;
  rules: RuleSource;
  /** Readings older than this (by their own timestamp) are refused as stale. */
  staleAfterMs: () => number;
  /** How far ahead of this machine's clock a reading may be (default 60 s). */
  futureToleranceMs?: number;
  /** Checks `sig` of a self-signing sensor; without one, such readings are refused. */
  checkSignature?: () => SignatureCheck | null;
  /** Relay breaching readings (read at every acceptance). */
  relayEnabled?: () => boolean;
  flushIntervalMs?: number;
  /** Flush as soon as this many readings wait. */
  maxBatch?: number;
  /** Interval of live-chart events per mapping (ms). */
  readingEventMs?: number;
  now?: () => number;
  /** After each commit: ids of readings queued for the chain. */
  onRelayQueued?: (ids: number[]) => void;
  onReading?: (event: EventPayload<'sensors.reading'>) => void;
  onChange?: () => void;
  onError?: (message: string, error: unknown) => void;
}

interface LiveAggregate {
  mapping: SensorMapping;
  ts: number;
  value: number;
  count: number;
  min: number;
  max: number;
}

export interface IngestCounts {
  received: number;
  stored: number;
  rejected: RejectCounts;
  rejectedTotal: number;
  relayQueued: number;
}

export interface Rejection {
  at: number;
  topic: string;
  reason: RejectReason;
  detail: string;
}

const RECENT_REJECTIONS = 20;
/** Readings kept in memory while the database refuses writes, before the oldest are dropped. */
const MAX_BUFFERED = 200_000;

export class Ingest {
  readonly counts: IngestCounts = {
    received: 0,
    stored: 0,
    rejected: Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as RejectCounts,
    rejectedTotal: 0,
    relayQueued: 0,
  };
  readonly recentRejections: Rejection[] = [];
  lastReadingAt: number | null = null;
  lastError: string | null = null;

  private byTopic = new Map<string, SensorMapping>();
  private readonly states: Map<number, MappingState>;
  private buffer: AcceptedReading[] = [];
  private relayBuffer: RelayCandidate[] = [];
  private dirtyStates = new Map<number, MappingState>();
  /** Rules each mapping is breaching now (a breach is relayed when it starts, not on every reading). */
  private readonly breaching = new Map<number, Set<string>>();
  private readonly live = new Map<number, LiveAggregate>();
  private readonly secondBuckets: { second: number; count: number }[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly liveTimer: NodeJS.Timeout;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: IngestOptions) {
    this.now = options.now ?? Date.now;
    this.states = options.store.loadStates();
    this.reloadMappings();
    this.liveTimer = setInterval(() => this.emitLive(), options.readingEventMs ?? 250);
    this.liveTimer.unref();
  }

  /** Re-reads the mappings (after add, update, remove). */
  reloadMappings(): void {
    this.byTopic = new Map(
      this.options.store
        .listMappings()
        .filter((m) => m.enabled)
        .map((m) => [m.topic, m]),
    );
    for (const id of [...this.breaching.keys()])
      if (![...this.byTopic.values()].some((m) => m.id === id)) this.breaching.delete(id);
  }

  /** Forgets a removed mapping's sequence state. */
  forgetMapping(id: number): void {
    this.states.delete(id);
    this.dirtyStates.delete(id);
    this.buffer = this.buffer.filter((r) => r.mappingId !== id);
    this.relayBuffer = this.relayBuffer.filter((r) => r.mappingId !== id);
    this.live.delete(id);
  }

  topics(): string[] {
    return [...this.byTopic.keys()];
  }

  /** Handles one message; answers why it was refused, or null when accepted. */
  handle(topic: string, bytes: Buffer | Uint8Array): RejectReason | null {
    this.counts.received++;
    const mapping = this.byTopic.get(topic);
    if (!mapping) return this.reject(topic, 'unknownTopic', 'no enabled mapping for this topic');
    const parsed = parsePayload(bytes);
    if (!parsed.ok) return this.reject(topic, 'malformed', parsed.detail);
    const { value, ts, seq, sig } = parsed.payload;
    if (value < mapping.minValue || value > mapping.maxValue) {
      return this.reject(
        topic,
        'outOfBounds',
        `${value} ${mapping.unit} is outside ${mapping.minValue}..${mapping.maxValue}`.trim(),
      );
    }
    const now = this.now();
    if (ts < now - this.options.staleAfterMs()) {
      return this.reject(topic, 'stale', `reading from ${Math.round((now - ts) / 1000)} s ago`);
    }
    if (ts > now + (this.options.futureToleranceMs ?? 60_000)) {
      return this.reject(topic, 'future', `reading ${Math.round((ts - now) / 1000)} s ahead of this clock`);
    }
    const state = this.states.get(mapping.id);
    if (state && seq <= state.lastSeq) {
      return this.reject(topic, 'replayed', `seq ${seq} is not above ${state.lastSeq}`);
    }
    if (mapping.sensorAddress) {
      if (!sig) return this.reject(topic, 'badSignature', 'this sensor signs its readings: "sig" is missing');
      const check = this.options.checkSignature?.();
      if (!check) return this.reject(topic, 'badSignature', 'no maintenance deployment to verify against');
      const verdict = check(mapping, { value, ts, seq, sig });
      if (!verdict.ok) return this.reject(topic, 'badSignature', verdict.detail);
    }

    const next = { lastSeq: seq, lastTs: ts };
    this.states.set(mapping.id, next);
    this.dirtyStates.set(mapping.id, next);
    const reading = { mappingId: mapping.id, ts, seq, value };
    this.buffer.push(reading);
    this.evaluateRules(mapping, reading, mapping.sensorAddress ? sig : null);
    if (this.buffer.length >= (this.options.maxBatch ?? 10_000)) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.options.flushIntervalMs ?? 50);
    return null;
  }

  /** Writes what is buffered; on a database error it keeps it for the next flush. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.buffer.length === 0 && this.dirtyStates.size === 0) return;
    const readings = this.buffer;
    const relay = this.relayBuffer;
    const states = this.dirtyStates;
    let relayIds: number[];
    try {
      relayIds = this.options.store.writeBatch(readings, states, relay);
    } catch (error) {
      this.lastError = `Could not store sensor readings: ${(error as Error).message}`;
      this.options.onError?.('sensor readings not stored', error);
      if (readings.length > MAX_BUFFERED) this.buffer = readings.slice(readings.length - MAX_BUFFERED);
      if (!this.closed) this.flushTimer = setTimeout(() => this.flush(), 1000);
      this.options.onChange?.();
      return;
    }
    this.buffer = [];
    this.relayBuffer = [];
    this.dirtyStates = new Map();
    // Durable now: count, feed live charts, wake the relay.
    this.counts.stored += readings.length;
    this.counts.relayQueued += relayIds.length;
    const now = this.now();
    if (readings.length > 0) this.lastReadingAt = now;
    this.noteRate(now, readings.length);
    for (const r of readings) this.accumulateLive(r);
    if (relayIds.length > 0) this.options.onRelayQueued?.(relayIds);
    this.options.onChange?.();
  }

  /** Accepted readings per second over the last 5 whole seconds. */
  ratePerSecond(): number {
    const second = Math.floor(this.now() / 1000);
    const recent = this.secondBuckets.filter((b) => b.second >= second - 5 && b.second < second);
    return recent.reduce((sum, b) => sum + b.count, 0) / 5;
  }

  pendingCount(): number {
    return this.buffer.length;
  }

  close(): void {
    this.flush();
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    clearInterval(this.liveTimer);
    this.emitLive();
  }

  /** Counts a refusal that happened before a message reached the pipeline (broker authorization). */
  reject(topic: string, reason: RejectReason, detail: string): RejectReason {
    this.counts.rejected[reason]++;
    this.counts.rejectedTotal++;
    this.recentRejections.unshift({ at: this.now(), topic: topic.slice(0, 256), reason, detail });
    if (this.recentRejections.length > RECENT_REJECTIONS) this.recentRejections.length = RECENT_REJECTIONS;
    this.options.onChange?.();
    return reason;
  }

  private evaluateRules(mapping: SensorMapping, reading: AcceptedReading, signature: string | null): void {
    const rules = this.options.rules.rulesFor(mapping.twinId, mapping.elementKey, mapping.metric);
    if (rules.length === 0) return;
    let active = this.breaching.get(mapping.id);
    let newlyBreached: string | null = null;
    for (const rule of rules) {
      const was = active?.has(rule.id) ?? false;
      if (!was && breaches(rule.comparator, reading.value, rule.threshold)) {
        if (!active) this.breaching.set(mapping.id, (active = new Set()));
        active.add(rule.id);
        newlyBreached ??= rule.id;
      } else if (was && cleared(rule.comparator, reading.value, rule.threshold)) active?.delete(rule.id);
    }
    // One chain reading however many rules it starts breaching: the contract applies them all.
    if (newlyBreached && (this.options.relayEnabled?.() ?? true))
      this.relayBuffer.push({ ...reading, reason: 'breach', ruleId: newlyBreached, signature });
  }

  private noteRate(now: number, count: number): void {
    const second = Math.floor(now / 1000);
    const last = this.secondBuckets.at(-1);
    if (last?.second === second) last.count += count;
    else this.secondBuckets.push({ second, count });
    while (this.secondBuckets.length > 0 && this.secondBuckets[0]!.second < second - 6)
      this.secondBuckets.shift();
  }

  private accumulateLive(r: AcceptedReading): void {
    const agg = this.live.get(r.mappingId);
    if (agg) {
      agg.count++;
      if (r.value < agg.min) agg.min = r.value;
      if (r.value > agg.max) agg.max = r.value;
      if (r.ts >= agg.ts) {
        agg.ts = r.ts;
        agg.value = r.value;
      }
      return;
    }
    const mapping = [...this.byTopic.values()].find((m) => m.id === r.mappingId);
    if (!mapping) return;
    this.live.set(r.mappingId, { mapping, ts: r.ts, value: r.value, count: 1, min: r.value, max: r.value });
  }

  private emitLive(): void {
    if (this.live.size === 0) return;
    const pending = [...this.live.values()];
    this.live.clear();
    for (const agg of pending) {
      this.options.onReading?.({
        mappingId: agg.mapping.id,
        twinId: agg.mapping.twinId,
        elementKey: agg.mapping.elementKey,
        metric: agg.mapping.metric,
        ts: agg.ts,
        value: agg.value,
        count: agg.count,
        min: agg.min,
        max: agg.max,
      });
    }
  }
}
