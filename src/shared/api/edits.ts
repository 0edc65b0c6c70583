// Editing a twin: every edit (a property value, a property or property set added or removed, an
// element's status, a move) lands in the twin's draft version, with a per-twin undo/redo stack kept
// in the database. Main refuses every edit without a live EDITOR role, naming the reason. The draft
// is committed with `outbox.commitVersion` (or discarded with `twins.discardDraft`).
import { z } from 'zod';
import { defineEvent, defineMethod } from './define';

const TwinId = z.string().min(1).max(64);
const Hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const ElementRef = z.union([
  z.object({ globalId: z.string().min(1).max(64) }).strict(),
  z.object({ elementKey: Hex32 }).strict(),
]);
const Name = z.string().trim().min(1).max(255);
/** A single property value as people type it: text, a number, yes/no, or empty. */
export const ScalarValue = z.union([z.string().max(10_000), z.number().finite(), z.boolean(), z.null()]);
export type ScalarValue = z.infer<typeof ScalarValue>;
const Metres = z.number().finite().min(-10_000).max(10_000);

/** An element's operational status, kept in the TwinLedger_Status property set (so it is hashed). */
export const ElementStatus = z.enum(['in service', 'out of service', 'replaced']);
export type ElementStatus = z.infer<typeof ElementStatus>;
export const STATUS_PROPERTY_SET = 'TwinLedger_Status';
export const STATUS_PROPERTY = 'Status';

export const EditOp = z.discriminatedUnion('kind', [
  /** Changes the value of a property the element already has (its type and unit stay). */
  z.object({ kind: z.literal('setProperty'), set: Name, property: Name, value: ScalarValue }).strict(),
  /** Adds a property; the property set is created when the element has none of that name. */
  z
    .object({
      kind: z.literal('addProperty'),
      set: Name,
      property: Name,
      value: ScalarValue,
      /** IFC value type (IFCLABEL, IFCREAL...); default from the value. */
      valueType: z
        .string()
        .regex(/^IFC[A-Z0-9]{1,60}$/)
        .optional(),
      unit: z.string().trim().max(32).nullable().optional(),
    })
    .strict(),
  z.object({ kind: z.literal('removeProperty'), set: Name, property: Name }).strict(),
  z.object({ kind: z.literal('removePropertySet'), set: Name }).strict(),
  z.object({ kind: z.literal('setStatus'), status: ElementStatus }).strict(),
  /** Moves the element by a translation in metres along the model's axes (IFC: X, Y, Z up). */
  z.object({ kind: z.literal('move'), translation: z.tuple([Metres, Metres, Metres]) }).strict(),
]);
export type EditOp = z.infer<typeof EditOp>;
export type EditKind = EditOp['kind'];

export const EditEntry = z.object({
  id: z.number().int(),
  /** Order in the draft, 1, 2, 3... */
  seq: z.number().int(),
  kind: z.enum(['setProperty', 'addProperty', 'removeProperty', 'removePropertySet', 'setStatus', 'move']),
  elementKey: Hex32,
  globalId: z.string(),
  ifcClass: z.string(),
  elementName: z.string().nullable(),
  /** What the edit did, in words ("Pset_WallCommon.FireRating: 30 → 60"). */
  summary: z.string(),
  author: z.object({ address: z.string(), label: z.string() }).nullable(),
  createdAt: z.number(),
  /** Undone: on the redo stack. */
  undone: z.boolean(),
});
export type EditEntry = z.infer<typeof EditEntry>;

export const DraftState = z.object({
  twinId: TwinId,
  /** The draft version, or null when the twin has no draft. */
  versionId: z.number().int().nullable(),
  seq: z.number().int().nullable(),
  baseVersionId: z.number().int().nullable(),
  merkleRoot: Hex32.nullable(),
  /** Element-level changes of the draft against its base (imports and edits together). */
  changes: z.object({ added: z.number(), removed: z.number(), modified: z.number() }).nullable(),
  /** The edits made in this draft, oldest first (undone ones last, in redo order reversed). */
  edits: z.array(EditEntry),
  canUndo: z.boolean(),
  canRedo: z.boolean(),
  /** What undo and redo would do, in words. */
  undoLabel: z.string().nullable(),
  redoLabel: z.string().nullable(),
});
export type DraftState = z.infer<typeof DraftState>;

export const EditResult = z.object({
  draft: DraftState,
  /** The element as it is in the draft after the edit (null when an undo/redo touched none). */
  elementKey: Hex32.nullable(),
  stateHash: Hex32.nullable(),
});
export type EditResult = z.infer<typeof EditResult>;

export const editMethods = {
  /** Applies one edit to the twin's draft (made from the head when there is none). Needs EDITOR. */
  'edits.apply': defineMethod(
    z.object({ twinId: TwinId, element: ElementRef, edit: EditOp }).strict(),
    EditResult,
  ),
  /** Undoes the draft's latest edit. Needs EDITOR. */
  'edits.undo': defineMethod(z.object({ twinId: TwinId }).strict(), EditResult),
  /** Applies the latest undone edit again. Needs EDITOR. */
  'edits.redo': defineMethod(z.object({ twinId: TwinId }).strict(), EditResult),
  /** The twin's draft and its edit stack. */
  'edits.draft': defineMethod(z.object({ twinId: TwinId }).strict(), DraftState),
  /** The status of every element of a version (default: as `twins.*` picks) that has one; others are in service. */
  'edits.statuses': defineMethod(
    z.object({ twinId: TwinId, versionId: z.number().int().positive().optional() }).strict(),
    z.object({ statuses: z.record(z.string(), ElementStatus) }),
  ),
};

export const editEvents = {
  /** A twin's draft changed: an edit, undo or redo (also from another window). */
  'edits.changed': defineEvent(DraftState),
};
