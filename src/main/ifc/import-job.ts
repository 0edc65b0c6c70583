// One import from start to commit, as the import worker runs it: read and check the file, parse it
// with web-ifc, read elements and geometry, fingerprint them, and write the version in one
// transaction. Stages report progress; a checkpoint between steps honours cancellation.
import { hash as oneShotHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import * as WebIFC from 'web-ifc';
import type { ElementState } from '../../shared/fingerprint';
import { AppError } from '../../shared/result';
import type { SqliteDatabase } from '../store/database';
import { canKeepSourceFilesBeside, sourceFileKnown, writeSourceFile } from '../store/source-files';
import {
  beginImportWrite,
  type ImportHeader,
  type ImportOutcome,
  type ImportWrite,
  type ImportedElement,
  type ImportedGeometry,
} from '../store/import-writer';
import { diffStates } from './changeset';
import { buildVersionTree, keccak256Into, leafHashOfBytes } from './merkle';
import { overImportLimit } from './limits';
import { preflight } from './preflight';
import {
  memoizedText,
  meshPlan,
  mergeGeometry,
  isWasmFault,
  readModel,
  streamClaimedGeometry,
  type GeometryPart,
  type GeometryRead,
  type MeshPlan,
  type PropertyWindow,
  type ReadElement,
} from './reader';

export type ImportStage = 'reading' | 'parsing' | 'properties' | 'geometry' | 'fingerprinting' | 'storing';

/** Where each stage starts and ends on the overall 0..100 scale. */
const STAGE_RANGE: Record<ImportStage, [number, number]> = {
  reading: [0, 3],
  parsing: [3, 12],
  properties: [12, 30],
  geometry: [30, 75],
  fingerprinting: [75, 85],
  storing: [85, 100],
};

/** Target as main sends it: the model's name and discipline may be left to the file. */
export type ImportJobTarget =
  | {
      kind: 'newTwin';
      twinId: string;
      twinName: string;
      modelId: string;
      modelName?: string;
      discipline?: string;
    }
  | { kind: 'newModel'; twinId: string; modelId: string; modelName?: string; discipline?: string }
  | { kind: 'newIteration'; twinId: string; modelId: string };

export interface ImportJob {
  jobId: string;
  source: { kind: 'path'; path: string } | { kind: 'bytes'; bytes: Uint8Array; fileName: string };
  target: ImportJobTarget;
  commit: boolean;
  maxBytes: number;
}

export interface ImportReport extends ImportOutcome {
  fileName: string;
  schema: string;
  sourceSha256: string;
  countsByClass: Record<string, number>;
  stats: {
    bytes: number;
    products: number;
    propertySets: number;
    quantitySets: number;
    predefinedSets: number;
    properties: number;
    meshes: number;
    distinctGeometries: number;
    storeys: number;
  };
  timingsMs: Record<string, number>;
  /**
   * How long before this job's request was sent to the geometry worker it had started opening the
   * file (main tells it a path job's file as it sends the job: see GEOMETRY_FD); negative where it
   * began a moment after the request was sent, before taking it; absent when it opened the file on
   * the job's request.
   */
  geometryHeadStartMs?: number;
  /**
   * Windows of property relationships (reader.ts PROPERTY_WINDOW) the geometry worker read once
   * its meshes were done, of `of` (absent where the import read without the geometry worker).
   */
  propertyWindowsByGeometryWorker?: { read: number; of: number };
  /** Peak RSS of the import process, in MB (set by the process that ran the job). */
  importerPeakRssMb?: number;
}

export interface JobHooks {
  progress(stage: ImportStage, percent: number): void;
  /** Throws a CANCELLED AppError when the user asked to stop. */
  checkpoint(): void;
  /**
   * Writes the source file beside the database (store/source-files.ts writeSourceFile) on another
   * thread: this one is busy parsing, and an async chain here would only advance when it awaits.
   * Without it the write runs on this thread's own event loop.
   */
  keepSourceFile?(dbPath: string, sha256: string, bytes: Uint8Array): Promise<unknown>;
}

const MEP_CLASS =
  /^Ifc(Flow|Distribution|EnergyConversion|Duct|Pipe|Cable|Electric|Light|Outlet|Switching|Pump|Fan|Valve|Sensor|Actuator|Alarm|Controller|Unitary|Air|Boiler|Chiller|Coil|Compressor|Condenser|CoolingTower|Damper|Evaporat|Filter|HeatExchanger|Humidifier|Motor|Protective|SanitaryTerminal|SpaceHeater|Tank|Transformer|TubeBundle|WasteTerminal|Junction|Communications|Audio)/;

function guessDiscipline(elements: ReadElement[]): string {
  let mep = 0;
  let total = 0;
  for (const e of elements) {
    if (e.isSpatial || e.state.ifcClass === 'IfcOpeningElement') continue;
    total++;
    if (MEP_CLASS.test(e.state.ifcClass)) mep++;
  }
  return total > 0 && mep / total >= 0.5 ? 'MEP' : 'ARCH';
}

/**
 * JSON.stringify(state) as the text before and after its geometry member's value, with the text of
 * shared members (an element's type object and its property sets, the same objects for every
 * element using them) written once per import and reused (memoizedText): element states repeat
 * their type's property sets many times over. The geometry is the only member known after the
 * meshes are read, so the rest is written before (see fingerprintAhead).
 */
function canonicalStateParts(state: ElementState): { head: string; tail: string } {
  const once = (value: unknown): string =>
    value === null || typeof value !== 'object' ? JSON.stringify(value) : memoizedText(value);
  let out = '{';
  let head: string | null = null;
  let first = true;
  for (const key of Object.keys(state)) {
    const value = (state as unknown as Record<string, unknown>)[key];
    if (value === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    if (key === 'geometry') {
      head = out;
      out = '';
    } else if (key === 'type') out += once(value);
    else if (key === 'propertySets' && Array.isArray(value)) out += `[${value.map(once).join(',')}]`;
    else out += JSON.stringify(value);
  }
  // Every state has the member (null without meshes: reader.ts prepareElements).
  if (head === null) throw new Error(`The state of ${state.globalId} has no geometry member.`);
  return { head, tail: `${out}}` };
}

/** What of an element's fingerprint does not depend on its meshes (see importSteps). */
interface FingerprintAhead {
  /** canonicalStateParts of its state. */
  head: string;
  tail: string;
  /** elementKeyOf its GlobalId (keccak256 of its UTF-8), as bytes. */
  key: Buffer;
}

function fingerprintAhead(state: ElementState): FingerprintAhead {
  const key = Buffer.allocUnsafe(32);
  keccak256Into(Buffer.from(state.globalId, 'utf8'), key);
  return { ...canonicalStateParts(state), key };
}

/** The canonical text of a state whose geometry is set, from what was written ahead of it. */
function canonicalText(state: ElementState, ahead: FingerprintAhead): string {
  return `${ahead.head}${JSON.stringify(state.geometry)}${ahead.tail}`;
}

/**
 * Source files from this size on are kept beside the database; smaller ones stay in their row:
 * the copy's fixed cost (a file and a folder fsync, ~1-3 ms) is more than their bytes cost in the
 * WAL (~3.5 ms/MB here), and their parse is too short to hide it.
 */
export const SOURCE_FILE_BESIDE_MIN_BYTES = 512 * 1024;

/**
 * Files below this size (all of them kept in their row) are written as their elements are
 * fingerprinted, while the geometry is still being read (see importSteps): their transaction holds
 * the database's write lock through the geometry phase, which for them lasts milliseconds (CPM,
 * 258 KB: ~15 ms), not the hundreds of a large model.
 */
export const EARLY_WRITE_MAX_BYTES = SOURCE_FILE_BESIDE_MIN_BYTES;

/**
 * Reads a file's geometry elsewhere (the geometry worker, from its own copy of the model) while
 * this thread reads the rest: it streams the products of meshPlan whose index it claims from
 * `claim` (an Int32 counter this thread claims from too, once it has read the rest).
 */
export interface GeometryHelper {
  /**
   * `onPart` gets what the worker has read as it hands it on (every millisecond or so), and
   * `onPlan` its meshPlan once it has opened its model (and how long before this thread's request
   * was sent it had started on the file, where main told it of the file first, and the sha256 of
   * the file as it read it from a path: see sourceSha256Of), when this thread polls or settles,
   * before any part or property window; the promise, all of it once the worker is done.
   */
  read(
    source: GeometrySource,
    claim: SharedArrayBuffer,
    onPart: (part: GeometryPart) => void,
    onPlan?: (plan: MeshPlan, aheadMs: number | undefined, sourceSha256: string | null) => void,
    properties?: SharedPropertyWindows,
  ): Promise<GeometryRead>;
  /** Takes what the geometry worker has handed on so far, without waiting. */
  poll(): void;
  /** Blocks this thread until the geometry worker hands something on, at most `ms`; then polls. */
  awaitAnswer(ms: number): void;
  /**
   * Blocks this thread briefly until the geometry worker's answer is in (it has no other work
   * left), so that the answer is taken at once instead of on the event loop's next turn.
   */
  settle(): void;
}

/**
 * Property windows (reader.ts PropertyWindow) the geometry worker reads once its meshes are done,
 * claimed from `claim` (an Int32 counter the import thread's readModel claims from too): each comes
 * to `onWindow`; `onFailed` says the worker will hand on no more (it failed or was cancelled).
 */
export interface SharedPropertyWindows {
  claim: SharedArrayBuffer;
  onWindow(window: PropertyWindow): void;
  onFailed(): void;
}

/**
 * How long the import thread waits for a property window the geometry worker claimed before it
 * reads the window itself: a window takes the worker a few milliseconds; this long means it is
 * gone (a thread that died cannot say so while this one waits).
 */
const PROPERTY_WINDOW_WAIT_MS = 1000;

/**
 * What the geometry worker reads: the job's file (the path, or a copy of the bytes sent with it)
 * and the size limit. It is handed over before the import thread reads and checks the file, so that
 * the two threads open their models side by side; it reads and checks the file the same way
 * (readJobSource, preflight), so a file refused here is refused there too.
 */
export interface GeometrySource {
  /** The job's id: the geometry worker takes the file main told it of for that job, if any. */
  jobId?: string;
  source: ImportJob['source'];
  maxBytes: number;
}

/**
 * A job's file as bytes, with the size limit checked before a byte of a path is read; refusals
 * name the problem (the import thread's and the geometry worker's reading alike).
 */
function readJobSource(
  source: ImportJob['source'],
  maxBytes: number,
): { bytes: Uint8Array; fileName: string } {
  if (source.kind === 'bytes') {
    const refusal = overImportLimit(source.fileName, source.bytes.byteLength, maxBytes);
    if (refusal) throw refusal;
    return { bytes: source.bytes, fileName: source.fileName };
  }
  const fileName = basename(source.path);
  let size: number;
  try {
    const stat = statSync(source.path);
    if (!stat.isFile()) throw new AppError('BAD_REQUEST', `${source.path} is not a file.`);
    size = stat.size;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('NOT_FOUND', `Cannot read ${source.path}: ${(error as Error).message}`);
  }
  const refusal = overImportLimit(fileName, size, maxBytes);
  if (refusal) throw refusal;
  return { bytes: readWholeFile(source.path, size), fileName };
}

/**
 * A file's bytes, read through one descriptor: never more than the `size` its stat gave before the
 * limit was checked (a file growing meanwhile is read to that size; the parse or the two threads'
 * hashes then refuse what was cut), into memory of its own, no copy; an error of the read (the file
 * removed, its permissions changed meanwhile) names the file.
 */
function readWholeFile(path: string, size: number): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new AppError('NOT_FOUND', `Cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const buffer = Buffer.allocUnsafeSlow(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, read);
  } catch (error) {
    throw new AppError('UNAVAILABLE', `Cannot read ${path}: ${(error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** The sha256 of a file's bytes as stored with its version (hex). */
export function sourceSha256Of(bytes: Uint8Array): string {
  return oneShotHash('sha256', bytes, 'hex');
}

/**
 * The geometry worker's side of reading a job's file: the bytes web-ifc should open, and where the
 * file came as a path (read here a second time, apart from the import thread's read), the sha256
 * of what was read: the import thread refuses the import if the file changed between the reads.
 */
export function readGeometrySource({ source, maxBytes }: GeometrySource): {
  bytes: Uint8Array;
  sha256: string | null;
} {
  const { bytes, fileName } = readJobSource(source, maxBytes);
  return {
    bytes: preflight(bytes, fileName).bytes,
    sha256: source.kind === 'path' ? sourceSha256Of(bytes) : null,
  };
}

/** A failure that may have left the thread's web-ifc unusable: the import process is replaced. */
export class ReaderFault extends AppError {}

export async function runImport(
  api: WebIFC.IfcAPI,
  db: SqliteDatabase,
  job: ImportJob,
  hooks: JobHooks,
  geometryHelper?: GeometryHelper,
): Promise<ImportReport> {
  const background: { sourceWrite: Promise<unknown> | null } = { sourceWrite: null };
  try {
    return await importSteps(api, db, job, hooks, geometryHelper, background);
  } catch (error) {
    // A source file still being written is finished first, so the worker's sweep then removes it.
    await background.sourceWrite?.catch(() => undefined);
    if (isWasmFault(error)) {
      // web-ifc trapped inside its wasm (reader.ts failedInsideWasm): said as such, and the import
      // process is replaced before the next file.
      const name = job.source.kind === 'path' ? basename(job.source.path) : job.source.fileName;
      throw new ReaderFault(
        'INTERNAL',
        `The IFC reader failed inside web-ifc while reading ${name} (${(error as Error).message}), so nothing was imported. The importer restarts for the next file.`,
      );
    }
    throw error;
  }
}

async function importSteps(
  api: WebIFC.IfcAPI,
  db: SqliteDatabase,
  job: ImportJob,
  hooks: JobHooks,
  geometryHelper: GeometryHelper | undefined,
  background: { sourceWrite: Promise<unknown> | null },
): Promise<ImportReport> {
  const timings: Record<string, number> = {};
  let mark = performance.now();
  // Geometry is read in parallel by the geometry worker from its own copy of the file, handed over
  // first thing so that it opens its model while this thread reads, checks and opens its own; this
  // thread takes its share of the products once it has read the rest (even a small file's meshes
  // are most of its reading time: IfcOpenHouse, 113 KB, ~5 ms of meshes against ~1 ms of the rest).
  let external: Promise<GeometryRead> | null = null;
  // The geometry worker's parts as they come in (see below: taken between this thread's products).
  const arrived: GeometryPart[] = [];
  let onArrival = () => {};
  const claim = new Int32Array(new SharedArrayBuffer(4));
  let workerPlan: MeshPlan | null = null;
  // Property windows the geometry worker reads once its meshes are done (see readModel).
  const propertyClaim = new Int32Array(new SharedArrayBuffer(4));
  const propertyWindows = new Map<number, PropertyWindow>();
  let propertiesGone = false;
  let propertyWindowsTaken = 0;
  let headStartMs: number | undefined;
  // A path is read twice, here and by the geometry worker (each thread opens its own model): the
  // two reads must be of the same file, or the version would hold meshes of one file and
  // properties of another under the sha256 of one of them. The worker's hash comes with its plan,
  // before any part or window of it; `sameSource` is called as each is taken here, and where the
  // plan is (its products are the other file's if the file changed).
  let workerSha256: string | null = null;
  let ownRead: { sha256: string; fileName: string } | null = null;
  const sameSource = () => {
    if (workerSha256 === null || ownRead === null || workerSha256 === ownRead.sha256) return;
    throw new AppError(
      'CONFLICT',
      `${ownRead.fileName} changed while it was being imported (its geometry and its properties were read from two different versions of it), so nothing was imported. Import it again once the program writing it has finished.`,
    );
  };
  // Bytes over the limit are refused below; they are not copied for the geometry worker first. The
  // copy is its own (new Uint8Array copies; a Buffer's slice, as the job's bytes are when they
  // came on the jobs pipe, would share the memory that goes to the worker with the transfer).
  if (geometryHelper && (job.source.kind === 'path' || job.source.bytes.byteLength <= job.maxBytes)) {
    const source: GeometrySource = {
      jobId: job.jobId,
      source:
        job.source.kind === 'path' ? job.source : { ...job.source, bytes: new Uint8Array(job.source.bytes) },
      maxBytes: job.maxBytes,
    };
    external = geometryHelper.read(
      source,
      claim.buffer as SharedArrayBuffer,
      (part) => {
        arrived.push(part);
        onArrival();
      },
      (plan, aheadMs, sourceSha256) => {
        workerPlan = plan;
        headStartMs = aheadMs;
        workerSha256 = sourceSha256;
      },
      {
        claim: propertyClaim.buffer as SharedArrayBuffer,
        onWindow: (window) => propertyWindows.set(window.index, window),
        onFailed: () => {
          propertiesGone = true;
        },
      },
    );
    external.catch(() => undefined); // awaited below; a failure there falls back to reading inline
  }
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round((now - mark) * 10) / 10;
    mark = now;
  };
  const stage = (name: ImportStage, fraction: number) => {
    const [from, to] = STAGE_RANGE[name];
    hooks.progress(name, from + (to - from) * Math.max(0, Math.min(1, fraction)));
  };

  // Reading: size limit first, before a byte is read.
  stage('reading', 0);
  const { bytes, fileName } = readJobSource(job.source, job.maxBytes);
  const checked = preflight(bytes, fileName);
  const sha256 = sourceSha256Of(bytes);
  ownRead = { sha256, fileName };
  // A larger file itself is kept beside the database: written and fsynced on the I/O threads while
  // it is parsed, so the transaction below carries only its row (store/source-files.ts).
  const beside = bytes.byteLength >= SOURCE_FILE_BESIDE_MIN_BYTES && canKeepSourceFilesBeside(db.name);
  const known = beside && sourceFileKnown(db, sha256);
  const keep = hooks.keepSourceFile ?? writeSourceFile;
  const sourceWrite = beside && !known ? keep(db.name, sha256, bytes) : null;
  sourceWrite?.catch(() => undefined); // awaited before storing
  background.sourceWrite = sourceWrite;
  lap('read');
  hooks.checkpoint();

  // Parsing.
  stage('parsing', 0);
  let modelId: number;
  try {
    modelId = api.OpenModel(checked.bytes);
  } catch (error) {
    // Thrown from inside web-ifc's wasm (an abort: out of memory, a trap), not a refusal it
    // returns: this thread's web-ifc may be unusable now, so the import process is replaced.
    throw new ReaderFault(
      'BAD_REQUEST',
      `The IFC reader could not parse ${fileName}: ${(error as Error).message}`,
    );
  }
  if (modelId < 0)
    throw new AppError(
      'BAD_REQUEST',
      `The IFC reader could not open ${fileName} (schema ${checked.schema}).`,
    );
  try {
    lap('open');
    hooks.checkpoint();
    let authoringApp: string | null = null;
    try {
      const header = api.GetHeaderLine(modelId, WebIFC.FILE_NAME);
      const system = header?.arguments?.[5];
      authoringApp = typeof system?.value === 'string' && system.value.trim() ? system.value.trim() : null;
    } catch {
      authoringApp = null;
    }

    const readHooks = {
      progress: (step: 'properties' | 'geometry', fraction: number) => stage(step, fraction),
      checkpoint: hooks.checkpoint,
    };
    const helper = external ? geometryHelper : undefined;
    const partial = readModel(api, modelId, {
      ...readHooks,
      sharedProperties: helper && {
        claim: propertyClaim,
        take: (index) => {
          const deadline = performance.now() + PROPERTY_WINDOW_WAIT_MS;
          for (;;) {
            helper.poll();
            const window = propertyWindows.get(index);
            const left = deadline - performance.now();
            if (window) {
              sameSource();
              propertyWindowsTaken++;
            }
            if (window || propertiesGone || left <= 0) return window;
            helper.awaitAnswer(left);
          }
        },
      },
    });
    lap('read-model');
    const modelName = fileName.replace(/\.ifc$/i, '');
    const t = job.target;
    const header = (discipline: string): ImportHeader => ({
      target:
        t.kind === 'newIteration'
          ? t
          : { ...t, modelName: t.modelName ?? modelName, discipline: t.discipline ?? discipline },
      commit: job.commit,
      source: {
        sha256,
        fileName,
        byteSize: bytes.byteLength,
        schema: checked.schema,
        authoringApp,
        content: beside ? null : bytes,
      },
    });
    const writerDeps = {
      buildTree: buildVersionTree,
      diffStates,
      checkpoint: hooks.checkpoint,
      progress: (fraction: number) => stage('storing', fraction),
    };
    // What of each element's fingerprint does not depend on its meshes, written as soon as its
    // state is read (fingerprintAhead): the elements whose meshes come last are then finished in
    // less time after the last mesh, the one stretch of an import that no other thread shares.
    const ahead = new Map<ReadElement, FingerprintAhead>();
    const writeAhead = (elements: readonly ReadElement[]) => {
      for (const e of elements) if (!ahead.has(e)) ahead.set(e, fingerprintAhead(e.state));
    };
    const importedElementOf = (e: ReadElement): ImportedElement => {
      const before = ahead.get(e) ?? fingerprintAhead(e.state);
      ahead.delete(e);
      // The reader builds states with their members in canonical order and numbers made finite,
      // so the native serialiser writes RFC 8785 text (test/ifc/fingerprint.test.ts checks it).
      const canonical = canonicalText(e.state, before);
      // elementKeyOf and stateHashOfCanonical (shared/fingerprint.ts), on hash-wasm's Keccak and
      // Node's sha256; and the version tree's leaf, here while the other thread still reads meshes.
      const stateDigest = oneShotHash('sha256', canonical, 'buffer');
      const elementKey = `0x${before.key.toString('hex')}`;
      const stateHash = `0x${stateDigest.toString('hex')}`;
      return {
        elementKey,
        stateHash,
        leafHash: leafHashOfBytes(before.key, stateDigest),
        globalId: e.state.globalId,
        ifcClass: e.state.ifcClass,
        name: e.state.name,
        parentGlobalId: e.parentGlobalId,
        storeyGlobalId: e.storeyGlobalId,
        isSpatial: e.isSpatial,
        geometryHash: e.state.geometry,
        canonical,
        searchText: e.searchText,
        expressId: e.expressId,
        meshes: e.meshes.map((m) => ({
          geometryHash: m.geometryHash,
          color: new Uint8Array(Float32Array.from(m.color).buffer),
          matrix: new Uint8Array(Float64Array.from(m.matrix).buffer),
        })),
      };
    };
    // Elements fingerprinted so far, and those of them not yet written.
    const finalized = new Map<ReadElement, ImportedElement>();
    let unwritten: ImportedElement[] = [];
    const finalize = (e: ReadElement) => {
      const imported = importedElementOf(e);
      finalized.set(e, imported);
      unwritten.push(imported);
    };
    let write: ImportWrite | null = null;
    try {
      let geometry: GeometryRead | undefined;
      if (external) {
        const prepared = partial.prepare();
        writeAhead(prepared);
        lap('prepare-states');
        // A small file is written as its elements are fingerprinted, while the meshes are still
        // being read: its transaction then holds the write lock for a few milliseconds more, and
        // the commit has only the version left to write.
        if (!beside && bytes.byteLength < EARLY_WRITE_MAX_BYTES) {
          write = beginImportWrite(db, header(guessDiscipline(prepared)), writerDeps);
        }
        // The geometry worker's parts are taken between this thread's own products and while
        // waiting for its last; one that fails here fails the import once the geometry is in.
        let failure: unknown = null;
        const geometryByHash = new Map<string, ImportedGeometry>();
        const lookup = (hash: string) => geometryByHash.get(hash);
        const flush = () => {
          if (!write || unwritten.length === 0) return;
          write.add(unwritten, lookup);
          unwritten = [];
        };
        const take = (part: GeometryPart) => {
          if (failure !== null) throw failure;
          sameSource();
          for (const g of part.geometries) if (!geometryByHash.has(g.hash)) geometryByHash.set(g.hash, g);
          const placed = new Map(part.placed);
          const fingerprints = new Map(part.fingerprints);
          for (const id of part.products) {
            const e = partial.attach(id, placed.get(id) ?? [], fingerprints.get(id));
            if (e) finalize(e);
          }
          flush();
        };
        const takeArrived = () => {
          while (arrived.length > 0 && failure === null) {
            try {
              take(arrived.shift()!);
            } catch (error) {
              failure = error;
            }
          }
        };
        onArrival = takeArrived;
        // The geometry worker's plan of the products with meshes (what both threads claim, in
        // order), handed over once it has opened its model: here long before this thread needs it.
        geometryHelper!.poll();
        sameSource();
        const plan = workerPlan ?? meshPlan(api, modelId);
        const meshProducts = new Set(plan.products);
        for (const e of prepared) {
          if (meshProducts.has(e.expressId)) continue;
          partial.attach(e.expressId, [], undefined);
          finalize(e);
        }
        flush();
        takeArrived();
        stage('geometry', 0);
        const own = streamClaimedGeometry(api, modelId, plan, claim, readHooks, {
          everyMs: 0,
          send: (part) => {
            take(part);
            geometryHelper!.poll();
          },
        });
        lap('geometry-share');
        try {
          geometryHelper!.settle();
          geometry = mergeGeometry(own, await external);
        } catch (error) {
          hooks.checkpoint(); // cancelled: the job's own words, not the geometry worker's
          if (error instanceof AppError && error.code === 'CANCELLED') throw error;
          geometry = undefined; // the geometry worker failed: read the rest of the geometry here instead
        }
        onArrival = () => {};
        if (failure !== null) throw failure;
        lap('await-geometry');
      }
      const model = partial.complete(geometry);
      lap(external ? 'attach-geometry' : 'geometry');
      if (model.elements.length === 0 || model.elements.every((e) => e.state.ifcClass === 'IfcProject')) {
        throw new AppError(
          'BAD_REQUEST',
          `${fileName} holds no building elements (no IfcProduct with a GlobalId), so there is nothing to import.` +
            (model.warnings.length > 0 ? ` Also: ${model.warnings.join(' ')}` : ''),
        );
      }

      // Fingerprinting (what was not fingerprinted as its meshes came in).
      stage('fingerprinting', 0);
      const countsByClass: Record<string, number> = {};
      let storeys = 0;
      for (const e of model.elements) {
        countsByClass[e.state.ifcClass] = (countsByClass[e.state.ifcClass] ?? 0) + 1;
        if (e.state.ifcClass === 'IfcBuildingStorey') storeys++;
        if (!finalized.has(e)) finalize(e);
      }
      lap('fingerprint');
      hooks.checkpoint();

      if (sourceWrite) {
        try {
          await sourceWrite;
        } catch (error) {
          throw new AppError(
            'UNAVAILABLE',
            `Could not keep a copy of ${fileName} beside the twin database: ${(error as Error).message}`,
          );
        }
        lap('source-file');
        hooks.checkpoint();
      }

      // Storing: the rest of the elements and the version, in the one transaction.
      stage('storing', 0);
      write ??= beginImportWrite(db, header(guessDiscipline(model.elements)), writerDeps);
      const geometries = new Map(model.geometries.map((g) => [g.hash, g]));
      write.add(unwritten, (hash) => geometries.get(hash));
      unwritten = [];
      const outcome = write.finish({
        projectGlobalId: model.projectGlobalId,
        warnings: [...checked.warnings, ...model.warnings],
      });
      lap('store');
      stage('storing', 1);
      return {
        ...outcome,
        fileName,
        schema: checked.schema,
        sourceSha256: sha256,
        countsByClass,
        stats: {
          bytes: bytes.byteLength,
          products: model.stats.products,
          propertySets: model.stats.propertySets,
          quantitySets: model.stats.quantitySets,
          predefinedSets: model.stats.predefinedSets,
          properties: model.stats.properties,
          meshes: model.stats.meshes,
          distinctGeometries: model.stats.distinctGeometries,
          storeys,
        },
        timingsMs: timings,
        ...(headStartMs === undefined ? {} : { geometryHeadStartMs: Math.round(headStartMs * 100) / 100 }),
        ...(external
          ? { propertyWindowsByGeometryWorker: { read: propertyWindowsTaken, of: partial.propertyWindows } }
          : {}),
      };
    } finally {
      onArrival = () => {};
      write?.abort(); // a write not finished is rolled back
    }
  } finally {
    try {
      api.CloseModel(modelId);
    } catch {
      // The model is gone with the worker if web-ifc is in a bad state; nothing to release here.
    }
  }
}
