// Sync in main: finds the deployment (sandbox seeding, or the network manifest), runs the indexer
// against whatever chain the ChainService offers, keeps the sync status the status bar shows, and
// pushes permission changes when grants, the active identity or the chain's time change. Nothing
// here blocks start-up: the host answers from the cache while the chain starts and seeding runs.
import type { Settings, SyncRole, SyncStatus, TwinPermissions } from '../../shared/api';
import type { OutboxCounts } from '../../shared/api/sync';
import type { ChainService } from '../chain/chain-service';
import type { EmbeddedChain, Eip1193Provider } from '../chain/embedded-chain';
import type { ImportService } from '../ifc/import-service';
import type { EventBus } from '../services/events';
import type { Logger } from '../services/logger';
import { ChainIndex, type IndexChange } from '../store/chain-index';
import type { TwinStore } from '../store/twin-store';
import type { Vault } from '../vault/vault';
import {
  DeploymentState,
  deploymentOf,
  readManifest,
  sandboxManifestPath,
  useNativePbkdf2,
  type Deployment,
} from './deployment';
import { ChainIndexer, type IndexProgress } from './indexer';
import { Permissions, type TwinRef } from './permissions';
import {
  defaultSamplesDir,
  ensureDemoIdentities,
  ensureSampleOnChain,
  ensureSampleTwin,
  ensureSandboxDeployment,
  SeedingStopped,
  type SampleTwin,
  type SeedContext,
} from './sandbox';

export interface SyncServiceOptions {
  dataDir: string;
  bus: EventBus;
  chain: ChainService;
  vault: Vault;
  store: TwinStore;
  importer: ImportService;
  settings: () => Settings;
  logger: Logger;
  /** resources/samples (default: found next to the app or in the repository). */
  samplesDir?: string | null;
  /** Seed a sandbox chain with the sample twin and demo roles (default true). */
  seedSandbox?: boolean;
  /** Largest eth_getLogs range (default 2,000 blocks). */
  maxBlockRange?: number;
  /** How often to look for new blocks where the chain does not announce them (default 2 s). */
  pollMs?: number;
}

const STATUS_THROTTLE_MS = 200;
const MAX_BACKOFF_MS = 30_000;

export class SyncService {
  readonly deployment = new DeploymentState();
  readonly index: ChainIndex;
  readonly permissions: Permissions;
  private current: SyncStatus;
  private generation = 0;
  private loop: Promise<void> | null = null;
  private provider: Eip1193Provider | null = null;
  private indexer: { instance: ChainIndexer; deployment: Deployment; provider: Eip1193Provider } | null =
    null;
  private wakeUp: (() => void) | null = null;
  private offBlock: (() => void) | null = null;
  private seeding: Promise<void> | null = null;
  private sample: Promise<SampleTwin> | null = null;
  private clock: { time: number; observedAt: number } | null = null;
  private lastHeadHash: string | null = null;
  private lastConfig: string | null = null;
  private readonly lastPermissions = new Map<string, string>();
  private expiryTimer: NodeJS.Timeout | null = null;
  private emitTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private closed = false;

  constructor(private readonly options: SyncServiceOptions) {
    useNativePbkdf2();
    this.index = new ChainIndex(options.store.db);
    this.permissions = new Permissions({
      index: this.index,
      activeIdentity: () => {
        const active = options.vault.activeIdentity();
        return active && { address: active.address, label: active.label };
      },
      chainTime: () => this.chainTime(),
    });
    const cursor = this.index.cursor();
    this.current = {
      online: false,
      mode: options.settings().chainMode,
      indexer: 'stopped',
      head: null,
      cursor: cursor?.blockNumber ?? null,
      lag: null,
      confirmations: 0,
      indexedEvents: this.index.eventCount(),
      lastIndexedAt: cursor?.updatedAt ?? null,
      deployment: null,
      seeding: { state: 'off', step: null, error: null },
      outbox: null,
      lastError: null,
    };
    this.deployment.subscribe((deployment) => {
      this.update({
        deployment: deployment && {
          chainId: deployment.chainId,
          registry: deployment.registry,
          startBlock: deployment.startBlock,
        },
      });
      this.wake();
    });
  }

