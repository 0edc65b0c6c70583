// SQL of draft editing: the edit stack (migration 6), and the in-place writes an edit makes to a
// draft version: one element's state, the version's Merkle tree and root, and its changeset entry.
// The edit service (src/main/edits) decides what to write; everything here runs inside its
// transaction.
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database';
import type { PortableState } from './outbox';

export interface EditRow {
  id: number;
  twinId: string;
  versionId: number;
  seq: number;
  elementKey: string;
  globalId: string;
  ifcClass: string;
  elementName: string | null;
  kind: string;
  op: string;
  summary: string;
  beforeState: string;
  afterState: string;
  beforeRow: PortableState;
  afterRow: PortableState;
  author: string | null;
  authorLabel: string | null;
  undone: boolean;
  createdAt: number;
}

export type NewEditRow = Omit<EditRow, 'id' | 'seq' | 'undone' | 'createdAt'>;

interface EditDbRow {
  id: number;
  twin_id: string;
  version_id: number;
  seq: number;
  element_key: string;
  global_id: string;
  ifc_class: string;
  element_name: string | null;
  kind: string;
  op: string;
  summary: string;
  before_state: string;
  after_state: string;
  before_row: string;
  after_row: string;
  author: string | null;
  author_label: string | null;
  undone: number;
  created_at: number;
}

interface PortableJson extends Omit<PortableState, 'meshes'> {
  meshes: { geometryHash: string; color: string; matrix: string }[];
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

export function portableToJson(state: PortableState): string {
  const json: PortableJson = {
    ...state,
    meshes: state.meshes.map((m) => ({
      geometryHash: m.geometryHash,
      color: hex(m.color),
      matrix: hex(m.matrix),
    })),
  };
  return JSON.stringify(json);
}

export function portableFromJson(text: string): PortableState {
  const json = JSON.parse(text) as PortableJson;
  return {
    ...json,
    meshes: json.meshes.map((m) => ({
      geometryHash: m.geometryHash,
      color: bytes(m.color),
      matrix: bytes(m.matrix),
    })),
  };
}

const toEdit = (r: EditDbRow, rows = true): EditRow => ({
  id: r.id,
  twinId: r.twin_id,
  versionId: r.version_id,
  seq: r.seq,
  elementKey: r.element_key,
  globalId: r.global_id,
  ifcClass: r.ifc_class,
  elementName: r.element_name,
  kind: r.kind,
  op: r.op,
  summary: r.summary,
  beforeState: r.before_state,
  afterState: r.after_state,
  beforeRow: rows ? portableFromJson(r.before_row) : (null as unknown as PortableState),
  afterRow: rows ? portableFromJson(r.after_row) : (null as unknown as PortableState),
  author: r.author,
  authorLabel: r.author_label,
  undone: r.undone === 1,
  createdAt: r.created_at,
});

export class DraftStore {
  private readonly statements = new Map<string, Statement>();

  constructor(readonly db: SqliteDatabase) {}

  /** A prepared statement, prepared once per store. */
  private sql(source: string): Statement {
    let statement = this.statements.get(source);
    if (!statement) this.statements.set(source, (statement = this.db.prepare(source)));
    return statement;
  }

  // ---- the edit stack --------------------------------------------------------------------------

  /** The edits of a version, in order (undone ones included), without their state rows (lists). */
  editList(versionId: number): Omit<EditRow, 'beforeRow' | 'afterRow'>[] {
    return (
      this.sql(
        `SELECT id, twin_id, version_id, seq, element_key, global_id, ifc_class, element_name, kind, op, summary,
                  before_state, after_state, '' AS before_row, '' AS after_row, author, author_label, undone, created_at
           FROM draft_edits WHERE version_id = ? ORDER BY seq`,
      ).all(versionId) as EditDbRow[]
    ).map((r) => {
      const { beforeRow: _b, afterRow: _a, ...rest } = toEdit(r, false);
      return rest;
    });
  }

  /** The edits of a version, in order (undone ones included). */
  edits(versionId: number): EditRow[] {
    return (
      this.sql('SELECT * FROM draft_edits WHERE version_id = ? ORDER BY seq').all(versionId) as EditDbRow[]
    ).map((r) => toEdit(r));
  }

