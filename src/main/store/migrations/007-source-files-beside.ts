// Schema 7: source IFC files imported from now on are kept as content-addressed files beside the
// database (<database>-sources/<sha256>.ifc, see store/source-files.ts), written and fsynced while
// the file is parsed, before the import's transaction: the transaction then carries only the row
// (name, size, schema, hash), not megabytes of bytes the import already holds. Rows stored before
// keep their bytes in `content`; a 'file' row's `content` is empty.
import type { Migration } from './types';

export const migration007: Migration = {
  version: 7,
  name: 'source-files-beside',
  sql: `
    ALTER TABLE source_files ADD COLUMN content_location TEXT NOT NULL DEFAULT 'row'
      CHECK (content_location IN ('row', 'file'));
  `,
};
