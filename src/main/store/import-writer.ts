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
  /** The element's Merkle leaf (merkle.ts leafHash of its key and state hash). */
  leafHash: Buffer;
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
  /** [elementKey, stateHash, its leaf hash where already computed] */
  buildTree(leaves: (readonly [string, string, Buffer?])[]): {
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

/** An element of a version as the writer reads it. */
interface ElementRow {
  element_key: string;
  model_id: string;
  state_hash: string;
  express_id: number;
}

/** A claim on an element (migration 10) of another model's current file, with what its warning names. */
interface ClaimRow extends ElementRow {
  model_name: string;
  /** The claimed state's. */
  global_id: string;
  ifc_class: string;
  name: string | null;
  canonical: string;
}

/** The writer's statements, prepared once per connection (the import worker keeps its connection). */
const preparedFor = new WeakMap<SqliteDatabase, ReturnType<typeof prepareStatements>>();

function prepareStatements(db: SqliteDatabase) {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
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
    // Upserted: the same file imported again gives the same elements, imported later.
    insertClaim: db.prepare(
      `INSERT INTO element_claims (model_id, source_sha256, element_key, state_hash, express_id, seq)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (model_id, source_sha256, element_key) DO UPDATE SET state_hash = excluded.state_hash,
         express_id = excluded.express_id, seq = excluded.seq`,
    ),
    // The claims on these elements of the other models' current files (migration 10), the latest last.
    claimsOn: db.prepare(
      `SELECT c.element_key, c.model_id, m.name AS model_name, c.state_hash, c.express_id, s.global_id,
         s.ifc_class, s.name, s.canonical
       FROM model_revisions r
       JOIN element_claims c ON c.model_id = r.model_id AND c.source_sha256 = r.source_sha256
       JOIN models m ON m.id = c.model_id
       JOIN element_states s ON s.state_hash = c.state_hash
       WHERE r.version_id = ? AND r.model_id != ? AND c.element_key IN (SELECT value FROM json_each(?))
       ORDER BY c.seq, c.model_id`,
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

/** What a write needs before any element: where it goes and the file it came from. */
export type ImportHeader = Pick<ImportRecord, 'target' | 'commit' | 'source'>;

/**
 * One import's write, open as a transaction from begin to finish, so that its elements can be
 * written as they are fingerprinted (the importer writes a small file's elements while its
 * meshes are still being read) and the version is made, all at once, from whatever was added.
 * Until finish() commits, nothing of it is visible; abort() (or any failure) rolls it all back.
 */
export interface ImportWrite {
  /** Writes elements (their states and meshes, and the geometry they use that is not yet written). */
  add(elements: readonly ImportedElement[], geometryOf: (hash: string) => ImportedGeometry | undefined): void;
  /** Writes the version, its Merkle tree and its changeset, and commits. */
  finish(rest: Pick<ImportRecord, 'projectGlobalId' | 'warnings'>): ImportOutcome;
  /** Rolls back whatever was written (nothing if the write is over). */
  abort(): void;
}

/**
 * Begins an import's write: checks and inserts the twin and model, reads the base version's
 * elements, writes the source file's row. Holds the database's write lock until finish or abort:
 * callers begin only when what follows is short.
 */
export function beginImportWrite(db: SqliteDatabase, header: ImportHeader, deps: ImportDeps): ImportWrite {
  const now = Date.now();
  prepareImportWriter(db);
  const statements = preparedFor.get(db)!;
  const { target } = header;
  const warnings: string[] = [];
  statements.begin.run();
  let open = true;
  const abort = () => {
    if (!open) return;
    open = false;
    // A failed statement may have ended the transaction already (SQLite rolls back on some errors).
    if (db.inTransaction) statements.rollback.run();
  };
  const guarded = <T>(step: () => T): T => {
    if (!open) throw new Error('This import write is already finished or abandoned.');
    try {
      return step();
    } catch (error) {
      abort();
      throw error;
    }
  };

  // 1. Twin and model.
  const base = guarded(() => {
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
    deps.checkpoint();

    // 2. The elements of the other models stay as they are in the base version.
    const rows = baseVersionId === null ? [] : (statements.baseElements.all(baseVersionId) as ElementRow[]);
    const kept = rows.filter((row) => row.model_id !== target.modelId);
    const previous = new Map(
      rows.filter((row) => row.model_id === target.modelId).map((row) => [row.element_key, row]),
    );

    // 3. The file.
    statements.insertSource.run(
      header.source.sha256,
      header.source.fileName,
      header.source.byteSize,
      header.source.schema,
      header.source.authoringApp,
      header.source.content ?? NO_BYTES,
      header.source.content === null ? 'file' : 'row',
    );
    return { baseVersionId, kept, previous, keptKeys: new Set(kept.map((row) => row.element_key)) };
  });
  const modelId = target.modelId;
  const { baseVersionId, kept, previous, keptKeys } = base;
  const elements: ImportedElement[] = [];
  /** Elements skipped as another model's: stored all the same, and claimed by this file (finish). */
  const claimed: ImportedElement[] = [];
  const writtenGeometry = new Set<string>();
  let clashes = 0;

  return {
    add: (batch, geometryOf) =>
      guarded(() => {
        // 4. Content: geometry, element states (each stored once). An element another model holds
        // is not this model's, but its state is stored as this file gives it: should that model's
        // next file drop it, it passes to this one with that state (finish, of that import).
        let i = 0;
        for (const e of batch) {
          if (keptKeys.has(e.elementKey)) {
            clashes++;
            if (clashes <= 5) {
              warnings.push(
                `GlobalId ${e.globalId} already belongs to another model of this twin; it was skipped here.`,
              );
            }
            claimed.push(e);
          } else elements.push(e);
          for (const mesh of e.meshes) {
            if (writtenGeometry.has(mesh.geometryHash)) continue;
            const geometry = geometryOf(mesh.geometryHash);
            if (!geometry) throw new Error(`Mesh ${mesh.geometryHash} of ${e.globalId} was not read.`);
            statements.insertGeometry.run(
              geometry.hash,
              geometry.vertexCount,
              geometry.indexCount,
              geometry.vertices,
              geometry.indices,
            );
            writtenGeometry.add(mesh.geometryHash);
          }
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
          // A state stored already has its meshes stored with it.
          if (inserted !== 0) {
            e.meshes.forEach((mesh, ordinal) =>
              statements.insertMesh.run(e.stateHash, ordinal, mesh.geometryHash, mesh.color, mesh.matrix),
            );
          }
          if ((++i & 255) === 0) deps.checkpoint();
        }
      }),
    abort,
    finish: (rest) =>
      guarded(() => {
        if (clashes > 5)
          warnings.push(`${clashes} elements in all were skipped as belonging to another model.`);
        if (elements.length + kept.length === 0) {
          throw new AppError('BAD_REQUEST', `${header.source.fileName} holds no elements to import.`);
        }
        deps.progress?.(0.6);

        // 5. This model's elements the file no longer holds. One that another model's current file
        // holds (its import skipped it, as this model held it then) passes to that model, with the
        // state and express id that file gave it, instead of leaving the twin: the authors moved it
        // from one model to the other, and which file was imported first does not matter. Where
        // several models' files claim it, the one imported last takes it (claims come ordered by
        // the seq of the version their import made). A new twin or model has no previous elements,
        // and an iteration that drops none asks nothing more.
        const gone: ElementRow[] = [];
        if (previous.size > 0) {
          const imported = new Set(elements.map((e) => e.elementKey));
          for (const row of previous.values()) if (!imported.has(row.element_key)) gone.push(row);
        }
        const passed = new Map<string, ClaimRow>();
        if (gone.length > 0) {
          const claims = statements.claimsOn.all(
            baseVersionId,
            modelId,
            JSON.stringify(gone.map((row) => row.element_key)),
          ) as ClaimRow[];
          for (const claim of claims) passed.set(claim.element_key, claim);
          const byModel = new Map<string, string[]>();
          for (const claim of passed.values()) {
            const globalIds = byModel.get(claim.model_name) ?? [];
            globalIds.push(claim.global_id);
            byModel.set(claim.model_name, globalIds);
          }
          for (const [name, globalIds] of byModel) {
            const one = globalIds.length === 1;
            warnings.push(
              `${one ? '1 element' : `${globalIds.length} elements`} this file no longer holds ` +
                `${one ? 'was' : 'were'} kept in model "${name}" (its file holds ${one ? 'it' : 'them'}): ` +
                `${globalIds.sort().slice(0, 5).join(', ')}${globalIds.length > 5 ? ', ...' : ''}.`,
            );
          }
        }
        const carried = passed.size === 0 ? kept : [...kept, ...passed.values()];

        // 6. The version and its Merkle tree over every element of the twin.
        const leaves: (readonly [string, string, Buffer?])[] = [
          ...carried.map((row) => [row.element_key, row.state_hash] as const),
          ...elements.map((e) => [e.elementKey, e.stateHash, e.leafHash] as const),
        ];
        const tree = deps.buildTree(leaves);
        deps.checkpoint();
        const seq = statements.nextSeq.get(target.twinId) as number;
        // This file's claims (add stored the states they name).
        for (const e of claimed) {
          statements.insertClaim.run(
            modelId,
            header.source.sha256,
            e.elementKey,
            e.stateHash,
            e.expressId,
            seq,
          );
        }
        const status = header.commit ? 'local' : 'draft';
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
            header.commit ? now : null,
          ).lastInsertRowid,
        );
        for (const row of carried) {
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
        const allWarnings = [...rest.warnings, ...warnings];
        statements.insertRevision.run(
          versionId,
          modelId,
          header.source.sha256,
          header.source.schema,
          rest.projectGlobalId,
          JSON.stringify(allWarnings),
        );
        deps.progress?.(0.8);
        deps.checkpoint();

        // 7. The changeset of this model against the base version. A new twin's first version adds
        // every element it holds: its entries are that version's elements themselves, which
        // TwinStore.changeset lists from version_elements instead of a copy here (Office_A: 1,091
        // rows fewer). A draft keeps them written out: edits replace its entries.
        const writeEntries = baseVersionId !== null || !header.commit;
        let added = 0;
        let removed = 0;
        let modified = 0;
        const entries: unknown[][] = [];
        /** A 'modified' entry: the element as it is now, and the fields and paths that changed. */
        const modify = (
          key: string,
          about: { globalId: string; ifcClass: string; name: string | null },
          oldHash: string,
          newHash: string,
          canonical: string,
        ) => {
          modified++;
          const before = statements.canonicalOf.get(oldHash) as { canonical: string };
          const diff = deps.diffStates(before.canonical, canonical);
          entries.push([
            key,
            about.globalId,
            about.ifcClass,
            about.name,
            'modified',
            JSON.stringify(diff.fields),
            JSON.stringify(diff.details),
            oldHash,
            newHash,
          ]);
        };
        for (const e of elements) {
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
            modify(e.elementKey, e, old.state_hash, e.stateHash, e.canonical);
          }
        }
        for (const old of gone) {
          const heir = passed.get(old.element_key);
          if (heir) {
            // Still in the twin, so not removed. Its state now is the other file's: where that
            // differs, the version changed the element, and the entry says so as for any element
            // (this changeset then agrees with the versions' own difference, history.diff's).
            if (heir.state_hash === old.state_hash) continue;
            modify(
              old.element_key,
              { globalId: heir.global_id, ifcClass: heir.ifc_class, name: heir.name },
              old.state_hash,
              heir.state_hash,
              heir.canonical,
            );
            continue;
          }
          removed++;
          const before = statements.canonicalOf.get(old.state_hash) as {
            global_id: string;
            ifc_class: string;
            name: string | null;
          };
          entries.push([
            old.element_key,
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
        if (header.commit) statements.setHead.run(versionId, target.twinId);
        deps.checkpoint();
        statements.commit.run();
        open = false;
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
          warnings: allWarnings,
        };
      }),
  };
}

/** Writes a whole import at once (see ImportWrite): one transaction, rolled back on any failure. */
export function writeImport(db: SqliteDatabase, record: ImportRecord, deps: ImportDeps): ImportOutcome {
  const write = beginImportWrite(db, record, deps);
  const geometries = new Map(record.geometries.map((g) => [g.hash, g]));
  try {
    write.add(record.elements, (hash) => geometries.get(hash));
    deps.progress?.(0.3);
    return write.finish(record);
  } finally {
    write.abort();
  }
}
