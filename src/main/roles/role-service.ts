// Roles on a twin for its admins: the grants with their end dates (from the chain index, judged at
// the chain's time), and grant / revoke / end-engagement as transactions the active identity signs
// in main (the vault) and sends through the chain main holds. The registry has no intent for these,
// so they need the chain online; main checks ADMIN before signing and the contract checks again.
import { getAddress, type ContractTransactionResponse } from 'ethers';
import type { RoleTransaction, TwinRoles } from '../../shared/api/roles';
import type { SyncRole } from '../../shared/api/sync';
import { TWIN_ROLES, type TwinRoleName } from '../../shared/eip712';
import { AppError } from '../../shared/result';
import type { Eip1193Provider } from '../chain/embedded-chain';
import { TwinRegistry__factory } from '../chain/generated/types/factories/TwinRegistry__factory';
import type { TwinRegistry } from '../chain/generated/types';
import type { SyncService } from '../sync/sync-service';
import { formatChainDate } from '../sync/permissions';
import { decodeIntentFailure, registryInterface } from '../sync/intents';
import { isUnreachable } from '../sync/relayer';
import { sendFromActiveIdentity } from '../sync/send-transaction';
import { revertData } from '../timeline/element-verification';
import type { Vault } from '../vault/vault';

const ROLE_BY_NUMBER: SyncRole[] = ['ADMIN', 'EDITOR', 'MAINTAINER', 'VIEWER', 'SENSOR'];
const roleNumber = (role: SyncRole): number =>
  TWIN_ROLES[(role.charAt(0) + role.slice(1).toLowerCase()) as TwinRoleName];

export interface RoleServiceOptions {
  sync: SyncService;
  /** The twin cache: an unknown twin is NOT_FOUND before anything else. */
  store: { getTwin(twinId: string): unknown };
  vault: Vault;
  chain: { provider(): Eip1193Provider | null; status(): { state: string } };
  /** Told after a role transaction was mined and indexed (timeline and permissions refresh). */
  onChanged?: (storeTwinId: string) => void;
}

export class RoleService {
  constructor(private readonly options: RoleServiceOptions) {}

  private labels(): Map<string, string> {
    return new Map(
      this.options.vault
        .list()
        .map((i) => [i.address.toLowerCase(), i.label.replace(/ \(public demo key\)$/, '')]),
    );
  }

  async list(twinId: string): Promise<TwinRoles> {
    const { sync } = this.options;
    const permissions = await sync.permissionsFor(twinId); // NOT_FOUND for an unknown twin
    const chainTwinId = permissions.chainTwinId;
    const labels = this.labels();
    const label = (address: string | null) => (address ? (labels.get(address.toLowerCase()) ?? null) : null);
    if (chainTwinId === null) {
      return {
        twinId,
        chainTwinId: null,
        owner: null,
        ownerLabel: null,
        chainTime: permissions.chainTime,
        grants: [],
        mayAdminister: false,
        reason:
          'This twin is not registered on chain yet: roles live on chain, so there is nothing to grant.',
      };
    }
    const twin = sync.index.twin(chainTwinId);
    const now = permissions.chainTime;
    const admin = permissions.roles.find((r) => r.role === 'ADMIN')!;
    const grants = sync.index
      .grants(chainTwinId)
      .filter((g) => ROLE_BY_NUMBER[g.role] !== undefined)
      .map((g) => ({
        account: getAddress(g.account),
        label: label(g.account),
        role: ROLE_BY_NUMBER[g.role]!,
        expiresAt: g.expiresAt,
        live: g.expiresAt === null || now === null || g.expiresAt > now,
        grantedBy: getAddress(g.grantedBy),
        blockNumber: g.blockNumber,
        txHash: g.txHash,
      }))
      .sort(
        (a, b) =>
          (a.label ?? a.account).localeCompare(b.label ?? b.account) ||
          ROLE_BY_NUMBER.indexOf(a.role) - ROLE_BY_NUMBER.indexOf(b.role),
      );
    return {
      twinId,
      chainTwinId,
      owner: twin ? getAddress(twin.owner) : null,
      ownerLabel: twin ? label(twin.owner) : null,
      chainTime: now,
      grants,
      mayAdminister: admin.allowed,
      reason: admin.allowed
        ? null
        : `Only admins manage roles. ${admin.reason ?? 'You are not an admin of this twin.'}`,
    };
  }

  async grant(request: {
    twinId: string;
    role: SyncRole;
    account: string;
    expiresAt: number | null;
  }): Promise<RoleTransaction> {
    const account = getAddress(request.account);
    const chainTwinId = await this.prepare(request.twinId);
    const now = this.options.sync.chainTime();
    if (request.expiresAt !== null && now !== null && request.expiresAt <= now) {
      throw new AppError(
        'BAD_REQUEST',
        `The end date ${formatChainDate(request.expiresAt)} is not in the future (the chain's time is ${formatChainDate(now)}).`,
      );
    }
    const name = this.labels().get(account.toLowerCase()) ?? account;
    const until =
      request.expiresAt === null ? 'with no end date' : `until ${formatChainDate(request.expiresAt)}`;
    return this.send(
      request.twinId,
      (registry) =>
        registry.grantRole(BigInt(chainTwinId), roleNumber(request.role), account, request.expiresAt ?? 0),
      `${request.role} granted to ${name} ${until}`,
    );
  }

