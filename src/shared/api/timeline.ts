// The maintenance timeline: what happened to a twin and its elements, newest first: service logs
// (confirmed from the chain index, pending from the outbox), version commits and role changes, and
// the kinds the maintenance capability adds (work orders, sensor alerts, SLA events). Each entry
// names its element (to select it in 3D) and its transaction. Also "verified on chain": the proof
// that an element's state is in the chain's head version, checked through the contract.
import { z } from 'zod';
import { defineEvent, defineMethod } from './define';

const TwinId = z.string().min(1).max(64);
const Hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

/**
 * Every kind an entry may have. The first three come from the registry; the others are added by
 * providers of the maintenance capability (src/main/maintenance registers them with the timeline).
 */
export const TimelineKind = z.enum(['service', 'version', 'role', 'workOrder', 'sensorAlert', 'sla']);
export type TimelineKind = z.infer<typeof TimelineKind>;

/** pending: signed and waiting in the outbox; confirmed: on chain; failed: the chain said no. */
export const TimelineStatus = z.enum(['pending', 'confirmed', 'failed']);
export type TimelineStatus = z.infer<typeof TimelineStatus>;

export const TimelineEntry = z.object({
  /** Stable across refreshes: `service:tx:log`, `outbox:12`... */
  id: z.string(),
  kind: TimelineKind,
  status: TimelineStatus,
  /** When it happened (Unix seconds): the block's time, or when it was signed while pending. */
  at: z.number().int(),
  /** Who did it (the signer or the transaction's actor), and a label when the vault knows them. */
  actor: Address.nullable(),
  actorLabel: z.string().nullable(),
  /** One line: "Inspection logged", "Version 3 committed", "EDITOR granted to Demo planner". */
  title: z.string(),
  /** More words (notes, end date, the reason it failed); may be empty. */
  detail: z.string(),
  /** The element it is about, to select in 3D; null for twin-wide entries. */
  elementKey: Hex32.nullable(),
  globalId: z.string().nullable(),
  txHash: Hex32.nullable(),
  blockNumber: z.number().int().nullable(),
  /** The outbox item behind a pending (or failed) entry. */
  outboxItemId: z.number().int().nullable(),
  /** Small facts worth showing as label/value pairs (kind, attachments, version...). */
  facts: z.array(z.tuple([z.string(), z.string()])),
});
export type TimelineEntry = z.infer<typeof TimelineEntry>;

export const TimelineQuery = z
  .object({
    twinId: TwinId,
    /** Only entries about this element. */
    elementKey: Hex32.optional(),
    /** Only these kinds (default: every kind). */
    kinds: z.array(TimelineKind).max(16).optional(),
    /** Unix seconds, inclusive. */
    from: z.number().int().nonnegative().optional(),
    to: z.number().int().nonnegative().optional(),
    limit: z.number().int().min(1).max(5000).optional(),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: '"from" must not be after "to"',
    path: ['from'],
  });
export type TimelineQuery = z.infer<typeof TimelineQuery>;

/** The element proof against the chain: what the properties panel's badge shows. */
export const ElementVerification = z.object({
  /**
   * verified: the contract accepted the proof for the chain's head version;
   * local: the chain is unreachable, the proof was checked here against the indexed head root;
   * pending: the state shown is not on chain yet (draft, queued commit) or the twin is not registered;
   * behind: the chain's head version is not in this cache yet (sync to see it);
   * mismatch: the proof was refused: what is shown is NOT what the chain committed.
   */
  state: z.enum(['verified', 'local', 'pending', 'behind', 'mismatch']),
  /** One sentence for people. */
  message: z.string(),
  /** The chain version checked against and the block the check read (verified) or indexed (local). */
  chainVersion: z.number().int().nullable(),
  blockNumber: z.number().int().nullable(),
  stateHash: Hex32.nullable(),
  root: Hex32.nullable(),
  checkedAt: z.number(),
});
export type ElementVerification = z.infer<typeof ElementVerification>;

export const timelineMethods = {
  'timeline.list': defineMethod(
    TimelineQuery,
    z.object({
      entries: z.array(TimelineEntry),
      /** The kinds some provider can answer (the filters to offer). */
      kinds: z.array(TimelineKind),
      /** More entries matched than `limit`. */
      truncated: z.boolean(),
    }),
  ),
  /** Checks the element's state (in the version shown) against the chain's head version. */
  'timeline.verifyElement': defineMethod(
    z
      .object({
        twinId: TwinId,
        versionId: z.number().int().optional(),
        elementKey: Hex32,
      })
      .strict(),
    ElementVerification,
  ),
};

export const timelineEvents = {
  /** Something on a twin's timeline changed (null: any twin); ask again. */
  'timeline.changed': defineEvent(z.object({ twinId: TwinId.nullable() })),
};
