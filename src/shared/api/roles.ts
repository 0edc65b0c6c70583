// Roles on a twin as its admins manage them: the grants with their end dates (from the chain
// index), and grant, revoke and end-engagement transactions signed by the active identity in main.
import { z } from 'zod';
import { defineMethod } from './define';
import { SyncRole } from './sync';

const TwinId = z.string().min(1).max(64);
const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected an address (0x and 40 hex digits)');
const Hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);

export const RoleGrantView = z.object({
  account: Address,
  /** The vault's label for the account, when it knows it. */
  label: z.string().nullable(),
  role: SyncRole,
  /** Unix seconds from which the grant no longer counts; null for no end. */
  expiresAt: z.number().int().nullable(),
  /** Still counts at the chain's time now. */
  live: z.boolean(),
  grantedBy: Address,
  blockNumber: z.number().int(),
  txHash: Hex32,
});
export type RoleGrantView = z.infer<typeof RoleGrantView>;

export const TwinRoles = z.object({
  twinId: TwinId,
  chainTwinId: z.string().nullable(),
  /** The token owner: an admin by ownership, not by a grant (cannot be revoked). */
  owner: Address.nullable(),
  ownerLabel: z.string().nullable(),
  chainTime: z.number().int().nullable(),
  grants: z.array(RoleGrantView),
  /** The active identity may grant, revoke and end engagements; else `reason` says why not. */
  mayAdminister: z.boolean(),
  reason: z.string().nullable(),
});
export type TwinRoles = z.infer<typeof TwinRoles>;

export const RoleTransaction = z.object({
  txHash: Hex32,
  blockNumber: z.number().int(),
  /** What was done, in words. */
  summary: z.string(),
});
export type RoleTransaction = z.infer<typeof RoleTransaction>;

export const rolesMethods = {
  'roles.list': defineMethod(z.object({ twinId: TwinId }).strict(), TwinRoles),
  /** Grants (or re-dates) a role; `expiresAt` null means no end. Needs ADMIN; one transaction. */
  'roles.grant': defineMethod(
    z
      .object({
        twinId: TwinId,
        role: SyncRole,
        account: Address,
        expiresAt: z.number().int().positive().max(0xffffffffff).nullable(),
      })
      .strict(),
    RoleTransaction,
  ),
  'roles.revoke': defineMethod(
    z.object({ twinId: TwinId, role: SyncRole, account: Address }).strict(),
    RoleTransaction,
  ),
  /** Drops every role of the account on the twin in one transaction. */
  'roles.endEngagement': defineMethod(
    z.object({ twinId: TwinId, account: Address }).strict(),
    RoleTransaction,
  ),
};
