// Sync as the app sees it: chain reachability, how far the indexer is behind the head, the outbox's
// counts, sandbox seeding progress and the last error; and what the active identity may do on a
// twin (roles from the indexed grants, judged at the chain's time, with the reason when not).
import { z } from 'zod';
import { defineEvent, defineMethod } from './define';

const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const TwinId = z.string().min(1).max(64);

export const SyncRole = z.enum(['ADMIN', 'EDITOR', 'MAINTAINER', 'VIEWER', 'SENSOR']);
export type SyncRole = z.infer<typeof SyncRole>;

export const IndexerState = z.enum(['stopped', 'waiting', 'catching-up', 'idle', 'offline', 'error']);
export type IndexerState = z.infer<typeof IndexerState>;

export const SeedingState = z.enum(['off', 'pending', 'running', 'done', 'failed']);

export const OutboxCounts = z.object({
  queued: z.number().int().nonnegative(),
  sent: z.number().int().nonnegative(),
  confirmed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  conflict: z.number().int().nonnegative(),
});
export type OutboxCounts = z.infer<typeof OutboxCounts>;

export const SyncStatus = z.object({
  /** The chain answers (sandbox started, or the network endpoint reachable). */
  online: z.boolean(),
  mode: z.enum(['sandbox', 'network']),
  indexer: IndexerState,
  /** The chain's head block, when known. */
  head: z.number().int().nonnegative().nullable(),
  /** Last block whose events are all in the local index. */
  cursor: z.number().int().nullable(),
  /** Blocks the index is behind the head (confirmation depth included). */
  lag: z.number().int().nonnegative().nullable(),
  confirmations: z.number().int().nonnegative(),
  indexedEvents: z.number().int().nonnegative(),
  lastIndexedAt: z.number().nullable(),
  deployment: z
    .object({ chainId: z.number().int(), registry: Address, startBlock: z.number().int() })
    .nullable(),
  seeding: z.object({
    state: SeedingState,
    /** What seeding is doing now, in words ("Deploying the registry"...). */
    step: z.string().nullable(),
    error: z.string().nullable(),
  }),
  /** Filled in by the outbox; null until it reports. */
  outbox: OutboxCounts.nullable(),
  lastError: z.string().nullable(),
});
export type SyncStatus = z.infer<typeof SyncStatus>;

export const RolePermission = z.object({
  role: SyncRole,
  allowed: z.boolean(),
  /** 'owner': admin by owning the twin; 'grant': an indexed grant; 'local': the twin is not on chain. */
  source: z.enum(['owner', 'grant', 'local']).nullable(),
  /** Unix seconds from which a granted role no longer counts; null for no end (or no grant). */
  expiresAt: z.number().int().nullable(),
  /** Why not, in words ("Your EDITOR role on this twin ended on 2026-12-01."); null when allowed. */
  reason: z.string().nullable(),
});
export type RolePermission = z.infer<typeof RolePermission>;

export const TwinPermissions = z.object({
  twinId: TwinId,
  chainTwinId: z.string().nullable(),
  account: Address.nullable(),
  /** Chain time (Unix seconds) the roles were judged at. */
  chainTime: z.number().int().nullable(),
  roles: z.array(RolePermission),
  /** What the UI gates on. */
  may: z.object({
    edit: z.boolean(),
    logService: z.boolean(),
    view: z.boolean(),
    administer: z.boolean(),
    reportReadings: z.boolean(),
  }),
});
export type TwinPermissions = z.infer<typeof TwinPermissions>;

export const syncMethods = {
  'sync.status': defineMethod(z.object({}).strict(), SyncStatus),
  'sync.permissions': defineMethod(z.object({ twinId: TwinId }).strict(), TwinPermissions),
  /** Drops the chain index and indexes the chain again from the deployment's first block. */
  'sync.rebuildIndex': defineMethod(z.object({}).strict(), z.object({ started: z.boolean() })),
};

export const syncEvents = {
  'sync.statusChanged': defineEvent(SyncStatus),
  /** A twin's permissions for the active identity changed (grant, revoke, expiry, identity, time). */
  'sync.permissionsChanged': defineEvent(TwinPermissions),
};
