// Schema 6: the edits made in the app, per draft version, in order: the undo/redo stack (it survives a
// restart) and, once the draft is committed, the record of which edit changed what. Each row keeps
// the element's state rows before and after (canonical JSON and placed meshes), so undo and redo work
// even after garbage collection removed a state no version used any more.
import type { Migration } from './types';

export const migration006: Migration = {
  version: 6,
  name: 'draft-edits',
  sql: `
    CREATE TABLE draft_edits (
      id INTEGER PRIMARY KEY,
      twin_id TEXT NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
      version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
      -- order within the draft: 1, 2, 3...
      seq INTEGER NOT NULL,
      element_key TEXT NOT NULL,
      global_id TEXT NOT NULL,
      ifc_class TEXT NOT NULL,
      element_name TEXT,
      kind TEXT NOT NULL CHECK (kind IN ('setProperty', 'addProperty', 'removeProperty', 'removePropertySet',
        'setStatus', 'move')),
      -- the request as JSON, and what it did in words
      op TEXT NOT NULL,
      summary TEXT NOT NULL,
      before_state TEXT NOT NULL,
      after_state TEXT NOT NULL,
      -- the state rows (JSON: canonical text, search text, meshes with hex colour and matrix)
      before_row TEXT NOT NULL,
      after_row TEXT NOT NULL,
      author TEXT,
      author_label TEXT,
      -- 1 while on the redo stack
      undone INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      UNIQUE (version_id, seq)
    ) STRICT;
    CREATE INDEX draft_edits_element ON draft_edits(twin_id, element_key);
  `,
};
