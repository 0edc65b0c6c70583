// The outbox's SQL: signed intents and their fate, the batch transactions that carry them (each raw
// transaction written before it is broadcast), nonce lanes, the chain versions the outbox learnt,
// and the version writes a rebase needs (element states copied in, a new version over them). Every
// write that changes what the user sees happens in one transaction; the database is synchronous=FULL.
import type { SqliteDatabase } from './database';

export type OutboxStatus = 'queued' | 'sent' | 'confirmed' | 'failed' | 'conflict';
export type OutboxKind = 'commitVersion' | 'logService';

export interface OutboxItemRow {
  id: number;
  kind: OutboxKind;
  status: OutboxStatus;
  storeTwinId: string;
  chainTwinId: string;
  versionId: number | null;
  dependsOn: number | null;
  signer: string;
  identityId: string | null;
  nonce: number;
  deadline: number;
  baseVersion: number | null;
  /** EIP-712 message, integers as decimal strings. */
  message: Record<string, string>;
  signature: string;
  digest: string;
  calldata: string;
  summary: string;
  details: Record<string, unknown> | null;
  batchId: number | null;
  txHash: string | null;
  blockNumber: number | null;
  reason: string | null;
  reasonCode: string | null;
  conflict: unknown;
  needsResign: boolean;
  relayAttempts: number;
  signedAtBlock: number | null;
  createdAt: number;
  updatedAt: number;
}

/** What signing stores: the row before the relayer has touched it. */
export type NewOutboxItem = Pick<
  OutboxItemRow,
  | 'kind'
  | 'storeTwinId'
  | 'chainTwinId'
  | 'versionId'
  | 'dependsOn'
  | 'signer'
  | 'identityId'
  | 'nonce'
  | 'deadline'
  | 'baseVersion'
  | 'message'
  | 'signature'
  | 'digest'
  | 'calldata'
  | 'summary'
  | 'details'
  | 'signedAtBlock'
>;

/** A fresh signature of an item's intent (new nonce, deadline, base or root). */
export interface Resigned {
  nonce: number;
  deadline: number;
  baseVersion: number | null;
  versionId: number | null;
  message: Record<string, string>;
  signature: string;
  digest: string;
  calldata: string;
  summary: string;
  signedAtBlock: number | null;
}

export interface BatchRow {
  id: number;
  chainId: number;
  registry: string;
  relayer: string;
  txNonce: number;
  status: 'pending' | 'mined' | 'dropped';
  itemIds: number[];
  calldata: string;
  gasLimit: bigint;
  txHash: string | null;
  blockNumber: number | null;
  createdAt: number;
}

export interface AttemptRow {
  txHash: string;
  batchId: number;
  rawTx: string;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  broadcastAt: number | null;
  createdAt: number;
}

/** What a mined batch did to each of its items. */
export type ItemOutcome =
  | { itemId: number; kind: 'confirmed' }
  | { itemId: number; kind: 'failed' | 'conflict'; reason: string; reasonCode: string; conflict?: unknown }
  /** Back to the queue (nonce moved, base still pending, deadline passed...), maybe to sign again. */
  | {
      itemId: number;
      kind: 'requeue';
      needsResign: boolean;
      reason: string | null;
      reasonCode: string | null;
    };

export interface VersionInfo {
  id: number;
  twinId: string;
  seq: number;
  baseVersionId: number | null;
  status: 'draft' | 'local' | 'queued' | 'confirmed';
  merkleRoot: string;
  elementCount: number;
}

export interface VersionLeaf {
  elementKey: string;
  modelId: string;
  stateHash: string;
  expressId: number;
}

/**
 * A model as a package names it: ids are each store's own (an import makes a new one), so another
 * store finds its own model of the same name (names are unique within a twin) or adds this one.
 */
export interface PackageModel {
  id: string;
  name: string;
  discipline: string;
}

/** One element state with what the viewer needs of it: how a package carries it between stores. */
export interface PortableState {
  stateHash: string;
  globalId: string;
  ifcClass: string;
  name: string | null;
  parentGlobalId: string | null;
  storeyGlobalId: string | null;
  isSpatial: boolean;
  geometryHash: string | null;
  canonical: string;
  searchText: string;
  meshes: { geometryHash: string; color: Uint8Array; matrix: Uint8Array }[];
}

export interface PortableGeometry {
  hash: string;
  vertexCount: number;
  indexCount: number;
  vertices: Uint8Array;
  indices: Uint8Array;
}

/** Which file a model's elements come from in a version (model_revisions). */
export interface ModelRevision {
  modelId: string;
  sourceSha256: string;
  ifcSchema: string;
  projectGlobalId: string | null;
  /** The import's warnings, a JSON array of strings. */
  warnings: string;
}

export interface NewVersion {
  twinId: string;
  baseVersionId: number | null;
  status: 'draft' | 'local' | 'queued' | 'confirmed';
  merkleRoot: string;
  treeNodes: Uint8Array;
  leaves: (VersionLeaf & { leafIndex: number })[];
  /**
   * Its model revisions; absent: the base version's, copied (an edit changes no model's file). A
   * rebase gives them: mine's file for a model mine imported, theirs' for the others.
   */
  modelRevisions?: ModelRevision[];
  changeset: {
    entries: {
      elementKey: string;
      globalId: string;
      ifcClass: string;
      name: string | null;
      change: 'added' | 'removed' | 'modified';
      fields: string[];
      details: string[];
      oldStateHash: string | null;
      newStateHash: string | null;
    }[];
  };
}

