// Shared set-up of the store and import tests: a twin store in a fresh temporary folder, an
// importer running the real worker, and where the sample models are.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomUUID } from 'node:crypto';
import type { IfcAPI } from 'web-ifc';
import { ImportService } from '../../src/main/ifc/import-service';
import { preflight } from '../../src/main/ifc/preflight';
import type { ImportJobTarget, ImportReport } from '../../src/main/ifc/import-job';
import { TwinStore } from '../../src/main/store/twin-store';

export const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const SHARED_IFC = resolve(REPO, '..', 'shared', 'ifc');
export const FIXTURES = resolve(REPO, 'test', 'fixtures');
export const SAMPLES = resolve(REPO, 'resources', 'samples');
export const DUPLEX_A = join(SAMPLES, 'duplex', 'Duplex_A_20110907.ifc');
export const DUPLEX_ELECTRICAL = join(SAMPLES, 'duplex', 'Duplex_Electrical_20121207.ifc');
/** A small IFC4 MEP model (ports, systems) made by make-fixtures.py. */
export const MEP_FIXTURE = join(FIXTURES, 'mep-ports-systems.ifc');

export const hasShared = existsSync(SHARED_IFC);
if (!hasShared) console.warn(`skipping tests on the shared samples: ${SHARED_IFC} is absent`);
export const shared = (path: string): string => join(SHARED_IFC, path);

export interface Harness {
  dir: string;
  dbPath: string;
  store: TwinStore;
  importer: ImportService;
  progress: { jobId: string; stage: string; percent: number }[];
  /** Called on every progress event (tests cancel from here). */
  onProgress: ((update: { jobId: string; stage: string; percent: number }) => void) | null;
  importFile(
    path: string,
    target?: Partial<ImportJobTarget> & { kind?: ImportJobTarget['kind'] },
    commit?: boolean,
  ): Promise<ImportReport>;
  /** Imports `path` as a new twin under `jobId`: 'imported', or the code it was rejected with. */
  importOutcome(path: string, jobId: string, twinName: string): Promise<string>;
  close(): Promise<void>;
}

export function createHarness(options: { maxBytes?: number } = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'twinledger-store-'));
  const dbPath = join(dir, 'twins.sqlite');
  const store = TwinStore.open(dbPath);
  const progress: Harness['progress'] = [];
  const importer = new ImportService({
    dbPath,
    maxBytes: () => options.maxBytes ?? 512 * 1024 * 1024,
    onProgress: (update) => {
      progress.push(update);
      harness.onProgress?.(update);
    },
  });
  const harness: Harness = {
    dir,
    dbPath,
    store,
    importer,
    progress,
    onProgress: null,
    importFile: (path, target = {}, commit = true) => {
      const kind = target.kind ?? 'newTwin';
      const full =
        kind === 'newTwin'
          ? { twinName: 'Test twin', twinId: randomUUID(), modelId: randomUUID(), ...target, kind }
          : kind === 'newModel'
            ? { modelId: randomUUID(), ...target, kind }
            : { ...target, kind };
      return importer.run({
        jobId: randomUUID(),
        source: { kind: 'path', path },
        target: full as ImportJobTarget,
        commit,
      });
    },
    importOutcome: (path, jobId, twinName) =>
      importer
        .run({
          jobId,
          source: { kind: 'path', path },
          target: { kind: 'newTwin', twinId: randomUUID(), twinName, modelId: randomUUID() },
          commit: true,
        })
        .then(
          () => 'imported',
          (error: { code: string }) => error.code,
        ),
    close: async () => {
      await importer.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Counts entity lines of the given IFC classes in a file's text: the file's own numbers. */
export function countEntities(path: string, classes: string[]): Record<string, number> {
  const text = readFileSync(path, 'latin1');
  const counts: Record<string, number> = {};
  for (const cls of classes) {
    const re = new RegExp(`^#\\d+\\s*=\\s*${cls.toUpperCase()}\\(`, 'gm');
    counts[cls] = (text.match(re) ?? []).length;
  }
  return counts;
}

/** Snapshot of every table's row count and content hash, to prove a failed import changed nothing. */
export function storeFingerprint(store: TwinStore): Record<string, string> {
  const tables = store.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  const out: Record<string, string> = {};
  for (const table of tables) {
    const hash = createHash('sha256');
    let count = 0;
    for (const row of store.db.prepare(`SELECT * FROM ${table}`).raw().iterate() as Iterable<unknown[]>) {
      count++;
      for (const value of row)
        hash.update(Buffer.isBuffer(value) ? value : `${typeof value}:${String(value)}|`);
    }
    out[table] = `${count} rows, ${hash.digest('hex').slice(0, 16)}`;
  }
  return out;
}

/** Opens a file on `api` as the importer reads it (after its preflight); returns the model id. */
export function openModelOf(api: IfcAPI, path: string): number {
  return api.OpenModel(preflight(new Uint8Array(readFileSync(path)), path).bytes);
}

/**
 * A hand-written IFC2X3 file of one box (a building element proxy) whose body sits at `body` inside
 * its placement at `at` (points as the file writes them: '0.,0.,0.'); `axes` are the placement's
 * axis and reference direction (`$,$`: the default).
 */
export const boxIfc = (at: string, body: string, axes = '$,$') => `ISO-10303-21;
HEADER;
FILE_DESCRIPTION(('ViewDefinition [CoordinationView]'),'2;1');
FILE_NAME('box.ifc','2026-12-07T00:00:00',(''),(''),'','','');
FILE_SCHEMA(('IFC2X3'));
ENDSEC;
DATA;
#1=IFCPROJECT('0YvctVUKr0kugbFTf53O9L',$,'P',$,$,$,$,(#20),#10);
#10=IFCUNITASSIGNMENT((#11));
#11=IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.);
#20=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#21,$);
#21=IFCAXIS2PLACEMENT3D(#22,$,$);
#22=IFCCARTESIANPOINT((0.,0.,0.));
#30=IFCBUILDINGELEMENTPROXY('1YvctVUKr0kugbFTf53O9L',$,'Box',$,$,#31,#40,$,$);
#31=IFCLOCALPLACEMENT($,#32);
#32=IFCAXIS2PLACEMENT3D(#33,${axes});
#34=IFCDIRECTION((0.,0.,1.));
#33=IFCCARTESIANPOINT((${at}));
#40=IFCPRODUCTDEFINITIONSHAPE($,$,(#41));
#41=IFCSHAPEREPRESENTATION(#20,'Body','SweptSolid',(#42));
#42=IFCEXTRUDEDAREASOLID(#43,#45,#47,1.);
#43=IFCRECTANGLEPROFILEDEF(.AREA.,$,#44,1.,1.);
#44=IFCAXIS2PLACEMENT2D(#48,$);
#48=IFCCARTESIANPOINT((0.,0.));
#45=IFCAXIS2PLACEMENT3D(#46,$,$);
#46=IFCCARTESIANPOINT((${body}));
#47=IFCDIRECTION((0.,0.,1.));
#50=IFCRELAGGREGATES('2YvctVUKr0kugbFTf53O9L',$,$,$,#1,(#30));
ENDSEC;
END-ISO-10303-21;
`;
