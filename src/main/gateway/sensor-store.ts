// All SQL of the sensor gateway (migration 4): mappings, credentials, configuration, readings written
// in one transaction per flush with their minute and hour rollups updated incrementally, the series
// a chart asks for (downsampled in SQL), retention, and the durable relay queue.
import type { SqliteDatabase } from '../store/database';
import type {
  GatewayConfig,
  RelayedReading,
  SensorCredential,
  SensorMapping,
  SeriesPoint,
} from '../../shared/api/sensors';
import type { PasswordHash } from './credentials';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** Minute rollups are kept this long; hour rollups for good. */
export const MINUTE_ROLLUP_RETENTION_MS = 90 * 24 * HOUR_MS;

export const DEFAULT_GATEWAY_CONFIG: GatewayConfig = {
  enabled: true,
  brokerMode: 'embedded',
  brokerUrl: null,
  topicFilter: 'sensors/#',
  port: 1883,
  openToNetwork: false,
  retentionDays: 30,
  staleAfterSeconds: 600,
  relay: true,
};

export interface AcceptedReading {
  mappingId: number;
  ts: number;
  seq: number;
  value: number;
}

export interface RelayCandidate extends AcceptedReading {
  reason: 'breach' | 'heartbeat';
  ruleId: string | null;
  /** A self-signing sensor's own signature (sent on chain as it is). */
  signature?: string | null;
}

export interface MappingState {
  lastSeq: number;
  lastTs: number;
}

interface MappingRow {
  id: number;
  topic: string;
  twin_id: string;
  element_key: string;
  global_id: string | null;
  metric: string;
  unit: string;
  label: string;
  min_value: number;
  max_value: number;
  signer_identity_id: string | null;
  sensor_address: string | null;
  enabled: number;
  created_at: number;
  updated_at: number;
  last_seq: number | null;
  last_ts: number | null;
}

interface RelayRow {
  id: number;
  mapping_id: number;
  ts: number;
  seq: number;
  value: number;
  reason: 'breach' | 'heartbeat';
  rule_id: string | null;
  status: RelayedReading['status'];
  message: string | null;
  signer: string | null;
  signature: string | null;
  tx_hash: string | null;
  block_number: number | null;
  attempts: number;
  error: string | null;
  created_at: number;
  updated_at: number;
  twin_id: string;
  element_key: string;
  metric: string;
}

export type RelayQueueItem = RelayedReading & { message: string | null; signature: string | null };

const ROLLUP_WIDTHS = [MINUTE_MS / 1000, HOUR_MS / 1000] as const;
const ROWS_PER_INSERT = 64;
/** mapping, width (s), bucket start (ms), count, sum, min, max */
type Rollup = [number, number, number, number, number, number, number];

export class SensorStore {
  private readonly insertReading;
  private readonly insertReadings;
  private readonly upsertRollup;
  private readonly upsertState;
  private readonly insertRelay;
  private readonly lastValueOf;
  private readonly writeBatchTx;

