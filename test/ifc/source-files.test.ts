// An imported IFC file (from 512 KB) is kept beside the database (<database>-sources/<sha256>.ifc),
// written before the import's transaction; an import that fails, is cancelled or is killed leaves no file there
// once the importer has swept, and the transaction itself carries only the file's row.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readSourceFile, sourceFilesDir } from '../../src/main/store/source-files';
import { SOURCE_FILE_BESIDE_MIN_BYTES } from '../../src/main/ifc/import-job';
import {
  DUPLEX_A,
  DUPLEX_ELECTRICAL,
  MEP_FIXTURE,
  createHarness,
  storeFingerprint,
  type Harness,
} from './helpers';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.close();
});

const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const besideFiles = (): string[] => {
  const dir = sourceFilesDir(h.dbPath);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};

test('the imported file is kept beside the database, byte for byte, and its row holds no bytes', async () => {
  const report = await h.importFile(DUPLEX_ELECTRICAL, { twinName: 'beside' });
  const sha = sha256Of(DUPLEX_ELECTRICAL);
  expect(report.sourceSha256).toBe(sha);
  expect(besideFiles()).toEqual([`${sha}.ifc`]);
  const row = h.store.db
    .prepare(
      'SELECT length(content) AS bytes, content_location, byte_size FROM source_files WHERE sha256 = ?',
    )
    .get(sha) as { bytes: number; content_location: string; byte_size: number };
  expect(row).toEqual({
    bytes: 0,
    content_location: 'file',
    byte_size: readFileSync(DUPLEX_ELECTRICAL).length,
  });
  const kept = readSourceFile(h.store.db, h.dbPath, sha);
  expect(Buffer.from(kept!).equals(readFileSync(DUPLEX_ELECTRICAL))).toBe(true);

  // The same file again (another twin): the file is not written twice, the store still names it once.
  await h.importFile(DUPLEX_ELECTRICAL, { twinName: 'again' });
  expect(besideFiles()).toEqual([`${sha}.ifc`]);
}, 60_000);

test('a small file stays in its row: a copy beside would cost more than its bytes in the WAL', async () => {
  expect(readFileSync(MEP_FIXTURE).length).toBeLessThan(SOURCE_FILE_BESIDE_MIN_BYTES);
  const report = await h.importFile(MEP_FIXTURE, { twinName: 'small' });
  expect(besideFiles()).toEqual([]);
  const row = h.store.db
    .prepare('SELECT content, content_location FROM source_files WHERE sha256 = ?')
    .get(report.sourceSha256) as { content: Buffer; content_location: string };
  expect(row.content_location).toBe('row');
  expect(row.content.equals(readFileSync(MEP_FIXTURE))).toBe(true);
  expect(Buffer.from(readSourceFile(h.store.db, h.dbPath, report.sourceSha256)!).equals(row.content)).toBe(
    true,
  );
}, 60_000);

test('a cancelled import leaves neither rows nor a file beside the database', async () => {
  await h.importFile(DUPLEX_ELECTRICAL, { twinName: 'first' });
  const before = storeFingerprint(h.store);
  const filesBefore = besideFiles();
  const jobId = randomUUID();
  let asked = false;
  h.onProgress = (update) => {
    // By the geometry stage the file's copy has been started (it is written from the reading stage on).
    if (update.jobId === jobId && update.stage === 'geometry' && !asked) asked = h.importer.cancel(jobId);
  };
  const outcome = await h.importOutcome(DUPLEX_A, jobId, 'cancelled');
  expect(asked).toBe(true);
  expect(outcome).toBe('CANCELLED');
  expect(storeFingerprint(h.store)).toEqual(before);
  expect(besideFiles()).toEqual(filesBefore);
  expect(besideFiles()).not.toContain(`${sha256Of(DUPLEX_A)}.ifc`);
}, 60_000);

test('files left by an import killed before its commit are removed; the files rows name stay', async () => {
  await h.importFile(DUPLEX_ELECTRICAL, { twinName: 'kept' });
  const dir = sourceFilesDir(h.dbPath);
  // What a killed import leaves: a complete copy no row names, and a half-written temporary file.
  const orphan = `${'ab'.repeat(32)}.ifc`;
  writeFileSync(join(dir, orphan), 'ISO-10303-21;');
  writeFileSync(join(dir, `${'cd'.repeat(32)}.123-1.tmp`), 'ISO-');
  writeFileSync(join(dir, 'README.txt'), 'not the importer’s: left alone');
  await h.importFile(DUPLEX_A, { twinName: 'next' });
  expect(besideFiles()).toEqual(
    [`${sha256Of(DUPLEX_ELECTRICAL)}.ifc`, `${sha256Of(DUPLEX_A)}.ifc`, 'README.txt'].sort(),
  );
}, 60_000);

test('when the file cannot be kept beside the database the import is refused, naming why, and nothing is stored', async () => {
  const before = storeFingerprint(h.store);
  // A plain file where the folder should be: the copy cannot be written.
  writeFileSync(sourceFilesDir(h.dbPath), 'in the way');
  await expect(h.importFile(DUPLEX_ELECTRICAL, { twinName: 'no room' })).rejects.toMatchObject({
    code: 'UNAVAILABLE',
    message: expect.stringMatching(
      /Could not keep a copy of Duplex_Electrical_20121207\.ifc beside the twin database/,
    ),
  });
  expect(storeFingerprint(h.store)).toEqual(before);
  // Once the way is clear, the importer carries on.
  rmSync(sourceFilesDir(h.dbPath));
  mkdirSync(sourceFilesDir(h.dbPath));
  const report = await h.importFile(DUPLEX_ELECTRICAL, { twinName: 'room' });
  expect(report.elementCount).toBe(110);
}, 60_000);
