// The sensor gateway as the app sees it: the broker it listens on, what it received, stored,
// rejected (per reason) and relayed on chain; topic → (twin, element, metric) mappings; reading
// series downsampled for charts with the rule thresholds to draw; broker credentials for sensors
// when the embedded broker is open to the network; and the readings relayed on chain.
//
// The payload a sensor publishes (UTF-8 JSON on its mapped topic), documented in
// src/main/gateway/README.md:
//   {"value": 71.25, "ts": 1764000000123, "seq": 42}                 (ts: ms since epoch, seq: > last)
//   {"value": 71.25, "ts": 1764000000123, "seq": 42, "sig": "0x…"}    (a sensor that signs itself)
import { z } from 'zod';
import { defineEvent, defineMethod } from './define';

const TwinId = z.string().min(1).max(64);
const Hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const MappingId = z.number().int().positive();
const Millis = z.number().int().nonnegative();

/** An MQTT topic a sensor publishes on: exact (no + or # wildcards), no NUL, at most 256 bytes. */
export const SensorTopic = z
  .string()
  .min(1)
  .max(256)
  .refine(
    (topic) => !topic.includes('+') && !topic.includes('#') && !topic.includes(String.fromCharCode(0)),
    {
      message: 'a sensor topic is exact: no +, # or NUL',
    },
  );

/** A metric name as the maintenance contract's rules name it. */
export const MetricName = z
  .string()
  .min(1)
  .max(31)
  .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'a metric name starts with a letter: letters, digits, _ . -');

/** Why a reading was refused. Every refused reading is counted under one of these. */
export const RejectReason = z.enum([
  /** Not the documented JSON payload (not JSON, missing or wrong-typed fields, not finite). */
  'malformed',
  /** No enabled mapping for the topic. */
  'unknownTopic',
  /** `sig` does not recover to the sensor's address. */
  'badSignature',
  /** Outside the metric's physical bounds. */
  'outOfBounds',
  /** Sequence not above the last accepted one for that sensor. */
  'replayed',
  /** Older than the staleness window. */
  'stale',
  /** Too far ahead of this machine's clock. */
  'future',
  /** Network mode: a publish from a client whose credentials do not cover the topic. */
  'unauthorized',
]);
export type RejectReason = z.infer<typeof RejectReason>;
export const REJECT_REASONS = RejectReason.options;

export const RejectCounts = z.object(
  Object.fromEntries(REJECT_REASONS.map((reason) => [reason, z.number().int().nonnegative()])) as Record<
    RejectReason,
    z.ZodNumber
  >,
);
export type RejectCounts = z.infer<typeof RejectCounts>;

export const BrokerMode = z.enum(['embedded', 'external']);
export type BrokerMode = z.infer<typeof BrokerMode>;

/** What the user can set; stored in the twin database. */
export const GatewayConfig = z.object({
  /** Run the gateway at all. */
  enabled: z.boolean(),
  brokerMode: BrokerMode,
  /** External broker: mqtt://, mqtts://, ws:// or wss:// URL (credentials allowed, never shown). */
  brokerUrl: z.string().max(2048).nullable(),
  /** External broker: the filter subscribed to besides the mapped topics (unmapped ones are counted). */
  topicFilter: z.string().min(1).max(256),
  /** Embedded broker: TCP port (0: any free port). */
  port: z.number().int().min(0).max(65535),
  /**
   * Embedded broker: listen on every interface instead of 127.0.0.1. Sensors then need their own
   * username and password (sensors.setCredential).
   */
  openToNetwork: z.boolean(),
  /** Raw readings older than this are deleted (rollups stay: minutes for 90 days, hours for good). */
  retentionDays: z.number().min(0.01).max(3650),
  /** A reading older than this (by its own timestamp) is refused as stale. */
  staleAfterSeconds: z
    .number()
    .int()
    .min(1)
    .max(86_400 * 30),
  /** Relay readings that breach a rule on chain (signed by the sensor key the gateway holds). */
  relay: z.boolean(),
});
export type GatewayConfig = z.infer<typeof GatewayConfig>;

export const GatewayState = z.enum(['stopped', 'starting', 'running', 'error']);

