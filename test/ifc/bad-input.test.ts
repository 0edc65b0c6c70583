// Bad input: each file is read tolerantly (saying what was skipped) or refused with a message naming
// the problem; none crashes the importer, hangs, or leaves a half-imported twin behind.
import { randomUUID } from 'node:crypto';
import { execFileSync, fork } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { IfcAPI } from 'web-ifc';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AppError } from '../../src/shared/result';
import { ReaderFault, runImport } from '../../src/main/ifc/import-job';
import { ImportService } from '../../src/main/ifc/import-service';
import { openDatabase } from '../../src/main/store/database';
import { readModel } from '../../src/main/ifc/reader';
import { startWebIfc } from '../../src/main/ifc/webifc';
import { FIXTURES, boxIfc, createHarness, openModelOf, storeFingerprint, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = createHarness({ maxBytes: 1024 * 1024 });
  // A twin already in the store, which no failed import may touch.
  await h.importFile(join(FIXTURES, 'duplicate-globalids.ifc'), { twinName: 'Existing' });
});
afterAll(async () => {
  await h.close();
});

const refusals: [string, string, RegExp][] = [
  ['an empty file', 'empty.ifc', /empty \(0 bytes\)/],
  ['a truncated file', 'truncated.ifc', /truncated: it does not end with "END-ISO-10303-21;"/],
  ['a binary file renamed .ifc', 'binary-renamed.ifc', /binary file, not an IFC file/],
  [
    'a STEP file that is not IFC',
    'not-ifc-ap214.stp',
    /STEP file of schema "AUTOMOTIVE_DESIGN .*", not an IFC model/,
  ],
  [
    'an IFC schema web-ifc does not know',
    'unknown-schema-ifc5.ifc',
    /IFC schema "IFC5X9", which this version of TwinLedger cannot read/,
  ],
];

describe('refused with a message naming the problem, store unchanged', () => {
  test.each(refusals)('%s', async (_what, file, message) => {
    const before = storeFingerprint(h.store);
    const twins = h.store.listTwins().length;
    await expect(h.importFile(join(FIXTURES, file))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(message),
    });
    expect(storeFingerprint(h.store)).toEqual(before);
    expect(h.store.listTwins()).toHaveLength(twins);
  });

  test('a file over the configured size limit, before it is read', async () => {
    const before = storeFingerprint(h.store);
    await expect(h.importFile(join(FIXTURES, 'Duplex_A_iteration2.ifc'))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/Duplex_A_iteration2\.ifc is 2\.3 MB, over the import limit of 1 MB/),
    });
    expect(storeFingerprint(h.store)).toEqual(before);
  });

  test('bytes sent over the configured size limit (as the UI sends a file): refused by main before they cross to the importer, which goes on', async () => {
    const before = storeFingerprint(h.store);
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'Duplex_A_iteration2.ifc')));
    const refused = h.importer.run({
      jobId: randomUUID(),
      source: { kind: 'bytes', bytes, fileName: 'picked.ifc' },
      target: { kind: 'newTwin', twinId: randomUUID(), twinName: 'too big', modelId: randomUUID() },
      commit: true,
    });
    expect(h.importer.busy).toBe(false); // never queued: its bytes stay in main
    await expect(refused).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/picked\.ifc is 2\.3 MB, over the import limit of 1 MB/),
    });
    expect(storeFingerprint(h.store)).toEqual(before);
    // The importer (and its geometry worker) still imports the next file.
    const next = await h.importFile(join(FIXTURES, 'duplicate-globalids.ifc'), { twinName: 'after' });
    expect(next.countsByClass.IfcWindow).toBe(4);
  });

  test('a file that does not exist', async () => {
    await expect(h.importFile(join(FIXTURES, 'nope.ifc'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('a folder named .ifc, and a named pipe (which would block a read): refused as not files, before any read', async () => {
    const folder = join(h.dir, 'folder.ifc');
    mkdirSync(folder);
    const before = storeFingerprint(h.store);
    await expect(h.importFile(folder)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/folder\.ifc is not a file/),
    });
    if (process.platform !== 'win32') {
      const fifo = join(h.dir, 'pipe.ifc');
      execFileSync('mkfifo', [fifo]);
      await expect(h.importFile(fifo)).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/pipe\.ifc is not a file/),
      });
    }
    expect(storeFingerprint(h.store)).toEqual(before);
  });
});