interface ItemDbRow {
  id: number;
  kind: OutboxKind;
  status: OutboxStatus;
  store_twin_id: string;
  chain_twin_id: string;
  version_id: number | null;
  depends_on: number | null;
  signer: string;
  identity_id: string | null;
  nonce: number;
  deadline: number;
  base_version: number | null;
  message: string;
  signature: string;
  digest: string;
  calldata: string;
  summary: string;
  details: string | null;
  batch_id: number | null;
  tx_hash: string | null;
  block_number: number | null;
  reason: string | null;
  reason_code: string | null;
  conflict: string | null;
  needs_resign: number;
  relay_attempts: number;
  signed_at_block: number | null;
  created_at: number;
  updated_at: number;
}

const toItem = (r: ItemDbRow): OutboxItemRow => ({
  id: r.id,
  kind: r.kind,
  status: r.status,
  storeTwinId: r.store_twin_id,
  chainTwinId: r.chain_twin_id,
  versionId: r.version_id,
  dependsOn: r.depends_on,
  signer: r.signer,
  identityId: r.identity_id,
  nonce: r.nonce,
  deadline: r.deadline,
  baseVersion: r.base_version,
  message: JSON.parse(r.message) as Record<string, string>,
  signature: r.signature,
  digest: r.digest,
  calldata: r.calldata,
  summary: r.summary,
  details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
  batchId: r.batch_id,
  txHash: r.tx_hash,
  blockNumber: r.block_number,
  reason: r.reason,
  reasonCode: r.reason_code,
  conflict: r.conflict === null ? null : JSON.parse(r.conflict),
  needsResign: r.needs_resign === 1,
  relayAttempts: r.relay_attempts,
  signedAtBlock: r.signed_at_block,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

interface BatchDbRow {
  id: number;
  chain_id: number;
  registry: string;
  relayer: string;
  tx_nonce: number;
  status: BatchRow['status'];
  item_ids: string;
  calldata: string;
  gas_limit: string;
  tx_hash: string | null;
  block_number: number | null;
  created_at: number;
}

const toBatch = (r: BatchDbRow): BatchRow => ({
  id: r.id,
  chainId: r.chain_id,
  registry: r.registry,
  relayer: r.relayer,
  txNonce: r.tx_nonce,
  status: r.status,
  itemIds: JSON.parse(r.item_ids) as number[],
  calldata: r.calldata,
  gasLimit: BigInt(r.gas_limit),
  txHash: r.tx_hash,
  blockNumber: r.block_number,
  createdAt: r.created_at,
});

export class OutboxStore {
  constructor(readonly db: SqliteDatabase) {}

  /** Runs `work` in one IMMEDIATE transaction (nested calls become savepoints). */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  // ---- items -------------------------------------------------------------------------------

  insertItem(item: NewOutboxItem): OutboxItemRow {
    const now = Date.now();
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO outbox_items (kind, status, store_twin_id, chain_twin_id, version_id, depends_on, signer,
             identity_id, nonce, deadline, base_version, message, signature, digest, calldata, summary, details,
             signed_at_block, created_at, updated_at)
           VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          item.kind,
          item.storeTwinId,
          item.chainTwinId,
          item.versionId,
          item.dependsOn,
          item.signer,
          item.identityId,
          item.nonce,
          item.deadline,
          item.baseVersion,
          JSON.stringify(item.message),
          item.signature,
          item.digest,
          item.calldata,
          item.summary,
          item.details === null ? null : JSON.stringify(item.details),
          item.signedAtBlock,
          now,
          now,
        ).lastInsertRowid,
    );
    return this.item(id)!;
  }

  item(id: number): OutboxItemRow | null {
    const row = this.db.prepare('SELECT * FROM outbox_items WHERE id = ?').get(id) as ItemDbRow | undefined;
    return row ? toItem(row) : null;
  }

  itemByDigest(digest: string): OutboxItemRow | null {
    const row = this.db.prepare('SELECT * FROM outbox_items WHERE digest = ?').get(digest) as
      ItemDbRow | undefined;
    return row ? toItem(row) : null;
  }

  items(filter: { status?: OutboxStatus[]; storeTwinId?: string; limit?: number } = {}): OutboxItemRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status?.length) {
      where.push(`status IN (${filter.status.map(() => '?').join(', ')})`);
      params.push(...filter.status);
    }
    if (filter.storeTwinId) {
      where.push('store_twin_id = ?');
      params.push(filter.storeTwinId);
    }
    const sql = `SELECT * FROM outbox_items ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, filter.limit ?? 1_000_000) as ItemDbRow[]).map(toItem);
  }

  /** Items waiting to be relayed, oldest first. */
  queued(): OutboxItemRow[] {
    return (
      this.db.prepare("SELECT * FROM outbox_items WHERE status = 'queued' ORDER BY id").all() as ItemDbRow[]
    ).map(toItem);
  }

  counts(): Record<OutboxStatus, number> {
    const counts: Record<OutboxStatus, number> = { queued: 0, sent: 0, confirmed: 0, failed: 0, conflict: 0 };
    for (const row of this.db
      .prepare('SELECT status, COUNT(*) AS n FROM outbox_items GROUP BY status')
      .all() as {
      status: OutboxStatus;
      n: number;
    }[])
      counts[row.status] = row.n;
    return counts;
  }

  /** Items of one lane that still hold their nonce (not yet on chain, not given up). */
  laneItems(signer: string, chainTwinId: string): OutboxItemRow[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM outbox_items WHERE signer = ? AND chain_twin_id = ? AND status IN ('queued', 'sent')
           ORDER BY nonce, id`,
        )
        .all(signer, chainTwinId) as ItemDbRow[]
    ).map(toItem);
  }

  /** The highest nonce an item of the lane holds or consumed; null when none. */
  laneMaxNonce(signer: string, chainTwinId: string): number | null {
    return (
      (this.db
        .prepare(
          `SELECT MAX(nonce) FROM outbox_items WHERE signer = ? AND chain_twin_id = ?
           AND status IN ('queued', 'sent', 'confirmed')`,
        )
        .pluck()
        .get(signer, chainTwinId) as number | null) ?? null
    );
  }

  /** The waiting commit item of a store version, if any. */
  pendingItemOfVersion(versionId: number): OutboxItemRow | null {
    const row = this.db
      .prepare(
        `SELECT * FROM outbox_items WHERE version_id = ? AND kind = 'commitVersion'
         ORDER BY id DESC LIMIT 1`,
      )
      .get(versionId) as ItemDbRow | undefined;
    return row ? toItem(row) : null;
  }

  setStatus(
    id: number,
    status: OutboxStatus,
    fields: {
      reason?: string | null;
      reasonCode?: string | null;
      conflict?: unknown;
      needsResign?: boolean;
    } = {},
  ): void {
    this.db
      .prepare(
        `UPDATE outbox_items SET status = ?, reason = ?, reason_code = ?, conflict = ?, needs_resign = ?,
           batch_id = CASE WHEN ? IN ('queued', 'failed', 'conflict') THEN NULL ELSE batch_id END,
           updated_at = ? WHERE id = ?`,
      )
      .run(
        status,
        fields.reason ?? null,
        fields.reasonCode ?? null,
        fields.conflict === undefined || fields.conflict === null ? null : JSON.stringify(fields.conflict),
        fields.needsResign ? 1 : 0,
        status,
        Date.now(),
        id,
      );
  }

  markConfirmed(id: number, txHash: string, blockNumber: number): void {
    this.db
      .prepare(
        `UPDATE outbox_items SET status = 'confirmed', tx_hash = ?, block_number = ?, reason = NULL,
           reason_code = NULL, conflict = NULL, needs_resign = 0, updated_at = ? WHERE id = ?`,
      )
      .run(txHash, blockNumber, Date.now(), id);
  }

  /** Replaces an item's intent by a fresh signature; the old digest is remembered. */
  resign(id: number, next: Resigned): void {
    const current = this.item(id);
    if (!current) return;
    this.transaction(() => {
      if (current.digest !== next.digest) {
        this.db
          .prepare(
            'INSERT OR IGNORE INTO outbox_item_digests (digest, item_id, nonce, replaced_at) VALUES (?, ?, ?, ?)',
          )
          .run(current.digest, id, current.nonce, Date.now());
      }
      this.db
        .prepare(
          `UPDATE outbox_items SET status = 'queued', nonce = ?, deadline = ?, base_version = ?, version_id = ?,
             message = ?, signature = ?, digest = ?, calldata = ?, summary = ?, signed_at_block = ?,
             needs_resign = 0, reason = NULL, reason_code = NULL, conflict = NULL, batch_id = NULL,
             tx_hash = NULL, updated_at = ? WHERE id = ?`,
        )
        .run(
          next.nonce,
          next.deadline,
          next.baseVersion,
          next.versionId,
          JSON.stringify(next.message),
          next.signature,
          next.digest,
          next.calldata,
          next.summary,
          next.signedAtBlock,
          Date.now(),
          id,
        );
    });
  }

  /**
   * Points an item at a rebased version and changes what it will say (root, package); it must be
   * signed again before it is sent (its stored signature is for the old message).
   */
  rewrite(id: number, next: { versionId: number; message: Record<string, string>; reason: string }): void {
    this.db
      .prepare(
        `UPDATE outbox_items SET version_id = ?, message = ?, needs_resign = 1, reason = ?, reason_code = NULL,
           conflict = NULL, updated_at = ? WHERE id = ?`,
      )
      .run(next.versionId, JSON.stringify(next.message), next.reason, Date.now(), id);
  }

  /** Earlier digests of an item (older signatures of the same work). */
  previousDigests(itemId: number): string[] {
    return this.db
      .prepare('SELECT digest FROM outbox_item_digests WHERE item_id = ?')
      .pluck()
      .all(itemId) as string[];
  }

  deleteItem(id: number): void {
    this.db.prepare('UPDATE outbox_items SET depends_on = NULL WHERE depends_on = ?').run(id);
    this.db.prepare('DELETE FROM outbox_items WHERE id = ?').run(id);
  }

  setDependsOn(id: number, dependsOn: number | null): void {
    this.db
      .prepare('UPDATE outbox_items SET depends_on = ?, updated_at = ? WHERE id = ?')
      .run(dependsOn, Date.now(), id);
  }

  /** Items whose base is `itemId`'s version (commits chained on a commit still waiting). */
  dependents(itemId: number): OutboxItemRow[] {
    return (
      this.db
        .prepare('SELECT * FROM outbox_items WHERE depends_on = ? ORDER BY id')
        .all(itemId) as ItemDbRow[]
    ).map(toItem);
  }

  // ---- batches -----------------------------------------------------------------------------

  /**
   * Records a batch and its first raw transaction and marks its items sent, in one transaction:
   * after this returns, a crash before or after the broadcast is recovered from these rows.
   */
  createBatch(
    batch: Omit<BatchRow, 'id' | 'status' | 'txHash' | 'blockNumber' | 'createdAt'>,
    attempt: Omit<AttemptRow, 'batchId' | 'broadcastAt' | 'createdAt'>,
  ): BatchRow {
    return this.transaction(() => {
      const now = Date.now();
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO outbox_batches (chain_id, registry, relayer, tx_nonce, status, item_ids, calldata, gas_limit,
               tx_hash, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            batch.chainId,
            batch.registry,
            batch.relayer,
            batch.txNonce,
            JSON.stringify(batch.itemIds),
            batch.calldata,
            batch.gasLimit.toString(),
            attempt.txHash,
            now,
            now,
          ).lastInsertRowid,
      );
      this.insertAttempt(id, attempt, now);
      const mark = this.db.prepare(
        `UPDATE outbox_items SET status = 'sent', batch_id = ?, tx_hash = ?, relay_attempts = relay_attempts + 1,
           updated_at = ? WHERE id = ?`,
      );
      for (const itemId of batch.itemIds) mark.run(id, attempt.txHash, now, itemId);
      return this.batch(id)!;
    });
  }

  /** A replacement (bumped fees, same relayer nonce): written before it is broadcast. */
  addAttempt(batchId: number, attempt: Omit<AttemptRow, 'batchId' | 'broadcastAt' | 'createdAt'>): void {
    this.transaction(() => {
      const now = Date.now();
      this.insertAttempt(batchId, attempt, now);
      this.db
        .prepare('UPDATE outbox_batches SET tx_hash = ?, updated_at = ? WHERE id = ?')
        .run(attempt.txHash, now, batchId);
      this.db
        .prepare("UPDATE outbox_items SET tx_hash = ?, updated_at = ? WHERE batch_id = ? AND status = 'sent'")
        .run(attempt.txHash, now, batchId);
    });
  }

  private insertAttempt(
    batchId: number,
    attempt: Omit<AttemptRow, 'batchId' | 'broadcastAt' | 'createdAt'>,
    now: number,
  ): void {
    this.db
      .prepare(
        // The same bytes again (a batch rebuilt identically after a reorg dropped it) move to the new batch.
        `INSERT OR REPLACE INTO outbox_attempts (tx_hash, batch_id, raw_tx, max_fee_per_gas, max_priority_fee_per_gas, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(
        attempt.txHash,
        batchId,
        attempt.rawTx,
        attempt.maxFeePerGas.toString(),
        attempt.maxPriorityFeePerGas.toString(),
        now,
      );
  }

  markBroadcast(txHash: string): void {
    this.db
      .prepare('UPDATE outbox_attempts SET broadcast_at = COALESCE(broadcast_at, ?) WHERE tx_hash = ?')
      .run(Date.now(), txHash);
  }

  batch(id: number): BatchRow | null {
    const row = this.db.prepare('SELECT * FROM outbox_batches WHERE id = ?').get(id) as
      BatchDbRow | undefined;
    return row ? toBatch(row) : null;
  }

  pendingBatches(): BatchRow[] {
    return (
      this.db
        .prepare("SELECT * FROM outbox_batches WHERE status = 'pending' ORDER BY tx_nonce, id")
        .all() as BatchDbRow[]
    ).map(toBatch);
  }

  batchCount(status?: BatchRow['status']): number {
    return (
      status
        ? this.db.prepare('SELECT COUNT(*) FROM outbox_batches WHERE status = ?').pluck().get(status)
        : this.db.prepare('SELECT COUNT(*) FROM outbox_batches').pluck().get()
    ) as number;
  }

  /** Attempts of a batch, newest first. */
  attempts(batchId: number): AttemptRow[] {
    return (
      this.db
        .prepare('SELECT * FROM outbox_attempts WHERE batch_id = ? ORDER BY created_at DESC, rowid DESC')
        .all(batchId) as {
        tx_hash: string;
        batch_id: number;
        raw_tx: string;
        max_fee_per_gas: string;
        max_priority_fee_per_gas: string;
        broadcast_at: number | null;
        created_at: number;
      }[]
    ).map((r) => ({
      txHash: r.tx_hash,
      batchId: r.batch_id,
      rawTx: r.raw_tx,
      maxFeePerGas: BigInt(r.max_fee_per_gas),
      maxPriorityFeePerGas: BigInt(r.max_priority_fee_per_gas),
      broadcastAt: r.broadcast_at,
      createdAt: r.created_at,
    }));
  }

  /** Highest relayer nonce the outbox used for a batch that may still hold it. */
  lastRelayerNonce(relayer: string): number | null {
    return (
      (this.db
        .prepare("SELECT MAX(tx_nonce) FROM outbox_batches WHERE relayer = ? AND status != 'dropped'")
        .pluck()
        .get(relayer) as number | null) ?? null
    );
  }

  /** Mined batches at or above `fromBlock` (not yet final: a reorg could still remove them). */
  recentBatches(fromBlock: number): BatchRow[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM outbox_batches WHERE status = 'mined' AND block_number >= ? ORDER BY block_number",
        )
        .all(fromBlock) as BatchDbRow[]
    ).map(toBatch);
  }

  /**
   * A mined batch whose block a reorg removed: the batch no longer holds its relayer nonce and its
   * confirmed items wait again (their intents are still valid: the lane nonces rolled back too).
   * Answers the items put back.
   */
  unmineBatch(batchId: number, reason: string): OutboxItemRow[] {
    return this.transaction(() => {
      const batch = this.batch(batchId);
      if (!batch) return [];
      this.db
        .prepare("UPDATE outbox_batches SET status = 'dropped', updated_at = ? WHERE id = ?")
        .run(Date.now(), batchId);
      const back: OutboxItemRow[] = [];
      for (const itemId of batch.itemIds) {
        const item = this.item(itemId);
        if (
          !item ||
          item.status !== 'confirmed' ||
          item.txHash?.toLowerCase() !== batch.txHash?.toLowerCase()
        )
          continue;
        this.db
          .prepare(
            `UPDATE outbox_items SET status = 'queued', block_number = NULL, batch_id = NULL, reason = ?, reason_code = 'Reorg',
               updated_at = ? WHERE id = ?`,
          )
          .run(reason, Date.now(), itemId);
        back.push(this.item(itemId)!);
      }
      return back;
    });
  }

  /** A mined batch: its transaction and every item's outcome, in one transaction. */
  finishBatch(
    batchId: number,
    mined: { txHash: string; blockNumber: number } | null,
    outcomes: ItemOutcome[],
  ): void {
    this.transaction(() => {
      const now = Date.now();
      this.db
        .prepare(
          'UPDATE outbox_batches SET status = ?, tx_hash = COALESCE(?, tx_hash), block_number = ?, updated_at = ? WHERE id = ?',
        )
        .run(mined ? 'mined' : 'dropped', mined?.txHash ?? null, mined?.blockNumber ?? null, now, batchId);
      for (const outcome of outcomes) {
        if (outcome.kind === 'confirmed')
          this.markConfirmed(outcome.itemId, mined!.txHash, mined!.blockNumber);
        else if (outcome.kind === 'requeue')
          this.setStatus(outcome.itemId, 'queued', {
            reason: outcome.reason,
            reasonCode: outcome.reasonCode,
            needsResign: outcome.needsResign,
          });
        else
          this.setStatus(outcome.itemId, outcome.kind, {
            reason: outcome.reason,
            reasonCode: outcome.reasonCode,
            conflict: outcome.conflict ?? null,
          });
      }
    });
  }

  // ---- lanes and chain versions -------------------------------------------------------------

  setLane(signer: string, chainTwinId: string, chainNonce: number): void {
    this.db
      .prepare(
        `INSERT INTO outbox_lanes (signer, chain_twin_id, chain_nonce, read_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (signer, chain_twin_id) DO UPDATE SET chain_nonce = excluded.chain_nonce, read_at = excluded.read_at`,
      )
      .run(signer, chainTwinId, chainNonce, Date.now());
  }

  lane(signer: string, chainTwinId: string): number | null {
    return (
      (this.db
        .prepare('SELECT chain_nonce FROM outbox_lanes WHERE signer = ? AND chain_twin_id = ?')
        .pluck()
        .get(signer, chainTwinId) as number | undefined) ?? null
    );
  }

  learnChainVersion(chainTwinId: string, version: number, modelRoot: string): void {
    this.db
      .prepare(
        `INSERT INTO outbox_chain_versions (chain_twin_id, version, model_root) VALUES (?, ?, ?)
         ON CONFLICT (chain_twin_id, version) DO UPDATE SET model_root = excluded.model_root`,
      )
      .run(chainTwinId, version, modelRoot.toLowerCase());
  }

  /** The chain version (highest, if several) with this root, from what the outbox or the indexer learnt. */
  chainVersionOfRoot(chainTwinId: string, modelRoot: string): number | null {
    const root = modelRoot.toLowerCase();
    const own = this.db
      .prepare('SELECT MAX(version) FROM outbox_chain_versions WHERE chain_twin_id = ? AND model_root = ?')
      .pluck()
      .get(chainTwinId, root) as number | null;
    if (own !== null) return own;
    if (!this.hasTable('chain_versions')) return null;
    return (
      (this.db
        .prepare('SELECT MAX(version) FROM chain_versions WHERE twin_id = ? AND lower(model_root) = ?')
        .pluck()
        .get(chainTwinId, root) as number | null) ?? null
    );
  }

  /** Package URIs of indexed chain versions (when the indexer has them). */
  indexedPackageUri(chainTwinId: string, version: number): string | null {
    if (!this.hasTable('chain_versions')) return null;
    return (
      (this.db
        .prepare('SELECT package_uri FROM chain_versions WHERE twin_id = ? AND version = ?')
        .pluck()
        .get(chainTwinId, version) as string | undefined) ?? null
    );
  }

  /** Where the indexer saw an intent execute, when it has. */
  indexedIntent(digest: string): { blockNumber: number; txHash: string } | null {
    if (!this.hasTable('chain_intents')) return null;
    const row = this.db
      .prepare('SELECT block_number, tx_hash FROM chain_intents WHERE digest = ?')
      .get(digest.toLowerCase()) as { block_number: number; tx_hash: string } | undefined;
    return row ? { blockNumber: row.block_number, txHash: row.tx_hash } : null;
  }

  private readonly tables = new Map<string, boolean>();
  private hasTable(name: string): boolean {
    let known = this.tables.get(name);
    if (known === undefined) {
      known =
        this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(name) ===
        1;
      this.tables.set(name, known);
    }
    return known;
  }

  // ---- twins and versions (read, and the writes a rebase or a failure needs) ------------------

  chainTwinOf(storeTwinId: string): string | null {
    return (
      (this.db.prepare('SELECT chain_twin_id FROM twins WHERE id = ?').pluck().get(storeTwinId) as
        string | null | undefined) ?? null
    );
  }

  /** Links a store twin to its chain twin (sync's seeding does this for the sample; tests too). */
  linkTwin(storeTwinId: string, chainTwinId: string): void {
    this.db.prepare('UPDATE twins SET chain_twin_id = ? WHERE id = ?').run(chainTwinId, storeTwinId);
  }

  twinHead(storeTwinId: string): number | null {
    return (
      (this.db.prepare('SELECT head_version_id FROM twins WHERE id = ?').pluck().get(storeTwinId) as
        number | null | undefined) ?? null
    );
  }

  setTwinHead(storeTwinId: string, versionId: number | null): void {
    this.db.prepare('UPDATE twins SET head_version_id = ? WHERE id = ?').run(versionId, storeTwinId);
  }

  version(versionId: number): VersionInfo | null {
    const row = this.db
      .prepare(
        'SELECT id, twin_id, seq, base_version_id, status, merkle_root, element_count FROM versions WHERE id = ?',
      )
      .get(versionId) as
      | {
          id: number;
          twin_id: string;
          seq: number;
          base_version_id: number | null;
          status: VersionInfo['status'];
          merkle_root: string;
          element_count: number;
        }
      | undefined;
    return row
      ? {
          id: row.id,
          twinId: row.twin_id,
          seq: row.seq,
          baseVersionId: row.base_version_id,
          status: row.status,
          merkleRoot: row.merkle_root,
          elementCount: row.element_count,
        }
      : null;
  }

  /** Store versions of a twin with this root, newest first. */
  versionsWithRoot(storeTwinId: string, merkleRoot: string): VersionInfo[] {
    const ids = this.db
      .prepare('SELECT id FROM versions WHERE twin_id = ? AND lower(merkle_root) = ? ORDER BY seq DESC')
      .pluck()
      .all(storeTwinId, merkleRoot.toLowerCase()) as number[];
    return ids.map((id) => this.version(id)!);
  }

  /** The twin's draft under review, if any. */
  draftOf(storeTwinId: string): VersionInfo | null {
    const id = this.db
      .prepare("SELECT id FROM versions WHERE twin_id = ? AND status = 'draft'")
      .pluck()
      .get(storeTwinId) as number | undefined;
    return id === undefined ? null : this.version(id);
  }

  setVersionStatus(versionId: number, status: VersionInfo['status']): void {
    this.db
      .prepare(
        `UPDATE versions SET status = ?, committed_at = CASE WHEN ? = 'draft' THEN NULL
           ELSE COALESCE(committed_at, ?) END WHERE id = ?`,
      )
      .run(status, status, Date.now(), versionId);
  }

  setVersionBase(versionId: number, baseVersionId: number | null): void {
    this.db.prepare('UPDATE versions SET base_version_id = ? WHERE id = ?').run(baseVersionId, versionId);
    this.db
      .prepare('UPDATE changesets SET base_version_id = ? WHERE version_id = ?')
      .run(baseVersionId, versionId);
  }

  leaves(versionId: number): VersionLeaf[] {
    return (
      this.db
        .prepare(
          'SELECT element_key, model_id, state_hash, express_id FROM version_elements WHERE version_id = ? ORDER BY element_key',
        )
        .raw()
        .all(versionId) as [string, string, string, number][]
    ).map(([elementKey, modelId, stateHash, expressId]) => ({ elementKey, modelId, stateHash, expressId }));
  }

  /** Canonical JSON (and names) of states, by hash. */
  states(
    stateHashes: readonly string[],
  ): Map<string, { canonical: string; globalId: string; ifcClass: string; name: string | null }> {
    const get = this.db.prepare(
      'SELECT canonical, global_id, ifc_class, name FROM element_states WHERE state_hash = ?',
    );
    const out = new Map<
      string,
      { canonical: string; globalId: string; ifcClass: string; name: string | null }
    >();
    for (const hash of stateHashes) {
      const row = get.get(hash) as
        { canonical: string; global_id: string; ifc_class: string; name: string | null } | undefined;
      if (row)
        out.set(hash, {
          canonical: row.canonical,
          globalId: row.global_id,
          ifcClass: row.ifc_class,
          name: row.name,
        });
    }
    return out;
  }

  hasStates(stateHashes: readonly string[]): boolean {
    const get = this.db.prepare('SELECT 1 FROM element_states WHERE state_hash = ?').pluck();
    return stateHashes.every((hash) => get.get(hash) === 1);
  }

  /** States with their meshes, and the geometries they use, for a package. */
  exportStates(stateHashes: readonly string[]): { states: PortableState[]; geometries: PortableGeometry[] } {
    const getState = this.db.prepare('SELECT * FROM element_states WHERE state_hash = ?');
    const getMeshes = this.db.prepare(
      'SELECT geometry_hash, color, matrix FROM element_meshes WHERE state_hash = ? ORDER BY ordinal',
    );
    const getGeometry = this.db.prepare('SELECT * FROM geometries WHERE hash = ?');
    const states: PortableState[] = [];
    const geometryHashes = new Set<string>();
    for (const hash of stateHashes) {
      const r = getState.get(hash) as
        | {
            state_hash: string;
            global_id: string;
            ifc_class: string;
            name: string | null;
            parent_global_id: string | null;
            storey_global_id: string | null;
            is_spatial: number;
            geometry_hash: string | null;
            canonical: string;
            search_text: string;
          }
        | undefined;
      if (!r) continue;
      const meshes = (getMeshes.all(hash) as { geometry_hash: string; color: Buffer; matrix: Buffer }[]).map(
        (m) => {
          geometryHashes.add(m.geometry_hash);
          return {
            geometryHash: m.geometry_hash,
            color: new Uint8Array(m.color),
            matrix: new Uint8Array(m.matrix),
          };
        },
      );
      states.push({
        stateHash: r.state_hash,
        globalId: r.global_id,
        ifcClass: r.ifc_class,
        name: r.name,
        parentGlobalId: r.parent_global_id,
        storeyGlobalId: r.storey_global_id,
        isSpatial: r.is_spatial === 1,
        geometryHash: r.geometry_hash,
        canonical: r.canonical,
        searchText: r.search_text,
        meshes,
      });
    }
    const geometries: PortableGeometry[] = [];
    for (const hash of geometryHashes) {
      const g = getGeometry.get(hash) as
        | { hash: string; vertex_count: number; index_count: number; vertices: Buffer; indices: Buffer }
        | undefined;
      if (g)
        geometries.push({
          hash: g.hash,
          vertexCount: g.vertex_count,
          indexCount: g.index_count,
          vertices: new Uint8Array(g.vertices),
          indices: new Uint8Array(g.indices),
        });
    }
    return { states, geometries };
  }

  /** Adds states (and their meshes and geometries) the store lacks; content-addressed, so idempotent. */
  importStates(states: readonly PortableState[], geometries: readonly PortableGeometry[]): void {
    const insertGeometry = this.db.prepare(
      'INSERT OR IGNORE INTO geometries (hash, vertex_count, index_count, vertices, indices) VALUES (?, ?, ?, ?, ?)',
    );
    const stateExists = this.db.prepare('SELECT 1 FROM element_states WHERE state_hash = ?').pluck();
    const insertState = this.db.prepare(
      `INSERT INTO element_states (state_hash, global_id, ifc_class, name, parent_global_id, storey_global_id,
         is_spatial, geometry_hash, canonical, search_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertMesh = this.db.prepare(
      'INSERT INTO element_meshes (state_hash, ordinal, geometry_hash, color, matrix) VALUES (?, ?, ?, ?, ?)',
    );
    this.transaction(() => {
      for (const g of geometries)
        insertGeometry.run(g.hash, g.vertexCount, g.indexCount, g.vertices, g.indices);
      for (const s of states) {
        if (stateExists.get(s.stateHash)) continue;
        insertState.run(
          s.stateHash,
          s.globalId,
          s.ifcClass,
          s.name,
          s.parentGlobalId,
          s.storeyGlobalId,
          s.isSpatial ? 1 : 0,
          s.geometryHash,
          s.canonical,
          s.searchText,
        );
        s.meshes.forEach((m, ordinal) =>
          insertMesh.run(s.stateHash, ordinal, m.geometryHash, m.color, m.matrix),
        );
      }
    });
  }

  /** The version's model revisions, with the name of each file (null if its row is gone), by model id. */
  modelRevisions(versionId: number): (ModelRevision & { fileName: string | null })[] {
    return (
      this.db
        .prepare(
          `SELECT r.model_id, r.source_sha256, r.ifc_schema, r.project_global_id, r.warnings, s.file_name
           FROM model_revisions r LEFT JOIN source_files s ON s.sha256 = r.source_sha256
           WHERE r.version_id = ? ORDER BY r.model_id`,
        )
        .all(versionId) as {
        model_id: string;
        source_sha256: string;
        ifc_schema: string;
        project_global_id: string | null;
        warnings: string;
        file_name: string | null;
      }[]
    ).map((r) => ({
      modelId: r.model_id,
      sourceSha256: r.source_sha256,
      ifcSchema: r.ifc_schema,
      projectGlobalId: r.project_global_id,
      warnings: r.warnings,
      fileName: r.file_name,
    }));
  }

  /**
   * A new version over existing states, with its changeset; its model revisions as given, or
   * copied from the base.
   */
  createVersion(version: NewVersion): number {
    return this.transaction(() => {
      const now = Date.now();
      const seq = this.db
        .prepare('SELECT COALESCE(MAX(seq), 0) + 1 FROM versions WHERE twin_id = ?')
        .pluck()
        .get(version.twinId) as number;
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO versions (twin_id, seq, base_version_id, status, merkle_root, element_count, tree_nodes,
               created_at, committed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            version.twinId,
            seq,
            version.baseVersionId,
            version.status,
            version.merkleRoot,
            version.leaves.length,
            version.treeNodes,
            now,
            version.status === 'draft' ? null : now,
          ).lastInsertRowid,
      );
      const insertLeaf = this.db.prepare(
        'INSERT INTO version_elements (version_id, element_key, model_id, state_hash, express_id, leaf_index) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (const leaf of version.leaves)
        insertLeaf.run(id, leaf.elementKey, leaf.modelId, leaf.stateHash, leaf.expressId, leaf.leafIndex);
      if (version.modelRevisions) {
        const insertRevision = this.db.prepare(
          `INSERT INTO model_revisions (version_id, model_id, source_sha256, ifc_schema, project_global_id, warnings)
           VALUES (?, ?, ?, ?, ?, ?)`,
        );
        for (const r of version.modelRevisions)
          insertRevision.run(id, r.modelId, r.sourceSha256, r.ifcSchema, r.projectGlobalId, r.warnings);
      } else if (version.baseVersionId !== null) {
        this.db
          .prepare(
            `INSERT INTO model_revisions (version_id, model_id, source_sha256, ifc_schema, project_global_id, warnings)
             SELECT ?, model_id, source_sha256, ifc_schema, project_global_id, warnings FROM model_revisions WHERE version_id = ?`,
          )
          .run(id, version.baseVersionId);
      }
      const entries = version.changeset.entries;
      const count = (change: string) => entries.filter((e) => e.change === change).length;
      const changesetId = Number(
        this.db
          .prepare(
            `INSERT INTO changesets (twin_id, version_id, base_version_id, model_id, added, removed, modified, created_at)
             VALUES (?, ?, ?, NULL, ?, ?, ?, ?)`,
          )
          .run(
            version.twinId,
            id,
            version.baseVersionId,
            count('added'),
            count('removed'),
            count('modified'),
            now,
          ).lastInsertRowid,
      );
      const insertEntry = this.db.prepare(
        `INSERT INTO changeset_entries (changeset_id, element_key, global_id, ifc_class, name, change, fields, details,
           old_state_hash, new_state_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const e of entries) {
        insertEntry.run(
          changesetId,
          e.elementKey,
          e.globalId,
          e.ifcClass,
          e.name,
          e.change,
          JSON.stringify(e.fields),
          JSON.stringify(e.details),
          e.oldStateHash,
          e.newStateHash,
        );
      }
      return id;
    });
  }

  /** Removes a version the outbox replaced (a rebased commit); states stay for the versions using them. */
  deleteVersion(versionId: number): void {
    this.transaction(() => {
      this.db.prepare('UPDATE versions SET base_version_id = NULL WHERE base_version_id = ?').run(versionId);
      this.db
        .prepare('UPDATE changesets SET base_version_id = NULL WHERE base_version_id = ?')
        .run(versionId);
      this.db.prepare('DELETE FROM versions WHERE id = ?').run(versionId);
    });
  }

  /** The twin's models, the first created first (an element's model when a package names none). */
  models(storeTwinId: string): PackageModel[] {
    return this.db
      .prepare('SELECT id, name, discipline FROM models WHERE twin_id = ? ORDER BY created_at, id')
      .all(storeTwinId) as PackageModel[];
  }

  /** The models of these ids (any twin's), as a package names them; unknown ids are left out. */
  modelsById(ids: readonly string[]): PackageModel[] {
    if (ids.length === 0) return [];
    return this.db
      .prepare(
        'SELECT id, name, discipline FROM models WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id',
      )
      .all(JSON.stringify(ids)) as PackageModel[];
  }

  /** Adds models another machine's versions brought (a rebase writes them with its versions). */
  addModels(storeTwinId: string, models: readonly PackageModel[]): void {
    const insert = this.db.prepare(
      'INSERT INTO models (id, twin_id, name, discipline, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    const now = Date.now();
    this.transaction(() => {
      for (const m of models) insert.run(m.id, storeTwinId, m.name, m.discipline, now);
    });
  }
}