  /** Edits of an element across the twin's versions, oldest first (applied ones only). */
  editsOfElement(twinId: string, elementKey: string): EditRow[] {
    return (
      this.sql(
        'SELECT * FROM draft_edits WHERE twin_id = ? AND element_key = ? AND undone = 0 ORDER BY version_id, seq',
      ).all(twinId, elementKey) as EditDbRow[]
    ).map((r) => toEdit(r));
  }

  /** How many applied edits each version of a twin holds. */
  editCounts(twinId: string): Map<number, { count: number; authors: string[] }> {
    const rows = this.sql(
      `SELECT version_id, COUNT(*) AS n, GROUP_CONCAT(DISTINCT COALESCE(author_label, author)) AS authors
         FROM draft_edits WHERE twin_id = ? AND undone = 0 GROUP BY version_id`,
    ).all(twinId) as { version_id: number; n: number; authors: string | null }[];
    return new Map(
      rows.map((r) => [r.version_id, { count: r.n, authors: r.authors ? r.authors.split(',') : [] }]),
    );
  }

  /** The latest applied edit of a draft (what undo reverts), or null. */
  lastApplied(versionId: number): EditRow | null {
    const row = this.sql(
      'SELECT * FROM draft_edits WHERE version_id = ? AND undone = 0 ORDER BY seq DESC LIMIT 1',
    ).get(versionId) as EditDbRow | undefined;
    return row ? toEdit(row) : null;
  }

  /** The earliest undone edit of a draft (what redo applies again), or null. */
  firstUndone(versionId: number): EditRow | null {
    const row = this.sql(
      'SELECT * FROM draft_edits WHERE version_id = ? AND undone = 1 ORDER BY seq LIMIT 1',
    ).get(versionId) as EditDbRow | undefined;
    return row ? toEdit(row) : null;
  }