describe('failures of the machinery, not of the file', () => {
  test('the database held locked by another connection past the busy timeout: UNAVAILABLE naming the database, store unchanged, the import process kept', async () => {
    let launches = 0;
    const importer = new ImportService({
      dbPath: h.dbPath,
      maxBytes: () => 1024 * 1024,
      launch: (script, execArgv) => {
        launches++;
        return fork(script, [], { serialization: 'advanced', execArgv }) as never;
      },
    });
    const job = (twinName: string) => ({
      jobId: randomUUID(),
      source: { kind: 'path' as const, path: join(FIXTURES, 'duplicate-globalids.ifc') },
      target: { kind: 'newTwin' as const, twinId: randomUUID(), twinName, modelId: randomUUID() },
      commit: true,
    });
    try {
      await importer.warmUp();
      const before = storeFingerprint(h.store);
      const blocker = new Database(h.dbPath);
      blocker.exec('BEGIN IMMEDIATE');
      try {
        await expect(importer.run(job('locked out'))).rejects.toMatchObject({
          code: 'UNAVAILABLE',
          message: expect.stringMatching(/twins\.sqlite is busy \(database is locked\)/),
        });
      } finally {
        blocker.exec('ROLLBACK');
        blocker.close();
      }
      expect(storeFingerprint(h.store)).toEqual(before);
      const next = await importer.run(job('after the lock'));
      expect(next.countsByClass.IfcWindow).toBe(4);
      expect(launches).toBe(1); // a busy database is no reason to replace the import process
    } finally {
      await importer.close();
    }
  }, 60_000);

  test('web-ifc failing inside OpenModel (its wasm aborting, not refusing the file): a parse failure naming the file, and the import process is to be replaced', async () => {
    const db = openDatabase(h.dbPath, { expectCurrentSchema: true });
    const aborting = {
      OpenModel: () => {
        throw new Error('memory access out of bounds');
      },
      CloseModel: () => {},
    } as unknown as IfcAPI;
    try {
      const error = await runImport(
        aborting,
        db,
        {
          jobId: randomUUID(),
          source: { kind: 'path', path: join(FIXTURES, 'duplicate-globalids.ifc') },
          target: { kind: 'newTwin', twinId: randomUUID(), twinName: 'abort', modelId: randomUUID() },
          commit: true,
          maxBytes: 1024 * 1024,
        },
        { progress: () => {}, checkpoint: () => {} },
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(
          /could not parse duplicate-globalids\.ifc: memory access out of bounds/,
        ),
      });
      expect(error).toBeInstanceOf(ReaderFault);
      // A file web-ifc refuses without throwing is not such a failure.
      expect(new AppError('BAD_REQUEST', 'x')).not.toBeInstanceOf(ReaderFault);
    } finally {
      db.close();
    }
  });
});

describe('web-ifc failing on a line', () => {
  test('a line it cannot give is skipped and said; a trap inside its wasm fails the read instead', async () => {
    const api = await startWebIfc();
    const file = join(FIXTURES, 'mep-ports-systems.ifc');
    const model = openModelOf(api, file);
    // The pump's line (#100) fails in every call that asks for it, with `failure`.
    const failingOn100 = (failure: () => Error) =>
      new Proxy(api, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (typeof name !== 'string' || !/^Get(Raw)?Lines?(Data)?$/.test(name)) return value;
          return (modelId: number, ids: number | number[], ...rest: unknown[]) => {
            if ((Array.isArray(ids) ? ids : [ids]).includes(100)) throw failure();
            return (value as (...args: unknown[]) => unknown).call(target, modelId, ids, ...rest);
          };
        },
      });
    const hooks = { progress: () => {}, checkpoint: () => {} };
    try {
      const read = readModel(
        failingOn100(() => new Error('no such line')),
        model,
        hooks,
      ).complete();
      expect(read.warnings.join('\n')).toMatch(/Line #100 .*cannot be read; it was skipped/);
      expect(read.elements.some((e) => e.state.ifcClass === 'IfcPump')).toBe(false);
      const trap = () => new WebAssembly.RuntimeError('memory access out of bounds');
      expect(() => readModel(failingOn100(trap), model, hooks).complete()).toThrow(
        /memory access out of bounds/,
      );
      // Through an import: said as the reader's failure, nothing stored, the process to be replaced.
      const db = openDatabase(h.dbPath, { expectCurrentSchema: true });
      const before = storeFingerprint(h.store);
      try {
        const error = await runImport(
          failingOn100(trap),
          db,
          {
            jobId: randomUUID(),
            source: { kind: 'path', path: file },
            target: { kind: 'newTwin', twinId: randomUUID(), twinName: 'trap', modelId: randomUUID() },
            commit: true,
            maxBytes: 1024 * 1024,
          },
          hooks,
        ).catch((e: unknown) => e);
        expect(error).toMatchObject({
          code: 'INTERNAL',
          message: expect.stringMatching(
            /reader failed inside web-ifc while reading mep-ports-systems\.ifc \(memory access out of bounds\)/,
          ),
        });
        expect(error).toBeInstanceOf(ReaderFault);
      } finally {
        db.close();
      }
      expect(storeFingerprint(h.store)).toEqual(before);
    } finally {
      api.CloseModel(model);
    }
  });
});

