// Schema 5: the maintenance contract's derived state in the chain index: sensor channels, reading
// windows, rules, SLA terms, bonds, claimable balances, work orders with their SLA deadlines, rule
// breaches (alerts), readings accepted or refused on chain, and enforced breaches with their
// escalation. Written by the indexer with the events and the cursor, in one transaction per range;
// re-derived from the raw events after a reorg. Integers that may exceed 2^53 (ids, int128 values,
// token amounts) are decimal TEXT.
import type { Migration } from './types';

export const migration005: Migration = {
  version: 5,
  name: 'maintenance-index',
  sql: `
    -- One row per channel (twin, element, metric): its sensor key and physical bounds; a revoked
    -- channel keeps its row with active = 0.
    CREATE TABLE maint_sensors (
      twin_id TEXT NOT NULL,
      element_key TEXT NOT NULL,
      metric TEXT NOT NULL,
      sensor TEXT NOT NULL,
      min_value TEXT NOT NULL,
      max_value TEXT NOT NULL,
      active INTEGER NOT NULL,
      actor TEXT NOT NULL,
      block_number INTEGER NOT NULL,
      tx_hash TEXT NOT NULL,
      PRIMARY KEY (twin_id, element_key, metric)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE maint_reading_windows (
      twin_id TEXT PRIMARY KEY,
      max_age INTEGER NOT NULL,
      max_skew INTEGER NOT NULL
    ) STRICT;

    -- Rules (kind 0 condition / 1 usage; comparator and action as the contract's enums); a removed
    -- rule keeps its row with active = 0. open_order_id: the order it opened that is still open.
    CREATE TABLE maint_rules (
      rule_id TEXT PRIMARY KEY,
      twin_id TEXT NOT NULL,
      element_key TEXT NOT NULL,
      metric TEXT NOT NULL,
      kind INTEGER NOT NULL,
      comparator INTEGER NOT NULL,
      threshold TEXT NOT NULL,
      usage_baseline TEXT NOT NULL,
      action INTEGER NOT NULL,
      action_ref TEXT NOT NULL,
      open_order_id TEXT,
      active INTEGER NOT NULL,
      actor TEXT NOT NULL,
      block_number INTEGER NOT NULL,
      tx_hash TEXT NOT NULL,
      removed_block INTEGER
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX maint_rules_twin ON maint_rules(twin_id, element_key);

    -- SLA terms per twin (immutable; the highest index is current).
    CREATE TABLE maint_sla_terms (
      twin_id TEXT NOT NULL,
      terms_index INTEGER NOT NULL,
      provider TEXT NOT NULL,
      asset TEXT NOT NULL,
      penalty TEXT NOT NULL,
      response_time INTEGER NOT NULL,
      resolution_time INTEGER NOT NULL,
      escalation_contact TEXT NOT NULL,
      actor TEXT NOT NULL,
      block_number INTEGER NOT NULL,
      tx_hash TEXT NOT NULL,
      PRIMARY KEY (twin_id, terms_index)
    ) STRICT, WITHOUT ROWID;

    -- Providers' bonds per (twin, provider, asset): the balance after the last event.
    CREATE TABLE maint_bonds (
      twin_id TEXT NOT NULL,
      provider TEXT NOT NULL,
      asset TEXT NOT NULL,
      balance TEXT NOT NULL,
      block_number INTEGER NOT NULL,
      PRIMARY KEY (twin_id, provider, asset)
    ) STRICT, WITHOUT ROWID;

    -- Penalties received and not yet withdrawn, per (account, asset).
    CREATE TABLE maint_claimable (
      account TEXT NOT NULL,
      asset TEXT NOT NULL,
      balance TEXT NOT NULL,
      block_number INTEGER NOT NULL,
      PRIMARY KEY (account, asset)
    ) STRICT, WITHOUT ROWID;

    -- Work orders: status open | assigned | accepted | completed | cancelled; SLA deadlines (Unix
    -- seconds) once assigned; the report once completed.
    CREATE TABLE maint_work_orders (
      order_id TEXT PRIMARY KEY,
      twin_id TEXT NOT NULL,
      element_key TEXT NOT NULL,
      rule_id TEXT,
      action INTEGER NOT NULL,
      kind TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('open', 'assigned', 'accepted', 'completed', 'cancelled')),
      opened_by TEXT NOT NULL,
      opened_at INTEGER NOT NULL,
      opened_block INTEGER NOT NULL,
      opened_tx TEXT NOT NULL,
      trigger_value TEXT,
      provider TEXT,
      terms_index INTEGER,
      asset TEXT,
      penalty TEXT,
      respond_by INTEGER,
      resolve_by INTEGER,
      escalation_contact TEXT,
      assigned_by TEXT,
      accepted_block INTEGER,
      accepted_late INTEGER,
      closed_by TEXT,
      closed_at INTEGER,
      closed_block INTEGER,
      closed_tx TEXT,
      report_hash TEXT,
      report_uri TEXT,
      cancel_reason TEXT,
      response_enforced INTEGER NOT NULL DEFAULT 0,
      resolution_enforced INTEGER NOT NULL DEFAULT 0
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX maint_work_orders_twin ON maint_work_orders(twin_id, status);
    CREATE INDEX maint_work_orders_element ON maint_work_orders(twin_id, element_key);

    -- Every breach of a rule (RuleTriggered): alerts, orders opened, orders already open.
    CREATE TABLE maint_alerts (
      block_number INTEGER NOT NULL,
      log_index INTEGER NOT NULL,
      twin_id TEXT NOT NULL,
      element_key TEXT NOT NULL,
      rule_id TEXT NOT NULL,
      value TEXT NOT NULL,
      usage_baseline TEXT NOT NULL,
      outcome INTEGER NOT NULL,
      order_id TEXT,
      tx_hash TEXT NOT NULL,
      PRIMARY KEY (block_number, log_index)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX maint_alerts_twin ON maint_alerts(twin_id, element_key);

    -- Readings the chain accepted (ReadingRecorded) or refused in a batch (ReadingRejected).
    CREATE TABLE maint_readings (
      block_number INTEGER NOT NULL,
      log_index INTEGER NOT NULL,
      twin_id TEXT NOT NULL,
      element_key TEXT NOT NULL,
      metric TEXT NOT NULL,
      accepted INTEGER NOT NULL,
      sensor TEXT,
      value TEXT,
      measured_at INTEGER,
      sequence INTEGER NOT NULL,
      reason TEXT,
      tx_hash TEXT NOT NULL,
      PRIMARY KEY (block_number, log_index)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX maint_readings_channel ON maint_readings(twin_id, element_key, metric);

    -- Enforced SLA breaches (SlaBreachEnforced), with the escalation that followed (SlaEscalated).
    CREATE TABLE maint_enforcements (
      block_number INTEGER NOT NULL,
      log_index INTEGER NOT NULL,
      order_id TEXT NOT NULL,
      twin_id TEXT NOT NULL,
      element_key TEXT NOT NULL,
      breach INTEGER NOT NULL,
      provider TEXT NOT NULL,
      beneficiary TEXT NOT NULL,
      asset TEXT NOT NULL,
      amount TEXT NOT NULL,
      actor TEXT NOT NULL,
      escalation_contact TEXT,
      tx_hash TEXT NOT NULL,
      PRIMARY KEY (block_number, log_index)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX maint_enforcements_order ON maint_enforcements(order_id);
    CREATE INDEX maint_enforcements_twin ON maint_enforcements(twin_id);

    -- Completions signed offline by a crew (EIP-712 CompleteWorkOrder), waiting for the chain: the
    -- user's own work (the database is synchronous=FULL), written before "queued" is answered.
    -- status: queued | sent | confirmed | failed.
    CREATE TABLE maint_intents (
      id INTEGER PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('completeWorkOrder')),
      status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'confirmed', 'failed')),
      store_twin_id TEXT NOT NULL,
      chain_twin_id TEXT NOT NULL,
      order_id TEXT NOT NULL,
      signer TEXT NOT NULL,
      identity_id TEXT,
      nonce INTEGER NOT NULL,
      deadline INTEGER NOT NULL,
      message TEXT NOT NULL,
      signature TEXT NOT NULL,
      digest TEXT NOT NULL UNIQUE,
      calldata TEXT NOT NULL,
      summary TEXT NOT NULL,
      -- the report as the crew wrote it (notes, attachment hashes)
      details TEXT NOT NULL,
      tx_hash TEXT,
      raw_tx TEXT,
      block_number INTEGER,
      reason TEXT,
      reason_code TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX maint_intents_status ON maint_intents(status, id);
    CREATE INDEX maint_intents_order ON maint_intents(order_id);
  `,
};
