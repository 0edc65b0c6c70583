// Twins, their models and versions: IFC import (with progress and cancel), the spatial tree,
// elements and search, changesets, geometry for the viewer (binary chunks) and element proofs.
import { z } from 'zod';
import { defineEvent, defineMethod } from './define';

const Id = z.string().min(1).max(64);
const Hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const GlobalId = z.string().min(1).max(64);
/** A version of the twin; omitted means the twin's head (or its only draft before a first commit). */
const VersionRef = z.number().int().positive().optional();
/** Either the IFC GlobalId or the element key (keccak256 of it). */
const ElementRef = z.union([
  z.object({ globalId: GlobalId }).strict(),
  z.object({ elementKey: Hex32 }).strict(),
]);

export const VersionStatus = z.enum(['draft', 'local', 'queued', 'confirmed']);

export const ModelSummary = z.object({
  id: Id,
  name: z.string(),
  discipline: z.string(),
  createdAt: z.number(),
  /** The model's file in the twin's head version; null when the model only exists in a draft. */
  file: z
    .object({
      fileName: z.string(),
      sha256: z.string(),
      byteSize: z.number(),
      schema: z.string(),
      authoringApp: z.string().nullable(),
    })
    .nullable(),
});
export type ModelSummary = z.infer<typeof ModelSummary>;

export const VersionSummary = z.object({
  id: z.number().int(),
  seq: z.number().int(),
  baseVersionId: z.number().int().nullable(),
  status: VersionStatus,
  merkleRoot: Hex32,
  elementCount: z.number().int(),
  createdAt: z.number(),
  committedAt: z.number().nullable(),
  changeset: z
    .object({
      id: z.number().int(),
      modelId: z.string().nullable(),
      added: z.number(),
      removed: z.number(),
      modified: z.number(),
    })
    .nullable(),
});
export type VersionSummary = z.infer<typeof VersionSummary>;

export const TwinSummary = z.object({
  id: Id,
  name: z.string(),
  createdAt: z.number(),
  chainTwinId: z.string().nullable(),
  head: VersionSummary.nullable(),
  draft: VersionSummary.nullable(),
  models: z.array(ModelSummary),
});
export type TwinSummary = z.infer<typeof TwinSummary>;

export const ImportTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('newTwin'), twinName: z.string().trim().min(1).max(200) }).strict(),
  z.object({ kind: z.literal('newModel'), twinId: Id }).strict(),
  z.object({ kind: z.literal('newIteration'), twinId: Id, modelId: Id }).strict(),
]);

export const ImportRequest = z
  .object({
    /** Chosen by the caller so it can cancel and follow progress before the answer arrives. */
    jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    source: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('path'), path: z.string().min(1).max(4096) }).strict(),
      z
        .object({
          kind: z.literal('bytes'),
          fileName: z.string().min(1).max(255),
          bytes: z.instanceof(Uint8Array),
        })
        .strict(),
    ]),
    target: ImportTarget,
    modelName: z.string().trim().min(1).max(200).optional(),
    discipline: z.string().trim().min(1).max(32).optional(),
    /**
     * Into an existing twin the new version is a draft for review unless commit is true; a new
     * twin's first version is always committed locally.
     */
    commit: z.boolean().optional(),
  })
  .strict();
export type ImportRequest = z.infer<typeof ImportRequest>;

export const ImportResult = z.object({
  jobId: z.string(),
  twinId: Id,
  modelId: Id,
  versionId: z.number().int(),
  seq: z.number().int(),
  status: VersionStatus,
  merkleRoot: Hex32,
  elementCount: z.number().int(),
  fileName: z.string(),
  schema: z.string(),
  countsByClass: z.record(z.string(), z.number()),
  stats: z.object({
    bytes: z.number(),
    products: z.number(),
    propertySets: z.number(),
    quantitySets: z.number(),
    predefinedSets: z.number(),
    properties: z.number(),
    meshes: z.number(),
    distinctGeometries: z.number(),
    storeys: z.number(),
  }),
  changeset: z.object({ id: z.number().int(), added: z.number(), removed: z.number(), modified: z.number() }),
  /** What was read tolerantly or skipped, in words. */
  warnings: z.array(z.string()),
  durationMs: z.number(),
});
export type ImportResult = z.infer<typeof ImportResult>;