  constructor(private readonly db: SqliteDatabase) {
    this.insertReading = db.prepare(
      'INSERT OR IGNORE INTO sensor_readings (mapping_id, ts, seq, value) VALUES (?, ?, ?, ?)',
    );
    // Many rows per statement: each statement call costs more than the row it writes.
    this.insertReadings = db.prepare(
      `INSERT OR IGNORE INTO sensor_readings (mapping_id, ts, seq, value) VALUES ${Array(ROWS_PER_INSERT)
        .fill('(?, ?, ?, ?)')
        .join(', ')}`,
    );
    this.upsertRollup = db.prepare(
      `INSERT INTO sensor_rollups (mapping_id, width_s, bucket, count, sum, min_value, max_value)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (mapping_id, width_s, bucket) DO UPDATE SET
         count = count + excluded.count, sum = sum + excluded.sum,
         min_value = min(min_value, excluded.min_value), max_value = max(max_value, excluded.max_value)`,
    );
    this.upsertState = db.prepare(
      `INSERT INTO sensor_state (mapping_id, last_seq, last_ts) VALUES (?, ?, ?)
       ON CONFLICT (mapping_id) DO UPDATE SET last_seq = excluded.last_seq, last_ts = excluded.last_ts`,
    );
    this.insertRelay = db.prepare(
      `INSERT INTO sensor_relay_queue (mapping_id, ts, seq, value, reason, rule_id, signature, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
    );
    this.lastValueOf = db.prepare(
      'SELECT value FROM sensor_readings WHERE mapping_id = ? AND ts = ? AND seq = ?',
    );
    this.writeBatchTx = db.transaction(
      (readings: AcceptedReading[], states: Map<number, MappingState>, relay: RelayCandidate[]) => {
        const whole = readings.length - (readings.length % ROWS_PER_INSERT);
        const args: number[] = new Array<number>(ROWS_PER_INSERT * 4);
        for (let i = 0; i < whole; i += ROWS_PER_INSERT) {
          for (let k = 0; k < ROWS_PER_INSERT; k++) {
            const r = readings[i + k]!;
            args[k * 4] = r.mappingId;
            args[k * 4 + 1] = r.ts;
            args[k * 4 + 2] = r.seq;
            args[k * 4 + 3] = r.value;
          }
          this.insertReadings.run(args);
        }
        for (let i = whole; i < readings.length; i++) {
          const r = readings[i]!;
          this.insertReading.run(r.mappingId, r.ts, r.seq, r.value);
        }
        // Rollups: readings of a mapping mostly fall in the bucket of the one before, so each
        // mapping keeps its open bucket per width and a bucket is written when the next one starts.
        const done: Rollup[] = [];
        const open = new Map<number, Rollup[]>();
        for (const r of readings) {
          let buckets = open.get(r.mappingId);
          if (!buckets) open.set(r.mappingId, (buckets = []));
          for (let w = 0; w < ROLLUP_WIDTHS.length; w++) {
            const widthMs = ROLLUP_WIDTHS[w]! * 1000;
            const bucket = r.ts - (r.ts % widthMs);
            const agg = buckets[w];
            if (agg && agg[2] === bucket) {
              agg[3] += 1;
              agg[4] += r.value;
              if (r.value < agg[5]) agg[5] = r.value;
              if (r.value > agg[6]) agg[6] = r.value;
            } else {
              if (agg) done.push(agg);
              buckets[w] = [r.mappingId, ROLLUP_WIDTHS[w]!, bucket, 1, r.value, r.value, r.value];
            }
          }
        }
        for (const buckets of open.values()) for (const agg of buckets) done.push(agg);
        for (const agg of done) this.upsertRollup.run(...agg);
        for (const [mappingId, state] of states) this.upsertState.run(mappingId, state.lastSeq, state.lastTs);
        const now = Date.now();
        const ids: number[] = [];
        for (const c of relay) {
          ids.push(
            Number(
              this.insertRelay.run(
                c.mappingId,
                c.ts,
                c.seq,
                c.value,
                c.reason,
                c.ruleId,
                c.signature ?? null,
                now,
                now,
              ).lastInsertRowid,
            ),
          );
        }
        return ids;
      },
    );
  }

  // ---- configuration ---------------------------------------------------------------------------

  config(): GatewayConfig {
    const stored = this.configDocument();
    const config = { ...DEFAULT_GATEWAY_CONFIG };
    for (const key of Object.keys(config) as (keyof GatewayConfig)[])
      if (stored[key] !== undefined) (config as Record<string, unknown>)[key] = stored[key];
    return config;
  }

  setConfig(config: GatewayConfig): void {
    this.writeConfigDocument({ ...this.configDocument(), ...config });
  }

  /** One-time markers kept beside the configuration (e.g. the sample mappings were added). */
  flag(name: string): boolean {
    return (this.configDocument().flags as Record<string, boolean> | undefined)?.[name] === true;
  }

  setFlag(name: string): void {
    const document = this.configDocument();
    this.writeConfigDocument({
      ...document,
      flags: { ...(document.flags as object | undefined), [name]: true },
    });
  }

  /** The chain token id of a store twin (sync fills it in), or null. */
  chainTwinIdOf(twinId: string): string | null {
    const row = this.db.prepare('SELECT chain_twin_id FROM twins WHERE id = ?').get(twinId) as
      { chain_twin_id: string | null } | undefined;
    return row?.chain_twin_id ?? null;
  }

  private configDocument(): Record<string, unknown> {
    const row = this.db.prepare('SELECT config FROM sensor_gateway_config WHERE id = 1').get() as
      { config: string } | undefined;
    if (!row) return {};
    try {
      const parsed = JSON.parse(row.config) as unknown;
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
      // A damaged document falls back to the defaults.
      return {};
    }
  }

  private writeConfigDocument(document: Record<string, unknown>): void {
    this.db
      .prepare(
        `INSERT INTO sensor_gateway_config (id, config) VALUES (1, ?)
         ON CONFLICT (id) DO UPDATE SET config = excluded.config`,
      )
      .run(JSON.stringify(document));
  }

  // ---- mappings --------------------------------------------------------------------------------

  listMappings(filter: { twinId?: string; elementKey?: string } = {}): SensorMapping[] {
    const rows = this.db
      .prepare(
        `SELECT m.*, s.last_seq, s.last_ts FROM sensor_mappings m
         LEFT JOIN sensor_state s ON s.mapping_id = m.id
         WHERE (@twinId IS NULL OR m.twin_id = @twinId) AND (@elementKey IS NULL OR m.element_key = @elementKey)
         ORDER BY m.twin_id, m.element_key, m.metric, m.id`,
      )
      .all({ twinId: filter.twinId ?? null, elementKey: filter.elementKey ?? null }) as MappingRow[];
    return rows.map((row) => this.toMapping(row));
  }

  getMapping(id: number): SensorMapping | null {
    const row = this.db
      .prepare(
        `SELECT m.*, s.last_seq, s.last_ts FROM sensor_mappings m
         LEFT JOIN sensor_state s ON s.mapping_id = m.id WHERE m.id = ?`,
      )
      .get(id) as MappingRow | undefined;
    return row ? this.toMapping(row) : null;
  }

  mappingByTopic(topic: string): SensorMapping | null {
    const row = this.db.prepare('SELECT id FROM sensor_mappings WHERE topic = ?').get(topic) as
      { id: number } | undefined;
    return row ? this.getMapping(row.id) : null;
  }

  insertMapping(m: Omit<SensorMapping, 'id' | 'createdAt' | 'updatedAt' | 'last'>): SensorMapping {
    const now = Date.now();
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO sensor_mappings (topic, twin_id, element_key, global_id, metric, unit, label,
             min_value, max_value, signer_identity_id, sensor_address, enabled, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          m.topic,
          m.twinId,
          m.elementKey,
          m.globalId,
          m.metric,
          m.unit,
          m.label,
          m.minValue,
          m.maxValue,
          m.signerIdentityId,
          m.sensorAddress,
          m.enabled ? 1 : 0,
          now,
          now,
        ).lastInsertRowid,
    );
    return this.getMapping(id)!;
  }

  updateMapping(m: SensorMapping): SensorMapping {
    this.db
      .prepare(
        `UPDATE sensor_mappings SET topic = ?, metric = ?, unit = ?, label = ?, min_value = ?, max_value = ?,
           signer_identity_id = ?, sensor_address = ?, enabled = ?, updated_at = ? WHERE id = ?`,
      )
      .run(
        m.topic,
        m.metric,
        m.unit,
        m.label,
        m.minValue,
        m.maxValue,
        m.signerIdentityId,
        m.sensorAddress,
        m.enabled ? 1 : 0,
        Date.now(),
        m.id,
      );
    return this.getMapping(m.id)!;
  }

  /** Removes a mapping with its readings, rollups, state and unsent relay items, in one transaction. */
  removeMapping(id: number): boolean {
    return this.db.transaction(() => {
      const removed = this.db.prepare('DELETE FROM sensor_mappings WHERE id = ?').run(id).changes > 0;
      if (!removed) return false;
      this.db.prepare('DELETE FROM sensor_readings WHERE mapping_id = ?').run(id);
      this.db.prepare('DELETE FROM sensor_rollups WHERE mapping_id = ?').run(id);
      this.db.prepare('DELETE FROM sensor_state WHERE mapping_id = ?').run(id);
      this.db.prepare("DELETE FROM sensor_relay_queue WHERE mapping_id = ? AND status = 'queued'").run(id);
      return true;
    })();
  }

  loadStates(): Map<number, MappingState> {
    const rows = this.db.prepare('SELECT mapping_id, last_seq, last_ts FROM sensor_state').all() as {
      mapping_id: number;
      last_seq: number;
      last_ts: number;
    }[];
    return new Map(rows.map((r) => [r.mapping_id, { lastSeq: r.last_seq, lastTs: r.last_ts }]));
  }

  // ---- readings --------------------------------------------------------------------------------

  /**
   * Writes accepted readings, their rollups, the mappings' last sequence and the readings to relay,
   * all in one transaction; answers the ids of the relay items.
   */
  writeBatch(
    readings: AcceptedReading[],
    states: Map<number, MappingState>,
    relay: RelayCandidate[],
  ): number[] {
    return this.writeBatchTx.immediate(readings, states, relay);
  }

  countReadings(mappingId: number): number {
    return (
      this.db.prepare('SELECT count(*) AS n FROM sensor_readings WHERE mapping_id = ?').get(mappingId) as {
        n: number;
      }
    ).n;
  }

  hasReading(mappingId: number, ts: number, seq: number): boolean {
    return this.lastValueOf.get(mappingId, ts, seq) !== undefined;
  }

  /** Raw readings, oldest first (tests, exports). */
  rawReadings(mappingId: number, from: number, to: number, limit = 100_000): AcceptedReading[] {
    return this.db
      .prepare(
        `SELECT mapping_id AS mappingId, ts, seq, value FROM sensor_readings
           WHERE mapping_id = ? AND ts >= ? AND ts <= ? ORDER BY ts, seq LIMIT ?`,
      )
      .all(mappingId, from, to, limit) as AcceptedReading[];
  }

  /** Raw readings grouped into buckets of `bucketMs` starting at `origin`. */
  rawSeries(mappingId: number, from: number, to: number, origin: number, bucketMs: number): SeriesPoint[] {
    return this.db
      .prepare(
        `SELECT CAST(ts - @origin AS INTEGER) / CAST(@b AS INTEGER) AS k, count(*) AS count, avg(value) AS avg, min(value) AS min, max(value) AS max
         FROM sensor_readings WHERE mapping_id = @id AND ts >= @from AND ts <= @to GROUP BY k ORDER BY k`,
      )
      .all({ id: mappingId, from, to, origin, b: bucketMs })
      .map((row) => {
        const r = row as { k: number; count: number; avg: number; min: number; max: number };
        return { t: origin + r.k * bucketMs, min: r.min, max: r.max, avg: r.avg, count: r.count };
      });
  }

  /** Raw readings as points (one per reading). */
  rawPoints(mappingId: number, from: number, to: number): SeriesPoint[] {
    return this.rawReadings(mappingId, from, to).map((r) => ({
      t: r.ts,
      min: r.value,
      max: r.value,
      avg: r.value,
      count: 1,
    }));
  }

  rawCount(mappingId: number, from: number, to: number): number {
    return (
      this.db
        .prepare('SELECT count(*) AS n FROM sensor_readings WHERE mapping_id = ? AND ts >= ? AND ts <= ?')
        .get(mappingId, from, to) as { n: number }
    ).n;
  }

  oldestRaw(mappingId: number): number | null {
    const row = this.db
      .prepare('SELECT min(ts) AS ts FROM sensor_readings WHERE mapping_id = ?')
      .get(mappingId) as { ts: number | null };
    return row.ts;
  }

  /** Rollups of one width grouped into buckets of `bucketMs` (a multiple of the width) from `origin`. */
  rollupSeries(
    mappingId: number,
    widthMs: number,
    from: number,
    to: number,
    origin: number,
    bucketMs: number,
  ): SeriesPoint[] {
    return this.db
      .prepare(
        `SELECT CAST(bucket - @origin AS INTEGER) / CAST(@b AS INTEGER) AS k, sum(count) AS count, sum(sum) AS sum,
           min(min_value) AS min, max(max_value) AS max
         FROM sensor_rollups WHERE mapping_id = @id AND width_s = @w AND bucket >= @from AND bucket <= @to
         GROUP BY k ORDER BY k`,
      )
      .all({ id: mappingId, w: widthMs / 1000, from: from - (from % widthMs), to, origin, b: bucketMs })
      .map((row) => {
        const r = row as { k: number; count: number; sum: number; min: number; max: number };
        return { t: origin + r.k * bucketMs, min: r.min, max: r.max, avg: r.sum / r.count, count: r.count };
      });
  }

  /** Deletes raw readings older than `rawBefore` and minute rollups older than `minuteBefore`. */
  prune(rawBefore: number, minuteBefore: number): { readings: number; rollups: number } {
    const readings = this.db.prepare('DELETE FROM sensor_readings WHERE ts < ?').run(rawBefore).changes;
    const rollups = this.db
      .prepare('DELETE FROM sensor_rollups WHERE width_s = 60 AND bucket < ?')
      .run(minuteBefore).changes;
    return { readings, rollups };
  }

  // ---- credentials -----------------------------------------------------------------------------

  listCredentials(): SensorCredential[] {
    return (
      this.db
        .prepare(
          'SELECT username, topics, created_at, last_used_at FROM sensor_credentials ORDER BY username',
        )
        .all() as { username: string; topics: string; created_at: number; last_used_at: number | null }[]
    ).map((r) => ({
      username: r.username,
      topics: JSON.parse(r.topics) as string[],
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
    }));
  }

  setCredential(username: string, hash: PasswordHash, topics: string[]): SensorCredential {
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO sensor_credentials (username, salt, hash, scrypt_n, topics, created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET salt = excluded.salt, hash = excluded.hash,
           scrypt_n = excluded.scrypt_n, topics = excluded.topics`,
      )
      .run(username, hash.salt, hash.hash, hash.scryptN, JSON.stringify(topics), now);
    return this.listCredentials().find((c) => c.username === username)!;
  }

