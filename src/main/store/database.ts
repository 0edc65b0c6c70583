// Opens the app's SQLite database: WAL, synchronous=FULL (the database holds the user's own unsynced
// work), foreign keys, schema migrations applied in order, and a database written by a newer
// TwinLedger refused with a message saying so. SQLite failures are classified so callers can react.
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { checkMigrationsMonotonic, migrations as allMigrations, type Migration } from './migrations';

export type SqliteDatabase = Database.Database;

/** Page size of databases created from now on (bytes). */
export const NEW_DATABASE_PAGE_SIZE = 16384;

export type StoreFailure =
  'newer-schema' | 'corrupt' | 'read-only' | 'busy' | 'disk-full' | 'cannot-open' | 'other';

/** A store failure with a kind a program can act on and a message a person can read. */
export class StoreError extends Error {
  readonly kind: StoreFailure;
  constructor(kind: StoreFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.kind = kind;
  }
}

/** Maps a better-sqlite3 error (its `code` is the SQLite result code name) to a StoreError. */
export function classifySqliteError(error: unknown, path: string): StoreError {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: string }).code ?? '';
  const detail = (error as Error).message ?? String(error);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new StoreError('corrupt', `The twin database ${path} is damaged (${detail}).`, { cause: error });
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new StoreError('read-only', `The twin database ${path} is read-only (${detail}).`, {
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError('busy', `The twin database ${path} is busy (${detail}).`, { cause: error });
  }
  if (code === 'SQLITE_FULL') {
    return new StoreError('disk-full', `The disk holding ${path} is full.`, { cause: error });
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new StoreError('cannot-open', `Cannot open the twin database ${path} (${detail}).`, {
      cause: error,
    });
  }
  return new StoreError('other', `Twin database error: ${detail}`, { cause: error });
}

export interface OpenOptions {
  /** Defaults to the app's migrations; tests pass their own lists. */
  migrations?: readonly Migration[];
  /** Open without migrating (the import worker): the schema must already be current. */
  expectCurrentSchema?: boolean;
}

export function openDatabase(path: string, options: OpenOptions = {}): SqliteDatabase {
  const migrations = options.migrations ?? allMigrations;
  checkMigrationsMonotonic(migrations);
  const latest = migrations.length;
  let db: SqliteDatabase;
  try {
    db = new Database(path);
  } catch (error) {
    throw classifySqliteError(error, path);
  }
  try {
    db.pragma('busy_timeout = 5000');
    // A database written by a newer TwinLedger is refused before anything here writes to it (the
    // journal mode below would).
    const found = db.pragma('user_version', { simple: true }) as number;
    if (found > latest) {
      throw new StoreError(
        'newer-schema',
        `The twin database ${path} was written by a newer TwinLedger (schema ${found}; this version ` +
          `knows schema ${latest} at most). Update TwinLedger to open it; it has not been changed.`,
      );
    }
    // A new database gets 16 KiB pages: the store is mostly blobs (IFC files, meshes) written in
    // large import transactions, which then take a quarter of the WAL frames (an Office_A import
    // stored in ~83 ms instead of ~105 ms; 64 KiB pages were no faster there and slower for small
    // files and small commits). The size is fixed once the file has pages; an existing database
    // keeps the size it was created with (changing it takes a VACUUM).
    if ((db.pragma('page_count', { simple: true }) as number) === 0)
      db.pragma(`page_size = ${NEW_DATABASE_PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    if (found < latest) {
      if (options.expectCurrentSchema) {
        throw new StoreError('other', `The twin database ${path} has schema ${found}, expected ${latest}.`);
      }
      for (const migration of migrations.slice(found)) {
        db.transaction(() => {
          // Another process opening the same file (the app and the gateway started together) may
          // have applied it since the version was read: the version is read again under the lock.
          if ((db.pragma('user_version', { simple: true }) as number) >= migration.version) return;
          db.exec(migration.sql);
          db.pragma(`user_version = ${migration.version}`);
        }).immediate();
      }
    }
    return db;
  } catch (error) {
    db.close();
    throw classifySqliteError(error, path);
  }
}

/**
 * Starts the WAL's next cycle ahead of a large write: a write transaction that changes nothing (the
 * schema version set to itself) makes SQLite write and fsync the WAL's header, and on a new
 * connection its folder, now. Otherwise the first commit after a checkpoint pays both fsyncs on
 * top of its own (~2-6 ms here: an IfcOpenHouse import's commit 4.4-8.8 ms instead of 2.6-2.9 ms).
 * The commit is a FULL one whatever the connection's level, so it also makes every earlier commit
 * on the database durable (they are in the WAL before it). The import worker calls it when it opens
 * the database and right after each import is reported.
 *
 * With `reserveBytes`, the WAL file is also made at least that long (see reserveWal), so that the
 * next large commit writes over blocks the file already has instead of growing it.
 */
export function primeWal(db: SqliteDatabase, reserveBytes = 0): void {
  const level = db.pragma('synchronous', { simple: true }) as number;
  if (level !== 2) db.pragma('synchronous = FULL');
  try {
    db.transaction(() => {
      const version = db.pragma('user_version', { simple: true }) as number;
      db.pragma(`user_version = ${version}`);
      if (reserveBytes > 0 && !db.memory) reserveWal(`${db.name}-wal`, reserveBytes);
    }).immediate();
  } finally {
    if (level !== 2) db.pragma(`synchronous = ${level}`);
  }
}

const ZEROS = new Uint8Array(256 * 1024);

/**
 * Appends zeros to a WAL file shorter than `bytes`, the way PostgreSQL preallocates its WAL
 * segments: a commit that grows the file has the filesystem allocate its blocks as it writes, one
 * write after another (an IfcOpenHouse import's commit, 37 frames, 0.41-0.57 ms growing a fresh WAL
 * against 0.32-0.35 ms over one already that long). Only ever past the file's end, and only with
 * the WAL's write lock held (the caller is inside a write transaction), so no other connection is
 * appending frames meanwhile; SQLite reads a WAL's frames only up to the first that fails its
 * checksum, so zeros there are what any stale frames past the end are: nothing. A WAL is not
 * shortened by checkpoints (no journal_size_limit is set), so after its first cycles it keeps the
 * size of the largest commit and this writes nothing. Best effort: on failure (a full disk) the
 * file is cut back to its length before.
 */
function reserveWal(path: string, bytes: number): void {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch {
    return; // no WAL file yet: nothing to reserve for
  }
  try {
    const size = fstatSync(fd).size;
    let at = size;
    try {
      while (at < bytes) at += writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, bytes - at), at);
    } catch {
      ftruncateSync(fd, size);
    }
  } catch {
    // a reserve is an optimisation, never a failure
  } finally {
    closeSync(fd);
  }
}