describe('read tolerantly, saying what was skipped', () => {
  test('duplicate GlobalIds: the later element is skipped and named', async () => {
    const report = await h.importFile(join(FIXTURES, 'duplicate-globalids.ifc'), { twinName: 'dups' });
    expect(report.warnings.join('\n')).toMatch(
      /GlobalId \S+ is used by #\d+ and again by IfcWindow #\d+; the later one was skipped/,
    );
    expect(report.countsByClass.IfcWindow).toBe(4);
  });

  test('a mesh web-ifc cannot place (its element placed on two parallel axes): left out and said, the element kept', async () => {
    const path = join(h.dir, 'degenerate-axes.ifc');
    writeFileSync(path, boxIfc('0.,0.,0.', '0.,0.,0.', '#34,#34'));
    const report = await h.importFile(path, { twinName: 'degenerate' });
    expect(report.countsByClass.IfcBuildingElementProxy).toBe(1);
    expect(report.warnings.join('\n')).toMatch(
      /1 mesh\(es\) of 1 element\(s\) were left out: the IFC reader could not place them .*#30 \(1YvctVUKr0kugbFTf53O9L\)/,
    );
    expect(h.store.geometryManifest(report.twinId).meshCount).toBe(0);
  });

  test('`1.#INF`, `-1.#INF` and `-1.#IND` (non-standard reals of some exporters) are read as Infinity, -Infinity and NaN', async () => {
    const path = join(h.dir, 'non-finite.ifc');
    const psets = [
      "#60=IFCPROPERTYSET('3YvctVUKr0kugbFTf53O9L',$,'Pset_T',$,(#61,#62,#63,#64));",
      "#61=IFCPROPERTYSINGLEVALUE('Inf',$,IFCREAL(1.#INF),$);",
      "#62=IFCPROPERTYSINGLEVALUE('NegInf',$,IFCREAL(-1.#INF),$);",
      "#63=IFCPROPERTYSINGLEVALUE('Ind',$,IFCREAL(-1.#IND),$);",
      "#64=IFCPROPERTYSINGLEVALUE('Len',$,IFCLENGTHMEASURE(0.25),$);",
      "#68=IFCRELDEFINESBYPROPERTIES('4YvctVUKr0kugbFTf53O9L',$,$,$,(#30),#60);",
    ].join('\n');
    writeFileSync(
      path,
      boxIfc('0.,0.,0.', '0.,0.,0.').replace(/^ENDSEC;\nEND-ISO/m, `${psets}\nENDSEC;\nEND-ISO`),
    );
    const report = await h.importFile(path, { twinName: 'non-finite' });
    const box = h.store.search(report.twinId, undefined, { ifcClass: 'IfcBuildingElementProxy' })
      .elements[0]!;
    const values = h.store
      .getElement(report.twinId, undefined, box.elementKey)
      .propertySets.find((p) => p.name === 'Pset_T')!
      .properties.map((p) => [p.name, p.value]);
    expect(values).toEqual([
      ['Ind', 'NaN'],
      ['Inf', 'Infinity'],
      ['Len', 0.25],
      ['NegInf', '-Infinity'],
    ]);
  });

  test('the non-standard IFC2X3_FINAL schema id is read as IFC2X3', async () => {
    const report = await h.importFile(join(FIXTURES, 'revit-ifc2x3-final.ifc'), { twinName: 'final' });
    expect(report.schema).toBe('IFC2X3');
    expect(report.warnings[0]).toMatch(/non-standard schema "IFC2X3_FINAL"; the file was read as IFC2X3/);
    expect(report.stats.propertySets).toBe(400);
  });
});

describe('the broken real-world files (test/fixtures/broken, from ../shared/ifc/broken)', () => {
  test('Badly_formed_Ifc_file.ifc (bad escapes, * in attributes): the storey is read, the missing project said', async () => {
    const report = await h.importFile(join(FIXTURES, 'broken/Badly_formed_Ifc_file.ifc'), {
      twinName: 'badly formed',
    });
    expect(report.countsByClass).toEqual({ IfcBuildingStorey: 1 });
    expect(report.warnings.join('\n')).toMatch(/no IfcProject/);
    const tree = h.store.spatialTree(report.twinId);
    expect(tree.models[0]!.roots[0]!.name).toBe('Кровля');
  });

  test('fileWithAbstractClass.ifc (an abstract IfcFlowSegmentType instantiated): the segment is read', async () => {
    const report = await h.importFile(join(FIXTURES, 'broken/fileWithAbstractClass.ifc'), {
      twinName: 'abstract',
    });
    expect(report.countsByClass.IfcFlowSegment).toBe(1);
  });

  test.each([['FormallyIllegalFile.ifc'], ['InvalidMultiByte.ifc']])(
    '%s holds no elements: refused, saying so',
    async (file) => {
      const before = storeFingerprint(h.store);
      await expect(h.importFile(join(FIXTURES, `broken/${file}`))).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/holds no building elements/),
      });
      expect(storeFingerprint(h.store)).toEqual(before);
    },
  );
});

test('after every refusal the importer still imports', async () => {
  const copy = join(h.dir, 'again.ifc');
  copyFileSync(join(FIXTURES, 'revit-ifc2x3-final.ifc'), copy);
  const report = await h.importFile(copy, { twinName: 'still works' });
  expect(report.elementCount).toBeGreaterThan(0);
});
