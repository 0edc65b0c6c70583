// Schema 4: the sensor gateway. Topic → (twin, element, metric) mappings, per-sensor broker
// credentials (scrypt hashes), raw readings (kept for a retention period), per-minute and per-hour
// rollups maintained incrementally for charts, each mapping's last accepted sequence, and the
// durable queue of readings to relay on chain (written before anything is sent).
import type { Migration } from './types';

export const migration004: Migration = {
  version: 4,
  name: 'sensors',
  sql: `
    CREATE TABLE sensor_mappings (
      id INTEGER PRIMARY KEY,
      -- the exact MQTT topic the sensor publishes on (no wildcards)
      topic TEXT NOT NULL UNIQUE,
      -- the store twin and the element (keccak of its IFC GlobalId) the readings belong to
      twin_id TEXT NOT NULL,
      element_key TEXT NOT NULL,
      global_id TEXT,
      -- metric name as the contract's rules name it (vibration, temperature, runningHours...)
      metric TEXT NOT NULL,
      unit TEXT NOT NULL,
      label TEXT NOT NULL,
      -- physical bounds: a reading outside them is rejected, never stored as valid
      min_value REAL NOT NULL,
      max_value REAL NOT NULL,
      -- the vault identity whose key signs this sensor's readings for the chain (null: the sensor
      -- signs itself, its address in sensor_address)
      signer_identity_id TEXT,
      sensor_address TEXT,
      enabled INTEGER NOT NULL DEFAULT 1,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX sensor_mappings_element ON sensor_mappings(twin_id, element_key, metric);

    -- Credentials sensors use to connect when the embedded broker is open to the network.
    CREATE TABLE sensor_credentials (
      username TEXT PRIMARY KEY,
      -- scrypt(password, salt) with the parameters it was made with
      salt BLOB NOT NULL,
      hash BLOB NOT NULL,
      scrypt_n INTEGER NOT NULL,
      -- topics this sensor may publish on (JSON array of exact topics; empty: any mapped topic)
      topics TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER
    ) STRICT, WITHOUT ROWID;

    -- Accepted raw readings (ts in ms since epoch), pruned after the retention period.
    CREATE TABLE sensor_readings (
      mapping_id INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      seq INTEGER NOT NULL,
      value REAL NOT NULL,
      PRIMARY KEY (mapping_id, ts, seq)
    ) STRICT, WITHOUT ROWID;

    -- Rollups for charts: width 60 (minute) or 3600 (hour) seconds; bucket = start in ms.
    CREATE TABLE sensor_rollups (
      mapping_id INTEGER NOT NULL,
      width_s INTEGER NOT NULL,
      bucket INTEGER NOT NULL,
      count INTEGER NOT NULL,
      sum REAL NOT NULL,
      min_value REAL NOT NULL,
      max_value REAL NOT NULL,
      PRIMARY KEY (mapping_id, width_s, bucket)
    ) STRICT, WITHOUT ROWID;

    -- Per mapping: the last accepted sequence and timestamp (replay and staleness checks survive a
    -- restart).
    CREATE TABLE sensor_state (
      mapping_id INTEGER PRIMARY KEY,
      last_seq INTEGER NOT NULL,
      last_ts INTEGER NOT NULL
    ) STRICT;

    -- Readings that matter (a rule breach, a heartbeat) waiting for, or sent to, the chain. Written
    -- before signing or sending, so a dropped connection or a restart loses none.
    CREATE TABLE sensor_relay_queue (
      id INTEGER PRIMARY KEY,
      mapping_id INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      seq INTEGER NOT NULL,
      value REAL NOT NULL,
      -- why it is sent: 'breach' (with the rule) or 'heartbeat'
      reason TEXT NOT NULL,
      rule_id TEXT,
      status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'confirmed', 'failed')),
      -- the EIP-712 reading as JSON (integers as decimal strings), its signer and signature
      message TEXT,
      signer TEXT,
      signature TEXT,
      tx_hash TEXT,
      block_number INTEGER,
      attempts INTEGER NOT NULL DEFAULT 0,
      error TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX sensor_relay_queue_status ON sensor_relay_queue(status, id);

    -- Gateway settings (broker mode, port, network exposure, retention): one JSON document.
    CREATE TABLE sensor_gateway_config (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      config TEXT NOT NULL
    ) STRICT;
  `,
};