  credentialHash(username: string): (PasswordHash & { topics: string[] }) | null {
    const row = this.db
      .prepare('SELECT salt, hash, scrypt_n, topics FROM sensor_credentials WHERE username = ?')
      .get(username) as { salt: Buffer; hash: Buffer; scrypt_n: number; topics: string } | undefined;
    return row
      ? { salt: row.salt, hash: row.hash, scryptN: row.scrypt_n, topics: JSON.parse(row.topics) as string[] }
      : null;
  }

  touchCredential(username: string): void {
    this.db
      .prepare('UPDATE sensor_credentials SET last_used_at = ? WHERE username = ?')
      .run(Date.now(), username);
  }

  removeCredential(username: string): boolean {
    return this.db.prepare('DELETE FROM sensor_credentials WHERE username = ?').run(username).changes > 0;
  }

  // ---- relay queue -----------------------------------------------------------------------------

  listRelay(filter: { status?: string[]; twinId?: string; limit?: number } = {}): RelayQueueItem[] {
    const statuses = filter.status ?? ['queued', 'sent', 'confirmed', 'failed'];
    const rows = this.db
      .prepare(
        `SELECT q.*, m.twin_id, m.element_key, m.metric FROM sensor_relay_queue q
         JOIN sensor_mappings m ON m.id = q.mapping_id
         WHERE q.status IN (SELECT value FROM json_each(@statuses)) AND (@twinId IS NULL OR m.twin_id = @twinId)
         ORDER BY q.id DESC LIMIT @limit`,
      )
      .all({
        statuses: JSON.stringify(statuses),
        twinId: filter.twinId ?? null,
        limit: filter.limit ?? 500,
      }) as RelayRow[];
    return rows.map((r) => this.toRelay(r));
  }

