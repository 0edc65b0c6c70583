// Property sets are read in windows of relationships (reader.ts PROPERTY_WINDOW) that the import
// thread and the geometry worker claim from one counter, each from its own copy of the model, and
// readModel merges them in file order. Here the other thread is played by a second model of the
// same file on the same web-ifc, read with the worker's own propertyReading, its windows passed
// through structuredClone as the worker's messages are: whatever it reads, or fails to hand over,
// the states, counts and warnings must be those of one thread reading everything.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type * as WebIFC from 'web-ifc';
import { runImport, type ImportReport } from '../../src/main/ifc/import-job';
import { PROPERTY_WINDOW, propertyReading, readModel, type PropertyWindow } from '../../src/main/ifc/reader';
import { startWebIfc } from '../../src/main/ifc/webifc';
import { openDatabase } from '../../src/main/store/database';
import { createHarness, DUPLEX_ELECTRICAL, type Harness } from './helpers';

let api: WebIFC.IfcAPI;
let h: Harness;

beforeAll(async () => {
  api = await startWebIfc();
  h = createHarness();
});

afterAll(async () => {
  await h.close();
});

/**
 * readModel of `bytes`, with the other thread having claimed the first `before` windows (and never
 * handed over window `lost`, as a worker that died), or alone.
 */
function readWith(bytes: Uint8Array, split?: { before: number; lost?: number }) {
  const model = api.OpenModel(bytes);
  const other = split ? api.OpenModel(bytes) : -1;
  try {
    let sharedProperties;
    let otherWindows = 0;
    if (split) {
      const reading = propertyReading(api, other);
      const claim = new Int32Array(new SharedArrayBuffer(4));
      const received = new Map<number, PropertyWindow>();
      for (let i = 0; i < split.before; i++) {
        const index = Atomics.add(claim, 0, 1);
        const window = reading.readWindow(index);
        if (index !== split.lost) received.set(index, structuredClone(window));
      }
      sharedProperties = {
        claim,
        take: (index: number) => {
          const window = received.get(index);
          if (window) otherWindows++;
          return window;
        },
      };
    }
    const partial = readModel(api, model, { progress: () => {}, checkpoint: () => {}, sharedProperties });
    const read = partial.complete();
    const { lines: _lines, ...stats } = read.stats; // lines: what this thread read itself
    return {
      states: read.elements.map((e) => JSON.stringify(e.state)),
      stats,
      warnings: read.warnings,
      windows: partial.propertyWindows,
      otherWindows,
    };
  } finally {
    api.CloseModel(model);
    if (other >= 0) api.CloseModel(other);
  }
}

test('Duplex_Electrical read with windows from another thread (one of them never handed over) gives the one-thread states, counts and warnings', () => {
  const bytes = new Uint8Array(readFileSync(DUPLEX_ELECTRICAL));
  const alone = readWith(bytes);
  // 784 IfcRelDefinesByProperties in the file.
  expect(alone.windows).toBe(Math.ceil(784 / PROPERTY_WINDOW));
  // The file's own IfcPropertySet lines, each counted once however many relationships name it.
  expect(alone.stats.propertySets).toBe(783);
  const split = readWith(bytes, { before: 6, lost: 2 });
  expect(split.otherWindows).toBe(5); // the lost one was read by readModel itself
  expect(split.stats).toEqual(alone.stats);
  expect(split.warnings).toEqual(alone.warnings);
  expect(split.states).toEqual(alone.states);
  const all = readWith(bytes, { before: alone.windows });
  expect(all.otherWindows).toBe(alone.windows);
  expect(all.states).toEqual(alone.states);
  expect(all.stats).toEqual(alone.stats);
});

test('a property line that cannot be read is warned of once, in the same words, whichever thread met it', () => {
  // Duplex_Electrical with one property line gone that several sets name, in windows far apart.
  const text = readFileSync(DUPLEX_ELECTRICAL, 'latin1');
  const singles = new Set([...text.matchAll(/^(#\d+)= ?IFCPROPERTYSINGLEVALUE\(/gm)].map((m) => m[1]!));
  const named = new Map<string, number>(); // how many property sets name each single value
  for (const m of text.matchAll(/IFCPROPERTYSET\([^\n]*,\((#[\d,#]+)\)\);/g))
    for (const id of m[1]!.split(',')) if (singles.has(id)) named.set(id, (named.get(id) ?? 0) + 1);
  const gone = [...named].find(([, n]) => n >= 2)?.[0];
  expect(gone).toBeDefined();
  const broken = new TextEncoder().encode(
    text.replace(new RegExp(`^${gone}= ?IFCPROPERTYSINGLEVALUE\\(.*\\r?\\n`, 'm'), ''),
  );
  expect(broken.byteLength).toBeLessThan(text.length);
  const alone = readWith(broken);
  const message = `Line ${gone} cannot be read; it was skipped.`;
  expect(alone.warnings.filter((w) => w === message)).toHaveLength(1);
  const early = readWith(broken, { before: 3 });
  const late = readWith(broken, { before: alone.windows - 2, lost: 1 });
  // Every window read by the other thread: only it met the line.
  const other = readWith(broken, { before: alone.windows });
  for (const split of [early, late, other]) {
    expect(split.warnings).toEqual(alone.warnings);
    expect(split.stats).toEqual(alone.stats);
    expect(split.states).toEqual(alone.states);
  }
});

test('through the importer, the geometry worker reads property windows once its meshes are done, and the version is the one-thread read’s', async () => {
  // The one-thread read: runImport on this thread with no geometry worker.
  const db = openDatabase(h.dbPath, { expectCurrentSchema: true });
  let alone: ImportReport;
  try {
    alone = await runImport(
      api,
      db,
      {
        jobId: randomUUID(),
        source: { kind: 'path', path: DUPLEX_ELECTRICAL },
        target: { kind: 'newTwin', twinId: randomUUID(), twinName: 'alone', modelId: randomUUID() },
        commit: true,
        maxBytes: 512 * 1024 * 1024,
      },
      { progress: () => {}, checkpoint: () => {} },
    );
  } finally {
    db.close();
  }
  expect(alone.propertyWindowsByGeometryWorker).toBeUndefined();
  // The worker joins in only when its meshes are done before the import thread has claimed every
  // window (here, most imports): a few imports are enough to see it.
  const reports: ImportReport[] = [];
  while (reports.length < 10 && !reports.some((r) => r.propertyWindowsByGeometryWorker!.read > 0))
    reports.push(await h.importFile(DUPLEX_ELECTRICAL, { twinName: `shared ${reports.length}` }));
  expect(reports.at(-1)!.propertyWindowsByGeometryWorker!.read).toBeGreaterThan(0);
  for (const report of reports) {
    expect(report.propertyWindowsByGeometryWorker!.of).toBe(Math.ceil(784 / PROPERTY_WINDOW));
    expect(report.merkleRoot).toBe(alone.merkleRoot);
    expect(report.stats).toEqual(alone.stats);
  }
}, 120_000);
