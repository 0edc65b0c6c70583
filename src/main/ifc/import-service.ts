// Main's side of IFC import: queues jobs, runs each in the import worker thread, relays progress,
// cancels on request, and recovers from a worker that crashed or hung. Main's event loop only
// passes messages; parsing, hashing and the bulk write happen in the worker.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../shared/result';
import type { ImportJob, ImportReport, ImportStage } from './import-job';
import type { FromWorker, ToWorker } from './worker-protocol';

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
  /** Overrides where the worker script is (tests, odd layouts). */
  workerUrl?: URL;
  /** A job still running after this long is stopped (the worker is restarted). */
  jobTimeoutMs?: number;
  logError?: (message: string, error?: unknown) => void;
}

/**
 * Where the worker is: from TypeScript source (tests, scripts) a small bootstrap that lets Node
 * run the .ts files; in the built app out/main/ifc-worker.js, the `ifc-worker` entry of
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

/** Young-generation size of the import worker (V8 uses a third of it per semi-space). */
export const IMPORT_WORKER_YOUNG_GENERATION_MB = 96;

interface PendingJob {
  job: ImportJob;
  dbPath: string;
  cancel: SharedArrayBuffer;
  cancelled: boolean;
  started: boolean;
}

export class ImportService {
  private worker: Worker | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly jobs = new Map<string, PendingJob>();
  private closed = false;
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
    if (this.jobs.has(job.jobId)) return Promise.reject(new AppError('CONFLICT', `Import ${job.jobId} is already running.`));
    const pending: PendingJob = {
      job: { ...job, maxBytes: this.options.maxBytes() },
      dbPath: options.dbPath ?? this.options.dbPath,
      cancel: new SharedArrayBuffer(4),
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
    Atomics.store(new Int32Array(pending.cancel), 0, 1);
    return true;
  }

  get busy(): boolean {
    return this.jobs.size > 0;
  }

  /** Starts the worker and web-ifc ahead of the first import. */
  warmUp(): void {
    if (!this.closed) this.ensureWorker();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of this.jobs.keys()) this.cancel(id);
    await this.tail;
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (!this.worker) {
      // A large young generation: reading a model allocates millions of short-lived objects, and
      // with V8's default semi-space the scavenger alone costs a third of the import.
      const worker = new Worker(this.options.workerUrl ?? importWorkerUrl(), {
        resourceLimits: { maxYoungGenerationSizeMb: IMPORT_WORKER_YOUNG_GENERATION_MB },
      });
      worker.unref();
      worker.on('error', (error) => this.options.logError?.('import worker failed', error));
      worker.on('exit', () => {
        if (this.worker === worker) this.worker = null;
      });
      this.worker = worker;
    }
    return this.worker;
  }

  private recycle(worker: Worker): void {
    if (this.worker === worker) this.worker = null;
    void worker.terminate();
  }

  private execute(pending: PendingJob): Promise<ImportReport> {
    const { job } = pending;
    if (pending.cancelled) return Promise.reject(new AppError('CANCELLED', 'The import was cancelled; the twin is unchanged.'));
    pending.started = true;
    const worker = this.ensureWorker();
    worker.ref();
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
        worker.unref();
        outcome();
      };
      const onMessage = (message: FromWorker) => {
        if (!('jobId' in message) || message.jobId !== job.jobId) return;
        if (message.type === 'progress') {
          this.options.onProgress?.({ jobId: job.jobId, stage: message.stage, percent: message.percent });
        } else if (message.type === 'done') {
          this.options.onProgress?.({ jobId: job.jobId, stage: 'done', percent: 100 });
          finish(() => resolve(message.report));
        } else if (message.type === 'failed') {
          if (message.recycle) {
            this.options.logError?.(`import ${job.jobId} failed`, message.error.stack ?? message.error.message);
            this.recycle(worker);
          }
          finish(() => reject(new AppError(message.error.code, message.error.message)));
        }
      };
      const onError = (error: Error) => {
        this.recycle(worker);
        finish(() => reject(new AppError('INTERNAL', `The IFC reader crashed on this file (${error.message}); nothing was imported.`)));
      };
      const onExit = (code: number) => {
        finish(() => reject(new AppError('INTERNAL', `The IFC import worker stopped (exit code ${code}); nothing was imported.`)));
      };
      const timeoutMs = this.options.jobTimeoutMs ?? 10 * 60_000;
      const timer = setTimeout(() => {
        this.recycle(worker);
        finish(() =>
          reject(new AppError('UNAVAILABLE', `The import took longer than ${Math.round(timeoutMs / 1000)} s and was stopped; nothing was imported.`)),
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
      const message: ToWorker = { type: 'import', job, dbPath: pending.dbPath, cancel: pending.cancel };
      worker.postMessage(message);
    });
  }
}