  async revoke(request: { twinId: string; role: SyncRole; account: string }): Promise<RoleTransaction> {
    const account = getAddress(request.account);
    const chainTwinId = await this.prepare(request.twinId);
    const held = this.options.sync.index
      .grants(chainTwinId, account)
      .some((g) => g.role === roleNumber(request.role));
    const name = this.labels().get(account.toLowerCase()) ?? account;
    if (!held)
      throw new AppError('CONFLICT', `${name} holds no ${request.role} role on this twin to revoke.`);
    return this.send(
      request.twinId,
      (registry) => registry.revokeRole(BigInt(chainTwinId), roleNumber(request.role), account),
      `${request.role} revoked from ${name}`,
    );
  }

  async endEngagement(request: { twinId: string; account: string }): Promise<RoleTransaction> {
    const account = getAddress(request.account);
    const active = this.options.vault.activeIdentity();
    // An account may end its own engagement; anyone else's needs ADMIN (checked in prepare).
    const own = active !== null && getAddress(active.address) === account;
    const chainTwinId = await this.prepare(request.twinId, own);
    const name = this.labels().get(account.toLowerCase()) ?? account;
    return this.send(
      request.twinId,
      (registry) => registry.endEngagement(BigInt(chainTwinId), account),
      `Engagement of ${name} ended: every role dropped`,
    );
  }

  /** The chain twin, after checking the identity may administer it and the chain can take a tx. */
  private async prepare(twinId: string, selfService = false): Promise<string> {
    const { sync } = this.options;
    this.options.store.getTwin(twinId);
    const chainTwinId = sync.index.chainTwinOf(twinId);
    if (chainTwinId === null) {
      throw new AppError('CONFLICT', 'This twin is not registered on chain yet: roles live on chain.');
    }
    if (!selfService) await sync.assertAllowed(twinId, 'ADMIN');
    const seeding = sync.status().seeding.state;
    if (seeding === 'pending' || seeding === 'running') {
      throw new AppError('UNAVAILABLE', 'The sandbox is still being prepared: try again in a moment.');
    }
    return chainTwinId;
  }

  private async send(
    storeTwinId: string,
    action: (registry: TwinRegistry) => Promise<ContractTransactionResponse>,
    summary: string,
  ): Promise<RoleTransaction> {
    const { sync, chain, vault } = this.options;
    const provider = chain.provider();
    const deployment = sync.deployment.get();
    if (!provider || !deployment || chain.status().state !== 'ready') {
      throw new AppError(
        'UNAVAILABLE',
        'The chain is offline: roles change by a transaction, which needs the chain. Try again once it is back.',
      );
    }
    const receipt = await sendFromActiveIdentity({
      sync,
      vault,
      provider,
      chainId: deployment.chainId,
      connect: (signer) => TwinRegistry__factory.connect(deployment.registry, signer),
      send: action,
      explain: roleError,
      revertedWithoutReason: 'The registry reverted the transaction without a reason.',
    });
    this.options.onChanged?.(storeTwinId);
    return { txHash: receipt.hash, blockNumber: receipt.blockNumber, summary };
  }
}

/** A failed role transaction as an AppError in words (the decoded custom error). */
export function roleError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isUnreachable(error)) {
    return new AppError(
      'UNAVAILABLE',
      'The chain could not be reached: nothing was changed. Try again once it is back.',
    );
  }
  const data = revertData(error) ?? revertData((error as { error?: unknown }).error);
  if (data) {
    let parsed: ReturnType<typeof registryInterface.parseError>;
    try {
      parsed = registryInterface.parseError(data);
    } catch {
      parsed = null;
    }
    switch (parsed?.name) {
      case 'TwinRoleExpiryInPast':
        return new AppError(
          'BAD_REQUEST',
          `The registry refused it: the end date ${formatChainDate(Number(parsed.args[0]))} has already passed on chain.`,
        );
      case 'TwinRoleAccountZero':
        return new AppError(
          'BAD_REQUEST',
          'The registry refused it: a role cannot be granted to the zero address.',
        );
      case 'TwinMissingRole':
        return new AppError(
          'FORBIDDEN',
          'The registry refused it: your identity is not an admin of this twin (its ADMIN role ended or was revoked).',
        );
      default:
        return new AppError('CONFLICT', `The registry refused it: ${decodeIntentFailure(data).reason}.`);
    }
  }
  const message =
    (error as { shortMessage?: unknown; message?: unknown }).shortMessage ?? (error as Error).message;
  return new AppError('CONFLICT', `The transaction failed: ${String(message)}`);
}
