// Schema 10: the elements an import skipped because another model of the twin held them ("GlobalId
// ... already belongs to another model"), as the skipping model's file gave them. When the holding
// model's next file no longer has such an element, it passes to the model whose current file claims
// it instead of vanishing (import-writer.ts). A claim is keyed by the model and its file, not by a
// version: the versions that follow carry the model's file over in model_revisions, and the claims
// of the file a version names are found from that, with nothing copied per version. The claimed
// state is stored in element_states like any element's (with its meshes and geometry); garbage
// collection drops the claims of a model and file no version names any more, then their states.
import type { Migration } from './types';

export const migration010: Migration = {
  version: 10,
  name: 'element-claims',
  sql: `
    CREATE TABLE element_claims (
      model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
      source_sha256 TEXT NOT NULL REFERENCES source_files(sha256) ON DELETE CASCADE,
      element_key TEXT NOT NULL,
      state_hash TEXT NOT NULL REFERENCES element_states(state_hash),
      express_id INTEGER NOT NULL,
      -- the seq of the version whose import made the claim (or made it again): of several models
      -- whose files claim an element, the one imported last takes it, in the twin's own order of
      -- versions rather than by a clock
      seq INTEGER NOT NULL,
      PRIMARY KEY (model_id, source_sha256, element_key)
    ) STRICT, WITHOUT ROWID;
    -- Garbage collection deletes states and files: these keep its foreign key checks from scanning.
    CREATE INDEX element_claims_state ON element_claims(state_hash);
    CREATE INDEX element_claims_source ON element_claims(source_sha256);
  `,
};