  /** Items waiting to be sent, oldest first. */
  pendingRelay(limit: number): RelayQueueItem[] {
    const rows = this.db
      .prepare(
        `SELECT q.*, m.twin_id, m.element_key, m.metric FROM sensor_relay_queue q
         JOIN sensor_mappings m ON m.id = q.mapping_id
         WHERE q.status = 'queued' ORDER BY q.id LIMIT ?`,
      )
      .all(limit) as RelayRow[];
    return rows.map((r) => this.toRelay(r));
  }

  relayCounts(): Record<RelayedReading['status'], number> {
    const counts = { queued: 0, sent: 0, confirmed: 0, failed: 0 };
    for (const row of this.db
      .prepare('SELECT status, count(*) AS n FROM sensor_relay_queue GROUP BY status')
      .all() as { status: keyof typeof counts; n: number }[])
      counts[row.status] = row.n;
    return counts;
  }

  /** Records the signed reading before anything is sent (the same signature is sent again on retry). */
  saveRelaySignature(id: number, message: string, signer: string, signature: string): void {
    this.db
      .prepare(
        'UPDATE sensor_relay_queue SET message = ?, signer = ?, signature = ?, updated_at = ? WHERE id = ?',
      )
      .run(message, signer, signature, Date.now(), id);
  }

