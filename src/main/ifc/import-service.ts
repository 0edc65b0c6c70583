// Main's side of IFC import: queues jobs, runs each in the import process (a child process whose
// worker threads parse, hash and write), relays progress, cancels on request, and recovers from an
// importer that crashed or hung. Main's event loop only passes messages.
import { fork, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AppError } from '../../shared/result';
import type { ImportJob, ImportReport, ImportStage } from './import-job';
import {
  encodeFrame,
  FrameReader,
  frameWithRaw,
  GEOMETRY_FD,
  IMPORT_PIPES_ARG,
  JOBS_FD,
  MAX_FRAME_BYTES,
  RESULTS_FD,
} from './frames';
import { IMPORT_GC_SINGLE_THREADED, IMPORT_MALLOC_ARENA_MAX, overImportLimit } from './limits';
import type { AheadFile, FromWorker, ToImportProcess } from './worker-protocol';

export interface ImportProgressUpdate {
  jobId: string;
  stage: ImportStage | 'queued' | 'done';
  percent: number;
}

export interface ImportServiceOptions {
  dbPath: string;
  /** Largest file accepted, read at each job (it is a user setting). */
  maxBytes: () => number;
  onProgress?: (update: ImportProgressUpdate) => void;
  /** Overrides where the importer script is (tests, odd layouts). */
  workerUrl?: URL;
  /**
   * Starts the import process; defaults to child_process.fork (in Electron's main it runs the
   * Electron binary as Node). The Electron shell may pass one built on utilityProcess.fork.
   */
  launch?: (script: string, execArgv: string[]) => ImportProcess;
  /** A job still running after this long is stopped (the worker is restarted). */
  jobTimeoutMs?: number;
  logError?: (message: string, error?: unknown) => void;
}

/** What ImportService needs of the import process (a ChildProcess fits). */
export interface ImportProcess {
  send(message: ToImportProcess): unknown;
  on(event: 'message', listener: (message: FromWorker) => void): unknown;
  on(event: 'exit', listener: (code: number | null) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'message' | 'exit' | 'error', listener: (...args: never[]) => void): unknown;
  kill(): unknown;
  /** Lets main exit while the importer idles. */
  unref?(): void;
  ref?(): void;
}

/**
 * The import process as child_process.fork starts it, with three pipes besides its IPC channel: jobs
 * go to the import thread, and its progress and results come back, on them directly (frames.ts),
 * not relayed by the process's own thread (a thread hop each way, ~0.1-0.3 ms); a path job's file
 * goes to the geometry worker on the third, as its job goes to the import thread, so that both
 * threads start at once; the rest (warm-up, cancellation, close) goes on the IPC channel to that
 * thread, which stays free to take them.
 */
