// The importer, off main: one script in three roles.
// - host (a child process of main, forked by ImportService): relays warm-ups and cancellations to
//   the import thread (and jobs, where main gave it no pipes), and writes large source files. A
//   separate process, not just a thread: a model import grows and faults in hundreds of megabytes,
//   and threads of the same process then stall main's event loop for hundreds of milliseconds; a
//   process keeps main's loop free.
// - import (a worker thread of the host): holds a started web-ifc and a store connection, runs one
//   import at a time, polling a shared cancel flag; takes jobs from main's pipe and writes their
//   progress and results to main's other pipe (frames.ts), no thread in between.
// - geometry (a worker thread of the import thread): opens its own copy of the model (a path job's
//   as soon as main tells it the file, on a pipe of its own) and streams meshes while the import
//   thread reads properties and relationships; the two share the products out (meshPlan) through a
//   shared counter, so the import thread takes its part of the meshes once it is done.
import {
  isMainThread,
  MessageChannel,
  parentPort,
  receiveMessageOnPort,
  Worker,
  workerData,
  type MessagePort,
} from 'node:worker_threads';
import type * as WebIFC from 'web-ifc';
import { AppError } from '../../shared/result';
import {
  classifySqliteError,
  openDatabase,
  primeWal,
  StoreError,
  type SqliteDatabase,
} from '../store/database';
import { prepareImportWriter } from '../store/import-writer';
import { sweepSourceFiles, writeSourceFile } from '../store/source-files';
import {
  ReaderFault,
  readGeometrySource,
  runImport,
  type GeometryHelper,
  type GeometrySource,
  type SharedPropertyWindows,
  type ImportJob,
} from './import-job';
import {
  geometryFromParts,
  meshPlan,
  propertyReading,
  propertyWindowCount,
  streamClaimedGeometry,
  type GeometryPart,
  type GeometryRead,
  type MeshPlan,
  type PropertyWindow,
} from './reader';
import { startWebIfc } from './webifc';
import {
  IMPORT_GC_AFTER_JOB_MIN_BYTES,
  IMPORT_WAL_RESERVE_BYTES,
  IMPORT_WORKER_YOUNG_GENERATION_MB,
  PROGRESS_QUIET_MS,
} from './limits';
import type { AheadFile, FromWorker, SourceWriteRequest, ToImportProcess, ToWorker } from './worker-protocol';
import {
  GEOMETRY_FD,
  IMPORT_PIPES_ARG,
  JOBS_FD,
  RESULTS_FD,
  readFramesFrom,
  writeFramesSync,
} from './frames';

const port = parentPort!;

/** This script, for spawning its other roles: from TypeScript source via the bootstrap. */
function selfUrl(): URL {
  const self = import.meta.url;
  const bootstrap = 'worker-source.mjs';
  return self.endsWith('.ts') ? new URL(bootstrap, self) : new URL(self);
}

type ToGeometry = {
  type: 'geometry';
  id: number;
  /** The job's id, to take the file opened ahead for it ('' where there is none). */
  jobId: string;
  /** When it was sent (timeOrigin + now: comparable across threads). */
  sentAt: number;
  source: GeometrySource;
  cancel: SharedArrayBuffer;
  /** Int32 next-product index, shared with the import thread (see streamClaimedGeometry). */
  claim: SharedArrayBuffer;
  /** Int32 next property window, shared with the import thread's readModel (none: not asked). */
  properties: SharedArrayBuffer | null;
};
/**
 * What the geometry worker has read, handed on as it goes: parts, the last one marked done; then
 * the property windows it claimed once its meshes were done.
 */
type FromGeometry =
  | {
      type: 'geometry-plan';
      id: number;
      plan: MeshPlan;
      aheadMs: number | undefined;
      /** Of the file as read here, where it came as a path (readGeometrySource). */
      sourceSha256: string | null;
    }
  | { type: 'geometry-part' | 'geometry-done'; id: number; part: GeometryPart }
  | { type: 'geometry-failed'; id: number; code: 'CANCELLED' | 'BAD_REQUEST'; message: string }
  | { type: 'properties-window'; id: number; window: PropertyWindow };

/** The geometry worker hands on what it has read at most this often (the import thread writes it). */
const GEOMETRY_PART_EVERY_MS = 1;

