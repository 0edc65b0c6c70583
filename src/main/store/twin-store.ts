// Reads of the twin cache for main's handlers (twins, versions, tree, elements, search, changesets,
// proofs, geometry chunks) and the small writes that decide a draft's fate. Bulk writes happen in
// the import worker (import-writer.ts) on its own connection.
import { AppError } from '../../shared/result';
import type {
  Changeset,
  ElementDetail,
  ElementSummary,
  GeometryManifest,
  ModelSummary,
  SpatialNode,
  SpatialTree,
  TwinSummary,
  VersionSummary,
} from '../../shared/api/twins';
import type { ElementState } from '../../shared/fingerprint';
import {
  GEOMETRY_CHUNK_HEADER_BYTES,
  GEOMETRY_STREAM_FORMAT,
  GEOMETRY_STREAM_MAGIC,
  INSTANCE_RECORD_BYTES,
  MESH_RECORD_HEADER_BYTES,
  padTo4,
} from '../../shared/geometry-stream';
import type Database from 'better-sqlite3';
import { openDatabase, type OpenOptions, type SqliteDatabase } from './database';

interface VersionRow {
  id: number;
  twin_id: string;
  seq: number;
  base_version_id: number | null;
  status: VersionSummary['status'];
  merkle_root: string;
  element_count: number;
  created_at: number;
  committed_at: number | null;
  cs_id: number | null;
  cs_model_id: string | null;
  cs_added: number | null;
  cs_removed: number | null;
  cs_modified: number | null;
}

interface GeometryPlan {
  manifest: GeometryManifest;
  /** Every instance record, packed, in stream order. */
  instances: Uint8Array;
  meshHashes: string[];
  /** Per distinct mesh, in stream order: vertex count and index count. */
  meshCounts: Uint32Array;
}

const VERSION_COLUMNS = `v.id, v.twin_id, v.seq, v.base_version_id, v.status, v.merkle_root, v.element_count,
  v.created_at, v.committed_at, c.id AS cs_id, c.model_id AS cs_model_id, c.added AS cs_added,
  c.removed AS cs_removed, c.modified AS cs_modified`;

const toVersion = (row: VersionRow): VersionSummary => ({
  id: row.id,
  seq: row.seq,
  baseVersionId: row.base_version_id,
  status: row.status,
  merkleRoot: row.merkle_root,
  elementCount: row.element_count,
  createdAt: row.created_at,
  committedAt: row.committed_at,
  changeset:
    row.cs_id === null
      ? null
      : {
          id: row.cs_id,
          modelId: row.cs_model_id,
          added: row.cs_added!,
          removed: row.cs_removed!,
          modified: row.cs_modified!,
        },
});

/**
 * The statements of the hot read paths (listing twins, reopening one, streaming its geometry),
 * prepared when the store opens: a twin reopened after an import then pays only for its reads.
 */
