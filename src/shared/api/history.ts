// A twin's change history: its versions as a timeline (author, time, transaction and block from the
// chain index, changeset summary), the difference between ANY two versions (added / removed /
// modified with field diffs), one element's own history (the versions in which it changed), and
// the geometry of a few elements of a version (the viewer draws removed elements as ghosts).
import { z } from 'zod';
import { defineMethod } from './define';

const TwinId = z.string().min(1).max(64);
const Hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const ElementRef = z.union([
  z.object({ globalId: z.string().min(1).max(64) }).strict(),
  z.object({ elementKey: Hex32 }).strict(),
]);

const Person = z.object({ address: z.string(), label: z.string() });

export const VersionEntry = z.object({
  versionId: z.number().int(),
  seq: z.number().int(),
  status: z.enum(['draft', 'local', 'queued', 'confirmed']),
  baseVersionId: z.number().int().nullable(),
  merkleRoot: Hex32,
  elementCount: z.number().int(),
  /** Where it came from: an imported model file, edits in the app, or a rebase/merge. */
  origin: z.enum(['import', 'edits', 'merge']),
  /** What it is, in words: "Imported Duplex_A.ifc (ARCH)", "4 edits". */
  title: z.string(),
  /** The committing identity (on chain: the version's author; before that: the signer or editor). */
  author: Person.nullable(),
  /** When it was made (ms): committed on chain, else committed here, else created. */
  time: z.number(),
  chain: z
    .object({
      version: z.number().int(),
      txHash: z.string(),
      blockNumber: z.number().int(),
      /** Block time (ms). */
      committedAt: z.number(),
    })
    .nullable(),
  /** The outbox item carrying it to the chain, while it waits or failed. */
  pending: z
    .object({ itemId: z.number().int(), status: z.string(), txHash: z.string().nullable() })
    .nullable(),
  changes: z.object({ added: z.number(), removed: z.number(), modified: z.number() }).nullable(),
  isHead: z.boolean(),
});
export type VersionEntry = z.infer<typeof VersionEntry>;

/** One field that differs: values as short display text (null: absent). */
export const FieldDiff = z.object({
  path: z.string(),
  before: z.string().nullable(),
  after: z.string().nullable(),
});
export type FieldDiff = z.infer<typeof FieldDiff>;

export const DiffEntry = z.object({
  elementKey: Hex32,
  globalId: z.string(),
  ifcClass: z.string(),
  name: z.string().nullable(),
  change: z.enum(['added', 'removed', 'modified']),
  fields: z.array(z.string()),
  diffs: z.array(FieldDiff),
});
export type DiffEntry = z.infer<typeof DiffEntry>;

export const VersionDiff = z.object({
  twinId: TwinId,
  fromVersionId: z.number().int(),
  toVersionId: z.number().int(),
  fromSeq: z.number().int(),
  toSeq: z.number().int(),
  added: z.number().int(),
  removed: z.number().int(),
  modified: z.number().int(),
  /** Sorted: modified, added, removed; by class and name within each. */
  entries: z.array(DiffEntry),
  /** True when entries were cut at `limit` (the counts are always complete). */
  truncated: z.boolean(),
});
export type VersionDiff = z.infer<typeof VersionDiff>;

export const ElementHistoryEntry = z.object({
  versionId: z.number().int(),
  seq: z.number().int(),
  status: z.enum(['draft', 'local', 'queued', 'confirmed']),
  change: z.enum(['added', 'removed', 'modified']),
  stateHash: Hex32.nullable(),
  fields: z.array(z.string()),
  diffs: z.array(FieldDiff),
  author: Person.nullable(),
  time: z.number(),
  txHash: z.string().nullable(),
  blockNumber: z.number().int().nullable(),
  /** The app edits that made this change, in words (empty for imports). */
  edits: z.array(z.string()),
});
export type ElementHistoryEntry = z.infer<typeof ElementHistoryEntry>;

export const ElementHistory = z.object({
  twinId: TwinId,
  elementKey: Hex32,
  globalId: z.string().nullable(),
  name: z.string().nullable(),
  ifcClass: z.string().nullable(),
  /** Newest first. */
  entries: z.array(ElementHistoryEntry),
});
export type ElementHistory = z.infer<typeof ElementHistory>;

export const historyMethods = {
  /** The twin's versions, newest first, with who, when, where on chain and what changed. */
  'history.timeline': defineMethod(z.object({ twinId: TwinId }).strict(), z.array(VersionEntry)),
  /** The element-level difference from one version to another (any two, either order). */
  'history.diff': defineMethod(
    z
      .object({
        twinId: TwinId,
        fromVersionId: z.number().int().positive(),
        toVersionId: z.number().int().positive(),
        limit: z.number().int().min(1).max(50_000).optional(),
      })
      .strict(),
    VersionDiff,
  ),
  /** The versions in which an element changed, with what changed, newest first. */
  'history.element': defineMethod(z.object({ twinId: TwinId, element: ElementRef }).strict(), ElementHistory),
  /**
   * The placed meshes of some elements of a version, as two geometry-stream chunks (instances, then
   * meshes; src/shared/geometry-stream.ts): ghosts of removed elements without streaming the version.
   */
  'history.ghosts': defineMethod(
    z
      .object({
        twinId: TwinId,
        versionId: z.number().int().positive(),
        elementKeys: z.array(Hex32).max(5_000),
      })
      .strict(),
    z.object({
      /** Keys of the elements found with geometry; instance records name them by index here. */
      elementKeys: z.array(z.string()),
      instances: z.instanceof(Uint8Array),
      meshes: z.instanceof(Uint8Array),
    }),
  ),
};

export const historyEvents = {};
