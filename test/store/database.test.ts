// The store's database: schema from migrations, STRICT tables, WAL with synchronous=FULL, a newer
// database refused untouched, migration lists checked, failed transactions leaving nothing behind.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { openDatabase, primeWal, StoreError } from '../../src/main/store/database';
import { checkMigrationsMonotonic, migrations } from '../../src/main/store/migrations';
import { TwinStore } from '../../src/main/store/twin-store';
import { readModel } from '../../src/main/ifc/reader';
import { searchTextOf } from '../../src/main/ifc/search-text';
import { startWebIfc } from '../../src/main/ifc/webifc';
import { FIXTURES, openModelOf } from '../ifc/helpers';

const dirs: string[] = [];
const tempDb = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'twinledger-db-'));
  dirs.push(dir);
  return join(dir, 'twins.sqlite');
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('opening the twin database', () => {
  test('creates the latest schema, in WAL mode with synchronous=FULL and foreign keys on', () => {
    const db = openDatabase(tempDb());
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  test('primeWal starts the WAL afresh with a FULL commit that changes nothing, at any level', () => {
    const path = tempDb();
    const db = openDatabase(path);
    db.pragma('synchronous = NORMAL'); // as the import worker's connection
    db.prepare("INSERT INTO twins (id, name, created_at) VALUES ('t', 'Twin', 1)").run();
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(statSync(`${path}-wal`).size).toBe(0);
    primeWal(db);
    // The WAL's header and one frame are written now, not by the next (large) commit.
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(32);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // the connection's own level back
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(db.prepare('SELECT name FROM twins').pluck().all()).toEqual(['Twin']);
    db.close();
  });

  test('primeWal with a reserve lengthens the WAL past its frames, and every commit survives a crash', () => {
    const path = tempDb();
    const importer = openDatabase(path);
    importer.pragma('synchronous = NORMAL'); // as the import worker's connection
    const app = openDatabase(path); // main's, writing meanwhile
    const add = (id: string) =>
      app.prepare("INSERT INTO twins (id, name, created_at) VALUES (?, 'Twin', 1)").run(id);
    add('a');
    const before = statSync(`${path}-wal`).size;
    const reserve = before + 1024 * 1024 + 123;
    primeWal(importer, reserve);
    expect(statSync(`${path}-wal`).size).toBe(reserve);
    add('b'); // frames after the valid ones, over the zeros
    app.pragma('wal_checkpoint(PASSIVE)');
    primeWal(importer, reserve); // a new cycle: frames from the WAL's start, over the old ones
    add('c');
    expect(statSync(`${path}-wal`).size).toBe(reserve); // long enough already: nothing appended
    // A crash now: the files as they are, read back by a new connection (WAL recovery).
    const copy = join(dirname(path), 'after-crash.sqlite');
    copyFileSync(path, copy);
    copyFileSync(`${path}-wal`, `${copy}-wal`);
    const reopened = new Database(copy);
    expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(reopened.prepare('SELECT id FROM twins ORDER BY id').pluck().all()).toEqual(['a', 'b', 'c']);
    reopened.close();
    importer.close();
    app.close();
  });

  test('declares every table STRICT', () => {
    const db = openDatabase(tempDb());
    const tables = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string; sql: string }[];
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'changeset_entries',
        'changesets',
        'element_meshes',
        'element_states',
        'geometries',
        'model_revisions',
        'models',
        'source_files',
        'twins',
        'version_elements',
        'versions',
      ]),
    );
    for (const table of tables) expect(table.sql, table.name).toMatch(/\)\s*STRICT/);
    db.close();
  });

  test('reopening an up-to-date database applies nothing again', () => {
    const path = tempDb();
    openDatabase(path).close();
    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    db.close();
  });

  test('refuses a database written by a newer TwinLedger, with a clear message, and leaves it untouched', () => {
    const path = tempDb();
    openDatabase(path).close();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    const before = readFileSync(path);
    let error: unknown;
    try {
      openDatabase(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).kind).toBe('newer-schema');
    expect((error as StoreError).message).toContain(
      `newer TwinLedger (schema 99; this version knows schema ${migrations.length} at most)`,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test('refuses a newer database in rollback-journal mode before switching it to WAL', () => {
    const path = tempDb();
    const raw = new Database(path);
    raw.exec('CREATE TABLE t (x INTEGER) STRICT;');
    raw.pragma('user_version = 99');
    raw.close();
    const before = readFileSync(path);
    expect(before[18]).toBe(1); // legacy journal: WAL would make it 2
    expect(() => openDatabase(path)).toThrow(/newer TwinLedger \(schema 99/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test('classifies a file that is not a database as corrupt', () => {
    const path = tempDb();
    rmSync(path, { force: true });
    writeFileSync(path, 'this is not a database'.repeat(100));
    expect(() => openDatabase(path)).toThrow(expect.objectContaining({ kind: 'corrupt' }));
  });

  test('an import worker refuses a database whose schema is not the current one', () => {
    const path = tempDb();
    new Database(path).close();
    expect(() => openDatabase(path, { expectCurrentSchema: true })).toThrow(
      `schema 0, expected ${migrations.length}`,
    );
  });
});

describe('migrations', () => {
  test('the shipped list runs 1, 2, 3... in order', () => {
    expect(() => checkMigrationsMonotonic(migrations)).not.toThrow();
  });

  test('a gap, a repeat or a reordering is refused before anything is applied', () => {
    const m = (version: number) => ({ version, name: `m${version}`, sql: 'SELECT 1;' });
    expect(() => checkMigrationsMonotonic([m(1), m(3)])).toThrow(/version 3 at position 2/);
    expect(() => checkMigrationsMonotonic([m(1), m(1)])).toThrow(/version 1 at position 2/);
    expect(() => checkMigrationsMonotonic([m(2), m(1)])).toThrow(/version 2 at position 1/);
    expect(() => openDatabase(tempDb(), { migrations: [m(2)] })).toThrow(/numbered 1, 2, 3/);
  });

  test('a failing migration leaves the database at its previous schema', () => {
    const path = tempDb();
    const good = { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER) STRICT;' };
    const bad = { version: 2, name: 'two', sql: 'CREATE TABLE b (y INTEGER) STRICT; CREATE TABLE broken (' };
    openDatabase(path, { migrations: [good] }).close();
    expect(() => openDatabase(path, { migrations: [good, bad] })).toThrow();
    const raw = new Database(path);
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    expect(raw.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'").pluck().get()).toBe(0);
    raw.close();
  });
});

describe('migration 009: search matches the type object', () => {
  test('states stored before get their type’s name and property values, as searchTextOf now gives them', async () => {
    // The states of a real Revit export, 48 of whose 64 elements have a type with property sets.
    const api = await startWebIfc();
    const file = join(FIXTURES, 'revit-ifc2x3-final.ifc');
    const model = openModelOf(api, file);
    const states = readModel(api, model, { progress: () => {}, checkpoint: () => {} })
      .prepare()
      .map((e) => e.state);
    api.CloseModel(model);
    expect(states.filter((s) => (s.type?.propertySets.length ?? 0) > 0).length).toBe(48);
    const path = tempDb();
    const before = openDatabase(path, { migrations: migrations.slice(0, 8) });
    const insert = before.prepare(
      `INSERT INTO element_states (state_hash, global_id, ifc_class, name, parent_global_id, storey_global_id,
       is_spatial, geometry_hash, canonical, search_text) VALUES (?, ?, ?, ?, NULL, NULL, 0, NULL, ?, ?)`,
    );
    states.forEach((state, i) =>
      // What was stored before: the same words less the type's.
      insert.run(
        `0x${i}`,
        state.globalId,
        state.ifcClass,
        state.name,
        JSON.stringify(state),
        searchTextOf({ ...state, type: null }),
      ),
    );
    before.close();
    const after = openDatabase(path);
    const stored = after
      .prepare('SELECT search_text FROM element_states ORDER BY rowid')
      .pluck()
      .all() as string[];
    after.close();
    expect(stored).toEqual(states.map((state) => searchTextOf(state)));
    // A wall found by a word only its type holds.
    const wall = states.findIndex((s) => s.globalId === '3WaiJWBPDEe8oyz6tpSAV7');
    expect(stored[wall]).toContain('non ripiegare');
    expect(stored[wall]).toContain('muro di base:generico - 30 cm');
  });
});

describe('TwinStore on an empty database', () => {
  test('lists no twins and answers NOT_FOUND for an unknown twin', () => {
    const store = TwinStore.open(tempDb());
    expect(store.listTwins()).toEqual([]);
    expect(() => store.getTwin('nope')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => store.spatialTree('nope')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    store.close();
  });
});
