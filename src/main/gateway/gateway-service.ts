// The sensor gateway service: owns its database connection, the reading source (embedded broker or
// external subscription), the ingest pipeline, retention, the relay to the chain, and answers the
// sensors.* requests. Runs inside the app's main services and headless (`npm run gateway`).
import { AppError } from '../../shared/result';
import { elementKeyOf } from '../../shared/fingerprint';
import type { EventName, EventPayload } from '../../shared/api';
import {
  GatewayConfig,
  type GatewayStatus,
  type NewSensorMapping,
  type RelayedReading,
  type SensorCredential,
  type SensorMapping,
  type SensorMappingPatch,
  type SensorSeries,
  type SeriesThreshold,
} from '../../shared/api/sensors';
import { openDatabase, type SqliteDatabase } from '../store/database';
import { EmbeddedBroker, ExternalBroker, redactUrl, type ReadingSource } from './broker';
import { hashPassword, verifyPassword } from './credentials';
import { Ingest, type SignatureCheck } from './ingest';
import type { RuleSource } from './rules';
import { HOUR_MS, MINUTE_MS, MINUTE_ROLLUP_RETENTION_MS, SensorStore } from './sensor-store';

/** What relays readings on chain (see relay.ts); the gateway works without one (store only). */
export interface RelayEngine {
  /** New items were queued. */
  wake(): void;
  /** Why nothing is relayed now, in words; null while it works. */
  waiting(): string | null;
  /** Verifies a self-signing sensor's signature (needs the deployment's EIP-712 domain). */
  signatureCheck(): SignatureCheck | null;
  close(): Promise<void> | void;
}

export interface GatewayLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export interface GatewayServiceOptions {
  /** The twin database (twins.sqlite); the gateway opens its own connection. */
  dbPath: string;
  emit?: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  rules: RuleSource;
  /** Built once the store is open (it reads and writes the relay queue). */
  relay?: (store: SensorStore, hooks: { onChange: () => void }) => RelayEngine;
  logger: GatewayLogger;
  /**
   * Resolves an element of a twin to its key and GlobalId, throwing NOT_FOUND when the twin or the
   * element does not exist (the host uses the twin store; tests may leave it out).
   */
  resolveElement?: (
    twinId: string,
    element: { globalId: string } | { elementKey: string },
  ) => { elementKey: string; globalId: string | null };
  /** Whether a vault identity exists (mapping signers). */
  identityExists?: (identityId: string) => boolean;
  /** The signer new mappings get when none is named (the sandbox: the demo sensor identity). */
  defaultSignerIdentityId?: () => string | null;
  /** Overrides of the stored configuration (headless CLI flags, tests); not saved. */
  configOverride?: Partial<GatewayConfig>;
  now?: () => number;
  /** Ingest flush interval (ms). */
  flushIntervalMs?: number;
}

const STATUS_EVENT_MS = 500;
const PRUNE_EVERY_MS = 10 * MINUTE_MS;

