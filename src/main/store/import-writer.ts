// Writes one imported IFC file as a new version of a twin, in a single transaction: the twin and
// model rows when new, the source file, new element states and meshes, new geometry, the version
// with its Merkle tree, and the changeset against the current version. A failure or a cancellation
// anywhere rolls all of it back; the store is then exactly as it was.
import { AppError } from '../../shared/result';
import type { SqliteDatabase } from './database';

export type ImportTarget =
  | {
      kind: 'newTwin';
      twinId: string;
      twinName: string;
      modelId: string;
      modelName: string;
      discipline: string;
    }
  | { kind: 'newModel'; twinId: string; modelId: string; modelName: string; discipline: string }
  | { kind: 'newIteration'; twinId: string; modelId: string };

export interface ImportedMesh {
  geometryHash: string;
  /** 4 x float32 */
  color: Uint8Array;
  /** 16 x float64 */
  matrix: Uint8Array;
}

export interface ImportedElement {
  elementKey: string;
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
  expressId: number;
  meshes: ImportedMesh[];
}

export interface ImportedGeometry {
  hash: string;
  vertexCount: number;
  indexCount: number;
  vertices: Uint8Array;
  indices: Uint8Array;
}

export interface ImportRecord {
  target: ImportTarget;
  /** Make the new version the twin's head now; otherwise it stays a draft for review. */
  commit: boolean;
  source: {
    sha256: string;
    fileName: string;
    byteSize: number;
    schema: string;
    authoringApp: string | null;
    /** The file's bytes, or null when they are kept beside the database (store/source-files.ts). */
    content: Uint8Array | null;
  };
  projectGlobalId: string | null;
  warnings: string[];
  elements: ImportedElement[];
  geometries: ImportedGeometry[];
}

export interface ImportDeps {
  buildTree(leaves: (readonly [string, string])[]): {
    root: string;
    nodes: Uint8Array;
    leafIndex: Map<string, number>;
  };
  diffStates(before: string, after: string): { fields: string[]; details: string[] };
  /** Throws to abandon the import (cancellation); called between steps of the transaction. */
  checkpoint(): void;
  progress?(fraction: number): void;
}

export interface ImportOutcome {
  twinId: string;
  modelId: string;
  versionId: number;
  seq: number;
  status: 'draft' | 'local';
  baseVersionId: number | null;
  merkleRoot: string;
  elementCount: number;
  changeset: { id: number; added: number; removed: number; modified: number };
  warnings: string[];
}

const NO_BYTES = new Uint8Array(0);

/** The writer's statements, prepared once per connection (the import worker keeps its connection). */
const preparedFor = new WeakMap<SqliteDatabase, ReturnType<typeof prepareStatements>>();

