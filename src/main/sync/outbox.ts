// The outbox service: turns a committed version or a service log into a signed intent (vault,
// EIP-712, the signer's nonce lane for the twin, a deadline) and stores it durably before answering
// "queued"; runs the relayer; signs again when a nonce, deadline or base moved (rebasing edits the
// other side did not touch, raising a conflict for the ones it did); and keeps the user's work when
// the chain says no: a refused commit goes back to being a draft, with the reason in words.
import { getAddress, keccak256, toUtf8Bytes, type BrowserProvider } from 'ethers';
import { join } from 'node:path';
import type { ConflictView, OutboxItem, OutboxStatus } from '../../shared/api/outbox';
import type { OutboxCounts } from '../../shared/api/sync';
import { canonicalJson } from '../../shared/canonical';
import { elementKeyOf } from '../../shared/fingerprint';
import { AppError } from '../../shared/result';
import type { Eip1193Provider } from '../chain/embedded-chain';
import { createEthersProvider } from '../chain/ethers';
import type { EventBus } from '../services/events';
import type { Logger } from '../services/logger';
import {
  OutboxStore,
  type ItemOutcome,
  type OutboxItemRow,
  type Resigned,
  type VersionLeaf,
} from '../store/outbox';
import type { TwinStore } from '../store/twin-store';
import type { Vault } from '../vault/vault';
import { ConflictResolver, MissingChoice, type ChainVersionInfo } from './conflicts';
import {
  commitMessageFrom,
  logMessageFrom,
  serviceKindBytes,
  signCommitVersion,
  signLogService,
  type IntentTarget,
  type SignedIntent,
} from './intents';
import { sandboxRelayerWallet } from './deployment';
import { PackageStore } from './outbox-packages';
import {
  ChainReader,
  isUnreachable,
  Relayer,
  type RelayerAccount,
  type RelayerOptions,
  type RelayTarget,
} from './relayer';

export interface OutboxServiceOptions {
  store: TwinStore;
  vault: Vault;
  /** The chain now (null while it starts or when there is none). */
  provider: () => Eip1193Provider | null;
  /** The registry now; known offline too (from the deployment manifest). */
  target: () => RelayTarget | null;
  /** Who pays gas for batches (sandbox: the seeded relayer; network: the active identity). */
  relayerAccount: () => RelayerAccount | null;
  /** Where packages are written (first) and read (all). Default: `<dataDir>/packages`. */
  packageDirs: string[];
  /** Told after every change of items (durable first). */
  onChange?: (counts: OutboxCounts, itemIds: number[]) => void;
  /** Told when store versions changed (twins.changed). */
  onTwinChanged?: (storeTwinId: string) => void;
  logger: Logger;
  /**
   * Re-checks, before signing, that the identity holds the role from what the index knows (throws
   * FORBIDDEN with the reason); the chain checks again when the intent is relayed.
   */
  assertAllowed?: (
    storeTwinId: string,
    role: 'EDITOR' | 'MAINTAINER',
    account: { address: string; label: string },
  ) => Promise<void>;
  /** Validity of a signature (default 30 days). */
  deadlineSeconds?: number;
  relayer?: Partial<
    Pick<
      RelayerOptions,
      'confirmations' | 'maxBatch' | 'receiptPollMs' | 'stuckAfterMs' | 'backoffMs' | 'idleMs' | 'maxLogRange'
    >
  >;
}

export interface ServiceLogRequest {
  twinId: string;
  element: { globalId: string } | { elementKey: string };
  kind: string;
  notes: string;
  attachments: { name: string; sha256: string }[];
  identityId?: string;
}

const DEFAULT_DEADLINE = 30 * 24 * 3600;
const WAITING_FOR_VAULT = 'waiting for the vault to be unlocked to sign it again';

export function outboxPackageDir(dataDir: string): string {
  return join(dataDir, 'packages');
}

export class OutboxService {
  readonly outbox: OutboxStore;
  readonly relayer: Relayer;
  readonly packages: PackageStore;
  private readonly conflicts: ConflictResolver;
  private queue: Promise<unknown> = Promise.resolve();
  private changedItems = new Set<number>();
  private changedTwins = new Set<string>();
  private closed = false;

  constructor(private readonly options: OutboxServiceOptions) {
    this.outbox = new OutboxStore(options.store.db);
    this.packages = new PackageStore(options.packageDirs);
    this.conflicts = new ConflictResolver(this.outbox, this.packages);
    this.relayer = new Relayer({
      store: this.outbox,
      provider: options.provider,
      target: options.target,
      account: options.relayerAccount,
      logger: options.logger,
      ...options.relayer,
      hooks: {
        onSettled: (outcomes) => this.settled(outcomes),
        resign: (item, want) => this.exclusive(() => this.signAgain(item, want)),
        onChange: (itemIds) => {
          for (const id of itemIds ?? []) this.changedItems.add(id);
          this.flush();
        },
        onReorged: (items) => {
          for (const item of items) {
            this.changedItems.add(item.id);
            this.changedTwins.add(item.storeTwinId);
            if (item.kind === 'commitVersion' && item.versionId !== null)
              this.outbox.setVersionStatus(item.versionId, 'queued');
          }
        },
      },
    });
  }