export const ImportStage = z.enum([
  'queued',
  'reading',
  'parsing',
  'properties',
  'geometry',
  'fingerprinting',
  'storing',
  'done',
]);
export const ImportProgress = z.object({
  jobId: z.string(),
  stage: ImportStage,
  percent: z.number().min(0).max(100),
});
export type ImportProgress = z.infer<typeof ImportProgress>;

export const PropertyValue = z.object({
  name: z.string(),
  type: z.string().nullable(),
  value: z.unknown(),
  unit: z.string().nullable(),
});
export const PropertySet = z.object({
  name: z.string(),
  kind: z.enum(['pset', 'qto']),
  properties: z.array(PropertyValue),
});

export const ElementDetail = z.object({
  versionId: z.number().int(),
  modelId: Id,
  elementKey: Hex32,
  stateHash: Hex32,
  expressId: z.number().int(),
  globalId: z.string(),
  ifcClass: z.string(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  objectType: z.string().nullable(),
  tag: z.string().nullable(),
  predefinedType: z.string().nullable(),
  container: z.string().nullable(),
  decomposes: z.string().nullable(),
  storey: z.string().nullable(),
  placement: z.array(z.number()).nullable(),
  type: z
    .object({
      globalId: z.string(),
      ifcClass: z.string(),
      name: z.string().nullable(),
      predefinedType: z.string().nullable(),
      propertySets: z.array(PropertySet),
      classifications: z.array(
        z.object({ system: z.string().nullable(), code: z.string().nullable(), name: z.string().nullable() }),
      ),
    })
    .nullable(),
  propertySets: z.array(PropertySet),
  classifications: z.array(
    z.object({ system: z.string().nullable(), code: z.string().nullable(), name: z.string().nullable() }),
  ),
  systems: z.array(z.object({ globalId: z.string(), name: z.string().nullable() })),
  ports: z.array(
    z.object({
      globalId: z.string(),
      name: z.string().nullable(),
      flowDirection: z.string().nullable(),
      connectedTo: z.array(z.object({ port: z.string(), element: z.string().nullable() })),
    }),
  ),
  geometry: Hex32.nullable(),
  meshCount: z.number().int(),
});
export type ElementDetail = z.infer<typeof ElementDetail>;

export const ElementSummary = z.object({
  elementKey: Hex32,
  globalId: z.string(),
  ifcClass: z.string(),
  name: z.string().nullable(),
  modelId: Id,
  storey: z.string().nullable(),
});
export type ElementSummary = z.infer<typeof ElementSummary>;

export interface SpatialNode {
  elementKey: string;
  globalId: string;
  ifcClass: string;
  name: string | null;
  isSpatial: boolean;
  hasGeometry: boolean;
  children: SpatialNode[];
}
export const SpatialNode: z.ZodType<SpatialNode> = z.lazy(() =>
  z.object({
    elementKey: Hex32,
    globalId: z.string(),
    ifcClass: z.string(),
    name: z.string().nullable(),
    isSpatial: z.boolean(),
    hasGeometry: z.boolean(),
    children: z.array(SpatialNode),
  }),
);

export const SpatialTree = z.object({
  versionId: z.number().int(),
  /** One root per model: the model, then its IfcProject, site, building, storeys, spaces, elements. */
  models: z.array(
    z.object({ modelId: Id, name: z.string(), discipline: z.string(), roots: z.array(SpatialNode) }),
  ),
});
export type SpatialTree = z.infer<typeof SpatialTree>;

export const ChangesetEntry = z.object({
  elementKey: Hex32,
  globalId: z.string(),
  ifcClass: z.string(),
  name: z.string().nullable(),
  change: z.enum(['added', 'removed', 'modified']),
  /** ElementState fields that differ: placement, propertySets, geometry... */
  fields: z.array(z.string()),
  /** Finer paths, e.g. propertySets.Pset_DoorCommon.FireRating. */
  details: z.array(z.string()),
  oldStateHash: Hex32.nullable(),
  newStateHash: Hex32.nullable(),
});
export const Changeset = z.object({
  id: z.number().int(),
  versionId: z.number().int(),
  baseVersionId: z.number().int().nullable(),
  modelId: z.string().nullable(),
  added: z.number(),
  removed: z.number(),
  modified: z.number(),
  entries: z.array(ChangesetEntry),
});
export type Changeset = z.infer<typeof Changeset>;

export const ElementProof = z.object({
  twinId: Id,
  versionId: z.number().int(),
  seq: z.number().int(),
  merkleRoot: Hex32,
  elementKey: Hex32,
  stateHash: Hex32,
  /** Sibling hashes leaf to root: OpenZeppelin MerkleProof.verify(proof, root, leaf). */
  proof: z.array(Hex32),
  /** The leaf encoding: keccak256(keccak256(abi.encode(bytes32 elementKey, bytes32 stateHash))). */
  leafEncoding: z.tuple([z.literal('bytes32'), z.literal('bytes32')]),
});
export type ElementProof = z.infer<typeof ElementProof>;

export const GeometryManifest = z.object({
  versionId: z.number().int(),
  /** Elements with geometry; instances refer to them by index. */
  elements: z.array(ElementSummary),
  instanceCount: z.number().int(),
  meshCount: z.number().int(),
  /** Sum of every mesh's vertex and index bytes: what a full stream carries, besides headers. */
  meshBytes: z.number().int(),
  /** Where the mesh records start on the cursor scale; instances come first. */
  firstMeshCursor: z.number().int(),
});
export type GeometryManifest = z.infer<typeof GeometryManifest>;

const TwinRef = z.object({ twinId: Id, versionId: VersionRef });

export const twinMethods = {
  'twins.list': defineMethod(z.object({}).strict(), z.array(TwinSummary)),
  'twins.get': defineMethod(z.object({ twinId: Id }).strict(), TwinSummary),
  'twins.versions': defineMethod(z.object({ twinId: Id }).strict(), z.array(VersionSummary)),
  /** Long-running: progress arrives as twins.importProgress events under the same jobId. */
  'twins.import': defineMethod(ImportRequest, ImportResult),
  /** Answers whether a running or queued import was asked to stop; it then fails with CANCELLED. */
  'twins.cancelImport': defineMethod(
    z.object({ jobId: z.string() }).strict(),
    z.object({ cancelled: z.boolean() }),
  ),
  /** Makes the twin's draft version its head (a local commit; the chain is sync's business). */
  'twins.commitDraft': defineMethod(
    z.object({ twinId: Id, versionId: z.number().int() }).strict(),
    VersionSummary,
  ),
  'twins.discardDraft': defineMethod(
    z.object({ twinId: Id, versionId: z.number().int() }).strict(),
    z.object({ discarded: z.boolean() }),
  ),
  'twins.spatialTree': defineMethod(TwinRef.strict(), SpatialTree),
  'twins.element': defineMethod(TwinRef.extend({ element: ElementRef }).strict(), ElementDetail),
  'twins.search': defineMethod(
    TwinRef.extend({
      /**
       * Words matched against name, tag, object type, GlobalId, class and property values, and the
       * type object's name and property values.
       */
      text: z.string().max(200).optional(),
      ifcClass: z.string().max(64).optional(),
      property: z
        .object({ name: z.string().max(200), value: z.string().max(200).optional() })
        .strict()
        .optional(),
      limit: z.number().int().min(1).max(1000).optional(),
    }).strict(),
    z.object({ total: z.number().int(), elements: z.array(ElementSummary) }),
  ),
  'twins.changeset': defineMethod(z.object({ twinId: Id, versionId: z.number().int() }).strict(), Changeset),
  'twins.elementProof': defineMethod(TwinRef.extend({ element: ElementRef }).strict(), ElementProof),
  'twins.geometryManifest': defineMethod(TwinRef.strict(), GeometryManifest),
  /** One binary chunk (see src/shared/geometry-stream.ts); start at cursor 0, follow nextCursor. */
  'twins.geometryChunk': defineMethod(
    z
      .object({
        twinId: Id,
        versionId: z.number().int().positive(),
        cursor: z.number().int().min(0),
        maxBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .max(64 * 1024 * 1024)
          .optional(),
      })
      .strict(),
    z.instanceof(Uint8Array),
  ),
};

export const twinEvents = {
  'twins.importProgress': defineEvent(ImportProgress),
  /** A twin's list entry changed: imported, draft committed or discarded. */
  'twins.changed': defineEvent(z.object({ twinId: Id })),
};
