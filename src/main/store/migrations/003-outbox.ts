// Schema 3: the outbox. Signed intents waiting for the chain (the user's unsynced work: the database
// runs with synchronous=FULL), the batch transactions that carry them with every raw transaction
// written before it is broadcast, nonce lanes as last read from the chain, and chain versions the
// outbox has learnt (so a commit can be signed offline on top of them).
import type { Migration } from './types';

export const migration003: Migration = {
  version: 3,
  name: 'outbox',
  sql: `
    CREATE TABLE outbox_items (
      id INTEGER PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('commitVersion', 'logService')),
      status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'confirmed', 'failed', 'conflict')),
      store_twin_id TEXT NOT NULL,
      chain_twin_id TEXT NOT NULL,
      -- commits: the store version signed (its merkle root is the intent's modelRoot)
      version_id INTEGER,
      -- commits: the outbox item of the base version when that one is still waiting too
      depends_on INTEGER REFERENCES outbox_items(id) ON DELETE SET NULL,
      signer TEXT NOT NULL,
      identity_id TEXT,
      -- the intent: EIP-712 message as JSON (integers as decimal strings), signature, digest, the
      -- encoded ...BySig call relayBatch runs, and the summary of what was signed, in words
      nonce INTEGER NOT NULL,
      deadline INTEGER NOT NULL,
      base_version INTEGER,
      message TEXT NOT NULL,
      signature TEXT NOT NULL,
      digest TEXT NOT NULL UNIQUE,
      calldata TEXT NOT NULL,
      summary TEXT NOT NULL,
      -- service logs: kind, notes and attachment hashes as the user gave them
      details TEXT,
      -- the batch transaction carrying it while sent, and where it landed once confirmed
      batch_id INTEGER REFERENCES outbox_batches(id),
      tx_hash TEXT,
      block_number INTEGER,
      -- why it failed or conflicts, in words, and the decoded custom error
      reason TEXT,
      reason_code TEXT,
      -- conflicts: both sides field by field (JSON)
      conflict TEXT,
      -- the nonce or deadline changed under it: sign again before sending (vault unlocked)
      needs_resign INTEGER NOT NULL DEFAULT 0,
      -- sent at least once: check the chain for its digest before sending it again
      relay_attempts INTEGER NOT NULL DEFAULT 0,
      -- a lower bound for log searches (chain head when it was signed, when known)
      signed_at_block INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX outbox_items_status ON outbox_items(status, id);
    CREATE INDEX outbox_items_lane ON outbox_items(signer, chain_twin_id, nonce);
    CREATE INDEX outbox_items_version ON outbox_items(version_id);

    -- Digests an item was signed under before it was signed again (kept so the chain can be asked
    -- whether an older signature of the same work ever executed).
    CREATE TABLE outbox_item_digests (
      digest TEXT PRIMARY KEY,
      item_id INTEGER NOT NULL REFERENCES outbox_items(id) ON DELETE CASCADE,
      nonce INTEGER NOT NULL,
      replaced_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;

    -- One relayBatch transaction (one relayer nonce); its attempts are the raw transactions signed
    -- for that nonce (the first, then replacements with bumped fees).
    CREATE TABLE outbox_batches (
      id INTEGER PRIMARY KEY,
      chain_id INTEGER NOT NULL,
      registry TEXT NOT NULL,
      relayer TEXT NOT NULL,
      tx_nonce INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'mined', 'dropped')),
      -- item ids in batch order (IntentFailed names entries by index)
      item_ids TEXT NOT NULL,
      calldata TEXT NOT NULL,
      gas_limit TEXT NOT NULL,
      tx_hash TEXT,
      block_number INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX outbox_batches_status ON outbox_batches(status);

    CREATE TABLE outbox_attempts (
      tx_hash TEXT PRIMARY KEY,
      batch_id INTEGER NOT NULL REFERENCES outbox_batches(id) ON DELETE CASCADE,
      raw_tx TEXT NOT NULL,
      max_fee_per_gas TEXT NOT NULL,
      max_priority_fee_per_gas TEXT NOT NULL,
      -- null until the node accepted it (or said it already had it)
      broadcast_at INTEGER,
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX outbox_attempts_batch ON outbox_attempts(batch_id, created_at);

    -- Chain versions the outbox learnt (from its own confirmations or reads of the registry).
    CREATE TABLE outbox_chain_versions (
      chain_twin_id TEXT NOT NULL,
      version INTEGER NOT NULL,
      model_root TEXT NOT NULL,
      PRIMARY KEY (chain_twin_id, version)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX outbox_chain_versions_root ON outbox_chain_versions(model_root);

    -- Each (signer, twin) nonce lane's next nonce as last read from the chain.
    CREATE TABLE outbox_lanes (
      signer TEXT NOT NULL,
      chain_twin_id TEXT NOT NULL,
      chain_nonce INTEGER NOT NULL,
      read_at INTEGER NOT NULL,
      PRIMARY KEY (signer, chain_twin_id)
    ) STRICT, WITHOUT ROWID;
  `,
};