function prepareStatements(db: SqliteDatabase) {
  return {
    twin: db.prepare('SELECT id, head_version_id FROM twins WHERE id = ?'),
    draft: db.prepare("SELECT id, seq FROM versions WHERE twin_id = ? AND status = 'draft'"),
    model: db.prepare('SELECT id, name FROM models WHERE id = ? AND twin_id = ?'),
    modelByName: db.prepare('SELECT id FROM models WHERE twin_id = ? AND name = ?'),
    insertTwin: db.prepare('INSERT INTO twins (id, name, created_at) VALUES (?, ?, ?)'),
    insertModel: db.prepare(
      'INSERT INTO models (id, twin_id, name, discipline, created_at) VALUES (?, ?, ?, ?, ?)',
    ),
    insertSource: db.prepare(
      `INSERT OR IGNORE INTO source_files (sha256, file_name, byte_size, ifc_schema, authoring_app, content,
         content_location) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    // Content-addressed rows: one already there is the same content (its key is its hash).
    insertGeometry: db.prepare(
      `INSERT INTO geometries (hash, vertex_count, index_count, vertices, indices) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (hash) DO NOTHING`,
    ),
    insertState: db.prepare(
      `INSERT INTO element_states (state_hash, global_id, ifc_class, name, parent_global_id, storey_global_id,
         is_spatial, geometry_hash, canonical, search_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (state_hash) DO NOTHING`,
    ),
    insertMesh: db.prepare(
      'INSERT INTO element_meshes (state_hash, ordinal, geometry_hash, color, matrix) VALUES (?, ?, ?, ?, ?)',
    ),
    baseElements: db.prepare(
      'SELECT element_key, model_id, state_hash, express_id FROM version_elements WHERE version_id = ?',
    ),
    nextSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 FROM versions WHERE twin_id = ?').pluck(),
    insertVersion: db.prepare(
      `INSERT INTO versions (twin_id, seq, base_version_id, status, merkle_root, element_count, tree_nodes,
         created_at, committed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertVersionElement: db.prepare(
      'INSERT INTO version_elements (version_id, element_key, model_id, state_hash, express_id, leaf_index) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    copyRevisions: db.prepare(
      `INSERT INTO model_revisions (version_id, model_id, source_sha256, ifc_schema, project_global_id, warnings)
       SELECT ?, model_id, source_sha256, ifc_schema, project_global_id, warnings FROM model_revisions
       WHERE version_id = ? AND model_id != ?`,
    ),
    insertRevision: db.prepare(
      `INSERT INTO model_revisions (version_id, model_id, source_sha256, ifc_schema, project_global_id, warnings)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    canonicalOf: db.prepare(
      'SELECT canonical, global_id, ifc_class, name FROM element_states WHERE state_hash = ?',
    ),
    insertChangeset: db.prepare(
      `INSERT INTO changesets (twin_id, version_id, base_version_id, model_id, added, removed, modified, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertEntry: db.prepare(
      `INSERT INTO changeset_entries (changeset_id, element_key, global_id, ifc_class, name, change, fields, details,
         old_state_hash, new_state_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    setHead: db.prepare('UPDATE twins SET head_version_id = ? WHERE id = ?'),
  };
}

/** Prepares the writer's statements on a connection ahead of its first import (the worker's warm-up). */
export function prepareImportWriter(db: SqliteDatabase): void {
  if (!preparedFor.has(db)) preparedFor.set(db, prepareStatements(db));
}

export function writeImport(db: SqliteDatabase, record: ImportRecord, deps: ImportDeps): ImportOutcome {
  const now = Date.now();
  prepareImportWriter(db);
  const statements = preparedFor.get(db)!;

  const run = db.transaction((): ImportOutcome => {
    const { target } = record;
    const warnings = [...record.warnings];
    // 1. Twin and model.
    let baseVersionId: number | null = null;
    if (target.kind === 'newTwin') {
      statements.insertTwin.run(target.twinId, target.twinName, now);
      statements.insertModel.run(target.modelId, target.twinId, target.modelName, target.discipline, now);
    } else {
      const twin = statements.twin.get(target.twinId) as
        { id: string; head_version_id: number | null } | undefined;
      if (!twin) throw new AppError('NOT_FOUND', `There is no twin ${target.twinId}.`);
      const draft = statements.draft.get(target.twinId) as { id: number; seq: number } | undefined;
      if (draft) {
        throw new AppError(
          'CONFLICT',
          `Twin ${target.twinId} already has a draft version (${draft.seq}) under review; commit or discard it first.`,
        );
      }
      baseVersionId = twin.head_version_id;
      if (target.kind === 'newModel') {
        if (statements.modelByName.get(target.twinId, target.modelName)) {
          throw new AppError(
            'CONFLICT',
            `Twin ${target.twinId} already has a model named "${target.modelName}"; import the file as a new iteration of it.`,
          );
        }
        statements.insertModel.run(target.modelId, target.twinId, target.modelName, target.discipline, now);
      } else if (!statements.model.get(target.modelId, target.twinId)) {
        throw new AppError('NOT_FOUND', `Twin ${target.twinId} has no model ${target.modelId}.`);
      }
    }
    const modelId = target.modelId;
    deps.checkpoint();

    // 2. The elements of the other models stay as they are in the base version.
    const base =
      baseVersionId === null
        ? []
        : (statements.baseElements.all(baseVersionId) as {
            element_key: string;
            model_id: string;
            state_hash: string;
            express_id: number;
          }[]);
    const kept = base.filter((row) => row.model_id !== modelId);
    const previous = new Map(
      base.filter((row) => row.model_id === modelId).map((row) => [row.element_key, row]),
    );
    const keptKeys = new Set(kept.map((row) => row.element_key));
    const elements: ImportedElement[] = [];
    let clashes = 0;
    for (const element of record.elements) {
      if (keptKeys.has(element.elementKey)) {
        clashes++;
        if (clashes <= 5) {
          warnings.push(
            `GlobalId ${element.globalId} already belongs to another model of this twin; it was skipped here.`,
          );
        }
        continue;
      }
      elements.push(element);
    }
    if (clashes > 5) warnings.push(`${clashes} elements in all were skipped as belonging to another model.`);
    if (elements.length + kept.length === 0) {
      throw new AppError('BAD_REQUEST', `${record.source.fileName} holds no elements to import.`);
    }

    // 3. Content: the file, geometry, element states (each stored once).
    statements.insertSource.run(
      record.source.sha256,
      record.source.fileName,
      record.source.byteSize,
      record.source.schema,
      record.source.authoringApp,
      record.source.content ?? NO_BYTES,
      record.source.content === null ? 'file' : 'row',
    );
    const usedGeometry = new Set<string>();
    for (const element of elements) for (const mesh of element.meshes) usedGeometry.add(mesh.geometryHash);
    let written = 0;
    for (const geometry of record.geometries) {
      if (!usedGeometry.has(geometry.hash)) continue;
      statements.insertGeometry.run(
        geometry.hash,
        geometry.vertexCount,
        geometry.indexCount,
        geometry.vertices,
        geometry.indices,
      );
      if ((++written & 127) === 0) deps.checkpoint();
    }
    deps.progress?.(0.3);
    for (let i = 0; i < elements.length; i++) {
      const e = elements[i]!;
      const inserted = statements.insertState.run(
        e.stateHash,
        e.globalId,
        e.ifcClass,
        e.name,
        e.parentGlobalId,
        e.storeyGlobalId,
        e.isSpatial ? 1 : 0,
        e.geometryHash,
        e.canonical,
        e.searchText,
      ).changes;
      if (inserted === 0) continue; // the state, and so its meshes, were stored already
      e.meshes.forEach((mesh, ordinal) =>
        statements.insertMesh.run(e.stateHash, ordinal, mesh.geometryHash, mesh.color, mesh.matrix),
      );
      if ((i & 255) === 0) deps.checkpoint();
    }
    deps.progress?.(0.6);

    // 4. The version and its Merkle tree over every element of the twin.
    const leaves: (readonly [string, string])[] = [
      ...kept.map((row) => [row.element_key, row.state_hash] as const),
      ...elements.map((e) => [e.elementKey, e.stateHash] as const),
    ];
    const tree = deps.buildTree(leaves);
    deps.checkpoint();
    const seq = statements.nextSeq.get(target.twinId) as number;
    const status = record.commit ? 'local' : 'draft';
    const versionId = Number(
      statements.insertVersion.run(
        target.twinId,
        seq,
        baseVersionId,
        status,
        tree.root,
        leaves.length,
        tree.nodes,
        now,
        record.commit ? now : null,
      ).lastInsertRowid,
    );
    for (const row of kept) {
      statements.insertVersionElement.run(
        versionId,
        row.element_key,
        row.model_id,
        row.state_hash,
        row.express_id,
        tree.leafIndex.get(row.element_key)!,
      );
    }
    for (const e of elements) {
      statements.insertVersionElement.run(
        versionId,
        e.elementKey,
        modelId,
        e.stateHash,
        e.expressId,
        tree.leafIndex.get(e.elementKey)!,
      );
    }
    if (baseVersionId !== null) statements.copyRevisions.run(versionId, baseVersionId, modelId);
    statements.insertRevision.run(
      versionId,
      modelId,
      record.source.sha256,
      record.source.schema,
      record.projectGlobalId,
      JSON.stringify(warnings),
    );
    deps.progress?.(0.8);
    deps.checkpoint();

    // 5. The changeset of this model against the base version. A new twin's first version adds
    // every element it holds: its entries are that version's elements themselves, which
    // TwinStore.changeset lists from version_elements instead of a copy here (Office_A: 1,091 rows
    // fewer). A draft keeps them written out: edits replace its entries.
    const writeEntries = baseVersionId !== null || !record.commit;
    let added = 0;
    let removed = 0;
    let modified = 0;
    const entries: unknown[][] = [];
    const seen = new Set<string>();
    for (const e of elements) {
      seen.add(e.elementKey);
      const old = previous.get(e.elementKey);
      if (!old) {
        added++;
        if (writeEntries)
          entries.push([
            e.elementKey,
            e.globalId,
            e.ifcClass,
            e.name,
            'added',
            '[]',
            '[]',
            null,
            e.stateHash,
          ]);
      } else if (old.state_hash !== e.stateHash) {
        modified++;
        const before = statements.canonicalOf.get(old.state_hash) as { canonical: string };
        const diff = deps.diffStates(before.canonical, e.canonical);
        entries.push([
          e.elementKey,
          e.globalId,
          e.ifcClass,
          e.name,
          'modified',
          JSON.stringify(diff.fields),
          JSON.stringify(diff.details),
          old.state_hash,
          e.stateHash,
        ]);
      }
    }
    for (const [key, old] of previous) {
      if (seen.has(key)) continue;
      removed++;
      const before = statements.canonicalOf.get(old.state_hash) as {
        global_id: string;
        ifc_class: string;
        name: string | null;
      };
      entries.push([
        key,
        before.global_id,
        before.ifc_class,
        before.name,
        'removed',
        '[]',
        '[]',
        old.state_hash,
        null,
      ]);
    }
    const changesetId = Number(
      statements.insertChangeset.run(
        target.twinId,
        versionId,
        baseVersionId,
        modelId,
        added,
        removed,
        modified,
        now,
      ).lastInsertRowid,
    );
    for (const entry of entries) statements.insertEntry.run(changesetId, ...entry);
    if (record.commit) statements.setHead.run(versionId, target.twinId);
    deps.checkpoint();
    return {
      twinId: target.twinId,
      modelId,
      versionId,
      seq,
      status,
      baseVersionId,
      merkleRoot: tree.root,
      elementCount: leaves.length,
      changeset: { id: changesetId, added, removed, modified },
      warnings,
    };
  });
  return run.immediate();
}