const HOT_SQL = {
  twinIds: 'SELECT id FROM twins ORDER BY created_at, id',
  twin: 'SELECT id, name, created_at, head_version_id, chain_twin_id FROM twins WHERE id = ?',
  draftVersion: `SELECT ${VERSION_COLUMNS} FROM versions v LEFT JOIN changesets c ON c.version_id = v.id
    WHERE v.twin_id = ? AND v.status = 'draft'`,
  draftId: "SELECT id FROM versions WHERE twin_id = ? AND status = 'draft'",
  // One statement per chunk, in the chunk's order (a lookup per mesh cost twice as much).
  meshBytes: `SELECT g.vertices, g.indices FROM json_each(?) j JOIN geometries g ON g.hash = j.value
    ORDER BY j.key`,
  twinRow: 'SELECT id, head_version_id FROM twins WHERE id = ?',
  versionTwin: 'SELECT twin_id FROM versions WHERE id = ?',
  versionRoot: 'SELECT merkle_root FROM versions WHERE id = ?',
  versionRow: `SELECT ${VERSION_COLUMNS} FROM versions v LEFT JOIN changesets c ON c.version_id = v.id WHERE v.id = ?`,
  models: `SELECT m.id, m.name, m.discipline, m.created_at, s.file_name, s.sha256, s.byte_size, s.ifc_schema, s.authoring_app
         FROM models m
         LEFT JOIN model_revisions r ON r.model_id = m.id AND r.version_id = ?
         LEFT JOIN source_files s ON s.sha256 = r.source_sha256
         WHERE m.twin_id = ? ORDER BY m.created_at, m.name`,
  geometryPlan: `SELECT ve.element_key, ve.model_id, s.global_id, s.ifc_class, s.name, s.storey_global_id,
              m.geometry_hash, m.color, m.matrix, g.vertex_count, g.index_count
       FROM version_elements ve
       JOIN element_states s INDEXED BY element_states_summary ON s.state_hash = ve.state_hash
       JOIN element_meshes m ON m.state_hash = ve.state_hash
       JOIN geometries g INDEXED BY geometries_sizes ON g.hash = m.geometry_hash
       WHERE ve.version_id = ?
       ORDER BY ve.model_id, s.global_id, m.ordinal`,
} as const;

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export class TwinStore {
  readonly db: SqliteDatabase;
  readonly path: string;
  /** By version id and root: an id SQLite gives again after its version was deleted is another plan. */
  private readonly plans = new Map<string, GeometryPlan>();
  /** Statements of the hot read paths (reopening a twin, streaming its geometry), prepared once. */
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(db: SqliteDatabase, path: string) {
    this.db = db;
    this.path = path;
    for (const sql of Object.values(HOT_SQL)) this.statement(sql);
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Opens (and migrates) the database; throws a StoreError, e.g. for a newer schema. */
  static open(path: string, options?: OpenOptions): TwinStore {
    return new TwinStore(openDatabase(path, options), path);
  }

  close(): void {
    this.plans.clear();
    this.statements.clear();
    if (this.db.open) this.db.close();
  }

  // ---- twins, models, versions ---------------------------------------------------------------

  listTwins(): TwinSummary[] {
    const ids = this.statement(HOT_SQL.twinIds).pluck().all() as string[];
    return ids.map((id) => this.getTwin(id));
  }

  getTwin(twinId: string): TwinSummary {
    const twin = this.statement(HOT_SQL.twin).get(twinId) as
      | {
          id: string;
          name: string;
          created_at: number;
          head_version_id: number | null;
          chain_twin_id: string | null;
        }
      | undefined;
    if (!twin) throw new AppError('NOT_FOUND', `There is no twin ${twinId}.`);
    const head = twin.head_version_id === null ? null : this.versionRow(twin.head_version_id);
    const draft = this.statement(HOT_SQL.draftVersion).get(twinId) as VersionRow | undefined;
    return {
      id: twin.id,
      name: twin.name,
      createdAt: twin.created_at,
      chainTwinId: twin.chain_twin_id,
      head: head ? toVersion(head) : null,
      draft: draft ? toVersion(draft) : null,
      models: this.listModels(twinId, twin.head_version_id),
    };
  }

  listModels(twinId: string, headVersionId: number | null): ModelSummary[] {
    const rows = this.statement(HOT_SQL.models).all(headVersionId ?? -1, twinId) as {
      id: string;
      name: string;
      discipline: string;
      created_at: number;
      file_name: string | null;
      sha256: string | null;
      byte_size: number | null;
      ifc_schema: string | null;
      authoring_app: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      discipline: r.discipline,
      createdAt: r.created_at,
      file:
        r.sha256 === null
          ? null
          : {
              fileName: r.file_name!,
              sha256: r.sha256,
              byteSize: r.byte_size!,
              schema: r.ifc_schema!,
              authoringApp: r.authoring_app,
            },
    }));
  }

  listVersions(twinId: string): VersionSummary[] {
    this.getTwinRow(twinId);
    const rows = this.db
      .prepare(
        `SELECT ${VERSION_COLUMNS} FROM versions v LEFT JOIN changesets c ON c.version_id = v.id
                WHERE v.twin_id = ? ORDER BY v.seq`,
      )
      .all(twinId) as VersionRow[];
    return rows.map(toVersion);
  }

  /** The requested version of the twin, or its head, or (before any commit) its draft. */
  resolveVersion(twinId: string, versionId?: number): VersionRow {
    return this.versionRow(this.versionIdOf(twinId, versionId))!;
  }

  commitDraft(twinId: string, versionId: number): VersionSummary {
    const commit = this.db.transaction(() => {
      const twin = this.getTwinRow(twinId);
      const row = this.versionRow(versionId);
      if (!row || row.twin_id !== twinId)
        throw new AppError('NOT_FOUND', `Twin ${twinId} has no version ${versionId}.`);
      if (row.status !== 'draft')
        throw new AppError('CONFLICT', `Version ${row.seq} of twin ${twinId} is not a draft.`);
      if (row.base_version_id !== twin.head_version_id) {
        throw new AppError(
          'CONFLICT',
          `The draft was made against version ${row.base_version_id ?? 'none'}, but the twin's head is now ` +
            `${twin.head_version_id}; import the file again to review it against the current version.`,
        );
      }
      this.db
        .prepare("UPDATE versions SET status = 'local', committed_at = ? WHERE id = ?")
        .run(Date.now(), versionId);
      this.db.prepare('UPDATE twins SET head_version_id = ? WHERE id = ?').run(versionId, twinId);
    });
    commit.immediate();
    return toVersion(this.versionRow(versionId)!);
  }

  /** Deletes a draft version and what only it used; answers false when there was nothing to discard. */
  discardDraft(twinId: string, versionId: number): boolean {
    const discard = this.db.transaction(() => {
      const row = this.versionRow(versionId);
      if (!row || row.twin_id !== twinId || row.status !== 'draft') return false;
      this.db.prepare('DELETE FROM versions WHERE id = ?').run(versionId);
      // Models created by this draft and present in no other version go with it: no version names
      // a file of theirs (model revisions) nor holds an element of theirs (a model another machine's
      // versions brought has no file here, only elements: see sync/conflicts.ts).
      this.db
        .prepare(
          `DELETE FROM models WHERE twin_id = ? AND id NOT IN (SELECT model_id FROM model_revisions)
             AND NOT EXISTS (SELECT 1 FROM version_elements v WHERE v.model_id = models.id)`,
        )
        .run(twinId);
      this.collectGarbage();
      return true;
    });
    const done = discard.immediate();
    this.forgetGeometryPlan(versionId);
    return done;
  }

  /**
   * Removes element states, meshes, geometry and files no version refers to any more, and the
   * claims (migration 10) of a model's file that no version names for that model: only a model's
   * current file in some version can pass an element to it, and a claim keeps its state alive.
   */
  collectGarbage(): void {
    this.db.exec(`
      DELETE FROM element_claims
      WHERE (model_id, source_sha256) NOT IN (SELECT model_id, source_sha256 FROM model_revisions);
      DELETE FROM element_states WHERE state_hash NOT IN (SELECT state_hash FROM version_elements)
        AND state_hash NOT IN (SELECT state_hash FROM element_claims);
      DELETE FROM geometries WHERE hash NOT IN (SELECT geometry_hash FROM element_meshes);
      DELETE FROM source_files WHERE sha256 NOT IN (SELECT source_sha256 FROM model_revisions);
    `);
  }

  // ---- tree, elements, search --------------------------------------------------------------

  spatialTree(twinId: string, versionId?: number): SpatialTree {
    const version = this.resolveVersion(twinId, versionId);
    const rows = this.statement(
      `SELECT ve.element_key, ve.model_id, s.global_id, s.ifc_class, s.name, s.parent_global_id, s.is_spatial,
                s.geometry_hash IS NOT NULL AS has_geometry
         FROM version_elements ve
         JOIN element_states s INDEXED BY element_states_summary ON s.state_hash = ve.state_hash
         WHERE ve.version_id = ?`,
    ).all(version.id) as {
      element_key: string;
      model_id: string;
      global_id: string;
      ifc_class: string;
      name: string | null;
      parent_global_id: string | null;
      is_spatial: number;
      has_geometry: number;
    }[];
    // The version's models: those it has a revision of, and any other its elements belong to (a
    // version the outbox made with no base copies no revision rows; its elements are still shown).
    const elementModels = [...new Set(rows.map((r) => r.model_id))];
    const models = this.db
      .prepare(
        `SELECT m.id, m.name, m.discipline FROM models m
         WHERE m.id IN (SELECT model_id FROM model_revisions WHERE version_id = ?)
            OR m.id IN (SELECT value FROM json_each(?))
         ORDER BY m.created_at, m.name`,
      )
      .all(version.id, JSON.stringify(elementModels)) as { id: string; name: string; discipline: string }[];
    const nodes = new Map<string, SpatialNode & { modelId: string; parent: string | null }>();
    for (const r of rows) {
      nodes.set(`${r.model_id}/${r.global_id}`, {
        elementKey: r.element_key,
        globalId: r.global_id,
        ifcClass: r.ifc_class,
        name: r.name,
        isSpatial: r.is_spatial === 1,
        hasGeometry: r.has_geometry === 1,
        children: [],
        modelId: r.model_id,
        parent: r.parent_global_id,
      });
    }
    const roots = new Map<string, SpatialNode[]>(models.map((m) => [m.id, []]));
    // A node is linked under its parent unless that would close a loop (a malformed file's parts
    // that aggregate each other): then it is a root, so no element drops out of the tree.
    const linkedParent = new Map<SpatialNode, SpatialNode>();
    const loops = (parent: SpatialNode, node: SpatialNode) => {
      for (let at: SpatialNode | undefined = parent; at; at = linkedParent.get(at))
        if (at === node) return true;
      return false;
    };
    for (const node of nodes.values()) {
      const parent = node.parent ? nodes.get(`${node.modelId}/${node.parent}`) : undefined;
      if (parent && !loops(parent, node)) {
        parent.children.push(node);
        linkedParent.set(node, parent);
      } else roots.get(node.modelId)?.push(node);
    }
    const order = (a: SpatialNode, b: SpatialNode) =>
      Number(b.isSpatial) - Number(a.isSpatial) ||
      a.ifcClass.localeCompare(b.ifcClass) ||
      (a.name ?? '').localeCompare(b.name ?? '') ||
      a.globalId.localeCompare(b.globalId);
    const clean = (node: SpatialNode & { modelId?: string; parent?: string | null }): SpatialNode => ({
      elementKey: node.elementKey,
      globalId: node.globalId,
      ifcClass: node.ifcClass,
      name: node.name,
      isSpatial: node.isSpatial,
      hasGeometry: node.hasGeometry,
      children: node.children.sort(order).map(clean),
    });
    return {
      versionId: version.id,
      models: models.map((m) => ({
        modelId: m.id,
        name: m.name,
        discipline: m.discipline,
        roots: (roots.get(m.id) ?? []).sort(order).map(clean),
      })),
    };
  }

  getElement(twinId: string, versionId: number | undefined, elementKey: string): ElementDetail {
    const version = this.resolveVersion(twinId, versionId);
    const row = this.db
      .prepare(
        `SELECT ve.element_key, ve.model_id, ve.state_hash, ve.express_id, s.canonical, s.storey_global_id,
                (SELECT COUNT(*) FROM element_meshes m WHERE m.state_hash = s.state_hash) AS mesh_count
         FROM version_elements ve JOIN element_states s ON s.state_hash = ve.state_hash
         WHERE ve.version_id = ? AND ve.element_key = ?`,
      )
      .get(version.id, elementKey) as
      | {
          element_key: string;
          model_id: string;
          state_hash: string;
          express_id: number;
          canonical: string;
          storey_global_id: string | null;
          mesh_count: number;
        }
      | undefined;
    if (!row)
      throw new AppError(
        'NOT_FOUND',
        `Version ${version.seq} of twin ${twinId} has no element ${elementKey}.`,
      );
    const state = JSON.parse(row.canonical) as ElementState;
    return {
      versionId: version.id,
      modelId: row.model_id,
      elementKey: row.element_key,
      stateHash: row.state_hash,
      expressId: row.express_id,
      globalId: state.globalId,
      ifcClass: state.ifcClass,
      name: state.name,
      description: state.description,
      objectType: state.objectType,
      tag: state.tag,
      predefinedType: state.predefinedType,
      container: state.container,
      decomposes: state.decomposes,
      storey: row.storey_global_id,
      placement: state.placement,
      type: state.type,
      propertySets: state.propertySets,
      classifications: state.classifications,
      systems: state.systems,
      ports: state.ports,
      geometry: state.geometry,
      meshCount: row.mesh_count,
    } as ElementDetail;
  }

  search(
    twinId: string,
    versionId: number | undefined,
    query: { text?: string; ifcClass?: string; property?: { name: string; value?: string }; limit?: number },
  ): { total: number; elements: ElementSummary[] } {
    const version = this.resolveVersion(twinId, versionId);
    const where: string[] = ['ve.version_id = ?'];
    const params: unknown[] = [version.id];
    for (const word of (query.text ?? '').toLowerCase().split(/\s+/).filter(Boolean)) {
      where.push("s.search_text LIKE ? ESCAPE '\\'");
      params.push(`%${escapeLike(word)}%`);
    }
    if (query.ifcClass) {
      where.push('s.ifc_class = ? COLLATE NOCASE');
      params.push(query.ifcClass);
    }
    if (query.property) {
      // Property sets of the element and of its type object.
      // Booleans compare as true/false, numbers as their JSON text, strings case-insensitively.
      const valueTest =
        query.property.value === undefined
          ? ''
          : `AND (CASE json_type(p.value, '$.value') WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                  ELSE CAST(p.value ->> 'value' AS TEXT) END) = ? COLLATE NOCASE`;
      where.push(
        `EXISTS (SELECT 1 FROM json_each(s.canonical, '$.propertySets') ps, json_each(ps.value, '$.properties') p
                 WHERE p.value ->> 'name' = ? ${valueTest}
                 UNION ALL
                 SELECT 1 FROM json_each(s.canonical, '$.type.propertySets') ps, json_each(ps.value, '$.properties') p
                 WHERE p.value ->> 'name' = ? ${valueTest})`,
      );
      params.push(query.property.name);
      if (query.property.value !== undefined) params.push(query.property.value);
      params.push(query.property.name);
      if (query.property.value !== undefined) params.push(query.property.value);
    }
    const from = `FROM version_elements ve JOIN element_states s ON s.state_hash = ve.state_hash WHERE ${where.join(' AND ')}`;
    const total = this.db
      .prepare(`SELECT COUNT(*) ${from}`)
      .pluck()
      .get(...params) as number;
    const rows = this.db
      .prepare(
        `SELECT ve.element_key, s.global_id, s.ifc_class, s.name, ve.model_id, s.storey_global_id ${from}
         ORDER BY s.ifc_class, s.name, s.global_id LIMIT ?`,
      )
      .all(...params, query.limit ?? 200) as {
      element_key: string;
      global_id: string;
      ifc_class: string;
      name: string | null;
      model_id: string;
      storey_global_id: string | null;
    }[];
    return {
      total,
      elements: rows.map((r) => ({
        elementKey: r.element_key,
        globalId: r.global_id,
        ifcClass: r.ifc_class,
        name: r.name,
        modelId: r.model_id,
        storey: r.storey_global_id,
      })),
    };
  }

  changeset(twinId: string, versionId: number): Changeset {
    const version = this.resolveVersion(twinId, versionId);
    const cs = this.db
      .prepare(
        'SELECT id, base_version_id, model_id, added, removed, modified FROM changesets WHERE version_id = ?',
      )
      .get(version.id) as
      | {
          id: number;
          base_version_id: number | null;
          model_id: string | null;
          added: number;
          removed: number;
          modified: number;
        }
      | undefined;
    if (!cs) throw new AppError('NOT_FOUND', `Version ${version.seq} of twin ${twinId} has no changeset.`);
    // A new twin's committed first version stores no entries: every element of it was added
    // (import-writer.ts), listed from the version itself in the same order (databases written
    // before that keep theirs, read as stored).
    const entries = this.statement(
      `SELECT element_key, global_id, ifc_class, name, change, fields, details, old_state_hash, new_state_hash
       FROM changeset_entries WHERE changeset_id = @changeset
       UNION ALL
       SELECT e.element_key, s.global_id, s.ifc_class, s.name, 'added', '[]', '[]', NULL, e.state_hash
       FROM version_elements e JOIN element_states s ON s.state_hash = e.state_hash
       WHERE @firstVersion AND e.version_id = @version
         AND NOT EXISTS (SELECT 1 FROM changeset_entries WHERE changeset_id = @changeset)
       ORDER BY change, ifc_class, name, global_id`,
    ).all({ changeset: cs.id, version: version.id, firstVersion: cs.base_version_id === null ? 1 : 0 }) as {
      element_key: string;
      global_id: string;
      ifc_class: string;
      name: string | null;
      change: 'added' | 'removed' | 'modified';
      fields: string;
      details: string;
      old_state_hash: string | null;
      new_state_hash: string | null;
    }[];
    return {
      id: cs.id,
      versionId: version.id,
      baseVersionId: cs.base_version_id,
      modelId: cs.model_id,
      added: cs.added,
      removed: cs.removed,
      modified: cs.modified,
      entries: entries.map((e) => ({
        elementKey: e.element_key,
        globalId: e.global_id,
        ifcClass: e.ifc_class,
        name: e.name,
        change: e.change,
        fields: JSON.parse(e.fields) as string[],
        details: JSON.parse(e.details) as string[],
        oldStateHash: e.old_state_hash,
        newStateHash: e.new_state_hash,
      })),
    };
  }

  // ---- proofs ----------------------------------------------------------------------------

  /** The version's root, the element's leaf values, its leaf's node index and the tree's nodes. */
  proofMaterial(
    twinId: string,
    versionId: number | undefined,
    elementKey: string,
  ): { version: VersionRow; stateHash: string; leafIndex: number; nodes: Uint8Array } {
    const version = this.resolveVersion(twinId, versionId);
    const row = this.db
      .prepare('SELECT state_hash, leaf_index FROM version_elements WHERE version_id = ? AND element_key = ?')
      .get(version.id, elementKey) as { state_hash: string; leaf_index: number } | undefined;
    if (!row)
      throw new AppError(
        'NOT_FOUND',
        `Version ${version.seq} of twin ${twinId} has no element ${elementKey}.`,
      );
    const nodes = this.db
      .prepare('SELECT tree_nodes FROM versions WHERE id = ?')
      .pluck()
      .get(version.id) as Buffer;
    return { version, stateHash: row.state_hash, leafIndex: row.leaf_index, nodes: new Uint8Array(nodes) };
  }

  /** Every (elementKey, stateHash) leaf of a version, for checks and for sync. */
  versionLeaves(versionId: number): [string, string][] {
    return this.db
      .prepare(
        'SELECT element_key, state_hash FROM version_elements WHERE version_id = ? ORDER BY element_key',
      )
      .raw()
      .all(versionId) as [string, string][];
  }

  // ---- geometry ----------------------------------------------------------------------------

  /** Drops the cached geometry plan of a version whose elements changed in place (draft edits). */
  forgetGeometryPlan(versionId: number): void {
    for (const key of [...this.plans.keys()]) if (key.startsWith(`${versionId}:`)) this.plans.delete(key);
  }

  geometryManifest(twinId: string, versionId?: number): GeometryManifest {
    return this.geometryPlan(this.versionIdOf(twinId, versionId)).manifest;
  }

  /** One binary chunk of the stream described in src/shared/geometry-stream.ts. */
  geometryChunk(
    twinId: string,
    versionId: number,
    cursor: number,
    maxBytes = 4 * 1024 * 1024,
  ): Uint8Array<ArrayBuffer> {
    const plan = this.geometryPlan(this.versionIdOf(twinId, versionId));
    const { instanceCount, meshCount, firstMeshCursor } = plan.manifest;
    if (cursor > firstMeshCursor + meshCount)
      throw new AppError('BAD_REQUEST', `Cursor ${cursor} is past the end of the stream.`);
    if (cursor < instanceCount) {
      const perChunk = Math.max(
        1,
        Math.floor((maxBytes - GEOMETRY_CHUNK_HEADER_BYTES) / INSTANCE_RECORD_BYTES),
      );
      const count = Math.min(perChunk, instanceCount - cursor);
      const out = new Uint8Array(GEOMETRY_CHUNK_HEADER_BYTES + count * INSTANCE_RECORD_BYTES);
      const next = cursor + count < instanceCount ? cursor + count : meshCount > 0 ? firstMeshCursor : -1;
      writeHeader(out, 1, count, next);
      out.set(
        plan.instances.subarray(cursor * INSTANCE_RECORD_BYTES, (cursor + count) * INSTANCE_RECORD_BYTES),
        GEOMETRY_CHUNK_HEADER_BYTES,
      );
      return out;
    }
    // Sizes come from the plan: the chunk is allocated once and each mesh's bytes copied in once.
    const first = Math.max(cursor, firstMeshCursor) - firstMeshCursor;
    let size = GEOMETRY_CHUNK_HEADER_BYTES;
    let end = first;
    while (end < meshCount) {
      const vertexCount = plan.meshCounts[2 * end]!;
      const indexCount = plan.meshCounts[2 * end + 1]!;
      const indexBytes = vertexCount <= 65536 ? 2 : 4;
      const recordSize = MESH_RECORD_HEADER_BYTES + vertexCount * 24 + padTo4(indexCount * indexBytes);
      if (end > first && size + recordSize > maxBytes) break;
      size += recordSize;
      end++;
    }
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    writeHeader(out, 2, end - first, end < meshCount ? firstMeshCursor + end : -1);
    let offset = GEOMETRY_CHUNK_HEADER_BYTES;
    const blobs = this.statement(HOT_SQL.meshBytes)
      .raw()
      .all(JSON.stringify(plan.meshHashes.slice(first, end))) as [Buffer, Buffer][];
    if (blobs.length !== end - first) {
      throw new AppError(
        'INTERNAL',
        `The twin cache lacks ${end - first - blobs.length} meshes of this version.`,
      );
    }
    for (let index = first; index < end; index++) {
      const [vertices, indices] = blobs[index - first]!;
      const vertexCount = plan.meshCounts[2 * index]!;
      view.setUint32(offset, index, true);
      view.setUint32(offset + 4, vertexCount, true);
      view.setUint32(offset + 8, plan.meshCounts[2 * index + 1]!, true);
      view.setUint32(offset + 12, vertexCount <= 65536 ? 2 : 4, true);
      out.set(vertices, offset + MESH_RECORD_HEADER_BYTES);
      out.set(indices, offset + MESH_RECORD_HEADER_BYTES + vertices.byteLength);
      offset += MESH_RECORD_HEADER_BYTES + vertices.byteLength + padTo4(indices.byteLength);
    }
    return out;
  }

  private geometryPlan(versionId: number): GeometryPlan {
    // Keyed by the root too: a version the outbox deleted (a rebased commit) frees its id, which
    // the next version may take with other elements; the same root is the same elements.
    const key = `${versionId}:${this.statement(HOT_SQL.versionRoot).pluck().get(versionId) as string}`;
    const cached = this.plans.get(key);
    if (cached) return cached;
    // One query: every placed mesh of the version with its element and its mesh's sizes.
    const rows = this.statement(HOT_SQL.geometryPlan).raw().all(versionId) as [
      string,
      string,
      string,
      string,
      string | null,
      string | null,
      string,
      Buffer,
      Buffer,
      number,
      number,
    ][];
    const elements: ElementSummary[] = [];
    const elementIndex = new Map<string, number>();
    const meshIndex = new Map<string, number>();
    const meshHashes: string[] = [];
    const counts: number[] = [];
    let meshBytes = 0;
    const instances = new Uint8Array(rows.length * INSTANCE_RECORD_BYTES);
    const view = new DataView(instances.buffer);
    for (let i = 0; i < rows.length; i++) {
      const [
        key,
        modelId,
        globalId,
        ifcClass,
        name,
        storey,
        geometryHash,
        color,
        matrix,
        vertexCount,
        indexCount,
      ] = rows[i]!;
      let e = elementIndex.get(key);
      if (e === undefined) {
        e = elements.length;
        elementIndex.set(key, e);
        elements.push({ elementKey: key, globalId, ifcClass, name, modelId, storey });
      }
      let g = meshIndex.get(geometryHash);
      if (g === undefined) {
        g = meshHashes.length;
        meshIndex.set(geometryHash, g);
        meshHashes.push(geometryHash);
        counts.push(vertexCount, indexCount);
        // As stored: float32 x 6 per vertex, uint16 indices up to 65,536 vertices, uint32 beyond.
        meshBytes += vertexCount * 24 + indexCount * (vertexCount <= 65536 ? 2 : 4);
      }
      const at = i * INSTANCE_RECORD_BYTES;
      view.setUint32(at, e, true);
      view.setUint32(at + 4, g, true);
      for (let k = 0; k < 4; k++) view.setFloat32(at + 8 + k * 4, color.readFloatLE(k * 4), true);
      for (let k = 0; k < 16; k++) view.setFloat32(at + 24 + k * 4, matrix.readDoubleLE(k * 8), true);
    }
    const plan: GeometryPlan = {
      manifest: {
        versionId,
        elements,
        instanceCount: rows.length,
        meshCount: meshHashes.length,
        meshBytes,
        firstMeshCursor: rows.length,
      },
      instances,
      meshHashes,
      meshCounts: Uint32Array.from(counts),
    };
    if (this.plans.size >= 4) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(key, plan);
    return plan;
  }

  /**
   * The version asked for (its head, else its draft, when none is named), checked to be the twin's,
   * as an id alone: the geometry stream asks on every chunk and needs no more lookups than that.
   */
  private versionIdOf(twinId: string, versionId?: number): number {
    if (versionId === undefined) {
      const twin = this.getTwinRow(twinId);
      if (twin.head_version_id !== null) return twin.head_version_id;
      const draft = this.statement(HOT_SQL.draftId).pluck().get(twinId) as number | undefined;
      if (draft === undefined) throw new AppError('NOT_FOUND', `Twin ${twinId} has no version yet.`);
      return draft;
    }
    const owner = this.statement(HOT_SQL.versionTwin).pluck().get(versionId) as string | undefined;
    if (owner !== twinId) {
      this.getTwinRow(twinId); // "There is no twin ..." when that is what is wrong
      throw new AppError('NOT_FOUND', `Twin ${twinId} has no version ${versionId}.`);
    }
    return versionId;
  }

  private getTwinRow(twinId: string): { id: string; head_version_id: number | null } {
    const twin = this.statement(HOT_SQL.twinRow).get(twinId) as
      { id: string; head_version_id: number | null } | undefined;
    if (!twin) throw new AppError('NOT_FOUND', `There is no twin ${twinId}.`);
    return twin;
  }

  private versionRow(versionId: number): VersionRow | undefined {
    return this.statement(HOT_SQL.versionRow).get(versionId) as VersionRow | undefined;
  }
}

function writeHeader(out: Uint8Array, kind: 1 | 2, count: number, next: number): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, GEOMETRY_STREAM_MAGIC, true);
  view.setUint16(4, GEOMETRY_STREAM_FORMAT, true);
  view.setUint16(6, kind, true);
  view.setUint32(8, count, true);
  view.setInt32(12, next, true);
}
