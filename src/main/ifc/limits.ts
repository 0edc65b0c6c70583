// Tunables of the importer shared by main's ImportService and the import process.
import { availableParallelism } from 'node:os';
import { AppError } from '../../shared/result';

/**
 * The import process keeps two threads busy (import and geometry). Where the machine has no more
 * cores than that, V8's parallel and concurrent GC helpers only take turns from them, so the
 * process runs its collector on the thread that allocates (`--single-threaded-gc`). Measured on
 * 2 cores, the same jobs interleaved on two importers, best of runs: Office_A 258 vs 301 ms,
 * IfcOpenHouse 7.9 vs 8.4 ms; Duplex_A the same.
 */
export const IMPORT_GC_SINGLE_THREADED = availableParallelism() <= 2;

/**
 * Young-generation size of the import thread: reading a model allocates millions of short-lived
 * objects, and with V8's default semi-space the scavenger alone costs a third of the import. With
 * the collector single-threaded the import process keeps more memory between collections, so the
 * young generation is halved there: Office_A's import process peaked at 591-599 MB with 96 MB
 * (its bound is 600 MB), 579-583 MB with 64 MB, 540-560 MB with 48 MB, its import as fast.
 */
export const IMPORT_WORKER_YOUNG_GENERATION_MB = IMPORT_GC_SINGLE_THREADED ? 48 : 96;

/**
 * glibc's malloc arenas in the import process (MALLOC_ARENA_MAX; other C libraries ignore it). By
 * default glibc gives each thread that allocates an arena of its own, up to eight per core, and
 * memory freed in one is not reused by another: the import thread, the geometry worker, SQLite and
 * libuv's pool each keep their high-water mark. Office_A imported 4x by a fresh process (the
 * bench's probe), 3 runs each: peak RSS 594, 605, 596 MB by default against 507, 545, 544 MB with
 * two arenas, the imports as fast. A value already in the environment is kept.
 */
export const IMPORT_MALLOC_ARENA_MAX = '2';

/**
 * After a job for a file of this size or more is reported, the import thread collects its heap in
 * full: a large model leaves tens of megabytes of garbage in the old generation (Office_A, 4 MB:
 * the heap in use 35 -> 56-61 MB over a job), which the next import would otherwise carry into its
 * own peak: Office_A imported 3x by a fresh process, peak RSS 518-548 MB with the collection against
 * 551-580 MB without (3 runs each). It runs once the result is on its way, on a thread that is idle
 * then; an import queued right behind waits for it (Office_A: ~50-100 ms). Smaller files leave a
 * few megabytes (IfcOpenHouse ~1.7, CPM ~10) that V8's own collections take; a threshold on the heap
 * in use instead (48 MB, until this was found) collected in full, 37-64 ms, after every sixth or so
 * small import, the heap being ~35 MB after a collection.
 */
export const IMPORT_GC_AFTER_JOB_MIN_BYTES = 1024 * 1024;

/**
 * The stages of a job's first this many milliseconds are told to main together, with the first
 * message after it (or with the result), not one by one: each message on the results pipe wakes
 * main, which on a two-core machine takes a core from the import's two threads (~0.06 ms a write
 * here, six stages for a small file). An import this short shows no stage anyone could see; a longer
 * one tells its stages as before once this has passed, so a cancel asked at a stage still reaches
 * the job in a later stage with checkpoints of its own. The last stage (storing) is told at once
 * whenever it begins (worker.ts says why). The import process's own thread, which relays a cancel
 * to the running job, also learns of a job only once it has run this long (a cancel that comes
 * sooner waits there until then): telling it at the start woke it, on one of the two busy cores,
 * 0.05-0.1 ms into each import (perf sched timehist of IfcOpenHouse imports).
 */
export const PROGRESS_QUIET_MS = 20;

/**
 * How long the import process makes the WAL file when it opens a database (store/database.ts
 * primeWal and reserveWal): an import's commit then writes over blocks the file has instead of
 * growing it. 4 MB holds the commit of a model of a few MB (IfcOpenHouse ~0.6 MB of frames, CPM
 * ~1.1 MB, Duplex_A ~4 MB); a larger one grows the WAL once, and it keeps that size.
 */
export const IMPORT_WAL_RESERVE_BYTES = 4 * 1024 * 1024;

/**
 * The refusal of a file over the import limit (a user setting), naming the file, its size and the
 * limit; null within it. Main refuses bytes the dialog sent before they cross to the importer; the
 * import process refuses a path before a byte of it is read.
 */
export function overImportLimit(fileName: string, size: number, maxBytes: number): AppError | null {
  if (size <= maxBytes) return null;
  const mb = (bytes: number) => bytes / (1024 * 1024);
  return new AppError(
    'BAD_REQUEST',
    `${fileName} is ${mb(size).toFixed(1)} MB, over the import limit of ${Math.round(mb(maxBytes))} MB (the largest IFC file setting; the import dialog offers to raise it).`,
  );
}