  /** Starts following the chain; returns at once (seeding and indexing run in the background). */
  start(): void {
    this.unsubscribe = this.options.bus.subscribe((event) => {
      if (event === 'chain.statusChanged') this.onChainStatus();
      else if (event === 'vault.changed') this.pushPermissions();
      else if (event === 'settings.changed') this.onSettings();
    });
    this.onSettings();
    this.onChainStatus();
  }

  status(): SyncStatus {
    return structuredClone(this.current);
  }

  /** The outbox reports its counts here; the status bar shows them with the rest. */
  setOutboxCounts(counts: OutboxCounts | null): void {
    this.update({ outbox: counts }, true);
  }

  /** The chain's time now (Unix seconds): the last one read plus the wall time since. */
  chainTime(): number | null {
    if (!this.clock) return null;
    return this.clock.time + Math.floor((Date.now() - this.clock.observedAt) / 1000);
  }

  /** Reads the chain's clock again (the sandbox's may have been moved) and re-judges permissions. */
  async refreshChainTime(): Promise<void> {
    const provider = this.options.chain.provider();
    if (!provider) return;
    try {
      // The pending block carries the time the next transaction would see: the contract's "now".
      const block = (await provider
        .request({ method: 'eth_getBlockByNumber', params: ['pending', false] })
        .catch(() => provider.request({ method: 'eth_getBlockByNumber', params: ['latest', false] }))) as {
        timestamp: string;
      } | null;
      if (block) this.clock = { time: Number(block.timestamp), observedAt: Date.now() };
    } catch {
      // Offline: keep the last clock.
    }
    this.pushPermissions();
  }

  /** What the active identity may do on a twin (store twin id), judged at the chain's time now. */
  async permissionsFor(storeTwinId: string): Promise<TwinPermissions> {
    this.options.store.getTwin(storeTwinId);
    await this.refreshChainTime();
    return this.permissions.forTwin(storeTwinId);
  }

  /** For other services, before every action: throws FORBIDDEN with the reason when not allowed. */
  async assertAllowed(
    twin: TwinRef,
    role: SyncRole,
    account?: { address: string; label: string },
  ): Promise<void> {
    await this.refreshChainTime();
    this.permissions.assertAllowed(twin, role, account);
  }

  /** Drops the index and indexes the deployment again from its first block. */
  rebuildIndex(): boolean {
    const deployment = this.deployment.get();
    if (!deployment) return false;
    this.generation++;
    this.index.reset({
      chainId: deployment.chainId,
      registry: deployment.registry,
      startBlock: deployment.startBlock,
    });
    this.indexer = null;
    this.update({ cursor: deployment.startBlock - 1, indexedEvents: 0, lastIndexedAt: null });
    this.restartLoop();
    return true;
  }

  /** Resolves once the sandbox seeding finished (or failed); for tests and benches. */
  async seeded(): Promise<void> {
    while (!this.closed) {
      const running = this.seeding;
      if (running) await running;
      const state = this.current.seeding.state;
      if (state === 'done' || state === 'off') return;
      if (state === 'failed') throw new Error(this.current.seeding.error ?? 'Seeding failed.');
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  /** Resolves once the index has caught up with the chain's head (for tests and benches). */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const provider = this.options.chain.provider();
      const cursor = this.index.cursor();
      if (provider && cursor && this.deployment.get()) {
        const head = Number(await provider.request({ method: 'eth_blockNumber', params: [] }));
        if (cursor.blockNumber >= head - this.confirmations()) return;
      }
      this.wake();
      await new Promise((done) => setTimeout(done, 25));
    }
    throw new Error('The indexer did not catch up in time.');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    this.generation++;
    for (const jobId of ['sandbox-sample-0', 'sandbox-sample-1', 'sandbox-sample-2'])
      this.options.importer.cancel(jobId);
    this.wake();
    this.offBlock?.();
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    if (this.emitTimer) clearTimeout(this.emitTimer);
    await Promise.allSettled([this.loop, this.seeding, this.sample]);
  }

