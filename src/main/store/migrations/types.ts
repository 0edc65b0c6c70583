// A schema migration: one file per version, applied in order inside its own transaction.
export interface Migration {
  /** The schema version the database has after this migration; 1, 2, 3... without gaps. */
  version: number;
  name: string;
  sql: string;
}