const forkImportProcess = (script: string, execArgv: string[]): ImportProcess => {
  const child: ChildProcess = fork(script, [IMPORT_PIPES_ARG], {
    serialization: 'advanced',
    execArgv,
    env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? IMPORT_MALLOC_ARENA_MAX },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe', 'pipe', 'pipe'],
  });
  const stdio = child.stdio as unknown as (Readable | Writable | null)[];
  const jobs = stdio[JOBS_FD] as Writable & { ref?(): void; unref?(): void };
  const results = stdio[RESULTS_FD] as Readable & { ref?(): void; unref?(): void };
  const ahead = stdio[GEOMETRY_FD] as Writable & { ref?(): void; unref?(): void };
  const listeners = new Set<(message: FromWorker) => void>();
  const deliver = (message: FromWorker) => {
    for (const listener of [...listeners]) listener(message);
  };
  const frames = new FrameReader();
  results.on('data', (chunk: Buffer) => {
    let messages: unknown[];
    try {
      messages = frames.push(chunk);
    } catch {
      child.kill(); // a corrupt stream: the exit fails the job, the next starts a fresh process
      return;
    }
    for (const message of messages) deliver(message as FromWorker);
  });
  // A pipe that breaks goes with the process: its exit tells ImportService.
  jobs.on('error', () => {});
  results.on('error', () => {});
  // Closed by the process when its geometry worker ends (a restarted one reads files on request).
  ahead.on('error', () => {});
  child.on('message', (message: FromWorker) => deliver(message));
  // The process's exit is told once what it wrote to the results pipe is read (a failure it
  // reported just before ending itself), or after a second at most.
  const exitListeners = new Set<(code: number | null) => void>();
  let exit: { code: number | null } | null = null;
  let resultsClosed = false;
  let exitTold = false;
  const tellExit = () => {
    if (exitTold || !exit) return;
    exitTold = true;
    for (const listener of [...exitListeners]) listener(exit.code);
  };
  results.on('close', () => {
    resultsClosed = true;
    tellExit();
  });
  child.on('exit', (code) => {
    exit = { code };
    if (resultsClosed) tellExit();
    else setTimeout(tellExit, 1000).unref();
  });
  // 'message' and 'exit' are told from here (both pipes and the channel; the exit once drained).
  const ownListeners: Record<string, Set<never> | undefined> = {
    message: listeners as Set<never>,
    exit: exitListeners as Set<never>,
  };
  const channel = () => child.channel as { ref?: () => void; unref?: () => void } | null | undefined;
  const handles = () => [child, channel(), jobs, results, ahead];
  return {
    send: (message) => {
      if (!child.connected) return false;
      if (message.type === 'import') {
        // A job at a time: no backpressure to wait for. Bytes go as the frame's raw part, written
        // from where they are (frames.ts), not serialised and copied on main's thread.
        const { jobId, source, maxBytes } = message.job;
        if (source.kind === 'bytes') {
          const job = { ...message.job, source: { ...source, bytes: new Uint8Array(0) } };
          for (const part of frameWithRaw({ ...message, job }, source.bytes)) jobs.write(part);
        } else jobs.write(encodeFrame(message));
        // A path job's file goes to the geometry worker too, which opens it as the job starts. The
        // job first: the import thread is the import's critical path (IfcOpenHouse, interleaved
        // 3x150: p25 7.9-8.1 vs 8.5-8.7 ms the other way round).
        if (source.kind === 'path' && ahead.writable)
          ahead.write(encodeFrame({ jobId, source, maxBytes } satisfies AheadFile));
        return true;
      }
      return child.send(message);
    },
    on: (event: string, listener: (...args: never[]) => void) => {
      const own = ownListeners[event];
      if (own) own.add(listener as never);
      else child.on(event, listener as (...args: unknown[]) => void);
    },
    off: (event: string, listener: (...args: never[]) => void) => {
      const own = ownListeners[event];
      if (own) own.delete(listener as never);
      else child.off(event, listener as (...args: unknown[]) => void);
    },
    kill: () => child.kill(),
    unref: () => {
      for (const handle of handles()) handle?.unref?.();
    },
    ref: () => {
      for (const handle of handles()) handle?.ref?.();
    },
  } as ImportProcess;
};

/**
 * Where the importer script is: from TypeScript source (tests, benches) a small bootstrap that
 * lets Node run the .ts files; in the built app out/main/ifc-worker.js, the `ifc-worker` entry of
 * electron.vite.config.ts, found next to the bundle (or one folder up, from a shared chunk).
 */
export function importWorkerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const bootstrap = 'worker-source.mjs';
    return new URL(bootstrap, here);
  }
  const dir = dirname(fileURLToPath(here));
  for (const candidate of [join(dir, 'ifc-worker.js'), join(dir, '..', 'ifc-worker.js')]) {
    if (existsSync(candidate)) return pathToFileURL(candidate);
  }
  throw new AppError('UNAVAILABLE', `The IFC import worker (ifc-worker.js) is missing next to ${dir}.`);
}

interface PendingJob {
  job: ImportJob;
  dbPath: string;
  cancelled: boolean;
  started: boolean;
}

export class ImportService {
  private worker: ImportProcess | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly jobs = new Map<string, PendingJob>();
  private closed = false;
  /** A job is in the import process now / warm-ups waiting for their answer (both hold it referenced). */
  private running = false;
  private warmUps = 0;
  private readonly options: ImportServiceOptions;

