// The chain index in SQLite: the registry's events, the state derived from them and the indexer's
// cursor, written together in one transaction per block range; rollback of what orphaned blocks
// wrote (a reorg); the queries permissions, sync status and the outbox ask; and a dump used to prove
// that an index equals a fresh index of the same chain.
import type { SqliteDatabase } from './database';
import { MaintenanceIndex } from './maintenance-index';

/** A registry event as the indexer hands it over: where it is on chain and its decoded arguments. */
export interface IndexedEvent {
  blockNumber: number;
  logIndex: number;
  blockHash: string;
  txHash: string;
  txIndex: number;
  /** The event's name in the registry's ABI ('RoleGranted', ...). */
  name: string;
  /** The twin the event is about (decimal token id), or null for batch-level events. */
  twinId: string | null;
  /** Decoded arguments by name: addresses checksummed, integers as decimal strings, bytes as hex. */
  args: Record<string, string | boolean>;
}

export interface IndexedBlock {
  number: number;
  hash: string;
  timestamp: number | null;
}

/** One block range's worth of work, committed atomically. */
export interface IndexBatch {
  events: IndexedEvent[];
  /** Hashes of the blocks the events came from and of the range's last block. */
  blocks: IndexedBlock[];
  /** The range's last block: the new cursor. */
  cursor: { number: number; hash: string };
  /** The cursor this batch continues from; checked in the transaction (another writer, a rebuild). */
  after?: number;
}

/** The index's cursor was not where a batch expected it: nothing was written. */
export class IndexMovedError extends Error {
  constructor(expected: number, found: number | null) {
    super(`The chain index moved while a range was read (expected cursor ${expected}, found ${found}).`);
    this.name = 'IndexMovedError';
  }
}

export interface IndexScope {
  chainId: number;
  registry: string;
  startBlock: number;
}

export interface IndexCursor extends IndexScope {
  /** Last block whose events are all in the index (startBlock - 1 before any). */
  blockNumber: number;
  blockHash: string | null;
  updatedAt: number;
}

/** What a batch or a rollback changed, so the services know whom to tell. */
export interface IndexChange {
  twins: Set<string>;
  grantsChanged: boolean;
  versionsChanged: boolean;
  events: number;
}

/**
 * Derived state a capability beside the registry keeps from its own contract's events (maintenance,
 * licensing...): written in the same transaction as the events and the cursor, emptied with the
 * index, re-derived from the remaining events after a rollback, and told after each transaction so
 * it announces changes only once they are durable.
 */
export interface IndexExtension {
  readonly name: string;
  /** The event names it derives state from (replayed for it after a rollback). */
  readonly eventNames: ReadonlySet<string>;
  /** Its tables and their canonical order: part of dump() and diffIndexDumps. */
  readonly tables: readonly (readonly [table: string, order: string])[];
  /** Derives state from one event, inside the batch's transaction; ignores names it does not know. */
  apply(event: IndexedEvent): void;
  /** Empties its tables, inside the caller's transaction. */
  clear(): void;
  /**
   * Called when a transaction starts (false: forget what an earlier one that did not commit
   * touched) and after it committed (true: announce what changed).
   */
  settle(committed: boolean): void;
}

/** The extensions every index carries (their tables come with the app's migrations). */
export function defaultIndexExtensions(db: SqliteDatabase): IndexExtension[] {
  return [new MaintenanceIndex(db)];
}

export interface ChainTwin {
  twinId: string;
  owner: string;
  name: string;
  metadataUri: string;
  mintedBy: string;
  mintedBlock: number;
  mintedTx: string;
  headVersion: number;
  /** The store twin linked to this chain twin, if any. */
  storeTwinId: string | null;
}

export interface RoleGrant {
  twinId: string;
  account: string;
  role: number;
  /** Unix seconds from which the grant no longer counts; null for no end. */
  expiresAt: number | null;
  grantedBy: string;
  blockNumber: number;
  txHash: string;
}

