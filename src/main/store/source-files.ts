// The source IFC files of imports, content-addressed, beside the database: <database>-sources/
// <sha256>.ifc. The importer writes a file while it parses (temp file, fsync, rename, folder fsync)
// and commits the row naming it afterwards, so the import's transaction carries no file bytes; a
// file no row names (its import failed or was killed, or garbage collection dropped its row) is
// removed by the importer's next sweep, so a failed import leaves nothing behind.
import { existsSync, promises as fs, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { SqliteDatabase } from './database';

export function sourceFilesDir(dbPath: string): string {
  return `${dbPath}-sources`;
}

/** True when the database keeps its files beside it (not an in-memory or temporary database). */
export function canKeepSourceFilesBeside(dbPath: string): boolean {
  return dbPath !== '' && dbPath !== ':memory:' && !dbPath.startsWith('file:');
}

/** Whether the database already holds this source file (as a row or a file beside it). */
export function sourceFileKnown(db: SqliteDatabase, sha256: string): boolean {
  return db.prepare('SELECT 1 FROM source_files WHERE sha256 = ?').get(sha256) !== undefined;
}

/**
 * Writes `bytes` durably as the file of `sha256`, unless it is already there (same name, same
 * bytes: only complete files are ever renamed into place). Resolves to the file's path.
 */
export async function writeSourceFile(dbPath: string, sha256: string, bytes: Uint8Array): Promise<string> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`${sha256} is not a SHA-256 in hex.`);
  const dir = sourceFilesDir(dbPath);
  const target = join(dir, `${sha256}.ifc`);
  if (existsSync(target)) return target;
  await fs.mkdir(dir, { recursive: true });
  const temp = join(dir, `${sha256}.${process.pid}-${threadId}.tmp`);
  const file = await fs.open(temp, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(temp, target);
  const folder = await fs.open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
  return target;
}

/** The bytes of a stored source file, wherever they are kept; null when the store does not have it. */
export function readSourceFile(db: SqliteDatabase, dbPath: string, sha256: string): Uint8Array | null {
  const row = db
    .prepare('SELECT content, content_location FROM source_files WHERE sha256 = ?')
    .get(sha256) as { content: Buffer; content_location: 'row' | 'file' } | undefined;
  if (!row) return null;
  if (row.content_location === 'row') return row.content;
  try {
    return new Uint8Array(readFileSync(join(sourceFilesDir(dbPath), `${sha256}.ifc`)));
  } catch {
    return null;
  }
}

/**
 * Removes the files beside the database that no row names, and temporary files left by a write
 * that never finished. Only the importer writes there, one job at a time: call it between jobs.
 * Answers how many files it removed.
 */
export function sweepSourceFiles(db: SqliteDatabase, dbPath: string): number {
  const dir = sourceFilesDir(dbPath);
  if (!existsSync(dir)) return 0;
  const named = new Set(
    db.prepare("SELECT sha256 FROM source_files WHERE content_location = 'file'").pluck().all() as string[],
  );
  let removed = 0;
  for (const name of readdirSync(dir)) {
    const match = /^([0-9a-f]{64})\.ifc$/.exec(name);
    if (match && named.has(match[1]!)) continue;
    if (!match && !name.endsWith('.tmp')) continue; // not ours
    rmSync(join(dir, name), { force: true });
    removed++;
  }
  return removed;
}