  constructor(options: ImportServiceOptions) {
    this.options = options;
  }

  /**
   * Runs an import after those already queued; rejects with an AppError (CANCELLED, BAD_REQUEST...).
   * `dbPath` sends it to another (migrated) database file than the service's: benchmarks use it.
   */
  run(job: Omit<ImportJob, 'maxBytes'>, options: { dbPath?: string } = {}): Promise<ImportReport> {
    if (this.closed) return Promise.reject(new AppError('UNAVAILABLE', 'The importer is shut down.'));
    if (this.jobs.has(job.jobId))
      return Promise.reject(new AppError('CONFLICT', `Import ${job.jobId} is already running.`));
    const maxBytes = this.options.maxBytes();
    // Bytes (a file the import dialog read) are refused here, not after crossing to the importer.
    if (job.source.kind === 'bytes') {
      const { fileName, bytes } = job.source;
      const refusal =
        overImportLimit(fileName, bytes.byteLength, maxBytes) ??
        (bytes.byteLength > MAX_FRAME_BYTES - 64 * 1024
          ? new AppError(
              'BAD_REQUEST',
              `${fileName} is ${(bytes.byteLength / (1024 * 1024)).toFixed(1)} MB: the importer takes files over ${MAX_FRAME_BYTES / (1024 * 1024) - 1} MB from their path, not as bytes sent to it.`,
            )
          : null);
      if (refusal) return Promise.reject(refusal);
    }
    const pending: PendingJob = {
      job: { ...job, maxBytes },
      dbPath: options.dbPath ?? this.options.dbPath,
      cancelled: false,
      started: false,
    };
    this.jobs.set(job.jobId, pending);
    this.options.onProgress?.({ jobId: job.jobId, stage: 'queued', percent: 0 });
    const result = this.tail.then(() => this.execute(pending));
    this.tail = result.catch(() => undefined);
    return result.finally(() => this.jobs.delete(job.jobId));
  }

  /** Asks a queued or running import to stop; it then rejects with CANCELLED. */
  cancel(jobId: string): boolean {
    const pending = this.jobs.get(jobId);
    if (!pending) return false;
    pending.cancelled = true;
    if (pending.started) this.worker?.send({ type: 'cancel', jobId });
    return true;
  }

  get busy(): boolean {
    return this.jobs.size > 0;
  }

  /**
   * Starts the import process and web-ifc ahead of the first import, and opens the database the
   * imports go to (the service's, or `dbPath`) with the writer's statements prepared, as an app
   * keeps its database open: the first import then pays for none of it. Resolves once the database
   * is open (or the import process is gone); never rejects.
   */
  warmUp(dbPath: string = this.options.dbPath): Promise<void> {
    if (this.closed) return Promise.resolve();
    const worker = this.ensureWorker();
    // Held referenced while waiting for the answer (the process is unreferenced when idle).
    this.warmUps++;
    worker.ref?.();
    return new Promise<void>((resolve) => {
      const done = () => {
        worker.off('message', onMessage);
        worker.off('exit', done);
        if (--this.warmUps === 0 && !this.running) worker.unref?.();
        resolve();
      };
      const onMessage = (message: FromWorker) => {
        if (message.type === 'opened' && message.dbPath === dbPath) done();
      };
      worker.on('message', onMessage);
      worker.on('exit', done);
      if (worker.send({ type: 'open', dbPath }) === false) done();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of this.jobs.keys()) this.cancel(id);
    await this.tail;
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      // Held referenced until the process has closed its database and exited (or 2 s passed).
      worker.ref?.();
      let timer: NodeJS.Timeout | undefined;
      const exited = new Promise<void>((resolve) => {
        worker.on('exit', () => resolve());
        timer = setTimeout(resolve, 2000);
      });
      worker.send({ type: 'close' });
      await exited;
      clearTimeout(timer);
      worker.kill();
    }
  }