let api: WebIFC.IfcAPI | null = null;

function runGeometryRole(): void {
  // Answers go on their own channel, each counted in `answered` (and the import thread woken), so
  // that the import thread, once it has nothing left to do but wait, takes the answer at once.
  const { answers, answered: count } = workerData as { answers: MessagePort; answered: SharedArrayBuffer };
  const answered = new Int32Array(count);
  const answer = (reply: FromGeometry, transfer: ArrayBuffer[] = []) => {
    answers.postMessage(reply, transfer);
    Atomics.add(answered, 0, 1);
    Atomics.notify(answered, 0);
  };
  const failed = (id: number, code: 'CANCELLED' | 'BAD_REQUEST', error: unknown) =>
    answer({ type: 'geometry-failed', id, code, message: (error as Error)?.message ?? String(error) });
  // A path job's file comes on a pipe of its own from main (GEOMETRY_FD) as the job goes to the
  // import thread: it is opened and planned at once, not when the import thread's message wakes
  // this thread (~0.3 ms later: each thread's wake takes ~0.2 ms here, and main wakes both at
  // once), and handed to that job's message when it comes. One file is held at most: another
  // file, another job's message, or a minute without one lets it go (a job refused before it asks
  // for geometry: a database newer than the app).
  let ahead: {
    jobId: string;
    modelId: number;
    plan: MeshPlan;
    sourceSha256: string | null;
    at: number;
    expiry: NodeJS.Timeout;
  } | null = null;
  const closeModel = (modelId: number) => {
    try {
      api?.CloseModel(modelId);
    } catch {
      // gone with the process
    }
  };
  const letAheadGo = () => {
    if (!ahead) return;
    clearTimeout(ahead.expiry);
    closeModel(ahead.modelId);
    ahead = null;
  };
  /** The job whose message came last: a file for it that comes after its message is not opened. */
  let lastJobId = '';
  const openAhead = ({ jobId, source, maxBytes }: AheadFile) => {
    if (jobId === lastJobId || !api) return; // web-ifc not started yet: the job's message opens it
    letAheadGo();
    const at = performance.timeOrigin + performance.now();
    let modelId = -1;
    try {
      const { bytes, sha256 } = readGeometrySource({ source, maxBytes });
      modelId = api.OpenModel(bytes);
      if (modelId < 0) return;
      const plan = meshPlan(api, modelId);
      ahead = {
        jobId,
        modelId,
        plan,
        sourceSha256: sha256,
        at,
        expiry: setTimeout(letAheadGo, 60_000).unref(),
      };
    } catch {
      // The job's message reads the file again, and fails it with the import thread's own words.
      if (modelId >= 0) closeModel(modelId);
    }
  };
  if ((workerData as { pipes?: boolean }).pipes) {
    readFramesFrom(
      GEOMETRY_FD,
      (messages) => {
        for (const message of messages) openAhead(message as AheadFile);
        // The job's own message has most likely come meanwhile: take it now, not a loop turn later.
        for (let got; (got = receiveMessageOnPort(port));) void read(got.message as ToGeometry);
      },
      () => {}, // a corrupt stream: jobs open their files when their messages come
    ).unref();
  }
  // Started now, not by the first job (and so that its file can be opened ahead).
  const starting = startWebIfc().then((started) => (api ??= started));
  starting.catch(() => undefined); // a job's request fails on it, and says why
  port.on('message', (message: ToGeometry) => void read(message));

  async function read(message: ToGeometry): Promise<void> {
    lastJobId = message.jobId;
    const flag = new Int32Array(message.cancel);
    const opened = ahead?.jobId === message.jobId ? ahead : null;
    if (opened) {
      clearTimeout(opened.expiry);
      ahead = null;
    } else letAheadGo();
    let modelId = opened?.modelId ?? -1;
    let bytes: Uint8Array | null = null;
    let sourceSha256 = opened?.sourceSha256 ?? null;
    if (!opened) {
      try {
        ({ bytes, sha256: sourceSha256 } = readGeometrySource(message.source));
      } catch (error) {
        // Refused before web-ifc saw a byte (the import thread refuses the file too, and says why).
        failed(message.id, 'BAD_REQUEST', error);
        return;
      }
    }
    try {
      if (bytes) {
        api ??= await starting;
        modelId = api.OpenModel(bytes);
        if (modelId < 0) throw new AppError('BAD_REQUEST', 'The geometry reader could not open the file.');
      }
      const plan = opened?.plan ?? meshPlan(api!, modelId);
      const aheadMs = opened ? message.sentAt - opened.at : undefined;
      answer({ type: 'geometry-plan', id: message.id, plan, aheadMs, sourceSha256 });
      // The property windows the import thread has not claimed yet, read once the plan's long
      // products (hosts of openings, the site: claimed first, as they must be for the two threads
      // to end together) are done and before the rest (or after the last if this thread claims
      // none of the rest): the import thread reads properties while this one meshes, and cannot
      // begin its states before every window is in, so the sooner the windows are shared out, the
      // sooner it does. Duplex_Electrical (one long product, 13 windows): this thread reads 6 of
      // them, not 2-3 after all its meshes; interleaved A/B, best of 80: 47-55 against 54-61 ms;
      // CPM, whose long walls come first either way: 21.8 against 21.8-22.0 ms. (Windows read
      // before every mesh left CPM's long products to the end: 2-3 ms slower.)
      let windowsRead = false;
      const readWindows = () => {
        if (windowsRead || !message.properties) return;
        windowsRead = true;
        const windowClaim = new Int32Array(message.properties);
        // None left (or none at all): not even the reading's set-up (its units) is paid for.
        if (Atomics.load(windowClaim, 0) >= propertyWindowCount(api!, modelId)) return;
        const reading = propertyReading(api!, modelId);
        for (;;) {
          if (Atomics.load(flag, 0) !== 0) throw new AppError('CANCELLED', 'cancelled');
          const index = Atomics.add(windowClaim, 0, 1);
          if (index >= reading.windows) break;
          answer({ type: 'properties-window', id: message.id, window: reading.readWindow(index) });
        }
      };
      streamClaimedGeometry(
        api!,
        modelId,
        plan,
        new Int32Array(message.claim),
        {
          checkpoint: () => {
            if (Atomics.load(flag, 0) !== 0) throw new AppError('CANCELLED', 'cancelled');
          },
          progress: () => {},
        },
        {
          everyMs: GEOMETRY_PART_EVERY_MS,
          send: (part, last) => {
            const transfer: ArrayBuffer[] = [];
            for (const g of part.geometries)
              transfer.push(g.vertices.buffer as ArrayBuffer, g.indices.buffer as ArrayBuffer);
            answer({ type: last ? 'geometry-done' : 'geometry-part', id: message.id, part }, transfer);
          },
          pause: { at: plan.long ?? 0, run: readWindows },
        },
      );
      readWindows(); // if the pause did not come (this thread claimed none of the rest)
    } catch (error) {
      const cancelled = error instanceof AppError && error.code === 'CANCELLED';
      failed(message.id, cancelled ? 'CANCELLED' : 'BAD_REQUEST', error);
      // After an unexpected failure web-ifc may be in a bad state: exit, the import worker respawns.
      if (!cancelled) process.exit(1);
    } finally {
      if (modelId >= 0) closeModel(modelId);
    }
  }
}

