// The import worker thread: holds a started web-ifc and a connection to the store, and runs one
// import at a time so that parsing, hashing and the bulk write never block main's event loop.
import { parentPort } from 'node:worker_threads';
import type * as WebIFC from 'web-ifc';
import { AppError } from '../../shared/result';
import { openDatabase, StoreError, type SqliteDatabase } from '../store/database';
import { runImport } from './import-job';
import { startWebIfc } from './webifc';
import type { FromWorker, ToWorker } from './worker-protocol';

if (!parentPort) throw new Error('The import worker must run in a worker thread.');
const port = parentPort;
const post = (message: FromWorker) => port.postMessage(message);

let api: WebIFC.IfcAPI | null = null;
const databases = new Map<string, SqliteDatabase>();

const database = (path: string): SqliteDatabase => {
  let db = databases.get(path);
  if (db) {
    databases.delete(path);
  } else {
    db = openDatabase(path, { expectCurrentSchema: true });
    // An import writes megabytes in one commit; checkpointing it inside the commit would double
    // the write on the import's clock. The worker checkpoints once the job is reported instead.
    db.pragma('wal_autocheckpoint = 0');
    // One app uses one database; keep the last two connections, close older ones (benchmarks).
    for (const [other, connection] of [...databases].slice(0, -1)) {
      connection.close();
      databases.delete(other);
    }
  }
  databases.set(path, db);
  return db;
};

port.on('message', async (message: ToWorker) => {
  if (message.type === 'close') {
    for (const db of databases.values()) db.close();
    databases.clear();
    post({ type: 'closed' });
    return;
  }
  const { job, dbPath, cancel } = message;
  const flag = new Int32Array(cancel);
  let lastPercent = -1;
  let lastStage = '';
  try {
    api ??= await startWebIfc();
    const report = runImport(api, database(dbPath), job, {
      progress: (stage, percent) => {
        const rounded = Math.floor(percent);
        // Stages report fractions of their own work; the overall figure only ever moves forward.
        if (rounded <= lastPercent && stage === lastStage) return;
        lastPercent = Math.max(lastPercent, rounded);
        lastStage = stage;
        post({ type: 'progress', jobId: job.jobId, stage, percent: lastPercent });
      },
      checkpoint: () => {
        if (Atomics.load(flag, 0) !== 0) throw new AppError('CANCELLED', 'The import was cancelled; the twin is unchanged.');
      },
    });
    post({ type: 'done', jobId: job.jobId, report });
    try {
      database(dbPath).pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // A busy database checkpoints next time; the WAL stays valid meanwhile.
    }
  } catch (error) {
    const known = error instanceof AppError;
    const code = known ? error.code : error instanceof StoreError ? 'UNAVAILABLE' : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    post({
      type: 'failed',
      jobId: job.jobId,
      error: { code, message, stack: known ? undefined : (error as Error)?.stack },
      recycle: !known && !(error instanceof StoreError),
    });
  }
});
