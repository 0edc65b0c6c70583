// Schema 1: twins, their discipline models, source files, versions with their Merkle trees,
// content-addressed element states and geometry, and the changesets between versions.
import type { Migration } from './types';

export const migration001: Migration = {
  version: 1,
  name: 'twins-models-versions',
  sql: `
    CREATE TABLE twins (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      -- the version users see: the newest one that is not a draft; null before the first import
      head_version_id INTEGER,
      -- the twin's token id once it is registered on chain (sync fills it in)
      chain_twin_id TEXT
    ) STRICT;

    CREATE TABLE models (
      id TEXT PRIMARY KEY,
      twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      discipline TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      UNIQUE (twin_id, name)
    ) STRICT;

    -- The IFC files themselves, content-addressed: the bytes of a model package.
    CREATE TABLE source_files (
      sha256 TEXT PRIMARY KEY,
      file_name TEXT NOT NULL,
      byte_size INTEGER NOT NULL,
      ifc_schema TEXT NOT NULL,
      authoring_app TEXT,
      content BLOB NOT NULL
    ) STRICT;

    CREATE TABLE versions (
      id INTEGER PRIMARY KEY,
      twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
      seq INTEGER NOT NULL,
      base_version_id INTEGER REFERENCES versions(id),
      -- draft: imported or edited, under review; local: committed here, not yet on chain;
      -- queued / confirmed: handed to the outbox / seen on chain (sync)
      status TEXT NOT NULL CHECK (status IN ('draft', 'local', 'queued', 'confirmed')),
      merkle_root TEXT NOT NULL,
      element_count INTEGER NOT NULL,
      -- the OpenZeppelin StandardMerkleTree as an array of 32-byte nodes, root first
      tree_nodes BLOB NOT NULL,
      created_at INTEGER NOT NULL,
      committed_at INTEGER,
      UNIQUE (twin_id, seq)
    ) STRICT;
    CREATE INDEX versions_twin ON versions(twin_id, seq);

    -- Which file each model had in a version, and what was skipped reading it.
    CREATE TABLE model_revisions (
      version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
      model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
      source_sha256 TEXT NOT NULL REFERENCES source_files(sha256),
      ifc_schema TEXT NOT NULL,
      project_global_id TEXT,
      warnings TEXT NOT NULL,
      PRIMARY KEY (version_id, model_id)
    ) STRICT, WITHOUT ROWID;

    -- One row per distinct element state, shared by every version holding that state.
    CREATE TABLE element_states (
      state_hash TEXT PRIMARY KEY,
      global_id TEXT NOT NULL,
      ifc_class TEXT NOT NULL,
      name TEXT,
      -- spatial tree: aggregate parent, opened element, or spatial container
      parent_global_id TEXT,
      storey_global_id TEXT,
      is_spatial INTEGER NOT NULL,
      geometry_hash TEXT,
      -- the canonical JSON the hash covers
      canonical TEXT NOT NULL,
      -- lower-case name, tag, object type, class and property values, for search
      search_text TEXT NOT NULL
    ) STRICT;

    CREATE TABLE version_elements (
      version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
      element_key TEXT NOT NULL,
      model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
      state_hash TEXT NOT NULL REFERENCES element_states(state_hash),
      express_id INTEGER NOT NULL,
      leaf_index INTEGER NOT NULL,
      PRIMARY KEY (version_id, element_key)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX version_elements_state ON version_elements(state_hash);
    CREATE INDEX version_elements_model ON version_elements(version_id, model_id);

    -- Distinct meshes, stored once whatever number of elements, models or versions use them.
    CREATE TABLE geometries (
      hash TEXT PRIMARY KEY,
      vertex_count INTEGER NOT NULL,
      index_count INTEGER NOT NULL,
      -- float32 little-endian x, y, z, nx, ny, nz per vertex (web-ifc's layout, Y up, metres)
      vertices BLOB NOT NULL,
      -- uint16 little-endian when vertex_count <= 65536, uint32 otherwise
      indices BLOB NOT NULL
    ) STRICT;

    -- An element state's placed meshes: which geometry, its colour and its world transform.
    CREATE TABLE element_meshes (
      state_hash TEXT NOT NULL REFERENCES element_states(state_hash) ON DELETE CASCADE,
      ordinal INTEGER NOT NULL,
      geometry_hash TEXT NOT NULL REFERENCES geometries(hash),
      -- float32 r, g, b, a
      color BLOB NOT NULL,
      -- float64 column-major 4x4, Y up, metres (web-ifc's flatTransformation)
      matrix BLOB NOT NULL,
      PRIMARY KEY (state_hash, ordinal)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX element_meshes_geometry ON element_meshes(geometry_hash);

    CREATE TABLE changesets (
      id INTEGER PRIMARY KEY,
      twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
      version_id INTEGER NOT NULL UNIQUE REFERENCES versions(id) ON DELETE CASCADE,
      base_version_id INTEGER REFERENCES versions(id),
      -- the model a new iteration replaced; null for edits spanning models
      model_id TEXT REFERENCES models(id) ON DELETE CASCADE,
      added INTEGER NOT NULL,
      removed INTEGER NOT NULL,
      modified INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE changeset_entries (
      changeset_id INTEGER NOT NULL REFERENCES changesets(id) ON DELETE CASCADE,
      element_key TEXT NOT NULL,
      global_id TEXT NOT NULL,
      ifc_class TEXT NOT NULL,
      name TEXT,
      change TEXT NOT NULL CHECK (change IN ('added', 'removed', 'modified')),
      -- JSON array of changed fields, e.g. ["placement", "propertySets"], empty unless modified
      fields TEXT NOT NULL,
      -- JSON array of finer paths, e.g. ["propertySets.Pset_DoorCommon.FireRating"]
      details TEXT NOT NULL,
      old_state_hash TEXT,
      new_state_hash TEXT,
      PRIMARY KEY (changeset_id, element_key)
    ) STRICT, WITHOUT ROWID;
  `,
};
