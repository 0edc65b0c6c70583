// The twin capability for the service host: opens the twin store, runs the importer in its worker,
// and answers the twins.* requests of the API contract.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { twinMethods, type ImportResult } from '../../shared/api/twins';
import { elementKeyOf, MERKLE_LEAF_ENCODING } from '../../shared/fingerprint';
import { AppError } from '../../shared/result';
import { ImportService } from '../ifc/import-service';
import { proofFromNodes } from '../ifc/merkle';
import type { ImportJobTarget } from '../ifc/import-job';
import { StoreError } from '../store/database';
import { TwinStore } from '../store/twin-store';
import type { EventBus } from './events';
import type { Handlers } from './router';

export const TWIN_DATABASE_FILE = 'twins.sqlite';

export interface TwinServices {
  /** Null when the database could not be opened (newer schema, damaged): see `unavailable`. */
  readonly store: TwinStore | null;
  readonly importer: ImportService | null;
  /** Why the twin store is unavailable, in words; null when it works. */
  readonly unavailable: string | null;
  readonly handlers: Pick<Handlers, keyof typeof twinMethods>;
  close(): Promise<void>;
}

export interface TwinServiceOptions {
  dataDir: string;
  bus: EventBus;
  /** Largest IFC file accepted, in megabytes (the user's setting, read at each import). */
  maxImportMegabytes: () => number;
  logError?: (message: string, error?: unknown) => void;
}

export function createTwinServices(options: TwinServiceOptions): TwinServices {
  const dbPath = join(options.dataDir, TWIN_DATABASE_FILE);
  let store: TwinStore;
  try {
    store = TwinStore.open(dbPath);
  } catch (error) {
    // A newer or damaged database is reported on every twins request, never overwritten; the
    // rest of the app still starts.
    if (!(error instanceof StoreError)) throw error;
    options.logError?.('twin store unavailable', error);
    const refuse = () => {
      throw new AppError('UNAVAILABLE', error.message);
    };
    const handlers = Object.fromEntries(Object.keys(twinMethods).map((method) => [method, refuse]));
    return {
      store: null,
      importer: null,
      unavailable: error.message,
      handlers: handlers as unknown as TwinServices['handlers'],
      close: async () => {},
    };
  }
  const importer = new ImportService({
    dbPath,
    maxBytes: () => options.maxImportMegabytes() * 1024 * 1024,
    onProgress: (update) => options.bus.emit('twins.importProgress', update),
    logError: options.logError,
  });
  return {
    store,
    importer,
    unavailable: null,
    handlers: twinHandlers(store, importer, options.bus),
    close: async () => {
      await importer.close();
      store.close();
    },
  };
}

const keyOf = (ref: { globalId: string } | { elementKey: string }): string =>
  'elementKey' in ref ? ref.elementKey : elementKeyOf(ref.globalId);

export function twinHandlers(
  store: TwinStore,
  importer: ImportService,
  bus: EventBus,
): Pick<Handlers, keyof typeof twinMethods> {
  return {
    'twins.list': () => store.listTwins(),
    'twins.get': ({ twinId }) => store.getTwin(twinId),
    'twins.versions': ({ twinId }) => store.listVersions(twinId),
    'twins.import': async (request): Promise<ImportResult> => {
      const started = Date.now();
      let target: ImportJobTarget;
      const named = {
        ...(request.modelName ? { modelName: request.modelName } : {}),
        ...(request.discipline ? { discipline: request.discipline } : {}),
      };
      if (request.target.kind === 'newTwin') {
        target = {
          kind: 'newTwin',
          twinId: randomUUID(),
          twinName: request.target.twinName,
          modelId: randomUUID(),
          ...named,
        };
      } else if (request.target.kind === 'newModel') {
        store.getTwin(request.target.twinId);
        target = { kind: 'newModel', twinId: request.target.twinId, modelId: randomUUID(), ...named };
      } else {
        store.getTwin(request.target.twinId);
        target = { kind: 'newIteration', twinId: request.target.twinId, modelId: request.target.modelId };
      }
      const report = await importer.run({
        jobId: request.jobId,
        source:
          request.source.kind === 'path'
            ? request.source
            : { kind: 'bytes', bytes: request.source.bytes, fileName: request.source.fileName },
        target,
        commit: request.target.kind === 'newTwin' ? true : (request.commit ?? false),
      });
      bus.emit('twins.changed', { twinId: report.twinId });
      return {
        jobId: request.jobId,
        twinId: report.twinId,
        modelId: report.modelId,
        versionId: report.versionId,
        seq: report.seq,
        status: report.status,
        merkleRoot: report.merkleRoot,
        elementCount: report.elementCount,
        fileName: report.fileName,
        schema: report.schema,
        countsByClass: report.countsByClass,
        stats: report.stats,
        changeset: report.changeset,
        warnings: report.warnings,
        durationMs: Date.now() - started,
      };
    },
    'twins.cancelImport': ({ jobId }) => ({ cancelled: importer.cancel(jobId) }),
    'twins.commitDraft': ({ twinId, versionId }) => {
      const version = store.commitDraft(twinId, versionId);
      bus.emit('twins.changed', { twinId });
      return version;
    },
    'twins.discardDraft': ({ twinId, versionId }) => {
      const discarded = store.discardDraft(twinId, versionId);
      if (discarded) bus.emit('twins.changed', { twinId });
      return { discarded };
    },
    'twins.spatialTree': ({ twinId, versionId }) => store.spatialTree(twinId, versionId),
    'twins.element': ({ twinId, versionId, element }) => store.getElement(twinId, versionId, keyOf(element)),
    'twins.search': ({ twinId, versionId, ...query }) => store.search(twinId, versionId, query),
    'twins.changeset': ({ twinId, versionId }) => store.changeset(twinId, versionId),
    'twins.elementProof': ({ twinId, versionId, element }) => {
      const elementKey = keyOf(element);
      const { version, stateHash, leafIndex, nodes } = store.proofMaterial(twinId, versionId, elementKey);
      return {
        twinId,
        versionId: version.id,
        seq: version.seq,
        merkleRoot: version.merkle_root,
        elementKey,
        stateHash,
        proof: proofFromNodes(nodes, leafIndex),
        leafEncoding: [...MERKLE_LEAF_ENCODING] as ['bytes32', 'bytes32'],
      };
    },
    'twins.geometryManifest': ({ twinId, versionId }) => store.geometryManifest(twinId, versionId),
    'twins.geometryChunk': ({ twinId, versionId, cursor, maxBytes }) =>
      store.geometryChunk(twinId, versionId, cursor, maxBytes),
  };
}