/** The import worker's side of the geometry worker: one at a time, restarted after a failure. */
class GeometryWorker implements GeometryHelper {
  private worker: Worker | null = null;
  /** The worker's answers, and how many it has posted (set with the worker, gone with it). */
  private channel: { answers: MessagePort; answered: Int32Array } | null = null;
  private next = 1;
  private last = 0;
  private readonly pending = new Map<
    number,
    {
      parts: GeometryPart[];
      onPart: (part: GeometryPart) => void;
      onPlan?: (plan: MeshPlan, aheadMs: number | undefined, sourceSha256: string | null) => void;
      resolve: (r: GeometryRead) => void;
      reject: (e: Error) => void;
    }
  >();
  cancel: SharedArrayBuffer = new SharedArrayBuffer(4);
  /** The last read's property windows, which come after its geometry is done. */
  private properties: { id: number; listener: SharedPropertyWindows } | null = null;

  private pipes: boolean;

  constructor(pipes: boolean) {
    this.pipes = pipes;
  }

  start(): void {
    if (this.worker) return;
    const { port1, port2 } = new MessageChannel();
    const answered = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(selfUrl(), {
      workerData: { role: 'geometry', answers: port2, answered: answered.buffer, pipes: this.pipes },
      transferList: [port2],
    });
    worker.unref();
    this.pipes = false; // its pipe closes with it: a restarted worker has none
    port1.on('message', (message: FromGeometry) => this.receive(message));
    port1.unref();
    const fail = (error: Error) => {
      if (this.worker === worker) {
        this.worker = null;
        this.channel = null;
      }
      port1.close();
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
      this.properties?.listener.onFailed();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`geometry worker exited (${code})`)));
    this.worker = worker;
    this.channel = { answers: port1, answered };
  }

  private receive(message: FromGeometry): void {
    const properties = this.properties?.id === message.id ? this.properties.listener : null;
    if (message.type === 'properties-window') {
      properties?.onWindow(message.window);
      return;
    }
    if (message.type === 'geometry-failed') properties?.onFailed();
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    if (message.type === 'geometry-failed') {
      this.pending.delete(message.id);
      waiting.reject(new AppError(message.code, message.message));
      return;
    }
    if (message.type === 'geometry-plan') {
      waiting.onPlan?.(message.plan, message.aheadMs, message.sourceSha256);
      return;
    }
    waiting.parts.push(message.part);
    waiting.onPart(message.part);
    if (message.type === 'geometry-done') {
      this.pending.delete(message.id);
      waiting.resolve(geometryFromParts(waiting.parts));
    }
  }

  read(
    source: GeometrySource,
    claim: SharedArrayBuffer,
    onPart: (part: GeometryPart) => void,
    onPlan?: (plan: MeshPlan, aheadMs: number | undefined, sourceSha256: string | null) => void,
    properties?: SharedPropertyWindows,
  ): Promise<GeometryRead> {
    this.start();
    const id = this.next++;
    this.last = id;
    this.properties = properties ? { id, listener: properties } : null;
    return new Promise<GeometryRead>((resolve, reject) => {
      this.pending.set(id, { parts: [], onPart, onPlan, resolve, reject });
      const message: ToGeometry = {
        type: 'geometry',
        id,
        jobId: source.jobId ?? '',
        sentAt: performance.timeOrigin + performance.now(),
        source,
        cancel: this.cancel,
        claim,
        properties: properties?.claim ?? null,
      };
      const file = source.source;
      this.worker!.postMessage(message, file.kind === 'bytes' ? [file.bytes.buffer as ArrayBuffer] : []);
    });
  }

  poll(): void {
    for (;;) {
      const got = this.channel && receiveMessageOnPort(this.channel.answers);
      if (!got) return;
      this.receive(got.message as FromGeometry);
    }
  }

  /**
   * Takes the last read's answer off the channel as soon as it is posted (Atomics.wait on the
   * answer count, then receiveMessageOnPort), at most 50 ms; after that, or if the worker is gone,
   * the answer (or the failure) comes on the event loop as usual.
   */
  settle(): void {
    const deadline = performance.now() + 50;
    while (this.pending.has(this.last) && this.channel) {
      const { answered } = this.channel;
      const seen = Atomics.load(answered, 0);
      this.poll();
      const left = deadline - performance.now();
      if (!this.pending.has(this.last) || left <= 0) return;
      Atomics.wait(answered, 0, seen, left);
    }
  }

  awaitAnswer(ms: number): void {
    if (!this.channel) return;
    const { answered } = this.channel;
    const seen = Atomics.load(answered, 0);
    this.poll();
    if (Atomics.load(answered, 0) === seen) Atomics.wait(answered, 0, seen, ms);
    this.poll();
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}

