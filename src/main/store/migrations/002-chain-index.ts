// Schema 2: the chain index. Raw registry events, the state derived from them (twins, role grants,
// versions, service logs, executed intents), the hashes of indexed blocks (reorg detection) and the
// indexer's cursor, all written together in one transaction per block range.
import type { Migration } from './types';

export const migration002: Migration = {
  version: 2,
  name: 'chain-index',
  sql: `
    -- One row: which deployment is indexed and how far (the last block whose events are all in).
    CREATE TABLE chain_cursor (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      chain_id INTEGER NOT NULL,
      registry TEXT NOT NULL,
      start_block INTEGER NOT NULL,
      block_number INTEGER NOT NULL,
      block_hash TEXT,
      updated_at INTEGER NOT NULL
    ) STRICT;

    -- Hashes of indexed blocks that wrote something, and of each range's last block: a reorg shows
    -- as a stored hash the chain no longer has at that height.
    CREATE TABLE chain_blocks (
      number INTEGER PRIMARY KEY,
      hash TEXT NOT NULL,
      timestamp INTEGER
    ) STRICT;

    -- Every registry event as the node reported it (decoded arguments as JSON).
    CREATE TABLE chain_events (
      block_number INTEGER NOT NULL,
      log_index INTEGER NOT NULL,
      block_hash TEXT NOT NULL,
      tx_hash TEXT NOT NULL,
      tx_index INTEGER NOT NULL,
      name TEXT NOT NULL,
      -- the twin the event is about (decimal token id); null for batch-level events
      twin_id TEXT,
      args TEXT NOT NULL,
      PRIMARY KEY (block_number, log_index)
    ) STRICT, WITHOUT ROWID;
    -- (one secondary index only: each costs about 15% of indexing speed)
    CREATE INDEX chain_events_twin ON chain_events(twin_id, block_number, log_index);

    CREATE TABLE chain_twins (
      twin_id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      name TEXT NOT NULL,
      metadata_uri TEXT NOT NULL,
      minted_by TEXT NOT NULL,
      minted_block INTEGER NOT NULL,
      minted_tx TEXT NOT NULL,
      head_version INTEGER NOT NULL
    ) STRICT;

    -- Live grants as the contract stores them: expires_at null means no end; a revoked grant or an
    -- ended engagement deletes the row. Expiry is judged at read time against the chain's clock.
    CREATE TABLE chain_role_grants (
      twin_id TEXT NOT NULL,
      account TEXT NOT NULL,
      role INTEGER NOT NULL CHECK (role BETWEEN 0 AND 4),
      expires_at INTEGER,
      granted_by TEXT NOT NULL,
      block_number INTEGER NOT NULL,
      tx_hash TEXT NOT NULL,
      PRIMARY KEY (twin_id, account, role)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX chain_role_grants_account ON chain_role_grants(account);

    CREATE TABLE chain_versions (
      twin_id TEXT NOT NULL,
      version INTEGER NOT NULL,
      author TEXT NOT NULL,
      model_root TEXT NOT NULL,
      changeset_hash TEXT NOT NULL,
      package_uri TEXT NOT NULL,
      committed_at INTEGER NOT NULL,
      block_number INTEGER NOT NULL,
      tx_hash TEXT NOT NULL,
      log_index INTEGER NOT NULL,
      PRIMARY KEY (twin_id, version)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX chain_versions_root ON chain_versions(model_root);

    CREATE TABLE chain_service_logs (
      block_number INTEGER NOT NULL,
      log_index INTEGER NOT NULL,
      twin_id TEXT NOT NULL,
      element_key TEXT NOT NULL,
      actor TEXT NOT NULL,
      kind TEXT NOT NULL,
      report_hash TEXT NOT NULL,
      uri TEXT NOT NULL,
      logged_at INTEGER NOT NULL,
      tx_hash TEXT NOT NULL,
      PRIMARY KEY (block_number, log_index)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX chain_service_logs_twin ON chain_service_logs(twin_id, element_key);

    -- Intents the chain executed (the outbox's idempotency key is the digest) and batch entries
    -- that failed, with their revert data.
    CREATE TABLE chain_intents (
      digest TEXT PRIMARY KEY,
      block_number INTEGER NOT NULL,
      tx_hash TEXT NOT NULL,
      log_index INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE chain_intent_failures (
      block_number INTEGER NOT NULL,
      log_index INTEGER NOT NULL,
      tx_hash TEXT NOT NULL,
      batch_index INTEGER NOT NULL,
      reason TEXT NOT NULL,
      PRIMARY KEY (block_number, log_index)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX chain_intent_failures_tx ON chain_intent_failures(tx_hash);

    -- Small durable facts of sync (sandbox seeding progress...).
    CREATE TABLE sync_meta (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;
  `,
};
