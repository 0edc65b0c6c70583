// Messages between main's ImportService, the import process that hosts the import worker thread,
// and that thread. Main sends jobs to the thread and gets their progress and results on two pipes
// (frames.ts; through the process's own thread where a launcher gives no pipes), and the rest on
// the IPC channel to the process, which holds each job's shared cancel flag the thread polls.
import type { ErrorCode } from '../../shared/result';
import type { ImportJob, ImportReport, ImportStage } from './import-job';

/** Main -> import process. */
export type ToImportProcess =
  | { type: 'import'; job: ImportJob; dbPath: string }
  | { type: 'cancel'; jobId: string }
  /** Open a database (and prepare the writer's statements) ahead of the imports into it. */
  | { type: 'open'; dbPath: string }
  | { type: 'close' };

/**
 * Main -> geometry worker (its own pipe, GEOMETRY_FD): the file of a path job main is sending to
 * the import thread, for the worker to open at once (see runGeometryRole).
 */
export interface AheadFile {
  jobId: string;
  source: { kind: 'path'; path: string };
  maxBytes: number;
}

/** Import process -> import thread. */
export type ToWorker =
  | { type: 'import'; job: ImportJob; dbPath: string; cancel: SharedArrayBuffer }
  | { type: 'open'; dbPath: string }
  /** Answer to the thread's 'write-source': null, or why the file could not be written. */
  | { type: 'source-written'; id: number; error: string | null }
  | { type: 'close' };

/**
 * Import thread -> import process: write a source file beside the database. The process's own
 * thread is idle while the import thread parses, so its I/O chain (write, fsync, rename, folder
 * fsync) runs meanwhile; never relayed to main.
 */
export type SourceWriteRequest = {
  type: 'write-source';
  id: number;
  dbPath: string;
  sha256: string;
  bytes: Uint8Array;
};

export type FromWorker =
  | { type: 'progress'; jobId: string; stage: ImportStage; percent: number }
  | {
      type: 'done';
      jobId: string;
      report: ImportReport;
      /** peak RSS of the import process */ peakRssMb?: number;
    }
  | {
      type: 'failed';
      jobId: string;
      error: { code: ErrorCode; message: string; stack?: string };
      /** web-ifc may be left in a bad state: main should start a fresh worker next time. */
      recycle: boolean;
    }
  /** Answer to 'open': the database is open (or could not be; the import into it will say why). */
  | { type: 'opened'; dbPath: string }
  | { type: 'closed' };