export interface ChainVersion {
  twinId: string;
  version: number;
  author: string;
  modelRoot: string;
  changesetHash: string;
  packageUri: string;
  committedAt: number;
  blockNumber: number;
  txHash: string;
  logIndex: number;
}

export interface ServiceLogEntry {
  twinId: string;
  elementKey: string;
  actor: string;
  kind: string;
  reportHash: string;
  uri: string;
  loggedAt: number;
  blockNumber: number;
  txHash: string;
  logIndex: number;
}

/** The tables that hold what the chain said; compared by `diffIndexDumps`. */
const DERIVED_TABLES = [
  ['chain_events', 'block_number, log_index'],
  ['chain_twins', 'twin_id'],
  ['chain_role_grants', 'twin_id, account, role'],
  ['chain_versions', 'twin_id, version'],
  ['chain_service_logs', 'block_number, log_index'],
  ['chain_intents', 'digest'],
  ['chain_intent_failures', 'block_number, log_index'],
] as const;

export type IndexDump = Record<(typeof DERIVED_TABLES)[number][0], unknown[][]> & {
  cursor: { blockNumber: number; blockHash: string | null } | null;
  /** The extensions' tables, by table name. */
  extensions: Record<string, unknown[][]>;
};

const num = (value: string | boolean | undefined): number => Number(value);
const str = (value: string | boolean | undefined): string => String(value);

export class ChainIndex {
  private readonly statements: ReturnType<ChainIndex['prepare']>;

  constructor(
    readonly db: SqliteDatabase,
    readonly extensions: readonly IndexExtension[] = defaultIndexExtensions(db),
  ) {
    this.statements = this.prepare();
  }

  /** The extension called `name` (e.g. 'maintenance'), if this index carries it. */
  extension<T extends IndexExtension>(name: string): T | null {
    return (this.extensions.find((e) => e.name === name) as T | undefined) ?? null;
  }

  private settleExtensions(committed: boolean): void {
    for (const extension of this.extensions) extension.settle(committed);
  }