export const GatewayStatus = z.object({
  state: GatewayState,
  config: GatewayConfig.extend({ brokerUrl: z.string().nullable() }),
  broker: z.object({
    mode: BrokerMode,
    /** Where sensors connect: mqtt://127.0.0.1:1883, or the external URL without its credentials. */
    url: z.string().nullable(),
    /** Embedded broker: the port it listens on now. */
    port: z.number().int().nullable(),
    /** Embedded: listening; external: connected to the broker. */
    connected: z.boolean(),
    /** Embedded broker: sensors connected now. */
    clients: z.number().int().nonnegative(),
  }),
  counts: z.object({
    /** Messages that arrived on any topic the gateway listens to. */
    received: z.number().int().nonnegative(),
    /** Readings accepted and written to the database. */
    stored: z.number().int().nonnegative(),
    rejected: RejectCounts,
    rejectedTotal: z.number().int().nonnegative(),
    /** Readings that breached a rule and were queued for the chain. */
    relayQueued: z.number().int().nonnegative(),
    /** Readings confirmed on chain. */
    relayed: z.number().int().nonnegative(),
    /** Readings the chain refused (with the reason in the relay list). */
    relayFailed: z.number().int().nonnegative(),
  }),
  /** Accepted readings per second over the last few seconds. */
  ratePerSecond: z.number().nonnegative(),
  lastReadingAt: z.number().nullable(),
  /** The latest refusals, newest first (topic, reason, what was wrong). */
  recentRejections: z.array(
    z.object({ at: z.number(), topic: z.string(), reason: RejectReason, detail: z.string() }),
  ),
  /** Relaying: waiting for the chain, the vault, or a deployment with the maintenance contract. */
  relay: z.object({
    enabled: z.boolean(),
    /** Why nothing is being relayed now, in words; null while it works. */
    waiting: z.string().nullable(),
    pending: z.number().int().nonnegative(),
  }),
  lastError: z.string().nullable(),
});
export type GatewayStatus = z.infer<typeof GatewayStatus>;

export const SensorMapping = z.object({
  id: MappingId,
  topic: z.string(),
  twinId: TwinId,
  elementKey: Hex32,
  globalId: z.string().nullable(),
  metric: z.string(),
  unit: z.string(),
  label: z.string(),
  minValue: z.number(),
  maxValue: z.number(),
  /** Vault identity that signs this sensor's readings for the chain (null: the sensor signs itself). */
  signerIdentityId: z.string().nullable(),
  /** Address of a sensor that signs itself (its readings carry `sig`). */
  sensorAddress: Address.nullable(),
  enabled: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** The last accepted reading, if any. */
  last: z.object({ ts: Millis, value: z.number(), seq: z.number().int() }).nullable(),
});
export type SensorMapping = z.infer<typeof SensorMapping>;

const ElementRef = z.union([
  z.object({ globalId: z.string().min(1).max(64) }).strict(),
  z.object({ elementKey: Hex32 }).strict(),
]);

const MappingFields = {
  topic: SensorTopic,
  metric: MetricName,
  unit: z.string().max(16),
  label: z.string().max(128),
  minValue: z.number().finite(),
  maxValue: z.number().finite(),
  signerIdentityId: z.string().min(1).max(128).nullable(),
  sensorAddress: Address.nullable(),
  enabled: z.boolean(),
};

export const NewSensorMapping = z
  .object({
    twinId: TwinId,
    element: ElementRef,
    topic: MappingFields.topic,
    metric: MappingFields.metric,
    unit: MappingFields.unit.optional(),
    label: MappingFields.label.optional(),
    minValue: MappingFields.minValue,
    maxValue: MappingFields.maxValue,
    signerIdentityId: MappingFields.signerIdentityId.optional(),
    sensorAddress: MappingFields.sensorAddress.optional(),
    enabled: MappingFields.enabled.optional(),
  })
  .strict();
export type NewSensorMapping = z.infer<typeof NewSensorMapping>;

export const SensorMappingPatch = z
  .object({
    id: MappingId,
    topic: MappingFields.topic.optional(),
    metric: MappingFields.metric.optional(),
    unit: MappingFields.unit.optional(),
    label: MappingFields.label.optional(),
    minValue: MappingFields.minValue.optional(),
    maxValue: MappingFields.maxValue.optional(),
    signerIdentityId: MappingFields.signerIdentityId.optional(),
    sensorAddress: MappingFields.sensorAddress.optional(),
    enabled: MappingFields.enabled.optional(),
  })
  .strict();
export type SensorMappingPatch = z.infer<typeof SensorMappingPatch>;

/** A rule threshold to draw on a chart (mirrored from the maintenance contract). */
export const SeriesThreshold = z.object({
  ruleId: z.string(),
  comparator: z.enum(['>', '>=', '<', '<=']),
  value: z.number(),
  /** What a breach does: open a work order, request parts, raise an alert. */
  action: z.string(),
  label: z.string(),
});
export type SeriesThreshold = z.infer<typeof SeriesThreshold>;

export const SeriesPoint = z.object({
  /** Bucket start (or the reading's time for raw points), ms since epoch. */
  t: Millis,
  min: z.number(),
  max: z.number(),
  avg: z.number(),
  count: z.number().int().positive(),
});
export type SeriesPoint = z.infer<typeof SeriesPoint>;

export const SensorSeries = z.object({
  mapping: SensorMapping,
  from: Millis,
  to: Millis,
  /** What each point is: one raw reading, or a bucket of this many milliseconds. */
  bucketMs: z.number().int().nonnegative(),
  source: z.enum(['raw', 'minute', 'hour']),
  points: z.array(SeriesPoint),
  thresholds: z.array(SeriesThreshold),
});
export type SensorSeries = z.infer<typeof SensorSeries>;

