// Reads the maintenance timeline needs from the chain index that ChainIndex does not offer: a
// twin's audit events (grants, revokes, ends of engagement, mint and transfers) with their block
// times, and the block time of any indexed block. Read-only; the indexer owns these tables.
import type { SqliteDatabase } from './database';

export interface AuditEvent {
  name: 'RoleGranted' | 'RoleRevoked' | 'EngagementEnded' | 'TwinMinted' | 'TwinTransferred';
  blockNumber: number;
  logIndex: number;
  txHash: string;
  /** The block's time, when the indexer stored it. */
  timestamp: number | null;
  args: Record<string, string | boolean>;
}

const AUDIT_EVENTS = ['RoleGranted', 'RoleRevoked', 'EngagementEnded', 'TwinMinted', 'TwinTransferred'];

export class TimelineQueries {
  constructor(private readonly db: SqliteDatabase) {}

  /** The twin's audit events, oldest first. */
  auditEvents(chainTwinId: string): AuditEvent[] {
    const rows = this.db
      .prepare(
        `SELECT e.name, e.block_number, e.log_index, e.tx_hash, e.args, b.timestamp
         FROM chain_events e LEFT JOIN chain_blocks b ON b.number = e.block_number
         WHERE e.twin_id = ? AND e.name IN (${AUDIT_EVENTS.map(() => '?').join(', ')})
         ORDER BY e.block_number, e.log_index`,
      )
      .all(chainTwinId, ...AUDIT_EVENTS) as {
      name: AuditEvent['name'];
      block_number: number;
      log_index: number;
      tx_hash: string;
      args: string;
      timestamp: number | null;
    }[];
    return rows.map((r) => ({
      name: r.name,
      blockNumber: r.block_number,
      logIndex: r.log_index,
      txHash: r.tx_hash,
      timestamp: r.timestamp,
      args: JSON.parse(r.args) as AuditEvent['args'],
    }));
  }

  /** Times of indexed blocks, by number (blocks the indexer did not keep are absent). */
  blockTimes(numbers: readonly number[]): Map<number, number> {
    const out = new Map<number, number>();
    if (numbers.length === 0) return out;
    const unique = [...new Set(numbers)];
    const statement = this.db.prepare('SELECT timestamp FROM chain_blocks WHERE number = ?').pluck();
    for (const n of unique) {
      const t = statement.get(n) as number | null | undefined;
      if (typeof t === 'number') out.set(n, t);
    }
    return out;
  }

  /** The store version of a twin whose Merkle root is `root` (the chain's head, say), if cached. */
  storeVersionWithRoot(
    storeTwinId: string,
    root: string,
  ): { id: number; seq: number; status: string } | null {
    return (
      (this.db
        .prepare(
          `SELECT id, seq, status FROM versions WHERE twin_id = ? AND lower(merkle_root) = lower(?)
           ORDER BY (status = 'confirmed') DESC, seq DESC LIMIT 1`,
        )
        .get(storeTwinId, root) as { id: number; seq: number; status: string } | undefined) ?? null
    );
  }

  /** An element's state hash in a store version, or null when the version does not hold it. */
  stateHashIn(versionId: number, elementKey: string): string | null {
    return (
      (this.db
        .prepare('SELECT state_hash FROM version_elements WHERE version_id = ? AND element_key = ?')
        .pluck()
        .get(versionId, elementKey.toLowerCase()) as string | undefined) ?? null
    );
  }
}
