// Messages between main's ImportService and the import worker.
import type { ErrorCode } from '../../shared/result';
import type { ImportJob, ImportReport, ImportStage } from './import-job';

export type ToWorker =
  | { type: 'import'; job: ImportJob; dbPath: string; cancel: SharedArrayBuffer }
  | { type: 'close' };

export type FromWorker =
  | { type: 'progress'; jobId: string; stage: ImportStage; percent: number }
  | { type: 'done'; jobId: string; report: ImportReport }
  | {
      type: 'failed';
      jobId: string;
      error: { code: ErrorCode; message: string; stack?: string };
      /** web-ifc may be left in a bad state: main should start a fresh worker next time. */
      recycle: boolean;
    }
  | { type: 'closed' };
