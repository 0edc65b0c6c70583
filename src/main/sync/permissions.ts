// What an identity may do on a twin, answered in main from the indexed role grants and judged at
// the chain's current time (the contract checks expiry at the moment of use, so must we). Other
// services call `assertAllowed` before every action; the UI gates on `forTwin` and its events.
import type { RolePermission, SyncRole, TwinPermissions } from '../../shared/api/sync';
import { AppError } from '../../shared/result';
import { TWIN_ROLES, type TwinRoleName } from '../../shared/eip712';
import type { ChainIndex, RoleGrant } from '../store/chain-index';

export const SYNC_ROLES: readonly SyncRole[] = ['ADMIN', 'EDITOR', 'MAINTAINER', 'VIEWER', 'SENSOR'];

const roleNumber = (role: SyncRole): number =>
  TWIN_ROLES[(role.charAt(0) + role.slice(1).toLowerCase()) as TwinRoleName];

/** A Unix time as a date people read ("2026-12-01"), with the time when it is not midnight UTC. */
export function formatChainDate(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export interface Identity {
  address: string;
  label: string;
}

export interface PermissionSources {
  index: ChainIndex;
  /** The identity whose permissions are asked when none is named (the vault's active one). */
  activeIdentity: () => Identity | null;
  /** The chain's time now (Unix seconds), or null when unknown (offline before any block). */
  chainTime: () => number | null;
}

/** Which chain twin a store twin is, or the chain twin itself when given as `{ chainTwinId }`. */
export type TwinRef = string | { chainTwinId: string };

export class Permissions {
  constructor(private readonly sources: PermissionSources) {}

  /** Every role of `account` (default: the active identity) on a twin, with reasons. */
  forTwin(twin: TwinRef, account?: Identity | null): TwinPermissions {
    const identity = account === undefined ? this.sources.activeIdentity() : account;
    const storeTwinId =
      typeof twin === 'string'
        ? twin
        : (this.sources.index.storeTwinOf(twin.chainTwinId) ?? twin.chainTwinId);
    const chainTwinId = typeof twin === 'string' ? this.sources.index.chainTwinOf(twin) : twin.chainTwinId;
    const now = this.sources.chainTime();
    const roles = SYNC_ROLES.map((role) => this.judge(role, chainTwinId, identity, now));
    const allowed = (role: SyncRole) => roles.find((r) => r.role === role)!.allowed;
    return {
      twinId: storeTwinId,
      chainTwinId,
      account: identity?.address ?? null,
      chainTime: now,
      roles,
      may: {
        edit: allowed('EDITOR'),
        logService: allowed('MAINTAINER'),
        // Reading a twin is open to anyone with a role on it (or its owner).
        view: roles.some((r) => r.allowed),
        administer: allowed('ADMIN'),
        reportReadings: allowed('SENSOR'),
      },
    };
  }

  /** The verdict on one role; `reason` says why not. */
  check(twin: TwinRef, role: SyncRole, account?: Identity | null): RolePermission {
    return this.forTwin(twin, account).roles.find((r) => r.role === role)!;
  }

  /** Throws FORBIDDEN with the reason unless the identity holds `role` on the twin now. */
  assertAllowed(twin: TwinRef, role: SyncRole, account?: Identity | null): void {
    const verdict = this.check(twin, role, account);
    if (!verdict.allowed)
      throw new AppError('FORBIDDEN', verdict.reason ?? `You lack the ${role} role on this twin.`);
  }

  /** The next chain time at which some grant of `account` on a linked twin ends (to re-judge then). */
  nextExpiry(after: number, account: string | null): number | null {
    if (!account) return null;
    return this.sources.index.nextExpiryOf(account, after);
  }

  private judge(
    role: SyncRole,
    chainTwinId: string | null,
    identity: Identity | null,
    now: number | null,
  ): RolePermission {
    const denied = (reason: string, grant?: RoleGrant): RolePermission => ({
      role,
      allowed: false,
      source: grant ? 'grant' : null,
      expiresAt: grant?.expiresAt ?? null,
      reason,
    });
    if (!identity) return denied('No active identity: create, import or choose one in the vault.');
    if (chainTwinId === null) {
      // A twin only this machine knows: its author may do everything until it is registered.
      return { role, allowed: true, source: 'local', expiresAt: null, reason: null };
    }
    const index = this.sources.index;
    const twin = index.twin(chainTwinId);
    if (!twin) {
      return denied(`Twin #${chainTwinId} is not in the local chain index yet; wait for sync to catch up.`);
    }
    if (role === 'ADMIN' && twin.owner.toLowerCase() === identity.address.toLowerCase()) {
      return { role, allowed: true, source: 'owner', expiresAt: null, reason: null };
    }
    const grant = index.grants(chainTwinId, identity.address).find((g) => g.role === roleNumber(role));
    if (grant) {
      if (grant.expiresAt === null)
        return { role, allowed: true, source: 'grant', expiresAt: null, reason: null };
      if (now === null) {
        return denied(
          `The chain's time is unknown (offline), so your ${role} role's end date cannot be checked.`,
          grant,
        );
      }
      // The contract: a grant is live while its end date is after the block's timestamp.
      if (grant.expiresAt > now)
        return { role, allowed: true, source: 'grant', expiresAt: grant.expiresAt, reason: null };
      return denied(`Your ${role} role on this twin ended on ${formatChainDate(grant.expiresAt)}.`, grant);
    }
    const removal = index.lastRemoval(chainTwinId, identity.address, roleNumber(role));
    if (removal?.name === 'RoleRevoked') {
      return denied(`Your ${role} role on this twin was revoked (block ${removal.blockNumber}).`);
    }
    if (removal?.name === 'EngagementEnded') {
      return denied(
        `Your engagement on this twin was ended (block ${removal.blockNumber}): you hold no role on it.`,
      );
    }
    return denied(`${identity.label} has no ${role} role on this twin.`);
  }
}