export const SensorCredential = z.object({
  username: z.string(),
  /** Topics it may publish on; empty: any mapped topic. */
  topics: z.array(z.string()),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
});
export type SensorCredential = z.infer<typeof SensorCredential>;

export const RelayStatus = z.enum(['queued', 'sent', 'confirmed', 'failed']);

export const RelayedReading = z.object({
  id: z.number().int().positive(),
  mappingId: MappingId,
  twinId: TwinId,
  elementKey: Hex32,
  metric: z.string(),
  ts: Millis,
  seq: z.number().int(),
  value: z.number(),
  reason: z.enum(['breach', 'heartbeat']),
  ruleId: z.string().nullable(),
  status: RelayStatus,
  signer: Address.nullable(),
  txHash: Hex32.nullable(),
  blockNumber: z.number().int().nullable(),
  attempts: z.number().int().nonnegative(),
  error: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type RelayedReading = z.infer<typeof RelayedReading>;

export const sensorMethods = {
  'sensors.status': defineMethod(z.object({}).strict(), GatewayStatus),
  /** Changes gateway settings (a broker change restarts the broker); answers the new status. */
  'sensors.configure': defineMethod(GatewayConfig.partial().strict(), GatewayStatus),
  'sensors.listMappings': defineMethod(
    z.object({ twinId: TwinId.optional(), elementKey: Hex32.optional() }).strict(),
    z.object({ mappings: z.array(SensorMapping) }),
  ),
  'sensors.addMapping': defineMethod(NewSensorMapping, SensorMapping),
  'sensors.updateMapping': defineMethod(SensorMappingPatch, SensorMapping),
  /** Removes a mapping; its readings and rollups go with it. */
  'sensors.removeMapping': defineMethod(
    z.object({ id: MappingId }).strict(),
    z.object({ removed: z.boolean() }),
  ),
  /**
   * Readings of one mapping (or of an element's metric) between two times, downsampled to at most
   * `points` buckets (min/max/avg each), with the rule thresholds to draw.
   */
  'sensors.series': defineMethod(
    z
      .object({
        mappingId: MappingId.optional(),
        twinId: TwinId.optional(),
        elementKey: Hex32.optional(),
        metric: MetricName.optional(),
        from: Millis,
        to: Millis,
        points: z.number().int().min(1).max(10_000).optional(),
      })
      .strict()
      .refine((r) => r.mappingId !== undefined || (r.twinId && r.elementKey && r.metric), {
        message: 'name a mappingId, or a twinId, elementKey and metric',
      })
      .refine((r) => r.to >= r.from, { message: '`to` is before `from`' }),
    SensorSeries,
  ),
  'sensors.listCredentials': defineMethod(
    z.object({}).strict(),
    z.object({ credentials: z.array(SensorCredential) }),
  ),
  /** Creates a sensor's broker login or replaces its password (stored as a scrypt hash). */
  'sensors.setCredential': defineMethod(
    z
      .object({
        username: z
          .string()
          .min(1)
          .max(64)
          .regex(/^[A-Za-z0-9_.@-]+$/, 'letters, digits and _ . @ - only'),
        password: z.string().min(12, 'at least 12 characters').max(256),
        topics: z.array(SensorTopic).max(1000).optional(),
      })
      .strict(),
    SensorCredential,
  ),
  'sensors.removeCredential': defineMethod(
    z.object({ username: z.string().min(1).max(64) }).strict(),
    z.object({ removed: z.boolean() }),
  ),
  /** Readings queued for, sent to, or refused by the chain, newest first. */
  'sensors.listRelayed': defineMethod(
    z
      .object({
        status: z.array(RelayStatus).optional(),
        twinId: TwinId.optional(),
        limit: z.number().int().min(1).max(10_000).optional(),
      })
      .strict(),
    z.object({ items: z.array(RelayedReading) }),
  ),
};

export const sensorEvents = {
  /** Gateway status, at most a few times a second. */
  'sensors.statusChanged': defineEvent(GatewayStatus),
  /** New readings of a mapping since the last event (throttled per mapping), for live charts. */
  'sensors.reading': defineEvent(
    z.object({
      mappingId: MappingId,
      twinId: TwinId,
      elementKey: Hex32,
      metric: z.string(),
      /** The newest reading. */
      ts: Millis,
      value: z.number(),
      /** Over every reading since the previous event of this mapping. */
      count: z.number().int().positive(),
      min: z.number(),
      max: z.number(),
    }),
  ),
};

/**
 * Readings travel on chain as fixed-point integers: value × SENSOR_VALUE_SCALE, rounded (the
 * maintenance contract's `int128 value`, thresholds and bounds use the same scale for every metric).
 */
export const SENSOR_VALUE_SCALE = 1000;

export const toChainValue = (value: number): bigint => BigInt(Math.round(value * SENSOR_VALUE_SCALE));
export const fromChainValue = (value: bigint | number): number => Number(value) / SENSOR_VALUE_SCALE;