  markRelay(
    ids: number[],
    update: {
      status: RelayedReading['status'];
      txHash?: string | null;
      blockNumber?: number | null;
      error?: string | null;
    },
    countAttempt = false,
  ): void {
    const stmt = this.db.prepare(
      `UPDATE sensor_relay_queue SET status = @status, tx_hash = coalesce(@txHash, tx_hash),
         block_number = coalesce(@blockNumber, block_number), error = @error,
         attempts = attempts + @attempt, updated_at = @now WHERE id = @id`,
    );
    this.db.transaction(() => {
      for (const id of ids)
        stmt.run({
          id,
          status: update.status,
          txHash: update.txHash ?? null,
          blockNumber: update.blockNumber ?? null,
          error: update.error ?? null,
          attempt: countAttempt ? 1 : 0,
          now: Date.now(),
        });
    })();
  }

  /** Notes a failed try on items that stay queued (the chain was unreachable). */
  noteRelayError(ids: number[], error: string): void {
    this.markRelay(ids, { status: 'queued', error }, true);
  }

  private toRelay(r: RelayRow): RelayQueueItem {
    return {
      id: r.id,
      mappingId: r.mapping_id,
      twinId: r.twin_id,
      elementKey: r.element_key,
      metric: r.metric,
      ts: r.ts,
      seq: r.seq,
      value: r.value,
      reason: r.reason,
      ruleId: r.rule_id,
      status: r.status,
      signer: r.signer,
      txHash: r.tx_hash,
      blockNumber: r.block_number,
      attempts: r.attempts,
      error: r.error,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      message: r.message,
      signature: r.signature,
    };
  }

  private toMapping(row: MappingRow): SensorMapping {
    let last: SensorMapping['last'] = null;
    if (row.last_seq !== null && row.last_ts !== null) {
      const value = this.lastValueOf.get(row.id, row.last_ts, row.last_seq) as { value: number } | undefined;
      if (value) last = { ts: row.last_ts, seq: row.last_seq, value: value.value };
    }
    return {
      id: row.id,
      topic: row.topic,
      twinId: row.twin_id,
      elementKey: row.element_key,
      globalId: row.global_id,
      metric: row.metric,
      unit: row.unit,
      label: row.label,
      minValue: row.min_value,
      maxValue: row.max_value,
      signerIdentityId: row.signer_identity_id,
      sensorAddress: row.sensor_address,
      enabled: row.enabled === 1,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      last,
    };
  }
}
