// Tunables of the importer shared by main's ImportService and the import process.

/**
 * Young-generation size of the import thread: reading a model allocates millions of short-lived
 * objects, and with V8's default semi-space the scavenger alone costs a third of the import.
 */
export const IMPORT_WORKER_YOUNG_GENERATION_MB = 96;