  // ---- chain and deployment -------------------------------------------------------------------

  private confirmations(): number {
    return this.options.settings().chainMode === 'sandbox' ? 0 : this.options.settings().syncConfirmations;
  }

  private onSettings(): void {
    const settings = this.options.settings();
    const confirmations = this.confirmations();
    if (confirmations !== this.current.confirmations) {
      this.indexer = null; // made again with the new depth
      this.wake();
    }
    this.update({ mode: settings.chainMode, confirmations });
    // Only a change of mode or manifest moves the deployment (not, say, a new theme).
    const config = `${settings.chainMode}\n${settings.deploymentManifestPath ?? ''}`;
    if (config === this.lastConfig) return;
    this.lastConfig = config;
    if (settings.chainMode === 'network') {
      this.seedingState('off', null, null);
      const path = settings.deploymentManifestPath;
      if (!path) {
        this.deployment.set(null);
        this.update({ lastError: 'Network mode needs a deployment manifest in the settings.' });
        return;
      }
      try {
        const manifest = readManifest(path);
        if (!manifest) throw new Error(`The deployment manifest ${path} does not exist.`);
        this.deployment.set(deploymentOf('network', manifest));
      } catch (error) {
        this.deployment.set(null);
        this.update({ lastError: (error as Error).message });
      }
    } else if (this.options.seedSandbox === false) {
      // Not seeding: use the sandbox's manifest when an earlier run (or a script) wrote one.
      try {
        const manifest = readManifest(sandboxManifestPath(this.options.dataDir));
        this.deployment.set(manifest && deploymentOf('sandbox', manifest));
      } catch (error) {
        this.update({ lastError: (error as Error).message });
      }
    } else {
      this.deployment.set(null);
      this.startStoreSeeding();
    }
  }

  private onChainStatus(): void {
    const chainStatus = this.options.chain.status();
    const provider = this.options.chain.provider();
    const online = chainStatus.state === 'ready';
    this.update({
      online,
      head: chainStatus.head?.number ?? this.current.head,
      lag: lagOf(chainStatus.head?.number ?? this.current.head, this.current.cursor),
    });
    if (chainStatus.head && chainStatus.head.hash !== this.lastHeadHash) {
      // A new block may carry a travelled clock (sandbox): judge permissions at the chain's time.
      this.lastHeadHash = chainStatus.head.hash;
      if (!this.clock || chainStatus.head.timestamp > this.chainTime()!) {
        this.clock = { time: chainStatus.head.timestamp, observedAt: Date.now() };
      }
      if (provider && provider === this.provider) void this.refreshChainTime();
    }
    if (provider !== this.provider) {
      this.provider = provider;
      this.offBlock?.();
      this.offBlock = null;
      const sandbox = this.options.chain.sandbox;
      if (sandbox && provider === sandbox) this.offBlock = sandbox.onBlock(() => this.wake());
      this.indexer = null;
      this.restartLoop();
      if (sandbox && provider === sandbox) {
        void this.refreshChainTime();
        if (this.options.settings().chainMode === 'sandbox' && this.options.seedSandbox !== false) {
          this.startChainSeeding(sandbox);
        }
      }
    }
    this.wake();
  }

  // ---- seeding --------------------------------------------------------------------------------

  private seedContext(): SeedContext {
    const samplesDir = this.options.samplesDir === undefined ? defaultSamplesDir() : this.options.samplesDir;
    return {
      dataDir: this.options.dataDir,
      vault: this.options.vault,
      store: this.options.store,
      importer: this.options.importer,
      index: this.index,
      samplesDir,
      onStep: (step) => this.seedingState('running', step, null),
      closed: () => this.closed,
    };
  }

  /** Demo identities and the sample twin need no chain: they start with the app. */
  private startStoreSeeding(): void {
    if (this.sample) return;
    const ctx = this.seedContext();
    this.seedingState('pending', 'Adding the demo identities', null);
    this.sample = (async () => {
      // After the requests already waiting: seeding is never in the way of the first answers.
      await new Promise((next) => setImmediate(next));
      await ensureDemoIdentities(this.options.vault);
      const sample = await ensureSampleTwin(ctx);
      this.options.bus.emit('twins.changed', { twinId: sample.storeTwinId });
      return sample;
    })();
    // Failures are reported by the chain part, which awaits this; never an unhandled rejection.
    this.sample.catch((error: unknown) => {
      if (!(error instanceof SeedingStopped) && !this.closed) {
        this.options.logger.error('sandbox sample twin import failed', error);
        this.seedingState('failed', null, (error as Error).message);
      }
    });
  }