  private ensureWorker(): ImportProcess {
    if (!this.worker) {
      const url = this.options.workerUrl ?? importWorkerUrl();
      const fromSource = url.pathname.endsWith('.mjs');
      // From source the importer needs the resolve hook for the project's extensionless imports.
      const execArgv = fromSource ? ['--import', fileURLToPath(new URL('source-hooks.mjs', url))] : [];
      if (IMPORT_GC_SINGLE_THREADED) execArgv.push('--single-threaded-gc'); // see limits.ts
      execArgv.push('--expose-gc'); // a full collection after a large import (limits.ts)
      const launched = (this.options.launch ?? forkImportProcess)(fileURLToPath(url), execArgv);
      launched.unref?.();
      launched.on('error', (error) => this.options.logError?.('import process failed', error));
      launched.on('exit', () => {
        if (this.worker === launched) this.worker = null;
      });
      this.worker = launched;
    }
    return this.worker;
  }

  private recycle(worker: ImportProcess): void {
    if (this.worker === worker) this.worker = null;
    worker.kill();
  }

  private execute(pending: PendingJob): Promise<ImportReport> {
    const { job } = pending;
    if (pending.cancelled)
      return Promise.reject(new AppError('CANCELLED', 'The import was cancelled; the twin is unchanged.'));
    pending.started = true;
    const worker = this.ensureWorker();
    this.running = true;
    worker.ref?.();
    // The job goes first (its answers come on a later turn of the event loop, once the listeners
    // below are on): the import process starts on it while this thread sets up the rest.
    worker.send({ type: 'import', job, dbPath: pending.dbPath });
    return new Promise<ImportReport>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(cancelWatch);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        this.running = false;
        if (this.warmUps === 0) worker.unref?.();
        outcome();
      };
      const onMessage = (message: FromWorker) => {
        if (!('jobId' in message) || message.jobId !== job.jobId) return;
        if (message.type === 'progress') {
          this.options.onProgress?.({ jobId: job.jobId, stage: message.stage, percent: message.percent });
        } else if (message.type === 'done') {
          this.options.onProgress?.({ jobId: job.jobId, stage: 'done', percent: 100 });
          const report =
            message.peakRssMb === undefined
              ? message.report
              : { ...message.report, importerPeakRssMb: message.peakRssMb };
          finish(() => resolve(report));
        } else if (message.type === 'failed') {
          if (message.recycle) {
            // The import process ends itself after this: web-ifc may be in a bad state.
            this.options.logError?.(
              `import ${job.jobId} failed`,
              message.error.stack ?? message.error.message,
            );
            if (this.worker === worker) this.worker = null;
          }
          finish(() => reject(new AppError(message.error.code, message.error.message)));
        }
      };
      const onError = (error: Error) => {
        this.recycle(worker);
        finish(() =>
          reject(
            new AppError(
              'INTERNAL',
              `The IFC reader crashed on this file (${error.message}); nothing was imported.`,
            ),
          ),
        );
      };
      const onExit = (code: number | null) => {
        if (this.worker === worker) this.worker = null;
        finish(() =>
          reject(
            new AppError('INTERNAL', `The IFC importer stopped (exit code ${code}); nothing was imported.`),
          ),
        );
      };
      const timeoutMs = this.options.jobTimeoutMs ?? 10 * 60_000;
      const timer = setTimeout(() => {
        this.recycle(worker);
        finish(() =>
          reject(
            new AppError(
              'UNAVAILABLE',
              `The import took longer than ${Math.round(timeoutMs / 1000)} s and was stopped; nothing was imported.`,
            ),
          ),
        );
      }, timeoutMs);
      // A cancelled job whose worker does not answer (stuck inside web-ifc) is stopped by force;
      // its transaction never committed, so the store is unchanged.
      let cancelledFor = 0;
      const cancelWatch = setInterval(() => {
        if (!pending.cancelled) return;
        cancelledFor += 500;
        if (cancelledFor >= 10_000) {
          this.recycle(worker);
          finish(() => reject(new AppError('CANCELLED', 'The import was cancelled; the twin is unchanged.')));
        }
      }, 500);
      cancelWatch.unref();
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      if (pending.cancelled) worker.send({ type: 'cancel', jobId: job.jobId });
    });
  }
}