/**
 * Messages to the host: a job that came on the pipe has started (with its cancel flag) or ended
 * (and whether the process should be recycled).
 */
type ToHost =
  | { type: 'job-started'; jobId: string; cancel: SharedArrayBuffer }
  | { type: 'job-ended'; jobId: string; recycle: boolean };

function runImportRole(pipes: boolean): void {
  // Answers to what the host relayed (open, close) go back through it; a job's progress and result
  // go to main the way the job came: on the results pipe, or through the host.
  const post = (message: FromWorker) => port.postMessage(message);
  // Several messages go in one write: each write to the pipe wakes main (~0.06 ms here).
  const toMain = pipes
    ? (...messages: FromWorker[]) => writeFramesSync(RESULTS_FD, messages)
    : (...messages: FromWorker[]) => messages.forEach(post);
  const databases = new Map<string, SqliteDatabase>();
  const geometry = new GeometryWorker(pipes);
  // Start both web-ifc instances now, so that the first import does not wait for them.
  geometry.start();
  void startWebIfc().then((started) => {
    api ??= started;
  });

  const database = (path: string): SqliteDatabase => {
    let db = databases.get(path);
    if (db) {
      databases.delete(path);
    } else {
      db = openDatabase(path, { expectCurrentSchema: true });
      // An import writes megabytes in one commit; checkpointing it inside the commit would double
      // the write on the import's clock. The worker checkpoints once the job is reported instead.
      db.pragma('wal_autocheckpoint = 0');
      // An import's commit is atomic and survives the app or this process being killed the moment
      // it returns (its pages are in the WAL, in the OS's hands); it is fsynced right after the job
      // is reported (the checkpoint, then primeWal's FULL commit), not inside the commit: ~4-5 ms
      // of a 2 MB commit here. What a power cut in those milliseconds can lose is an import, which
      // the file redoes; nothing the user wrote: main's connection, which writes edits, drafts,
      // the outbox and service logs, stays synchronous=FULL (and any FULL commit after the import
      // makes the import durable too: it fsyncs the same WAL).
      db.pragma('synchronous = NORMAL');
    }
    databases.set(path, db);
    return db;
  };
  /** After a job is reported: one app uses one database; keep the last two connections (benchmarks). */
  const closeOlderDatabases = () => {
    for (const [other, connection] of [...databases].slice(0, -2)) {
      databases.delete(other);
      try {
        connection.close();
      } catch {
        // closing only releases it
      }
    }
  };

  /** Jobs under way (one at a time; a warm-up's 'open' can come while one waits). */
  let running = 0;

  // Source files are written by the import process's own thread (see SourceWriteRequest).
  let nextWrite = 1;
  const writes = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  const keepSourceFile = (dbPath: string, sha256: string, bytes: Uint8Array): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const id = nextWrite++;
      writes.set(id, { resolve, reject });
      const request: SourceWriteRequest = { type: 'write-source', id, dbPath, sha256, bytes };
      port.postMessage(request);
    });

  /** Removes source files no row names (a failed or killed import's); never fails a job. */
  const sweep = (dbPath: string) => {
    try {
      sweepSourceFiles(database(dbPath), dbPath);
    } catch {
      // The next job sweeps again.
    }
  };

  port.on('message', async (message: ToWorker) => {
    if (message.type === 'source-written') {
      const waiting = writes.get(message.id);
      writes.delete(message.id);
      if (message.error === null) waiting?.resolve();
      else waiting?.reject(new Error(message.error));
      return;
    }
    if (message.type === 'open') {
      try {
        const db = database(message.dbPath);
        prepareImportWriter(db);
        // Not while a job waits on its geometry (its transaction may be open, its source file
        // not yet named by a row): the job's own end sweeps and primes the WAL.
        if (running === 0) {
          sweep(message.dbPath); // what an import killed in an earlier run left beside it
          primeWal(db, IMPORT_WAL_RESERVE_BYTES);
        }
      } catch {
        // The import into it reports the problem (a newer schema, a damaged file...).
      }
      if (running === 0) closeOlderDatabases();
      post({ type: 'opened', dbPath: message.dbPath });
      return;
    }
    if (message.type === 'close') {
      for (const db of databases.values()) db.close();
      databases.clear();
      geometry.close();
      post({ type: 'closed' });
      return;
    }
    await runJob(message.job, message.dbPath, message.cancel);
  });

  if (pipes) {
    // Jobs straight from main (frames.ts); the host learns of each one that runs PROGRESS_QUIET_MS,
    // to relay its cancellation (a cancel asked sooner waits there until then).
    // (Main gone: the host sees its channel close and ends the process.)
    readFramesFrom(
      JOBS_FD,
      (messages) => {
        for (const message of messages as (ToImportProcess & { raw?: Uint8Array })[]) {
          if (message.type !== 'import') continue;
          const cancel = new SharedArrayBuffer(4);
          const announce = () =>
            port.postMessage({ type: 'job-started', jobId: message.job.jobId, cancel } satisfies ToHost);
          // A bytes job's file came as the frame's raw part (ImportService's send).
          const { job, raw } = message;
          const taken =
            raw && job.source.kind === 'bytes' ? { ...job, source: { ...job.source, bytes: raw } } : job;
          void runJob(taken, message.dbPath, cancel, announce);
        }
      },
      (error) => {
        console.error(error);
        process.exit(1); // a corrupt stream: this thread ends, and the host with it
      },
    );
  }

  async function runJob(
    job: ImportJob,
    dbPath: string,
    cancel: SharedArrayBuffer,
    announce?: () => void,
  ): Promise<void> {
    running++;
    try {
      const recycle = await runJobSteps(job, dbPath, cancel, announce);
      if (pipes) port.postMessage({ type: 'job-ended', jobId: job.jobId, recycle } satisfies ToHost);
    } finally {
      running--;
    }
  }

  /**
   * Runs a job and tells main how it went; answers whether the process should be recycled.
   * `announce` tells the host of a piped job, at its first checkpoint PROGRESS_QUIET_MS in (see
   * limits.ts): the host holds a cancel that comes earlier until then.
   */
  async function runJobSteps(
    job: ImportJob,
    dbPath: string,
    cancel: SharedArrayBuffer,
    announce?: () => void,
  ): Promise<boolean> {
    const flag = new Int32Array(cancel);
    geometry.cancel = cancel;
    let lastPercent = -1;
    let lastStage = '';
    let lastPosted = 0;
    let recycle = false;
    // Progress of a job's first PROGRESS_QUIET_MS is held and told with the next message after it
    // (or with the result): a stage that short is never seen, and telling main of it would wake
    // main for each stage of a small file's import (see limits.ts). The last stage, storing, is told
    // as it begins: main then wakes while the version is written, and is awake for the result
    // (IfcOpenHouse, best 10 of 60: the result reached main 0.18 ms after it was written, 0.36 ms
    // when main had slept through the whole import).
    const startedAt = performance.now();
    const quiet = (now: number) => now - startedAt < PROGRESS_QUIET_MS;
    let held: FromWorker[] = [];
    const tell = (message: FromWorker) => {
      toMain(...held, message);
      held = [];
    };
    try {
      api ??= await startWebIfc();
      const report = await runImport(
        api,
        database(dbPath),
        job,
        {
          progress: (stage, percent) => {
            const rounded = Math.floor(percent);
            // Stages report fractions of their own work; the overall figure only ever moves forward.
            if (rounded <= lastPercent && stage === lastStage) return;
            // A new stage is always told; within a stage at most every 100 ms (two process hops each).
            const now = performance.now();
            if (stage === lastStage && now - lastPosted < 100) return;
            lastPercent = Math.max(lastPercent, rounded);
            lastStage = stage;
            lastPosted = now;
            const message: FromWorker = { type: 'progress', jobId: job.jobId, stage, percent: lastPercent };
            if (!quiet(now) || stage === 'storing') tell(message);
            else held.push(message);
          },
          checkpoint: () => {
            if (announce && !quiet(performance.now())) {
              announce();
              announce = undefined;
            }
            if (Atomics.load(flag, 0) !== 0)
              throw new AppError('CANCELLED', 'The import was cancelled; the twin is unchanged.');
          },
          keepSourceFile,
        },
        geometry,
      );
      // The process's peak RSS (its threads' too: the figure is the process's, whichever asks).
      tell({ type: 'done', jobId: job.jobId, report, peakRssMb: process.resourceUsage().maxRSS / 1024 });
      try {
        const db = database(dbPath);
        db.pragma('wal_checkpoint(PASSIVE)');
        // Makes the import durable (a FULL commit fsyncs the WAL it is in, if the checkpoint did
        // not already copy it into the database file and fsync that), and starts the WAL's next
        // cycle: the next import's commit then pays for no WAL header.
        primeWal(db, IMPORT_WAL_RESERVE_BYTES);
      } catch {
        // A busy database checkpoints next time; the WAL stays valid meanwhile.
      }
      sweep(dbPath);
      // A large model's garbage goes now, not into the next import's peak (see limits.ts).
      if (report.stats.bytes >= IMPORT_GC_AFTER_JOB_MIN_BYTES) (globalThis as { gc?: () => void }).gc?.();
    } catch (error) {
      // The job's flag also stops the geometry worker, if it still reads for a job that failed here.
      Atomics.store(flag, 0, 1);
      // The source file a failed import wrote beside the database goes before the failure is told.
      sweep(dbPath);
      // better-sqlite3's own errors (the database busy past its timeout, the disk full) are the
      // store's: said as such, and no reason to replace the import process.
      const sqliteCode = (error as { code?: unknown } | null)?.code;
      const failure =
        !(error instanceof AppError) && typeof sqliteCode === 'string' && sqliteCode.startsWith('SQLITE_')
          ? classifySqliteError(error, dbPath)
          : error;
      const known = failure instanceof AppError;
      const code = known ? failure.code : failure instanceof StoreError ? 'UNAVAILABLE' : 'INTERNAL';
      const text = failure instanceof Error ? failure.message : String(failure);
      recycle = (!known && !(failure instanceof StoreError)) || failure instanceof ReaderFault;
      tell({
        type: 'failed',
        jobId: job.jobId,
        error: { code, message: text, stack: known ? undefined : (failure as Error)?.stack },
        recycle,
      });
    }
    closeOlderDatabases();
    return recycle;
  }
}