  start(): void {
    this.relayer.start();
  }

  /** Look for work now: new items, the chain back, the vault unlocked. */
  wake(): void {
    this.relayer.wake();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.relayer.stop();
    await this.queue.catch(() => undefined);
  }

  counts(): OutboxCounts {
    return this.outbox.counts();
  }

  list(filter: { twinId?: string; status?: OutboxStatus[]; limit?: number } = {}): {
    items: OutboxItem[];
    counts: OutboxCounts;
  } {
    const items = this.outbox.items({
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.twinId ? { storeTwinId: filter.twinId } : {}),
      ...(filter.limit ? { limit: filter.limit } : {}),
    });
    return { items: items.map(toView), counts: this.counts() };
  }

  get(itemId: number): OutboxItem {
    return toView(this.require(itemId));
  }

  /** Resolves once nothing is queued or sent (or the timeout passes); for tests and benches. */
  async drained(timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const counts = this.counts();
      if (counts.queued + counts.sent === 0) return;
      this.wake();
      await new Promise((done) => setTimeout(done, 20));
    }
    throw new Error(`The outbox did not drain in ${timeoutMs} ms: ${JSON.stringify(this.counts())}.`);
  }

  // ---- signing new work ------------------------------------------------------------------------

  /** Signs a commit of a draft (or a locally committed version) and queues it, durably. */
  commitVersion(request: { twinId: string; versionId?: number; identityId?: string }): Promise<OutboxItem> {
    return this.exclusive(async () => {
      const target = this.requireTarget();
      const twin = this.options.store.getTwin(request.twinId);
      const chainTwinId = this.requireChainTwin(request.twinId);
      const versionId = request.versionId ?? twin.draft?.id ?? twin.head?.id;
      if (versionId === undefined) throw new AppError('NOT_FOUND', 'This twin has no version to commit.');
      const version = this.outbox.version(versionId);
      if (!version || version.twinId !== request.twinId)
        throw new AppError('NOT_FOUND', `Twin ${request.twinId} has no version ${versionId}.`);
      const existing = this.outbox.pendingItemOfVersion(versionId);
      if (existing && existing.status !== 'failed') return toView(existing);
      if (version.status !== 'draft' && version.status !== 'local') {
        throw new AppError('CONFLICT', `Version ${version.seq} is already ${version.status}.`);
      }
      if (version.status === 'draft' && version.baseVersionId !== this.outbox.twinHead(request.twinId)) {
        throw new AppError(
          'CONFLICT',
          'The draft was made against an older version of this twin; import it again to review it.',
        );
      }
      const signer = this.signerAddress(request.identityId);
      await this.options.assertAllowed?.(request.twinId, 'EDITOR', {
        address: signer,
        label: this.labelOf(signer),
      });
      const base = await this.baseOf(chainTwinId, version.baseVersionId);
      const nonce = await this.nextNonce(signer, chainTwinId);
      const clock = await this.clock();
      const pkg = this.packages.publish(this.outbox, version.id, version.baseVersionId);
      const signed = await this.sign(
        {
          kind: 'commitVersion',
          message: {
            signer,
            twinId: chainTwinId,
            baseVersion: String(base.baseVersion),
            modelRoot: version.merkleRoot,
            changesetHash: pkg.hash,
            packageUri: pkg.uri,
            nonce: String(nonce),
            deadline: String(clock.time + this.deadlineSeconds),
          },
          title: `Commit version ${base.baseVersion + 1} of "${twin.name}" (on top of version ${base.baseVersion})`,
        },
        target,
        request.identityId,
      );
      const item = this.outbox.transaction(() => {
        const now = this.outbox.version(versionId)!;
        if (now.status === 'draft') this.options.store.commitDraft(request.twinId, versionId);
        else if (now.status !== 'local')
          throw new AppError('CONFLICT', `Version ${now.seq} changed meanwhile.`);
        this.outbox.setVersionStatus(versionId, 'queued');
        if (existing) this.outbox.deleteItem(existing.id);
        return this.outbox.insertItem({
          kind: 'commitVersion',
          storeTwinId: request.twinId,
          chainTwinId,
          versionId,
          dependsOn: base.dependsOn,
          signer,
          identityId: this.identityIdOf(signer),
          nonce,
          deadline: clock.time + this.deadlineSeconds,
          baseVersion: base.baseVersion,
          message: signed.message,
          signature: signed.signature,
          digest: signed.digest,
          calldata: signed.calldata,
          summary: signed.summary,
          details: null,
          signedAtBlock: clock.block,
        });
      });
      this.changedItems.add(item.id);
      this.changedTwins.add(request.twinId);
      this.flush();
      this.wake();
      return toView(item);
    });
  }

  /** Signs a service log on an element and queues it, durably. */
  logService(request: ServiceLogRequest): Promise<OutboxItem> {
    return this.exclusive(async () => {
      const target = this.requireTarget();
      const twin = this.options.store.getTwin(request.twinId);
      const chainTwinId = this.requireChainTwin(request.twinId);
      const elementKey =
        'elementKey' in request.element
          ? request.element.elementKey.toLowerCase()
          : elementKeyOf(request.element.globalId);
      let globalId = 'globalId' in request.element ? request.element.globalId : null;
      if (!globalId) {
        try {
          globalId = this.options.store.getElement(request.twinId, undefined, elementKey).globalId;
        } catch {
          globalId = null;
        }
      }
      const kind = serviceKindBytes(request.kind);
      const signer = this.signerAddress(request.identityId);
      await this.options.assertAllowed?.(request.twinId, 'MAINTAINER', {
        address: signer,
        label: this.labelOf(signer),
      });
      const nonce = await this.nextNonce(signer, chainTwinId);
      const clock = await this.clock();
      const report = {
        elementKey,
        globalId,
        kind: request.kind,
        notes: request.notes,
        attachments: request.attachments,
      };
      const reportHash = keccak256(toUtf8Bytes(canonicalJson(report)));
      const signed = await this.sign(
        {
          kind: 'logService',
          message: {
            signer,
            twinId: chainTwinId,
            elementKey,
            kind,
            reportHash,
            uri: `twinledger:report/keccak256/${reportHash.slice(2)}`,
            nonce: String(nonce),
            deadline: String(clock.time + this.deadlineSeconds),
          },
          title: `Log "${request.kind}" on ${globalId ?? elementKey} of "${twin.name}"`,
        },
        target,
        request.identityId,
      );
      const item = this.outbox.insertItem({
        kind: 'logService',
        storeTwinId: request.twinId,
        chainTwinId,
        versionId: null,
        dependsOn: null,
        signer,
        identityId: this.identityIdOf(signer),
        nonce,
        deadline: clock.time + this.deadlineSeconds,
        baseVersion: null,
        message: signed.message,
        signature: signed.signature,
        digest: signed.digest,
        calldata: signed.calldata,
        summary: signed.summary,
        details: report,
        signedAtBlock: clock.block,
      });
      this.changedItems.add(item.id);
      this.flush();
      this.wake();
      return toView(item);
    });
  }

  // ---- the user's decisions --------------------------------------------------------------------

  /** Signs a failed or conflicting item again with a fresh nonce and deadline, and queues it. */
  retry(itemId: number): Promise<OutboxItem> {
    return this.exclusive(async () => {
      const item = this.require(itemId);
      if (
        item.status !== 'failed' &&
        item.status !== 'conflict' &&
        !(item.status === 'queued' && item.needsResign)
      ) {
        throw new AppError(
          'CONFLICT',
          `Item ${itemId} is ${item.status}: only failed or conflicting items are retried.`,
        );
      }
      if (item.status === 'conflict' && item.kind === 'commitVersion') {
        throw new AppError(
          'CONFLICT',
          'Resolve the conflict (mine or theirs per field) before sending it again.',
        );
      }
      // A role revoked or ended since the item failed would only fail on chain again: say so now.
      await this.options.assertAllowed?.(
        item.storeTwinId,
        item.kind === 'commitVersion' ? 'EDITOR' : 'MAINTAINER',
        {
          address: item.signer,
          label: this.labelOf(item.signer),
        },
      );
      if (item.kind === 'commitVersion' && item.versionId !== null) {
        const version = this.outbox.version(item.versionId);
        if (version?.status === 'draft') {
          if (version.baseVersionId !== this.outbox.twinHead(item.storeTwinId)) {
            throw new AppError(
              'CONFLICT',
              'The twin moved on since this draft was made; import it again to review it.',
            );
          }
          this.outbox.transaction(() => {
            this.options.store.commitDraft(item.storeTwinId, version.id);
            this.outbox.setVersionStatus(version.id, 'queued');
          });
          this.changedTwins.add(item.storeTwinId);
        }
      }
      const nonce = await this.nextNonce(item.signer, item.chainTwinId, item.id);
      const clock = await this.clock();
      const ok = await this.signAgain(item, { nonce, chainTime: clock.time }, true);
      if (!ok)
        throw new AppError('FORBIDDEN', this.require(itemId).reason ?? 'It could not be signed again.');
      this.changedItems.add(itemId);
      this.flush();
      this.wake();
      return this.get(itemId);
    });
  }

  /** Drops a failed or conflicting item; a commit's version becomes the twin's draft again. */
  discard(itemId: number): Promise<{ discarded: boolean; draftVersionId: number | null }> {
    return this.exclusive(async () => {
      const item = this.require(itemId);
      if (item.status !== 'failed' && item.status !== 'conflict') {
        throw new AppError(
          'CONFLICT',
          `Item ${itemId} is ${item.status}: only failed or conflicting items can be discarded.`,
        );
      }
      let draftVersionId: number | null = null;
      this.outbox.transaction(() => {
        if (item.kind === 'commitVersion' && item.versionId !== null)
          draftVersionId = this.restoreDraft(item) ? item.versionId : null;
        this.outbox.deleteItem(item.id);
      });
      this.changedItems.add(itemId);
      this.changedTwins.add(item.storeTwinId);
      this.flush();
      return { discarded: true, draftVersionId };
    });
  }

  /** Applies mine/theirs per conflicting field, rebases the result and queues it signed again. */
  resolveConflict(
    itemId: number,
    choices: { elementKey: string; path: string; take: 'mine' | 'theirs' }[],
  ): Promise<OutboxItem> {
    return this.exclusive(async () => {
      const item = this.require(itemId);
      if (item.status !== 'conflict' || item.kind !== 'commitVersion') {
        throw new AppError('CONFLICT', `Item ${itemId} is not a conflict to resolve.`);
      }
      const reader = this.reader();
      if (!reader)
        throw new AppError('UNAVAILABLE', 'The chain cannot be reached: resolve the conflict once it can.');
      const map = new Map(choices.map((c) => [`${c.elementKey.toLowerCase()}/${c.path}`, c.take]));
      const nonce = await this.nextNonce(item.signer, item.chainTwinId, item.id);
      const clock = await this.clock();
      await this.rebaseItem(item, reader, { nonce, chainTime: clock.time }, map, true);
      const after = this.require(itemId);
      if (after.status === 'conflict')
        throw new AppError('CONFLICT', after.reason ?? 'The conflict is not resolved.');
      this.changedItems.add(itemId);
      this.flush();
      this.wake();
      return toView(after);
    });
  }

  // ---- relayer hooks ---------------------------------------------------------------------------

  /** Inside the transaction that settles a batch: the store versions follow their items. */
  private settled(outcomes: readonly ItemOutcome[]): void {
    for (const outcome of outcomes) {
      const item = this.outbox.item(outcome.itemId);
      if (!item) continue;
      this.changedItems.add(item.id);
      if (item.kind !== 'commitVersion' || item.versionId === null) continue;
      this.changedTwins.add(item.storeTwinId);
      if (outcome.kind === 'confirmed') {
        this.outbox.setVersionStatus(item.versionId, 'confirmed');
      } else if (outcome.kind === 'failed') {
        this.restoreDraft(item);
        for (const dependent of this.outbox.dependents(item.id)) {
          if (dependent.status !== 'queued') continue;
          this.outbox.setStatus(dependent.id, 'failed', {
            reason: `it builds on a commit that did not reach the chain (${outcome.reason})`,
            reasonCode: 'BaseFailed',
          });
          this.changedItems.add(dependent.id);
        }
      } else if (outcome.kind === 'conflict') {
        this.outbox.setVersionStatus(item.versionId, 'local');
      }
    }
  }

  /** A refused commit's version becomes the twin's draft again when nothing builds on it. */
  private restoreDraft(item: OutboxItemRow): boolean {
    const version = item.versionId === null ? null : this.outbox.version(item.versionId);
    if (!version) return false;
    if (version.status === 'draft') return true;
    const head = this.outbox.twinHead(item.storeTwinId);
    const hasDependents = this.outbox.dependents(item.id).some((d) => d.status !== 'failed');
    if (head === version.id && !hasDependents && !this.outbox.draftOf(item.storeTwinId)) {
      this.outbox.setVersionStatus(version.id, 'draft');
      this.outbox.setTwinHead(item.storeTwinId, version.baseVersionId);
      return true;
    }
    this.outbox.setVersionStatus(version.id, 'local');
    return false;
  }

  /**
   * Signs an item again for the relayer (nonce, deadline) or rebases it when its base moved. Answers
   * false when that cannot happen now; the item then says why.
   */
  private async signAgain(
    item: OutboxItemRow,
    want: { nonce: number; chainTime: number },
    fromUser = false,
  ): Promise<boolean> {
    const current = this.outbox.item(item.id);
    if (!current || (current.status !== 'queued' && !fromUser)) return false;
    try {
      if (
        current.kind === 'commitVersion' &&
        current.reasonCode === 'TwinVersionBaseMismatch' &&
        current.needsResign
      ) {
        const reader = this.reader();
        if (!reader) return false;
        await this.rebaseItem(current, reader, want, new Map());
        return this.outbox.item(item.id)?.status === 'queued';
      }
      const target = this.requireTarget();
      const message: Record<string, string> = {
        ...current.message,
        nonce: String(want.nonce),
        deadline: String(want.chainTime + this.deadlineSeconds),
      };
      if (current.kind === 'commitVersion' && current.dependsOn !== null) {
        // The base may have been rebased meanwhile: sign on top of where it lands now.
        const base = this.outbox.item(current.dependsOn);
        if (base && base.baseVersion !== null) message.baseVersion = String(base.baseVersion + 1);
      }
      const title =
        current.kind === 'commitVersion'
          ? `Commit version ${Number(message.baseVersion) + 1} of "${this.options.store.getTwin(current.storeTwinId).name}" (on top of version ${message.baseVersion})`
          : current.summary.split('\n')[0]!;
      const signed = await this.sign(
        { kind: current.kind, message, title },
        target,
        current.identityId ?? undefined,
      );
      this.outbox.resign(current.id, {
        nonce: want.nonce,
        deadline: want.chainTime + this.deadlineSeconds,
        baseVersion: current.kind === 'commitVersion' ? Number(message.baseVersion) : null,
        versionId: current.versionId,
        ...signedFields(signed),
        signedAtBlock: current.signedAtBlock,
      });
      this.changedItems.add(current.id);
      return true;
    } catch (error) {
      if (error instanceof AppError && error.code === 'FORBIDDEN') {
        // Said once, not on every look: the item waits until the vault is unlocked.
        if (current.needsResign && current.reason?.startsWith(WAITING_FOR_VAULT)) return false;
        this.outbox.setStatus(current.id, current.status, {
          reason: `${WAITING_FOR_VAULT} (${current.reason ?? 'its nonce or deadline changed'})`,
          reasonCode: current.reasonCode,
          needsResign: true,
          conflict: current.conflict,
        });
        this.changedItems.add(current.id);
        return false;
      }
      if (isUnreachable(error) || fromUser) throw error;
      // Never let one item stop the queue: it fails visibly, with the reason, and can be retried.
      this.options.logger.error(`outbox: item ${current.id} could not be signed again`, error);
      this.outbox.transaction(() => {
        this.outbox.setStatus(current.id, 'failed', {
          reason: `it could not be signed again (${(error as Error).message})`,
          reasonCode: 'ResignFailed',
        });
        this.settled([
          {
            itemId: current.id,
            kind: 'failed',
            reason: (error as Error).message,
            reasonCode: 'ResignFailed',
          },
        ]);
      });
      this.changedItems.add(current.id);
      return false;
    }
  }

  /**
   * Rebases a commit whose base moved: rebuilds the head from the other side's packages, replays
   * this commit's edits on it and signs the result; a conflict (or a missing package) is stored
   * with both sides for the user instead.
   */
  private async rebaseItem(
    item: OutboxItemRow,
    reader: ChainReader,
    want: { nonce: number; chainTime: number },
    choices: Map<string, 'mine' | 'theirs'>,
    resolving = false,
  ): Promise<void> {
    const version = this.outbox.version(item.versionId!);
    if (!version) throw new AppError('NOT_FOUND', `The version of outbox item ${item.id} is gone.`);
    const head = await reader.head(item.chainTwinId);
    const baseVersion = item.baseVersion ?? 0;
    if (head < baseVersion) {
      // The base itself is not on chain yet (a commit of ours still waiting): wait for it.
      this.outbox.setStatus(item.id, 'queued', {
        reason: 'waiting for the commit it builds on',
        reasonCode: null,
      });
      return;
    }
    const headRoot = head === 0 ? '' : await reader.versionRoot(item.chainTwinId, head);
    if (head > 0) this.outbox.learnChainVersion(item.chainTwinId, head, headRoot);
    const versions = await this.chainVersions(reader, item.chainTwinId, baseVersion + 1, head);
    const baseLeaves = version.baseVersionId === null ? [] : this.outbox.leaves(version.baseVersionId);
    const mineLeaves = this.outbox.leaves(version.id);
    const theirs = this.conflicts.theirs(item.storeTwinId, baseLeaves, baseVersion, head, headRoot, versions);
    const analysis = this.conflicts.analyse(baseLeaves, mineLeaves, theirs);
    const missing = analysis.view.elements
      .flatMap((e) => e.fields.filter((f) => f.conflicting).map((f) => ({ element: e, field: f })))
      .filter(({ element, field }) => !choices.has(`${element.elementKey.toLowerCase()}/${field.path}`));
    const unresolved = missing.length > 0;
    if (resolving && theirs.leaves && unresolved) {
      // Show the user the conflict as it stands now, and name what is left to choose.
      this.outbox.setStatus(item.id, 'conflict', {
        reason: item.reason,
        reasonCode: 'TwinVersionBaseMismatch',
        conflict: analysis.view,
      });
      const first = missing[0]!;
      throw new AppError(
        'BAD_REQUEST',
        `Choose mine or theirs for ${first.field.path} of ${first.element.name ?? first.element.globalId}` +
          (missing.length > 1 ? ` (and ${missing.length - 1} more fields).` : '.'),
      );
    }
    if (!theirs.leaves || unresolved) {
      const names = analysis.view.elements.slice(0, 3).map((e) => e.name ?? e.globalId);
      const reason = theirs.unavailable
        ? `version ${head} was committed first and ${theirs.unavailable}`
        : `version ${head} was committed first and changed the same ${analysis.conflicting === 1 ? 'element' : `${analysis.conflicting} elements`} (${names.join(', ')}${analysis.conflicting > 3 ? '…' : ''})`;
      this.outbox.transaction(() => {
        this.outbox.setStatus(item.id, 'conflict', {
          reason,
          reasonCode: 'TwinVersionBaseMismatch',
          conflict: analysis.view,
        });
        this.outbox.setVersionStatus(version.id, 'local');
      });
      this.changedItems.add(item.id);
      this.changedTwins.add(item.storeTwinId);
      return;
    }
    const target = this.requireTarget();
    let rebased;
    try {
      rebased = this.conflicts.rebase(
        item.storeTwinId,
        version.baseVersionId,
        baseLeaves,
        mineLeaves,
        { ...theirs, leaves: theirs.leaves },
        choices,
        version,
      );
    } catch (error) {
      if (error instanceof MissingChoice) throw new AppError('BAD_REQUEST', error.message);
      throw error;
    }
    const pkg = this.packages.publish(this.outbox, rebased.mergedVersionId, rebased.theirsVersionId);
    const twinName = this.options.store.getTwin(item.storeTwinId).name;
    let signed: SignedIntent;
    try {
      signed = await this.sign(
        {
          kind: 'commitVersion',
          message: {
            ...item.message,
            baseVersion: String(head),
            modelRoot: rebased.root,
            changesetHash: pkg.hash,
            packageUri: pkg.uri,
            nonce: String(want.nonce),
            deadline: String(want.chainTime + this.deadlineSeconds),
          },
          title: `Commit version ${head + 1} of "${twinName}" (rebased on version ${head})`,
        },
        target,
        item.identityId ?? undefined,
      );
    } catch (error) {
      // Unsigned: the rebased versions are dropped, the item waits for the vault as it was.
      this.outbox.transaction(() => this.outbox.deleteVersion(rebased.mergedVersionId));
      throw error;
    }
    this.outbox.transaction(() => {
      this.outbox.resign(item.id, {
        nonce: want.nonce,
        deadline: want.chainTime + this.deadlineSeconds,
        baseVersion: head,
        versionId: rebased.mergedVersionId,
        ...signedFields(signed),
        signedAtBlock: item.signedAtBlock,
      });
      this.outbox.setDependsOn(item.id, null);
      if (this.outbox.twinHead(item.storeTwinId) === version.id)
        this.outbox.setTwinHead(item.storeTwinId, rebased.mergedVersionId);
      // Commits built on the old version follow it onto the new one (signed again on their turn);
      // the old version stays only while a dependent in conflict still builds on it.
      const kept = this.rebaseDependents(item, version.id, mineLeaves, rebased.mergedVersionId);
      // The replaced version's edits live on in the rebased one.
      if (!kept) this.outbox.deleteVersion(version.id);
      else this.outbox.setVersionStatus(version.id, 'local');
    });
    this.options.logger.info(
      `outbox: commit ${item.id} rebased on version ${head} of twin ${item.chainTwinId}`,
    );
    this.changedItems.add(item.id);
    this.changedTwins.add(item.storeTwinId);
  }

  /**
   * Replays the commits chained on `parent` (whose version `oldVersionId` became `newVersionId`)
   * onto the new version, recursively. A dependent whose edits clash with what the new version
   * brought becomes a conflict built on the old version. Answers whether any dependent still builds
   * on the old version. Runs inside the caller's transaction.
   */
  private rebaseDependents(
    parent: OutboxItemRow,
    oldVersionId: number,
    oldLeaves: VersionLeaf[],
    newVersionId: number,
  ): boolean {
    let kept = false;
    const newVersion = this.outbox.version(newVersionId)!;
    const newLeaves = this.outbox.leaves(newVersionId);
    for (const dependent of this.outbox.dependents(parent.id)) {
      if (dependent.kind !== 'commitVersion' || dependent.versionId === null) continue;
      if (dependent.status !== 'queued' && dependent.status !== 'conflict') continue;
      const version = this.outbox.version(dependent.versionId);
      if (!version || version.baseVersionId !== oldVersionId) continue;
      const leaves = this.outbox.leaves(version.id);
      const theirs = {
        headVersion: 0,
        headRoot: newVersion.merkleRoot,
        authors: [],
        leaves: newLeaves,
        unavailable: null,
        newModels: [],
      };
      const analysis = this.conflicts.analyse(oldLeaves, leaves, theirs);
      if (analysis.conflicting > 0) {
        this.outbox.setStatus(dependent.id, 'conflict', {
          reason:
            'the commit it builds on was rebased, and the versions committed meanwhile changed the same elements',
          reasonCode: 'TwinVersionBaseMismatch',
          conflict: analysis.view,
        });
        this.outbox.setVersionStatus(version.id, 'local');
        this.changedItems.add(dependent.id);
        kept = true;
        continue;
      }
      const rebased = this.conflicts.rebase(
        dependent.storeTwinId,
        newVersionId,
        oldLeaves,
        leaves,
        theirs,
        new Map(),
        version,
      );
      const pkg = this.packages.publish(this.outbox, rebased.mergedVersionId, newVersionId);
      this.outbox.rewrite(dependent.id, {
        versionId: rebased.mergedVersionId,
        message: {
          ...dependent.message,
          modelRoot: rebased.root,
          changesetHash: pkg.hash,
          packageUri: pkg.uri,
        },
        reason: 'rebased with the commit it builds on',
      });
      if (this.outbox.twinHead(dependent.storeTwinId) === version.id)
        this.outbox.setTwinHead(dependent.storeTwinId, rebased.mergedVersionId);
      const keptBelow = this.rebaseDependents(dependent, version.id, leaves, rebased.mergedVersionId);
      if (!keptBelow) this.outbox.deleteVersion(version.id);
      else this.outbox.setVersionStatus(version.id, 'local');
      this.changedItems.add(dependent.id);
    }
    return kept;
  }

  private async chainVersions(
    reader: ChainReader,
    chainTwinId: string,
    from: number,
    to: number,
  ): Promise<Map<number, ChainVersionInfo>> {
    const out = new Map<number, ChainVersionInfo>();
    if (to < from) return out;
    const events = await reader.versionEvents(chainTwinId, 0);
    for (let v = from; v <= to; v++) {
      const event = events.get(v);
      if (event) out.set(v, { modelRoot: event.modelRoot, packageUri: event.packageUri, actor: event.actor });
    }
    return out;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private get deadlineSeconds(): number {
    return this.options.deadlineSeconds ?? DEFAULT_DEADLINE;
  }

  private reader(): ChainReader | null {
    const provider = this.options.provider();
    const target = this.options.target();
    if (!provider || !target) return null;
    return new ChainReader(provider, target, this.options.relayer?.maxLogRange ?? 2000);
  }

  private requireTarget(): IntentTarget {
    const target = this.options.target();
    if (!target)
      throw new AppError(
        'UNAVAILABLE',
        'The registry on this chain is not known yet: wait for the chain to start.',
      );
    return target;
  }

  private requireChainTwin(storeTwinId: string): string {
    const chainTwinId = this.outbox.chainTwinOf(storeTwinId);
    if (!chainTwinId) throw new AppError('CONFLICT', 'This twin is not registered on chain yet.');
    return chainTwinId;
  }

  private signerAddress(identityId: string | undefined): string {
    const identity = identityId
      ? this.options.vault.list().find((i) => i.id === identityId)
      : this.options.vault.activeIdentity();
    if (!identity) throw new AppError('NOT_FOUND', 'No identity to sign with: create, import or choose one.');
    return getAddress(identity.address);
  }

  private labelOf(address: string): string {
    return this.options.vault.list().find((i) => getAddress(i.address) === address)?.label ?? address;
  }

  private identityIdOf(address: string): string | null {
    return this.options.vault.list().find((i) => getAddress(i.address) === address)?.id ?? null;
  }

  /** The chain version a store version is, and the outbox item it waits for when not on chain yet. */
  private async baseOf(
    chainTwinId: string,
    baseVersionId: number | null,
  ): Promise<{ baseVersion: number; dependsOn: number | null }> {
    if (baseVersionId === null) return { baseVersion: 0, dependsOn: null };
    const base = this.outbox.version(baseVersionId)!;
    const item = this.outbox.pendingItemOfVersion(baseVersionId);
    if (item && item.baseVersion !== null) {
      if (item.status === 'failed' || item.status === 'conflict') {
        throw new AppError(
          'CONFLICT',
          `This version builds on version ${base.seq}, which has not reached the chain (${item.reason ?? item.status}).`,
        );
      }
      return { baseVersion: item.baseVersion + 1, dependsOn: item.status === 'confirmed' ? null : item.id };
    }
    const known = this.outbox.chainVersionOfRoot(chainTwinId, base.merkleRoot);
    if (known !== null) return { baseVersion: known, dependsOn: null };
    const reader = this.reader();
    if (reader) {
      try {
        const head = await reader.head(chainTwinId);
        for (let v = head; v >= Math.max(1, head - 64); v--) {
          const root = await reader.versionRoot(chainTwinId, v);
          this.outbox.learnChainVersion(chainTwinId, v, root);
          if (root === base.merkleRoot.toLowerCase()) return { baseVersion: v, dependsOn: null };
        }
      } catch (error) {
        if (!isUnreachable(error)) throw error;
      }
    }
    throw new AppError(
      'UNAVAILABLE',
      `Version ${base.seq} of this twin, which this commit builds on, is not known on chain here yet; connect once so it can be checked.`,
    );
  }

  /** The lane's next nonce: past every nonce the outbox holds and the chain's own count. */
  private async nextNonce(signer: string, chainTwinId: string, excludeItem?: number): Promise<number> {
    let chainNonce = this.outbox.lane(signer, chainTwinId) ?? 0;
    const reader = this.reader();
    if (reader) {
      try {
        chainNonce = await reader.intentNonce(signer, chainTwinId);
        this.outbox.setLane(signer, chainTwinId, chainNonce);
      } catch (error) {
        if (!isUnreachable(error)) throw error;
      }
    }
    const held = this.outbox
      .laneItems(signer, chainTwinId)
      .filter((i) => i.id !== excludeItem)
      .reduce((max, i) => Math.max(max, i.nonce + 1), 0);
    return Math.max(chainNonce, held);
  }

  /** The chain's time and head when it answers, the wall clock otherwise. */
  private async clock(): Promise<{ time: number; block: number | null }> {
    const reader = this.reader();
    if (reader) {
      try {
        const [time, block] = await Promise.all([reader.time(), reader.blockNumber()]);
        return { time: Math.max(time, Math.floor(Date.now() / 1000)), block };
      } catch (error) {
        if (!isUnreachable(error)) throw error;
      }
    }
    return { time: Math.floor(Date.now() / 1000), block: null };
  }

  private sign(
    intent: { kind: OutboxItemRow['kind']; message: Record<string, string>; title: string },
    target: IntentTarget,
    identityId: string | undefined,
  ): Promise<SignedIntent> {
    if (intent.kind === 'commitVersion')
      return signCommitVersion(
        this.options.vault,
        identityId,
        target,
        commitMessageFrom(intent.message),
        intent.title,
      );
    return signLogService(
      this.options.vault,
      identityId,
      target,
      logMessageFrom(intent.message),
      intent.title,
    );
  }

  private require(itemId: number): OutboxItemRow {
    const item = this.outbox.item(itemId);
    if (!item) throw new AppError('NOT_FOUND', `There is no outbox item ${itemId}.`);
    return item;
  }

  /** Tells listeners what changed, after it is durable. */
  private flush(): void {
    if (this.closed) return;
    const itemIds = [...this.changedItems];
    const twins = [...this.changedTwins];
    this.changedItems.clear();
    this.changedTwins.clear();
    this.options.onChange?.(this.counts(), itemIds);
    for (const twinId of twins) this.options.onTwinChanged?.(twinId);
  }

  /** One signing at a time: nonces are handed out in order, and a rebase never races a commit. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function signedFields(
  signed: SignedIntent,
): Pick<Resigned, 'message' | 'signature' | 'digest' | 'calldata' | 'summary'> {
  return {
    message: signed.message,
    signature: signed.signature,
    digest: signed.digest,
    calldata: signed.calldata,
    summary: signed.summary,
  };
}

export function toView(item: OutboxItemRow): OutboxItem {
  const details = item.details as {
    elementKey: string;
    globalId: string | null;
    kind: string;
    notes: string;
    attachments: { name: string; sha256: string }[];
  } | null;
  return {
    id: item.id,
    kind: item.kind,
    status: item.status,
    twinId: item.storeTwinId,
    chainTwinId: item.chainTwinId,
    versionId: item.versionId,
    signer: item.signer,
    nonce: item.nonce,
    deadline: item.deadline,
    baseVersion: item.baseVersion,
    digest: item.digest,
    txHash: item.status === 'sent' || item.status === 'confirmed' ? item.txHash : null,
    blockNumber: item.status === 'confirmed' ? item.blockNumber : null,
    reason: item.reason,
    reasonCode: item.reasonCode,
    summary: item.summary,
    service: details && item.kind === 'logService' ? details : null,
    conflict: item.status === 'conflict' ? ((item.conflict as ConflictView | null) ?? null) : null,
    needsSignature: item.needsResign,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
}

// ---- wiring into the service host ----------------------------------------------------------------

export interface HostOutboxOptions {
  dataDir: string;
  store: TwinStore;
  vault: Vault;
  chain: {
    provider(): Eip1193Provider | null;
    status(): { mode: 'sandbox' | 'network'; chainId: number | null };
  };
  /** The deployment sync found (sandbox seeding or the network manifest). */
  deployment: () => { chainId: number; registry: string; startBlock: number } | null;
  bus: EventBus;
  logger: Logger;
  /** The sync status shows the outbox's counts. */
  onCounts?: (counts: OutboxCounts) => void;
  /** Extra folders to read (and write) changeset packages: a shared team folder. */
  sharedPackageDirs?: string[];
  assertAllowed?: OutboxServiceOptions['assertAllowed'];
  /** Blocks until a confirmation is final (network mode's setting; the sandbox: 0). */
  confirmations?: () => number;
}

