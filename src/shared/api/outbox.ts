// The outbox as the app sees it: work signed offline (version commits, service logs) waiting for the
// chain, each with its status (queued, sent with its transaction, confirmed in a block, failed with
// the reason in words, or in conflict with both sides field by field), and the requests that sign,
// retry, discard and resolve. `outbox.changed` carries the counts the status bar shows.
import { z } from 'zod';
import { defineEvent, defineMethod } from './define';
import { OutboxCounts } from './sync';

const TwinId = z.string().min(1).max(64);
const Hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const ItemId = z.number().int().positive();
const IdentityId = z.string().min(1).max(128);

export const OutboxStatus = z.enum(['queued', 'sent', 'confirmed', 'failed', 'conflict']);
export type OutboxStatus = z.infer<typeof OutboxStatus>;

export const OutboxKind = z.enum(['commitVersion', 'logService']);

/** One field of an element both sides changed: the values as canonical JSON text (null: absent). */
export const ConflictField = z.object({
  /**
   * `name`, `placement`, `propertySets.Pset_WallCommon.FireRating` (named as changesets name
   * properties: src/shared/property-paths.ts), or `(element)` for add/remove.
   */
  path: z.string(),
  base: z.string().nullable(),
  mine: z.string().nullable(),
  theirs: z.string().nullable(),
  /** Both sides changed it, differently: a choice is needed. Otherwise the side that changed it wins. */
  conflicting: z.boolean(),
});
export type ConflictField = z.infer<typeof ConflictField>;

export const ConflictView = z.object({
  /** The chain version the edit now has to build on, and who committed the versions in between. */
  theirsVersion: z.number().int(),
  theirsAuthors: z.array(z.string()),
  elements: z.array(
    z.object({
      elementKey: Hex32,
      globalId: z.string(),
      ifcClass: z.string(),
      name: z.string().nullable(),
      fields: z.array(ConflictField),
    }),
  ),
  /** Edits on elements the other side did not touch (rebased as they are when resolved). */
  untouchedEdits: z.number().int().nonnegative(),
  /** Why the other side's contents cannot be shown (package missing); null when they are here. */
  unavailable: z.string().nullable(),
});
export type ConflictView = z.infer<typeof ConflictView>;

export const OutboxItem = z.object({
  id: ItemId,
  kind: OutboxKind,
  status: OutboxStatus,
  twinId: TwinId,
  chainTwinId: z.string(),
  /** Commits: the store version signed. */
  versionId: z.number().int().nullable(),
  signer: z.string(),
  nonce: z.number().int().nonnegative(),
  /** Unix seconds after which the signature is void (the outbox signs again when it can). */
  deadline: z.number().int(),
  /** Commits: the chain version it builds on. */
  baseVersion: z.number().int().nullable(),
  digest: Hex32,
  txHash: Hex32.nullable(),
  blockNumber: z.number().int().nullable(),
  /** Why it failed, conflicts or waits, in words. */
  reason: z.string().nullable(),
  /** The decoded custom error (TwinMissingRole...), when the chain gave one. */
  reasonCode: z.string().nullable(),
  /** What was signed: a title line, then every field. */
  summary: z.string(),
  /** Service logs: what the user entered. */
  service: z
    .object({
      elementKey: Hex32,
      globalId: z.string().nullable(),
      kind: z.string(),
      notes: z.string(),
      attachments: z.array(z.object({ name: z.string(), sha256: z.string() })),
    })
    .nullable(),
  conflict: ConflictView.nullable(),
  /** It has to be signed again (nonce, deadline or base moved) and waits for the vault. */
  needsSignature: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type OutboxItem = z.infer<typeof OutboxItem>;

const ElementRef = z.union([
  z.object({ globalId: z.string().min(1).max(64) }).strict(),
  z.object({ elementKey: Hex32 }).strict(),
]);

export const outboxMethods = {
  'outbox.list': defineMethod(
    z
      .object({
        twinId: TwinId.optional(),
        status: z.array(OutboxStatus).optional(),
        limit: z.number().int().min(1).max(10_000).optional(),
      })
      .strict(),
    z.object({ items: z.array(OutboxItem), counts: OutboxCounts }),
  ),
  /** Signs a commit of the twin's draft (or a local version) and queues it; answers once it is durable. */
  'outbox.commitVersion': defineMethod(
    z
      .object({ twinId: TwinId, versionId: z.number().int().optional(), identityId: IdentityId.optional() })
      .strict(),
    OutboxItem,
  ),
  /** Signs a service log on an element and queues it. */
  'outbox.logService': defineMethod(
    z
      .object({
        twinId: TwinId,
        element: ElementRef,
        kind: z.string().min(1).max(31),
        notes: z.string().max(100_000),
        attachments: z
          .array(z.object({ name: z.string().min(1).max(256), sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
          .max(100),
        identityId: IdentityId.optional(),
      })
      .strict(),
    OutboxItem,
  ),
  /** Signs a failed or conflicting item again (fresh nonce and deadline) and queues it. */
  'outbox.retry': defineMethod(z.object({ itemId: ItemId }).strict(), OutboxItem),
  /** Drops a failed or conflicting item; a commit's version goes back to being a draft. */
  'outbox.discard': defineMethod(
    z.object({ itemId: ItemId }).strict(),
    z.object({ discarded: z.boolean(), draftVersionId: z.number().int().nullable() }),
  ),
  /** Resolves a conflict field by field (fields not named keep the side that changed them) and queues it. */
  'outbox.resolveConflict': defineMethod(
    z
      .object({
        itemId: ItemId,
        choices: z
          .array(
            z
              .object({ elementKey: Hex32, path: z.string().min(1), take: z.enum(['mine', 'theirs']) })
              .strict(),
          )
          .max(100_000),
      })
      .strict(),
    OutboxItem,
  ),
};

export const outboxEvents = {
  /** Items changed status (or were added, retried, discarded): the new counts and which items. */
  'outbox.changed': defineEvent(z.object({ counts: OutboxCounts, itemIds: z.array(ItemId) })),
};