  /** Appends an edit; undone edits (the redo stack) are dropped first, as in any editor. */
  pushEdit(edit: NewEditRow): EditRow {
    this.sql('DELETE FROM draft_edits WHERE version_id = ? AND undone = 1').run(edit.versionId);
    const seq = this.sql('SELECT COALESCE(MAX(seq), 0) + 1 FROM draft_edits WHERE version_id = ?')
      .pluck()
      .get(edit.versionId) as number;
    const id = Number(
      this.sql(
        `INSERT INTO draft_edits (twin_id, version_id, seq, element_key, global_id, ifc_class, element_name, kind, op,
             summary, before_state, after_state, before_row, after_row, author, author_label, undone, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
      ).run(
        edit.twinId,
        edit.versionId,
        seq,
        edit.elementKey,
        edit.globalId,
        edit.ifcClass,
        edit.elementName,
        edit.kind,
        edit.op,
        edit.summary,
        edit.beforeState,
        edit.afterState,
        portableToJson(edit.beforeRow),
        portableToJson(edit.afterRow),
        edit.author,
        edit.authorLabel,
        Date.now(),
      ).lastInsertRowid,
    );
    return toEdit(this.sql('SELECT * FROM draft_edits WHERE id = ?').get(id) as EditDbRow);
  }

  setUndone(editId: number, undone: boolean): void {
    this.sql('UPDATE draft_edits SET undone = ? WHERE id = ?').run(undone ? 1 : 0, editId);
  }

  // ---- writes to the draft version ---------------------------------------------------------------

  /** The element's leaf in a version: its state and model. */
  leaf(
    versionId: number,
    elementKey: string,
  ): { stateHash: string; modelId: string; expressId: number } | null {
    const row = this.sql(
      'SELECT state_hash, model_id, express_id FROM version_elements WHERE version_id = ? AND element_key = ?',
    ).get(versionId, elementKey) as { state_hash: string; model_id: string; express_id: number } | undefined;
    return row ? { stateHash: row.state_hash, modelId: row.model_id, expressId: row.express_id } : null;
  }

  setLeafState(versionId: number, elementKey: string, stateHash: string): void {
    const changed = this.sql(
      'UPDATE version_elements SET state_hash = ? WHERE version_id = ? AND element_key = ?',
    ).run(stateHash, versionId, elementKey).changes;
    if (changed !== 1) throw new Error(`Version ${versionId} has no element ${elementKey}.`);
  }

  /** The leaves of a version with their node indexes, by element key. */
  leafIndexes(versionId: number): { elementKey: string; stateHash: string; leafIndex: number }[] {
    return (
      this.sql(
        'SELECT element_key, state_hash, leaf_index FROM version_elements WHERE version_id = ? ORDER BY element_key',
      )
        .raw()
        .all(versionId) as [string, string, number][]
    ).map(([elementKey, stateHash, leafIndex]) => ({ elementKey, stateHash, leafIndex }));
  }

  /** Writes a version's rebuilt Merkle tree: root, nodes and the node index of each leaf that moved. */
  writeTree(versionId: number, root: string, nodes: Uint8Array, moved: ReadonlyMap<string, number>): void {
    this.sql('UPDATE versions SET merkle_root = ?, tree_nodes = ? WHERE id = ?').run(root, nodes, versionId);
    const update = this.sql(
      'UPDATE version_elements SET leaf_index = ? WHERE version_id = ? AND element_key = ?',
    );
    for (const [key, index] of moved) update.run(index, versionId, key);
  }

  /** The version's changeset id (created empty when it has none). */
  changesetOf(twinId: string, versionId: number, baseVersionId: number | null): number {
    const id = this.sql('SELECT id FROM changesets WHERE version_id = ?').pluck().get(versionId) as
      number | undefined;
    if (id !== undefined) return id;
    return Number(
      this.sql(
        `INSERT INTO changesets (twin_id, version_id, base_version_id, model_id, added, removed, modified, created_at)
           VALUES (?, ?, ?, NULL, 0, 0, 0, ?)`,
      ).run(twinId, versionId, baseVersionId, Date.now()).lastInsertRowid,
    );
  }

  /** Replaces (or, with null, removes) one element's changeset entry and recounts the changeset. */
  setChangesetEntry(
    changesetId: number,
    elementKey: string,
    entry: {
      globalId: string;
      ifcClass: string;
      name: string | null;
      change: 'added' | 'removed' | 'modified';
      fields: string[];
      details: string[];
      oldStateHash: string | null;
      newStateHash: string | null;
    } | null,
  ): void {
    this.sql('DELETE FROM changeset_entries WHERE changeset_id = ? AND element_key = ?').run(
      changesetId,
      elementKey,
    );
    if (entry) {
      this.sql(
        `INSERT INTO changeset_entries (changeset_id, element_key, global_id, ifc_class, name, change, fields, details,
             old_state_hash, new_state_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        changesetId,
        elementKey,
        entry.globalId,
        entry.ifcClass,
        entry.name,
        entry.change,
        JSON.stringify(entry.fields),
        JSON.stringify(entry.details),
        entry.oldStateHash,
        entry.newStateHash,
      );
    }
    this.sql(
      `UPDATE changesets SET
           added = (SELECT COUNT(*) FROM changeset_entries WHERE changeset_id = @id AND change = 'added'),
           removed = (SELECT COUNT(*) FROM changeset_entries WHERE changeset_id = @id AND change = 'removed'),
           modified = (SELECT COUNT(*) FROM changeset_entries WHERE changeset_id = @id AND change = 'modified')
         WHERE id = @id`,
    ).run({ id: changesetId });
  }

  /** Canonical JSON of a state, when the store has it. */
  canonical(stateHash: string): string | null {
    return (
      (this.sql('SELECT canonical FROM element_states WHERE state_hash = ?').pluck().get(stateHash) as
        string | undefined) ?? null
    );
  }

  // ---- history reads ---------------------------------------------------------------------------

  /** Every version's (element key → state hash) for one element, in version order. */
  elementAcrossVersions(twinId: string, elementKey: string): Map<number, string> {
    const rows = this.sql(
      `SELECT v.id, ve.state_hash FROM versions v JOIN version_elements ve ON ve.version_id = v.id AND ve.element_key = ?
         WHERE v.twin_id = ?`,
    ).all(elementKey, twinId) as { id: number; state_hash: string }[];
    return new Map(rows.map((r) => [r.id, r.state_hash]));
  }

  /** A version's elements whose state records a TwinLedger status: [element key, canonical state]. */
  statusStates(twinId: string, versionId: number): [string, string][] {
    return this.sql(
      `SELECT ve.element_key, es.canonical FROM versions v
         JOIN version_elements ve ON ve.version_id = v.id
         JOIN element_states es ON es.state_hash = ve.state_hash
       WHERE v.id = ? AND v.twin_id = ? AND instr(es.canonical, '"TwinLedger_Status"') > 0`,
    )
      .raw()
      .all(versionId, twinId) as [string, string][];
  }

  /** The leaves of a version as a map (element key → state hash). */
  leafMap(versionId: number): Map<string, string> {
    const rows = this.sql('SELECT element_key, state_hash FROM version_elements WHERE version_id = ?')
      .raw()
      .all(versionId) as [string, string][];
    return new Map(rows);
  }

  /** Names and classes of states, by hash. */
  stateLabels(
    stateHashes: readonly string[],
  ): Map<string, { globalId: string; ifcClass: string; name: string | null }> {
    const get = this.sql('SELECT global_id, ifc_class, name FROM element_states WHERE state_hash = ?');
    const out = new Map<string, { globalId: string; ifcClass: string; name: string | null }>();
    for (const hash of stateHashes) {
      if (out.has(hash)) continue;
      const r = get.get(hash) as { global_id: string; ifc_class: string; name: string | null } | undefined;
      if (r) out.set(hash, { globalId: r.global_id, ifcClass: r.ifc_class, name: r.name });
    }
    return out;
  }

  /** Placed meshes of some elements of a version (ghosts of removed elements), in key order. */
  placedMeshes(
    versionId: number,
    elementKeys: readonly string[],
  ): { elementKey: string; geometryHash: string; color: Buffer; matrix: Buffer }[] {
    const get = this.sql(
      `SELECT m.geometry_hash, m.color, m.matrix FROM version_elements ve
       JOIN element_meshes m ON m.state_hash = ve.state_hash
       WHERE ve.version_id = ? AND ve.element_key = ? ORDER BY m.ordinal`,
    );
    const out: { elementKey: string; geometryHash: string; color: Buffer; matrix: Buffer }[] = [];
    for (const elementKey of elementKeys) {
      for (const r of get.all(versionId, elementKey) as {
        geometry_hash: string;
        color: Buffer;
        matrix: Buffer;
      }[])
        out.push({ elementKey, geometryHash: r.geometry_hash, color: r.color, matrix: r.matrix });
    }
    return out;
  }

  /** One stored mesh. */
  geometry(
    hash: string,
  ): { vertexCount: number; indexCount: number; vertices: Buffer; indices: Buffer } | null {
    const r = this.sql(
      'SELECT vertex_count, index_count, vertices, indices FROM geometries WHERE hash = ?',
    ).get(hash) as
      { vertex_count: number; index_count: number; vertices: Buffer; indices: Buffer } | undefined;
    return r
      ? { vertexCount: r.vertex_count, indexCount: r.index_count, vertices: r.vertices, indices: r.indices }
      : null;
  }

  /** The file each model had in a version that changed it (imports), for timeline titles. */
  importedFiles(versionId: number): { fileName: string; model: string; discipline: string }[] {
    return this.sql(
      `SELECT s.file_name AS fileName, m.name AS model, m.discipline AS discipline
         FROM changesets c JOIN model_revisions r ON r.version_id = c.version_id AND r.model_id = c.model_id
         JOIN models m ON m.id = r.model_id JOIN source_files s ON s.sha256 = r.source_sha256
         WHERE c.version_id = ?`,
    ).all(versionId) as { fileName: string; model: string; discipline: string }[];
  }

  /** Models of a twin's first version, for its timeline title. */
  modelsOf(versionId: number): { fileName: string; model: string; discipline: string }[] {
    return this.sql(
      `SELECT s.file_name AS fileName, m.name AS model, m.discipline AS discipline
         FROM model_revisions r JOIN models m ON m.id = r.model_id JOIN source_files s ON s.sha256 = r.source_sha256
         WHERE r.version_id = ? ORDER BY m.created_at`,
    ).all(versionId) as { fileName: string; model: string; discipline: string }[];
  }
}