  private startChainSeeding(chain: EmbeddedChain): void {
    if (this.seeding) return;
    const ctx = this.seedContext();
    this.startStoreSeeding();
    this.seeding = (async () => {
      try {
        // The registry first, whatever happens to the sample: the outbox needs it for every twin.
        const sandbox = { provider: chain, chainId: chain.chainId };
        const deployment = await ensureSandboxDeployment(ctx, sandbox);
        this.deployment.set(deployment);
        await ensureSampleOnChain(ctx, sandbox, deployment, () => this.sample!);
        const storeTwinId = (await this.sample!).storeTwinId;
        this.seedingState('done', null, null);
        this.options.bus.emit('twins.changed', { twinId: storeTwinId });
        this.wake();
      } catch (error) {
        if (error instanceof SeedingStopped || this.closed) return;
        this.options.logger.error('sandbox seeding failed', error);
        this.seedingState('failed', null, (error as Error).message);
        this.update({ lastError: `Sandbox seeding failed: ${(error as Error).message}` });
      } finally {
        this.seeding = null;
      }
    })();
  }

  private seedingState(
    state: SyncStatus['seeding']['state'],
    step: string | null,
    error: string | null,
  ): void {
    this.update({ seeding: { state, step, error } }, state !== 'running');
  }

  // ---- indexing loop --------------------------------------------------------------------------

  private restartLoop(): void {
    const generation = ++this.generation;
    const previous = this.loop;
    this.wake();
    this.loop = (async () => {
      await previous?.catch(() => undefined);
      await this.runIndexer(generation);
    })();
  }