function runHostRole(): void {
  const send = (message: FromWorker) => process.send?.(message);
  const flags = new Map<string, Int32Array>();
  /** Cancellations of piped jobs that came before the thread said the job had started. */
  const early = new Set<string>();
  const pipes = process.argv.includes(IMPORT_PIPES_ARG);
  const thread = new Worker(selfUrl(), {
    workerData: { role: 'import', pipes },
    resourceLimits: { maxYoungGenerationSizeMb: IMPORT_WORKER_YOUNG_GENERATION_MB },
  });
  thread.on('message', (message: FromWorker | SourceWriteRequest | ToHost) => {
    if (message.type === 'job-started') {
      const flag = new Int32Array(message.cancel);
      flags.set(message.jobId, flag);
      if (early.delete(message.jobId)) Atomics.store(flag, 0, 1);
      return;
    }
    if (message.type === 'job-ended') {
      flags.delete(message.jobId);
      early.delete(message.jobId);
      if (message.recycle) setImmediate(() => process.exit(1));
      return;
    }
    if (message.type === 'write-source') {
      writeSourceFile(message.dbPath, message.sha256, message.bytes).then(
        () => thread.postMessage({ type: 'source-written', id: message.id, error: null } satisfies ToWorker),
        (error: unknown) =>
          thread.postMessage({
            type: 'source-written',
            id: message.id,
            error: error instanceof Error ? error.message : String(error),
          } satisfies ToWorker),
      );
      return;
    }
    if (message.type === 'done' || message.type === 'failed') flags.delete(message.jobId);
    send(message);
    if (message.type === 'failed' && message.recycle) setImmediate(() => process.exit(1));
    if (message.type === 'closed') setImmediate(() => process.exit(0));
  });
  // A crashed import thread ends the process; main sees it exit and starts a fresh one next time.
  thread.on('error', (error) => {
    console.error(error);
    process.exit(1);
  });
  thread.on('exit', (code) => process.exit(code === 0 ? 0 : 1));
  process.on('message', (message: ToImportProcess) => {
    if (message.type === 'import') {
      const cancel = new SharedArrayBuffer(4);
      flags.set(message.job.jobId, new Int32Array(cancel));
      const forward: ToWorker = { type: 'import', job: message.job, dbPath: message.dbPath, cancel };
      thread.postMessage(forward);
    } else if (message.type === 'cancel') {
      const flag = flags.get(message.jobId);
      if (flag) Atomics.store(flag, 0, 1);
      else if (pipes && early.size < 64) early.add(message.jobId); // its start is on its way
    } else if (message.type === 'open') {
      thread.postMessage(message satisfies ToWorker);
    } else if (message.type === 'close') {
      thread.postMessage({ type: 'close' } satisfies ToWorker);
    }
  });
  // Main gone: nothing left to import for.
  process.on('disconnect', () => process.exit(0));
}

const role = isMainThread ? 'host' : ((workerData as { role?: string } | null)?.role ?? 'import');
if (role === 'host') runHostRole();
else if (role === 'geometry') runGeometryRole();
else runImportRole((workerData as { pipes?: boolean }).pipes === true);