  private prepare() {
    const db = this.db;
    return {
      cursor: db.prepare(
        `SELECT chain_id, registry, start_block, block_number, block_hash, updated_at FROM chain_cursor WHERE id = 1`,
      ),
      setCursor: db.prepare(
        `UPDATE chain_cursor SET block_number = ?, block_hash = ?, updated_at = ? WHERE id = 1`,
      ),
      insertEvent: db.prepare(
        `INSERT INTO chain_events (block_number, log_index, block_hash, tx_hash, tx_index, name, twin_id, args)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertBlock: db.prepare(
        `INSERT OR REPLACE INTO chain_blocks (number, hash, timestamp) VALUES (?, ?, ?)`,
      ),
      mint: db.prepare(
        `INSERT OR REPLACE INTO chain_twins
           (twin_id, owner, name, metadata_uri, minted_by, minted_block, minted_tx, head_version)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0)`,
      ),
      setOwner: db.prepare(`UPDATE chain_twins SET owner = ? WHERE twin_id = ?`),
      setMetadata: db.prepare(`UPDATE chain_twins SET name = ?, metadata_uri = ? WHERE twin_id = ?`),
      setHead: db.prepare(`UPDATE chain_twins SET head_version = max(head_version, ?) WHERE twin_id = ?`),
      insertVersion: db.prepare(
        `INSERT OR REPLACE INTO chain_versions
           (twin_id, version, author, model_root, changeset_hash, package_uri, committed_at, block_number, tx_hash, log_index)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      grant: db.prepare(
        `INSERT OR REPLACE INTO chain_role_grants (twin_id, account, role, expires_at, granted_by, block_number, tx_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      revoke: db.prepare(`DELETE FROM chain_role_grants WHERE twin_id = ? AND account = ? AND role = ?`),
      endEngagement: db.prepare(`DELETE FROM chain_role_grants WHERE twin_id = ? AND account = ?`),
      serviceLog: db.prepare(
        `INSERT OR REPLACE INTO chain_service_logs
           (block_number, log_index, twin_id, element_key, actor, kind, report_hash, uri, logged_at, tx_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      intent: db.prepare(
        `INSERT OR REPLACE INTO chain_intents (digest, block_number, tx_hash, log_index) VALUES (?, ?, ?, ?)`,
      ),
      intentFailure: db.prepare(
        `INSERT OR REPLACE INTO chain_intent_failures (block_number, log_index, tx_hash, batch_index, reason)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      confirmStoreVersions: db.prepare(
        `UPDATE versions SET status = 'confirmed'
         WHERE status IN ('local', 'queued')
           AND twin_id IN (SELECT id FROM twins WHERE chain_twin_id = ?)
           AND merkle_root IN (SELECT model_root FROM chain_versions WHERE twin_id = ?)`,
      ),
      unconfirmStoreVersions: db.prepare(
        `UPDATE versions SET status = 'queued'
         WHERE status = 'confirmed'
           AND twin_id IN (SELECT id FROM twins WHERE chain_twin_id = ?)
           AND merkle_root NOT IN (SELECT model_root FROM chain_versions WHERE twin_id = ?)`,
      ),
    };
  }

  // ---- cursor and scope ------------------------------------------------------------------------

  cursor(): IndexCursor | null {
    const row = this.statements.cursor.get() as
      | {
          chain_id: number;
          registry: string;
          start_block: number;
          block_number: number;
          block_hash: string | null;
          updated_at: number;
        }
      | undefined;
    if (!row) return null;
    return {
      chainId: row.chain_id,
      registry: row.registry,
      startBlock: row.start_block,
      blockNumber: row.block_number,
      blockHash: row.block_hash,
      updatedAt: row.updated_at,
    };
  }

  /**
   * Makes the index follow `scope`: kept as it is when it already does, otherwise emptied and its
   * cursor put just before the start block. Answers true when it was reset.
   */
  ensureScope(scope: IndexScope): boolean {
    const current = this.cursor();
    if (
      current &&
      current.chainId === scope.chainId &&
      current.registry.toLowerCase() === scope.registry.toLowerCase() &&
      current.startBlock === scope.startBlock
    ) {
      return false;
    }
    this.reset(scope);
    return true;
  }

  /** Empties the index (events, derived state, block hashes) and starts it again at `scope`. */
  reset(scope: IndexScope): void {
    this.db
      .transaction(() => {
        this.settleExtensions(false);
        this.clearTables();
        this.db.prepare('DELETE FROM chain_cursor').run();
        this.db
          .prepare(
            `INSERT INTO chain_cursor (id, chain_id, registry, start_block, block_number, block_hash, updated_at)
             VALUES (1, ?, ?, ?, ?, NULL, ?)`,
          )
          .run(scope.chainId, scope.registry, scope.startBlock, scope.startBlock - 1, Date.now());
        // Nothing is confirmed by an index that holds nothing yet: versions go back to "committed
        // here" until this deployment's events confirm them again.
        this.db.exec(`UPDATE versions SET status = 'local' WHERE status = 'confirmed'`);
      })
      .immediate();
    this.settleExtensions(true);
  }

  private clearTables(): void {
    this.db.exec(`
      DELETE FROM chain_events; DELETE FROM chain_blocks; DELETE FROM chain_twins;
      DELETE FROM chain_role_grants; DELETE FROM chain_versions; DELETE FROM chain_service_logs;
      DELETE FROM chain_intents; DELETE FROM chain_intent_failures;
    `);
    for (const extension of this.extensions) extension.clear();
  }

  // ---- writing ------------------------------------------------------------------------------

  /**
   * Writes one range: its events, the state they derive, the block hashes and the new cursor, in
   * one transaction (a crash leaves the range either wholly in or wholly out).
   */
  applyBatch(batch: IndexBatch): IndexChange {
    const change: IndexChange = {
      twins: new Set(),
      grantsChanged: false,
      versionsChanged: false,
      events: batch.events.length,
    };
    const s = this.statements;
    this.db
      .transaction(() => {
        this.settleExtensions(false);
        if (batch.after !== undefined) {
          const at =
            (this.statements.cursor.get() as { block_number: number } | undefined)?.block_number ?? null;
          if (at !== batch.after) throw new IndexMovedError(batch.after, at);
        }
        for (const event of batch.events) {
          s.insertEvent.run(
            event.blockNumber,
            event.logIndex,
            event.blockHash,
            event.txHash,
            event.txIndex,
            event.name,
            event.twinId,
            JSON.stringify(event.args),
          );
          this.applyEvent(event, change);
          for (const extension of this.extensions) extension.apply(event);
        }
        for (const block of batch.blocks) s.insertBlock.run(block.number, block.hash, block.timestamp);
        s.setCursor.run(batch.cursor.number, batch.cursor.hash, Date.now());
        if (change.versionsChanged) {
          for (const twin of change.twins) s.confirmStoreVersions.run(twin, twin);
        }
      })
      .immediate();
    this.settleExtensions(true);
    return change;
  }

  /** The derived state of one event; the same code serves indexing and replay after a rollback. */
  private applyEvent(event: IndexedEvent, change: IndexChange): void {
    const s = this.statements;
    const a = event.args;
    const twin = event.twinId;
    switch (event.name) {
      case 'TwinMinted':
        s.mint.run(
          twin,
          str(a.owner),
          str(a.name),
          str(a.metadataUri),
          str(a.actor),
          event.blockNumber,
          event.txHash,
        );
        break;
      case 'TwinTransferred':
        s.setOwner.run(str(a.to), twin);
        break;
      case 'TwinMetadataUpdated':
        s.setMetadata.run(str(a.name), str(a.metadataUri), twin);
        break;
      case 'VersionCommitted':
        s.insertVersion.run(
          twin,
          num(a.version),
          str(a.actor),
          str(a.modelRoot),
          str(a.changesetHash),
          str(a.packageUri),
          num(a.committedAt),
          event.blockNumber,
          event.txHash,
          event.logIndex,
        );
        s.setHead.run(num(a.version), twin);
        change.versionsChanged = true;
        break;
      case 'RoleGranted': {
        const expiresAt = num(a.expiresAt);
        s.grant.run(
          twin,
          str(a.account),
          num(a.role),
          expiresAt === 0 ? null : expiresAt,
          str(a.actor),
          event.blockNumber,
          event.txHash,
        );
        change.grantsChanged = true;
        break;
      }
      case 'RoleRevoked':
        s.revoke.run(twin, str(a.account), num(a.role));
        change.grantsChanged = true;
        break;
      case 'EngagementEnded':
        s.endEngagement.run(twin, str(a.account));
        change.grantsChanged = true;
        break;
      case 'ServiceLogged':
        s.serviceLog.run(
          event.blockNumber,
          event.logIndex,
          twin,
          str(a.elementKey),
          str(a.actor),
          str(a.kind),
          str(a.reportHash),
          str(a.uri),
          num(a.loggedAt),
          event.txHash,
        );
        break;
      case 'IntentExecuted':
        s.intent.run(str(a.digest), event.blockNumber, event.txHash, event.logIndex);
        break;
      case 'IntentFailed':
        s.intentFailure.run(event.blockNumber, event.logIndex, event.txHash, num(a.index), str(a.reason));
        break;
      default:
        // Transfer, Approval, IntentBatchRelayed...: kept as raw events only (TwinTransferred
        // carries the owner change with its actor).
        break;
    }
    if (twin !== null) change.twins.add(twin);
  }

  /** Stored block hashes at or below `atOrBelow`, highest first (reorg walk-back). */
  storedBlocks(atOrBelow: number, limit: number): IndexedBlock[] {
    return this.db
      .prepare(
        'SELECT number, hash, timestamp FROM chain_blocks WHERE number <= ? ORDER BY number DESC LIMIT ?',
      )
      .all(atOrBelow, limit) as IndexedBlock[];
  }

  /**
   * Forgets everything blocks after `ancestor` wrote (they were orphaned by a reorg) and rebuilds the
   * state of the twins they touched from the events that remain, in one transaction.
   */
  rollbackTo(ancestor: { number: number; hash: string | null }): IndexChange {
    const change: IndexChange = { twins: new Set(), grantsChanged: false, versionsChanged: false, events: 0 };
    const db = this.db;
    db.transaction(() => {
      this.settleExtensions(false);
      const orphanedNames = new Set(
        db
          .prepare('SELECT DISTINCT name FROM chain_events WHERE block_number > ?')
          .pluck()
          .all(ancestor.number) as string[],
      );
      const touched = db
        .prepare('SELECT DISTINCT twin_id FROM chain_events WHERE block_number > ? AND twin_id IS NOT NULL')
        .pluck()
        .all(ancestor.number) as string[];
      change.events = db
        .prepare('DELETE FROM chain_events WHERE block_number > ?')
        .run(ancestor.number).changes;
      db.prepare('DELETE FROM chain_blocks WHERE number > ?').run(ancestor.number);
      db.prepare('DELETE FROM chain_intents WHERE block_number > ?').run(ancestor.number);
      db.prepare('DELETE FROM chain_intent_failures WHERE block_number > ?').run(ancestor.number);
      for (const twin of touched) {
        this.rebuildTwin(twin, change);
        this.statements.unconfirmStoreVersions.run(twin, twin);
        this.statements.confirmStoreVersions.run(twin, twin);
      }
      // An extension whose events were orphaned derives its state again from the events that remain.
      for (const extension of this.extensions) {
        if (![...orphanedNames].some((name) => extension.eventNames.has(name))) continue;
        extension.clear();
        for (const event of this.storedEvents([...extension.eventNames])) extension.apply(event);
      }
      this.statements.setCursor.run(ancestor.number, ancestor.hash, Date.now());
      change.grantsChanged = change.grantsChanged || touched.length > 0;
      change.versionsChanged = change.versionsChanged || touched.length > 0;
    }).immediate();
    this.settleExtensions(true);
    return change;
  }

  /** Stored events with these names, in chain order (an extension's replay after a rollback). */
  *storedEvents(names: readonly string[]): Generator<IndexedEvent> {
    if (names.length === 0) return;
    const rows = this.db
      .prepare(
        `SELECT block_number, log_index, block_hash, tx_hash, tx_index, name, twin_id, args FROM chain_events
         WHERE name IN (${names.map(() => '?').join(', ')}) ORDER BY block_number, log_index`,
      )
      .all(...names) as {
      block_number: number;
      log_index: number;
      block_hash: string;
      tx_hash: string;
      tx_index: number;
      name: string;
      twin_id: string | null;
      args: string;
    }[];
    for (const row of rows) {
      yield {
        blockNumber: row.block_number,
        logIndex: row.log_index,
        blockHash: row.block_hash,
        txHash: row.tx_hash,
        txIndex: row.tx_index,
        name: row.name,
        twinId: row.twin_id,
        args: JSON.parse(row.args) as IndexedEvent['args'],
      };
    }
  }

  /** Re-derives one twin's state from its stored events (used after a rollback). */
  private rebuildTwin(twinId: string, change: IndexChange): void {
    const db = this.db;
    for (const table of ['chain_twins', 'chain_role_grants', 'chain_versions', 'chain_service_logs']) {
      db.prepare(`DELETE FROM ${table} WHERE twin_id = ?`).run(twinId);
    }
    const rows = db
      .prepare(
        `SELECT block_number, log_index, block_hash, tx_hash, tx_index, name, twin_id, args
         FROM chain_events WHERE twin_id = ? ORDER BY block_number, log_index`,
      )
      .all(twinId) as {
      block_number: number;
      log_index: number;
      block_hash: string;
      tx_hash: string;
      tx_index: number;
      name: string;
      twin_id: string | null;
      args: string;
    }[];
    for (const row of rows) {
      this.applyEvent(
        {
          blockNumber: row.block_number,
          logIndex: row.log_index,
          blockHash: row.block_hash,
          txHash: row.tx_hash,
          txIndex: row.tx_index,
          name: row.name,
          twinId: row.twin_id,
          args: JSON.parse(row.args) as IndexedEvent['args'],
        },
        change,
      );
    }
    change.twins.add(twinId);
  }

  // ---- links with the twin store --------------------------------------------------------------

  /** Links a store twin to its chain twin and confirms the store versions the chain already has. */
  linkStoreTwin(storeTwinId: string, chainTwinId: string): void {
    this.db
      .transaction(() => {
        this.db.prepare('UPDATE twins SET chain_twin_id = ? WHERE id = ?').run(chainTwinId, storeTwinId);
        this.statements.confirmStoreVersions.run(chainTwinId, chainTwinId);
      })
      .immediate();
  }

  /** The source files (sha256) of a store version's models: what its model package holds. */
  versionSources(versionId: number): string[] {
    return this.db
      .prepare('SELECT source_sha256 FROM model_revisions WHERE version_id = ? ORDER BY source_sha256')
      .pluck()
      .all(versionId) as string[];
  }

  /** Store twins linked to a chain twin. */
  linkedStoreTwins(): { storeTwinId: string; chainTwinId: string }[] {
    return (
      this.db
        .prepare('SELECT id, chain_twin_id FROM twins WHERE chain_twin_id IS NOT NULL ORDER BY created_at')
        .all() as {
        id: string;
        chain_twin_id: string;
      }[]
    ).map((r) => ({ storeTwinId: r.id, chainTwinId: r.chain_twin_id }));
  }

  storeTwinOf(chainTwinId: string): string | null {
    return (
      (this.db
        .prepare('SELECT id FROM twins WHERE chain_twin_id = ? ORDER BY created_at LIMIT 1')
        .pluck()
        .get(chainTwinId) as string | undefined) ?? null
    );
  }

  chainTwinOf(storeTwinId: string): string | null {
    return (
      (this.db.prepare('SELECT chain_twin_id FROM twins WHERE id = ?').pluck().get(storeTwinId) as
        string | null | undefined) ?? null
    );
  }

  // ---- reading -----------------------------------------------------------------------------

  twin(chainTwinId: string): ChainTwin | null {
    const row = this.db
      .prepare(
        `SELECT t.twin_id, t.owner, t.name, t.metadata_uri, t.minted_by, t.minted_block, t.minted_tx, t.head_version,
                (SELECT id FROM twins s WHERE s.chain_twin_id = t.twin_id ORDER BY s.created_at LIMIT 1) AS store_twin_id
         FROM chain_twins t WHERE t.twin_id = ?`,
      )
      .get(chainTwinId) as
      | {
          twin_id: string;
          owner: string;
          name: string;
          metadata_uri: string;
          minted_by: string;
          minted_block: number;
          minted_tx: string;
          head_version: number;
          store_twin_id: string | null;
        }
      | undefined;
    if (!row) return null;
    return {
      twinId: row.twin_id,
      owner: row.owner,
      name: row.name,
      metadataUri: row.metadata_uri,
      mintedBy: row.minted_by,
      mintedBlock: row.minted_block,
      mintedTx: row.minted_tx,
      headVersion: row.head_version,
      storeTwinId: row.store_twin_id,
    };
  }

  twinIdsWithMetadataUri(metadataUri: string): string[] {
    return this.db
      .prepare('SELECT twin_id FROM chain_twins WHERE metadata_uri = ? ORDER BY minted_block')
      .pluck()
      .all(metadataUri) as string[];
  }

  /** Stored grants of a twin (live or expired: the caller judges expiry against chain time). */
  grants(chainTwinId: string, account?: string): RoleGrant[] {
    const rows = (
      account === undefined
        ? this.db
            .prepare('SELECT * FROM chain_role_grants WHERE twin_id = ? ORDER BY account, role')
            .all(chainTwinId)
        : this.db
            .prepare(
              'SELECT * FROM chain_role_grants WHERE twin_id = ? AND account = ? COLLATE NOCASE ORDER BY role',
            )
            .all(chainTwinId, account)
    ) as {
      twin_id: string;
      account: string;
      role: number;
      expires_at: number | null;
      granted_by: string;
      block_number: number;
      tx_hash: string;
    }[];
    return rows.map((r) => ({
      twinId: r.twin_id,
      account: r.account,
      role: r.role,
      expiresAt: r.expires_at,
      grantedBy: r.granted_by,
      blockNumber: r.block_number,
      txHash: r.tx_hash,
    }));
  }

  /** The earliest end date after `after` among `account`'s grants (to judge permissions again then). */
  nextExpiryOf(account: string, after: number): number | null {
    return (
      (this.db
        .prepare(
          'SELECT MIN(expires_at) FROM chain_role_grants WHERE account = ? COLLATE NOCASE AND expires_at > ?',
        )
        .pluck()
        .get(account, after) as number | null) ?? null
    );
  }

  /** The most recent event that removed `account`'s `role` (revoke or end of engagement), if any. */
  lastRemoval(
    chainTwinId: string,
    account: string,
    role: number,
  ): { name: 'RoleRevoked' | 'EngagementEnded'; blockNumber: number; txHash: string } | null {
    const row = this.db
      .prepare(
        `SELECT name, block_number, tx_hash, args FROM chain_events
         WHERE twin_id = ? AND name IN ('RoleRevoked', 'EngagementEnded')
         ORDER BY block_number DESC, log_index DESC LIMIT 50`,
      )
      .all(chainTwinId) as {
      name: 'RoleRevoked' | 'EngagementEnded';
      block_number: number;
      tx_hash: string;
      args: string;
    }[];
    for (const r of row) {
      const args = JSON.parse(r.args) as { account: string; role?: string };
      if (args.account.toLowerCase() !== account.toLowerCase()) continue;
      if (r.name === 'RoleRevoked' && Number(args.role) !== role) continue;
      return { name: r.name, blockNumber: r.block_number, txHash: r.tx_hash };
    }
    return null;
  }

  versions(chainTwinId: string): ChainVersion[] {
    const rows = this.db
      .prepare('SELECT * FROM chain_versions WHERE twin_id = ? ORDER BY version')
      .all(chainTwinId) as {
      twin_id: string;
      version: number;
      author: string;
      model_root: string;
      changeset_hash: string;
      package_uri: string;
      committed_at: number;
      block_number: number;
      tx_hash: string;
      log_index: number;
    }[];
    return rows.map((r) => ({
      twinId: r.twin_id,
      version: r.version,
      author: r.author,
      modelRoot: r.model_root,
      changesetHash: r.changeset_hash,
      packageUri: r.package_uri,
      committedAt: r.committed_at,
      blockNumber: r.block_number,
      txHash: r.tx_hash,
      logIndex: r.log_index,
    }));
  }

  serviceLogs(chainTwinId: string): ServiceLogEntry[] {
    const rows = this.db
      .prepare('SELECT * FROM chain_service_logs WHERE twin_id = ? ORDER BY block_number, log_index')
      .all(chainTwinId) as {
      twin_id: string;
      element_key: string;
      actor: string;
      kind: string;
      report_hash: string;
      uri: string;
      logged_at: number;
      block_number: number;
      tx_hash: string;
      log_index: number;
    }[];
    return rows.map((r) => ({
      twinId: r.twin_id,
      elementKey: r.element_key,
      actor: r.actor,
      kind: r.kind,
      reportHash: r.report_hash,
      uri: r.uri,
      loggedAt: r.logged_at,
      blockNumber: r.block_number,
      txHash: r.tx_hash,
      logIndex: r.log_index,
    }));
  }

  /** Where an intent was executed, by its EIP-712 digest (the outbox's idempotency key). */
  intentExecution(digest: string): { blockNumber: number; txHash: string } | null {
    const row = this.db
      .prepare('SELECT block_number, tx_hash FROM chain_intents WHERE digest = ?')
      .get(digest.toLowerCase()) as { block_number: number; tx_hash: string } | undefined;
    return row ? { blockNumber: row.block_number, txHash: row.tx_hash } : null;
  }

  /** Batch entries of a relayed transaction that failed, with their revert data. */
  intentFailures(txHash: string): { batchIndex: number; reason: string; blockNumber: number }[] {
    return (
      this.db
        .prepare(
          'SELECT batch_index, reason, block_number FROM chain_intent_failures WHERE tx_hash = ? ORDER BY batch_index',
        )
        .all(txHash) as { batch_index: number; reason: string; block_number: number }[]
    ).map((r) => ({ batchIndex: r.batch_index, reason: r.reason, blockNumber: r.block_number }));
  }

  eventCount(): number {
    return this.db.prepare('SELECT COUNT(*) FROM chain_events').pluck().get() as number;
  }

  // ---- small durable facts ------------------------------------------------------------------

  getMeta(key: string): string | null {
    return (
      (this.db.prepare('SELECT value FROM sync_meta WHERE key = ?').pluck().get(key) as string | undefined) ??
      null
    );
  }

  setMeta(key: string, value: string | null): void {
    if (value === null) this.db.prepare('DELETE FROM sync_meta WHERE key = ?').run(key);
    else this.db.prepare('INSERT OR REPLACE INTO sync_meta (key, value) VALUES (?, ?)').run(key, value);
  }

  // ---- comparison -----------------------------------------------------------------------------

  /** Everything the chain said, in a canonical order: two indexes of one chain dump equal. */
  dump(): IndexDump {
    const dump = {} as Record<string, unknown[][]>;
    for (const [table, order] of DERIVED_TABLES) {
      dump[table] = this.db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).raw().all() as unknown[][];
    }
    const extensions: Record<string, unknown[][]> = {};
    for (const extension of this.extensions) {
      for (const [table, order] of extension.tables) {
        extensions[table] = this.db
          .prepare(`SELECT * FROM ${table} ORDER BY ${order}`)
          .raw()
          .all() as unknown[][];
      }
    }
    const cursor = this.cursor();
    return {
      ...(dump as Omit<IndexDump, 'cursor' | 'extensions'>),
      cursor: cursor && { blockNumber: cursor.blockNumber, blockHash: cursor.blockHash },
      extensions,
    };
  }
}

/** Differences between two dumps, one line each (empty when equal); at most `limit` lines. */
export function diffIndexDumps(a: IndexDump, b: IndexDump, limit = 20): string[] {
  const out: string[] = [];
  if (JSON.stringify(a.cursor) !== JSON.stringify(b.cursor)) {
    out.push(`cursor: ${JSON.stringify(a.cursor)} != ${JSON.stringify(b.cursor)}`);
  }
  const extensionTables = [...new Set([...Object.keys(a.extensions), ...Object.keys(b.extensions)])];
  const tables: [string, unknown[][], unknown[][]][] = [
    ...DERIVED_TABLES.map(([table]): [string, unknown[][], unknown[][]] => [table, a[table], b[table]]),
    ...extensionTables.map((table): [string, unknown[][], unknown[][]] => [
      table,
      a.extensions[table] ?? [],
      b.extensions[table] ?? [],
    ]),
  ];
  for (const [table, rowsA, rowsB] of tables) {
    const left = rowsA.map((row) => JSON.stringify(row));
    const right = rowsB.map((row) => JSON.stringify(row));
    if (left.length !== right.length) out.push(`${table}: ${left.length} rows != ${right.length} rows`);
    const rightSet = new Set(right);
    const leftSet = new Set(left);
    for (const row of left)
      if (!rightSet.has(row) && out.length < limit) out.push(`${table}: only in first ${row}`);
    for (const row of right)
      if (!leftSet.has(row) && out.length < limit) out.push(`${table}: only in second ${row}`);
    if (out.length >= limit) break;
  }
  return out.slice(0, limit);
}