  private async runIndexer(generation: number): Promise<void> {
    let backoff = 500;
    const live = () => !this.closed && generation === this.generation;
    while (live()) {
      const provider = this.options.chain.provider();
      const deployment = this.deployment.get();
      const chainStatus = this.options.chain.status();
      if (!provider || !deployment || chainStatus.state !== 'ready') {
        this.update({ indexer: chainStatus.state === 'offline' ? 'offline' : 'waiting' });
        await this.sleep(this.options.pollMs ?? 2000);
        continue;
      }
      if (chainStatus.chainId !== null && chainStatus.chainId !== deployment.chainId) {
        this.update({
          indexer: 'error',
          lastError: `The deployment manifest is for chain ${deployment.chainId}, but the chain answers as ${chainStatus.chainId}.`,
        });
        await this.sleep(MAX_BACKOFF_MS);
        continue;
      }
      try {
        const indexer = this.indexerFor(provider, deployment);
        // Polling an index that is up to date is not catching up; ranges to read say it is.
        if (this.current.indexer !== 'idle') this.update({ indexer: 'catching-up' });
        const outcome = await indexer.syncOnce(() => !live());
        if (!live()) return;
        backoff = 500;
        this.update({
          indexer: 'idle',
          head: outcome.head,
          cursor: outcome.cursor,
          lag: lagOf(outcome.head, outcome.cursor),
          lastError: null,
        });
        await this.sleep(this.options.pollMs ?? 2000);
      } catch (error) {
        if (!live()) return;
        const message = (error as Error).message;
        this.update({
          indexer: this.options.chain.status().state === 'ready' ? 'error' : 'offline',
          lastError: message,
        });
        this.options.logger.warn(`indexer: ${message}`);
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private indexerFor(provider: Eip1193Provider, deployment: Deployment): ChainIndexer {
    const cached = this.indexer;
    if (cached && cached.provider === provider && cached.deployment === deployment) return cached.instance;
    const instance = new ChainIndexer({
      provider,
      index: this.index,
      deployment,
      confirmations: this.confirmations(),
      ...(this.options.maxBlockRange ? { maxBlockRange: this.options.maxBlockRange } : {}),
      onCommit: (change, progress) => this.onIndexed(change, progress),
    });
    this.indexer = { instance, deployment, provider };
    this.update({ indexedEvents: this.index.eventCount(), cursor: this.index.cursor()?.blockNumber ?? null });
    return instance;
  }

  /** After each committed range or rollback: status, then the twins and permissions it changed. */
  private onIndexed(change: IndexChange, progress: IndexProgress): void {
    const rolledBack = progress.cursor < (this.current.cursor ?? -1);
    this.update({
      indexer: progress.cursor < progress.target ? 'catching-up' : 'idle',
      head: progress.head,
      cursor: progress.cursor,
      lag: lagOf(progress.head, progress.cursor),
      indexedEvents: Math.max(0, this.current.indexedEvents + (rolledBack ? -change.events : change.events)),
      lastIndexedAt: Date.now(),
    });
    if (change.versionsChanged || change.grantsChanged || rolledBack) {
      for (const chainTwinId of change.twins) {
        const storeTwinId = this.index.storeTwinOf(chainTwinId);
        if (storeTwinId) this.options.bus.emit('twins.changed', { twinId: storeTwinId });
      }
    }
    if (change.grantsChanged || rolledBack) this.pushPermissions();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((done) => {
      const timer = setTimeout(finish, ms);
      timer.unref?.();
      const previous = this.wakeUp;
      function finish() {
        clearTimeout(timer);
        done();
      }
      this.wakeUp = () => {
        previous?.();
        finish();
      };
    });
  }

  private wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = null;
    wake?.();
  }

  // ---- permissions push -----------------------------------------------------------------------

  /** Re-judges the active identity's permissions on every linked twin; tells the UI what changed. */
  pushPermissions(): void {
    if (this.closed) return;
    const now = this.chainTime();
    for (const { storeTwinId } of this.index.linkedStoreTwins()) {
      const permissions = this.permissions.forTwin(storeTwinId);
      // Chain time moves every second: compare what the UI shows, not when it was judged.
      const key = JSON.stringify({ ...permissions, chainTime: null });
      if (this.lastPermissions.get(storeTwinId) === key) continue;
      this.lastPermissions.set(storeTwinId, key);
      this.options.bus.emit('sync.permissionsChanged', permissions);
    }
    // Judge again when the next grant of this identity ends.
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    const account = this.options.vault.activeIdentity()?.address ?? null;
    const next = now === null ? null : this.permissions.nextExpiry(now, account);
    if (now !== null && next !== null) {
      const delay = Math.min((next - now) * 1000 + 250, 24 * 3600 * 1000);
      this.expiryTimer = setTimeout(() => void this.refreshChainTime(), delay);
      this.expiryTimer.unref?.();
    }
  }

  // ---- status -------------------------------------------------------------------------------

  /** Stores the change and tells listeners, at most every 200 ms unless `immediate`. */
  private update(patch: Partial<SyncStatus>, immediate = false): void {
    const previous = this.current;
    const next = { ...previous, ...patch };
    const changed = JSON.stringify(next) !== JSON.stringify(previous);
    this.current = next;
    if (!changed || this.closed) return;
    // Going on- or offline and failing are news at once; catching up block by block is not.
    const urgent =
      next.online !== previous.online ||
      (next.indexer !== previous.indexer && (next.indexer === 'error' || next.indexer === 'offline')) ||
      next.lastError !== previous.lastError;
    if (immediate || urgent) {
      if (this.emitTimer) clearTimeout(this.emitTimer);
      this.emitTimer = null;
      this.options.bus.emit('sync.statusChanged', this.status());
      return;
    }
    this.emitTimer ??= setTimeout(() => {
      this.emitTimer = null;
      if (!this.closed) this.options.bus.emit('sync.statusChanged', this.status());
    }, STATUS_THROTTLE_MS);
    this.emitTimer.unref?.();
  }
}

function lagOf(head: number | null, cursor: number | null): number | null {
  if (head === null || cursor === null) return null;
  return Math.max(0, head - cursor);
}