export class GatewayService {
  readonly store: SensorStore;
  private readonly db: SqliteDatabase;
  private config: GatewayConfig;
  private source: ReadingSource | null = null;
  private state: GatewayStatus['state'] = 'stopped';
  private lastError: string | null = null;
  private readonly ingest: Ingest;
  private readonly relay: RelayEngine | null;
  private statusTimer: NodeJS.Timeout | null = null;
  private readonly pruneTimer: NodeJS.Timeout;
  private restarting: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: GatewayServiceOptions) {
    this.now = options.now ?? Date.now;
    this.db = openDatabase(options.dbPath);
    // Readings are measurements, not the user's own work: on this connection a commit is durable
    // against an app crash but a power cut may lose the last flushes (WAL, synchronous=NORMAL), which
    // saves an fsync per flush on the hot path. A breach lost that way is found again by the next
    // reading after a restart (breach state starts empty).
    this.db.pragma('synchronous = NORMAL');
    this.store = new SensorStore(this.db);
    this.config = { ...this.store.config(), ...options.configOverride };
    this.relay = options.relay?.(this.store, { onChange: () => this.statusChanged() }) ?? null;
    this.ingest = new Ingest({
      store: this.store,
      rules: options.rules,
      staleAfterMs: () => this.config.staleAfterSeconds * 1000,
      checkSignature: () => this.relay?.signatureCheck() ?? null,
      relayEnabled: () => this.config.relay,
      now: this.now,
      ...(options.flushIntervalMs !== undefined ? { flushIntervalMs: options.flushIntervalMs } : {}),
      onRelayQueued: () => this.relay?.wake(),
      onReading: (event) => options.emit?.('sensors.reading', event),
      onChange: () => this.statusChanged(),
      onError: (message, error) => options.logger.error(message, error),
    });
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  /** Starts the reading source when the gateway is enabled; failures land in the status. */
  start(): Promise<void> {
    this.prune();
    return this.restart();
  }

  status(): GatewayStatus {
    const relayCounts = this.store.relayCounts();
    const counts = this.ingest.counts;
    return {
      state: this.state,
      config: { ...this.config, brokerUrl: this.config.brokerUrl ? redactUrl(this.config.brokerUrl) : null },
      broker: {
        mode: this.config.brokerMode,
        url: this.source?.url ?? null,
        port: this.source?.port ?? null,
        connected: this.source?.connected() ?? false,
        clients: this.source?.clients() ?? 0,
      },
      counts: {
        received: counts.received,
        stored: counts.stored,
        rejected: { ...counts.rejected },
        rejectedTotal: counts.rejectedTotal,
        relayQueued: counts.relayQueued,
        relayed: relayCounts.confirmed,
        relayFailed: relayCounts.failed,
      },
      ratePerSecond: this.ingest.ratePerSecond(),
      lastReadingAt: this.ingest.lastReadingAt,
      recentRejections: this.ingest.recentRejections.map((r) => ({ ...r })),
      relay: {
        enabled: this.config.relay,
        waiting: this.config.relay
          ? this.relay
            ? this.relay.waiting()
            : 'No chain connection in this process.'
          : null,
        pending: relayCounts.queued + relayCounts.sent,
      },
      lastError: this.lastError ?? this.ingest.lastError,
    };
  }

  async configure(patch: Partial<GatewayConfig>): Promise<GatewayStatus> {
    const next = GatewayConfig.parse({ ...this.config, ...patch });
    if (next.brokerMode === 'external') {
      if (!next.brokerUrl)
        throw new AppError('BAD_REQUEST', 'An external broker needs its URL (mqtt://host:port).');
      try {
        const url = new URL(next.brokerUrl);
        if (!['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(url.protocol)) throw new Error(url.protocol);
      } catch {
        throw new AppError(
          'BAD_REQUEST',
          'The broker URL must look like mqtt://host:1883 (or mqtts://, ws://, wss://).',
        );
      }
    }
    const brokerChanged = (
      ['enabled', 'brokerMode', 'brokerUrl', 'topicFilter', 'port', 'openToNetwork'] as const
    ).some((key) => next[key] !== this.config[key]);
    // Durable first, then memory, then the broker and the UI.
    this.store.setConfig(next);
    this.config = next;
    if (brokerChanged) await this.restart();
    if (patch.retentionDays !== undefined) this.prune();
    this.statusChanged();
    return this.status();
  }

  // ---- mappings --------------------------------------------------------------------------------

  listMappings(filter: { twinId?: string; elementKey?: string }): SensorMapping[] {
    return this.store.listMappings({
      ...(filter.twinId ? { twinId: filter.twinId } : {}),
      ...(filter.elementKey ? { elementKey: filter.elementKey.toLowerCase() } : {}),
    });
  }

  addMapping(request: NewSensorMapping): SensorMapping {
    const element = this.options.resolveElement
      ? this.options.resolveElement(request.twinId, request.element)
      : 'globalId' in request.element
        ? { elementKey: elementKeyOf(request.element.globalId), globalId: request.element.globalId }
        : { elementKey: request.element.elementKey, globalId: null };
    const signerIdentityId =
      request.signerIdentityId !== undefined
        ? request.signerIdentityId
        : request.sensorAddress
          ? null
          : (this.options.defaultSignerIdentityId?.() ?? null);
    const mapping = {
      topic: request.topic,
      twinId: request.twinId,
      elementKey: element.elementKey.toLowerCase(),
      globalId: element.globalId,
      metric: request.metric,
      unit: request.unit ?? '',
      label: request.label ?? request.metric,
      minValue: request.minValue,
      maxValue: request.maxValue,
      signerIdentityId,
      sensorAddress: request.sensorAddress ?? null,
      enabled: request.enabled ?? true,
    };
    this.checkMapping(mapping, null);
    const created = this.store.insertMapping(mapping);
    this.mappingsChanged();
    return created;
  }

  updateMapping(patch: SensorMappingPatch): SensorMapping {
    const current = this.store.getMapping(patch.id);
    if (!current) throw new AppError('NOT_FOUND', `There is no sensor mapping ${patch.id}.`);
    const next: SensorMapping = { ...current };
    for (const [key, value] of Object.entries(patch))
      if (value !== undefined && key !== 'id') (next as Record<string, unknown>)[key] = value;
    this.checkMapping(next, current.id);
    const updated = this.store.updateMapping(next);
    this.mappingsChanged();
    return updated;
  }

  removeMapping(id: number): boolean {
    this.ingest.flush();
    const removed = this.store.removeMapping(id);
    if (removed) {
      this.ingest.forgetMapping(id);
      this.mappingsChanged();
    }
    return removed;
  }

  // ---- series ----------------------------------------------------------------------------------

  series(request: {
    mappingId?: number | undefined;
    twinId?: string | undefined;
    elementKey?: string | undefined;
    metric?: string | undefined;
    from: number;
    to: number;
    points?: number | undefined;
  }): SensorSeries {
    let mapping: SensorMapping | null | undefined;
    if (request.mappingId !== undefined) mapping = this.store.getMapping(request.mappingId);
    else
      mapping = this.store
        .listMappings({ twinId: request.twinId!, elementKey: request.elementKey!.toLowerCase() })
        .find((m) => m.metric === request.metric);
    if (!mapping) throw new AppError('NOT_FOUND', 'No sensor is mapped to that element and metric.');
    // Readings still in memory belong in the chart too.
    this.ingest.flush();
    const { from, to } = request;
    const points = request.points ?? 500;
    const span = Math.max(1, to - from + 1);
    const wanted = Math.ceil(span / points);
    // Raw readings older than the retention period are gone: such a range is drawn from rollups.
    const rawKept = from >= this.now() - this.config.retentionDays * 24 * HOUR_MS;
    let result: Pick<SensorSeries, 'bucketMs' | 'source' | 'points'>;
    if (wanted < MINUTE_MS && rawKept) {
      if (this.store.rawCount(mapping.id, from, to) <= points) {
        result = { bucketMs: 0, source: 'raw', points: this.store.rawPoints(mapping.id, from, to) };
      } else {
        const origin = from - (from % wanted);
        result = {
          bucketMs: wanted,
          source: 'raw',
          points: this.store.rawSeries(mapping.id, from, to, origin, wanted),
        };
      }
    } else {
      const width = wanted >= HOUR_MS || from < this.now() - MINUTE_ROLLUP_RETENTION_MS ? HOUR_MS : MINUTE_MS;
      const bucketMs = Math.ceil(wanted / width) * width;
      const origin = from - (from % bucketMs);
      result = {
        bucketMs,
        source: width === HOUR_MS ? 'hour' : 'minute',
        points: this.store.rollupSeries(mapping.id, width, from, to, origin, bucketMs),
      };
    }
    return { mapping, from, to, ...result, thresholds: this.thresholdsOf(mapping) };
  }

  // ---- credentials -----------------------------------------------------------------------------

  listCredentials(): SensorCredential[] {
    return this.store.listCredentials();
  }

  async setCredential(request: {
    username: string;
    password: string;
    topics?: string[] | undefined;
  }): Promise<SensorCredential> {
    const hash = await hashPassword(request.password);
    return this.store.setCredential(request.username, hash, request.topics ?? []);
  }

  removeCredential(username: string): boolean {
    return this.store.removeCredential(username);
  }

  listRelayed(filter: {
    status?: RelayedReading['status'][] | undefined;
    twinId?: string | undefined;
    limit?: number | undefined;
  }): RelayedReading[] {
    return this.store
      .listRelay({
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.twinId ? { twinId: filter.twinId } : {}),
        ...(filter.limit ? { limit: filter.limit } : {}),
      })
      .map(({ message: _message, signature: _signature, ...item }) => item);
  }

  /** The ingest counters as they are now (cheap: no database read). */
  counts(): { received: number; stored: number; rejectedTotal: number; relayQueued: number } {
    const { received, stored, rejectedTotal, relayQueued } = this.ingest.counts;
    return { received, stored, rejectedTotal, relayQueued };
  }

  /** Re-reads the contract's rules (chain or deployment changed). */
  refreshRules(): Promise<void> {
    return this.options.rules.refresh?.() ?? Promise.resolve();
  }

  /** Asks the relay to send what waits (chain back, vault unlocked, deployment known). */
  wakeRelay(): void {
    this.relay?.wake();
  }

  demoMappingsProvisioned(): boolean {
    return this.store.flag('demoMappings');
  }

  markDemoMappingsProvisioned(): void {
    this.store.setFlag('demoMappings');
  }

  /** Writes buffered readings now (tests, shutdown). */
  flush(): void {
    this.ingest.flush();
  }

  /** Hands a message to the pipeline as if it came from the broker (tests, the bench). */
  handleMessage(topic: string, payload: Buffer): void {
    this.ingest.handle(topic, payload);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pruneTimer);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    await this.restarting.catch(() => {});
    await this.source?.close().catch(() => {});
    this.source = null;
    this.ingest.close();
    await this.relay?.close();
    this.options.rules.close?.();
    this.db.close();
  }

  // ---- internals -------------------------------------------------------------------------------

  private restart(): Promise<void> {
    this.restarting = this.restarting.then(() => this.restartNow());
    return this.restarting;
  }

  private async restartNow(): Promise<void> {
    if (this.closed) return;
    const previous = this.source;
    this.source = null;
    await previous?.close().catch(() => {});
    if (!this.config.enabled) {
      this.state = 'stopped';
      this.statusChanged();
      return;
    }
    this.state = 'starting';
    this.lastError = null;
    this.statusChanged();
    const onMessage = (topic: string, payload: Buffer) => {
      try {
        this.ingest.handle(topic, payload);
      } catch (error) {
        // Whatever a sensor sends, the app keeps running.
        this.lastError = `A sensor message could not be handled: ${(error as Error).message}`;
        this.options.logger.error('sensor message not handled', error);
      }
    };
    try {
      if (this.config.brokerMode === 'embedded') {
        this.source = await EmbeddedBroker.start({
          port: this.config.port,
          openToNetwork: this.config.openToNetwork,
          credentials: {
            authenticate: async (username, password) => {
              const stored = this.store.credentialHash(username);
              // Same work whether or not the user exists, so timing does not tell.
              const ok = await verifyPassword(
                password,
                stored ?? { salt: Buffer.alloc(16), hash: Buffer.alloc(32), scryptN: 1 << 14 },
              );
              if (ok && stored) this.store.touchCredential(username);
              return ok && stored !== null;
            },
            mayPublish: (username, topic) => {
              const stored = this.store.credentialHash(username);
              return stored !== null && (stored.topics.length === 0 || stored.topics.includes(topic));
            },
          },
          onMessage,
          onUnauthorized: (topic, detail) => this.ingest.reject(topic, 'unauthorized', detail),
          onLoginRefused: (username, detail) =>
            this.ingest.reject(
              '(connect)',
              'unauthorized',
              `${username ? `"${username}"` : 'anonymous'}: ${detail}`,
            ),
          onClientsChanged: () => this.statusChanged(),
        });
        this.options.logger.info(
          `sensor broker listening on ${this.config.openToNetwork ? 'every interface' : '127.0.0.1'} port ${this.source.port}`,
        );
      } else {
        const source = ExternalBroker.start({
          url: this.config.brokerUrl ?? '',
          filter: this.config.topicFilter,
          topics: this.ingest.topics(),
          onMessage,
          onState: (connected, error) => {
            if (error) this.lastError = error;
            else if (connected) this.lastError = null;
            this.statusChanged();
          },
        });
        this.source = source;
      }
      this.state = 'running';
    } catch (error) {
      this.state = 'error';
      this.lastError = (error as Error).message;
      this.options.logger.warn(`sensor gateway: ${this.lastError}`);
    }
    this.statusChanged();
  }

  private checkMapping(
    m: Pick<SensorMapping, 'topic' | 'minValue' | 'maxValue' | 'signerIdentityId' | 'sensorAddress'>,
    id: number | null,
  ): void {
    if (!(m.minValue < m.maxValue)) {
      throw new AppError(
        'BAD_REQUEST',
        `The lowest value (${m.minValue}) must be below the highest (${m.maxValue}).`,
      );
    }
    const other = this.store.mappingByTopic(m.topic);
    if (other && other.id !== id) {
      throw new AppError('CONFLICT', `The topic ${m.topic} is already mapped (${other.label}).`);
    }
    if (m.signerIdentityId && m.sensorAddress) {
      throw new AppError(
        'BAD_REQUEST',
        'A sensor either signs its own readings (sensorAddress) or the gateway signs them (signerIdentityId), not both.',
      );
    }
    if (
      m.signerIdentityId &&
      this.options.identityExists &&
      !this.options.identityExists(m.signerIdentityId)
    ) {
      throw new AppError(
        'NOT_FOUND',
        `There is no identity ${m.signerIdentityId} in the vault to sign for this sensor.`,
      );
    }
  }

  private mappingsChanged(): void {
    this.ingest.reloadMappings();
    this.source?.setTopics?.(this.ingest.topics());
    void this.options.rules.refresh?.().catch(() => {});
    this.statusChanged();
  }

  private thresholdsOf(mapping: SensorMapping): SeriesThreshold[] {
    return this.options.rules.rulesFor(mapping.twinId, mapping.elementKey, mapping.metric).map((rule) => ({
      ruleId: rule.id,
      comparator: rule.comparator,
      value: rule.threshold,
      action: rule.action,
      label: rule.label,
    }));
  }

  private prune(): void {
    const now = this.now();
    try {
      this.store.prune(now - this.config.retentionDays * 24 * HOUR_MS, now - MINUTE_ROLLUP_RETENTION_MS);
    } catch (error) {
      this.options.logger.error('sensor readings could not be pruned', error);
    }
  }

  private statusChanged(): void {
    if (!this.options.emit || this.statusTimer || this.closed) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      if (!this.closed) this.options.emit?.('sensors.statusChanged', this.status());
    }, STATUS_EVENT_MS);
    this.statusTimer.unref();
  }
}