/** The outbox as the host runs it: relayer account by chain mode, events on the bus, wake-ups. */
export function createHostOutbox(options: HostOutboxOptions): {
  service: OutboxService;
  close: () => Promise<void>;
} {
  let ethers: { provider: Eip1193Provider; wrapped: BrowserProvider } | null = null;
  const ethersFor = (provider: Eip1193Provider, chainId: number): BrowserProvider => {
    if (ethers?.provider !== provider) {
      ethers?.wrapped.destroy();
      ethers = { provider, wrapped: createEthersProvider(provider, chainId) };
    }
    return ethers.wrapped;
  };
  const sandbox = options.chain.status().mode === 'sandbox';
  const service = new OutboxService({
    store: options.store,
    vault: options.vault,
    provider: () => options.chain.provider(),
    target: () => options.deployment(),
    relayerAccount: () => {
      const deployment = options.deployment();
      if (!deployment) return null;
      if (options.chain.status().mode === 'sandbox') return sandboxRelayerWallet();
      // Network mode: the active identity pays the gas of relaying its own (and queued) work.
      const provider = options.chain.provider();
      if (!provider) return null;
      try {
        return options.vault.connectedSigner(
          undefined,
          ethersFor(provider, deployment.chainId),
          deployment.chainId,
        );
      } catch {
        return null;
      }
    },
    packageDirs: [outboxPackageDir(options.dataDir), ...(options.sharedPackageDirs ?? [])],
    onChange: (counts, itemIds) => {
      options.bus.emit('outbox.changed', { counts, itemIds });
      options.onCounts?.(counts);
    },
    onTwinChanged: (twinId) => options.bus.emit('twins.changed', { twinId }),
    logger: options.logger,
    ...(options.assertAllowed ? { assertAllowed: options.assertAllowed } : {}),
    relayer: {
      ...(sandbox
        ? { receiptPollMs: 50, stuckAfterMs: 15_000 }
        : { receiptPollMs: 1000, stuckAfterMs: 90_000 }),
      ...(options.confirmations ? { confirmations: options.confirmations } : {}),
    },
  });
  const unsubscribe = options.bus.subscribe((event) => {
    if (event === 'chain.statusChanged' || event === 'vault.changed' || event === 'sync.statusChanged')
      service.wake();
  });
  options.onCounts?.(service.counts());
  service.start();
  return {
    service,
    close: async () => {
      unsubscribe();
      await service.close();
      (ethers as { wrapped: BrowserProvider } | null)?.wrapped.destroy();
    },
  };
}
