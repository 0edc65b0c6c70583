// The app's chain connection: the embedded sandbox chain (started in the background, so the app is
// usable before it is ready) or a JSON-RPC endpoint (network mode), with a status the UI can show.
import { join } from 'node:path';
import type { ChainMode, ChainStatus } from '../../shared/api';
import { AppError } from '../../shared/result';
import type { Logger } from '../services/logger';
import type { ChainGenesis } from './edr';
import { EmbeddedChain, type Eip1193Provider, type LogLimits } from './embedded-chain';
import { ProviderRpcError, rpcErrorCodes } from './rpc-errors';
import { sandboxGenesis } from './sandbox-genesis';

export interface ChainServiceOptions {
  dataDir: string;
  /** The configured mode and endpoint (read on start and on reconfigure). */
  config: () => { chainMode: ChainMode; rpcUrl: string | null };
  onStatus: (status: ChainStatus) => void;
  logger: Logger;
  genesis?: () => ChainGenesis;
  logLimits?: LogLimits;
  /** Network mode: how often to probe the endpoint (default 4 s). */
  pollMs?: number;
  /** Journal fsync (default true). */
  durable?: boolean;
}

const STATUS_THROTTLE_MS = 200;

/** Shows where a network endpoint is without leaking credentials (API keys sit in paths and queries). */
export function endpointLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'Invalid RPC URL';
  }
}

export class ChainService {
  private current: ChainStatus;
  private sandboxChain: EmbeddedChain | null = null;
  private network: { url: string; provider: Eip1193Provider; timer: NodeJS.Timeout | null } | null = null;
  private starting: Promise<void> | null = null;
  /** The user stopped the sandbox node (setSandboxRunning): it stays stopped until started again. */
  private sandboxHeld = false;
  private generation = 0;
  private emitTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly options: ChainServiceOptions) {
    this.current = this.initialStatus();
  }

  status(): ChainStatus {
    return { ...this.current, head: this.current.head && { ...this.current.head } };
  }

  /** The embedded chain once started (sandbox mode), for seeding and for the indexer/relayer. */
  get sandbox(): EmbeddedChain | null {
    return this.sandboxChain;
  }

  /** The current chain as an EIP-1193 provider, or null while starting or stopped. */
  provider(): Eip1193Provider | null {
    return this.sandboxChain ?? this.network?.provider ?? null;
  }

  /** Starts in the background; the returned promise settles when the chain is up (or failed). */
  start(): Promise<void> {
    if (this.starting) return this.starting;
    const generation = ++this.generation;
    const { chainMode, rpcUrl } = this.options.config();
    this.update({ ...this.initialStatus(), state: 'starting' });
    this.starting =
      chainMode === 'sandbox' ? this.startSandbox(generation) : this.startNetwork(generation, rpcUrl);
    return this.starting;
  }

  /**
   * Applies a changed mode or endpoint: stops the current chain and starts the configured one. Any
   * other change of the settings (they all come here) leaves the chain as it is, a sandbox node the
   * user stopped included.
   */
  async reconfigure(): Promise<void> {
    const { chainMode, rpcUrl } = this.options.config();
    const same =
      chainMode === this.current.mode &&
      (chainMode === 'sandbox' || (this.network !== null && this.network.url === rpcUrl));
    if (same && (this.starting || this.sandboxHeld)) return;
    this.sandboxHeld = false;
    await this.stop();
    if (!this.closed) await this.start();
  }

  /**
   * Sandbox only: stops the embedded node (the journal keeps its blocks) and reports the chain
   * offline until it is started again; for rehearsing offline work on one machine, and for tests.
   */
  async setSandboxRunning(running: boolean): Promise<ChainStatus> {
    if (this.options.config().chainMode !== 'sandbox' || this.current.mode !== 'sandbox') {
      throw new AppError(
        'CONFLICT',
        'Only the sandbox chain can be stopped and started from the app; a network chain is offline only when it cannot be reached.',
      );
    }
    this.sandboxHeld = !running;
    if (running) {
      if (!this.sandboxChain) await this.start();
    } else {
      await this.stop();
      this.update(
        {
          ...this.current,
          state: 'offline',
          lastError: 'The sandbox node is stopped: start it again to sync.',
        },
        true,
      );
    }
    return this.status();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stop();
    if (this.emitTimer) clearTimeout(this.emitTimer);
  }

  private initialStatus(): ChainStatus {
    const { chainMode, rpcUrl } = this.options.config();
    return {
      mode: chainMode,
      state: 'stopped',
      label:
        chainMode === 'sandbox' ? 'Sandbox chain' : rpcUrl ? endpointLabel(rpcUrl) : 'No network configured',
      chainId: null,
      head: null,
      lastError: null,
      startMs: null,
      replayedEntries: null,
    };
  }

  private async stop(): Promise<void> {
    this.generation++;
    const pending = this.starting;
    this.starting = null;
    await pending?.catch(() => undefined);
    if (this.network?.timer) clearInterval(this.network.timer);
    this.network = null;
    const chain = this.sandboxChain;
    this.sandboxChain = null;
    await chain?.close();
    this.update({ ...this.current, state: 'stopped', head: null }, true);
  }

  private async startSandbox(generation: number): Promise<void> {
    const t0 = performance.now();
    try {
      const chain = await EmbeddedChain.start({
        dataDir: join(this.options.dataDir, 'chain'),
        genesis: this.options.genesis ?? (() => sandboxGenesis()),
        durable: this.options.durable ?? true,
        compactThreshold: 1000,
        ...(this.options.logLimits ? { logLimits: this.options.logLimits } : {}),
      });
      if (generation !== this.generation) {
        await chain.close();
        return;
      }
      this.sandboxChain = chain;
      const head = await chain.head();
      const startMs = performance.now() - t0;
      this.options.logger.info(
        `sandbox chain ready in ${startMs.toFixed(0)} ms (replayed ${chain.timings.replayedEntries} journal lines in ` +
          `${chain.timings.replayMs.toFixed(0)} ms), head #${head.number}`,
      );
      chain.onBlock(() => void this.refreshSandboxHead(chain));
      this.update({
        ...this.current,
        state: 'ready',
        chainId: chain.chainId,
        head,
        lastError: null,
        startMs,
        replayedEntries: chain.timings.replayedEntries,
      });
    } catch (error) {
      if (generation !== this.generation) return;
      this.options.logger.error('sandbox chain failed to start', error);
      this.update({ ...this.current, state: 'error', lastError: (error as Error).message });
    }
  }

  private async refreshSandboxHead(chain: EmbeddedChain): Promise<void> {
    if (chain !== this.sandboxChain) return;
    try {
      const head = await chain.head();
      if (chain === this.sandboxChain) this.update({ ...this.current, head });
    } catch {
      // Closed meanwhile.
    }
  }

  private async startNetwork(generation: number, rpcUrl: string | null): Promise<void> {
    if (!rpcUrl) {
      this.update({
        ...this.current,
        state: 'error',
        lastError: 'Network mode needs an RPC URL in the settings.',
      });
      return;
    }
    const provider = httpProvider(rpcUrl);
    this.network = { url: rpcUrl, provider, timer: null };
    const probe = async () => {
      try {
        const chainId = Number(await provider.request({ method: 'eth_chainId', params: [] }));
        const block = (await provider.request({
          method: 'eth_getBlockByNumber',
          params: ['latest', false],
        })) as {
          number: string;
          hash: string;
          timestamp: string;
        };
        if (generation !== this.generation) return;
        this.update({
          ...this.current,
          state: 'ready',
          chainId,
          head: { number: Number(block.number), hash: block.hash, timestamp: Number(block.timestamp) },
          lastError: null,
        });
      } catch (error) {
        if (generation !== this.generation) return;
        this.update({ ...this.current, state: 'offline', lastError: (error as Error).message });
      }
    };
    await probe();
    if (generation !== this.generation || !this.network) return;
    this.network.timer = setInterval(() => void probe(), this.options.pollMs ?? 4000);
    this.network.timer.unref?.();
  }

  /** Stores the new status and tells listeners, at most every 200 ms (blocks can come in bursts). */
  private update(next: ChainStatus, immediate = false): void {
    const stateChanged = next.state !== this.current.state;
    this.current = next;
    if (stateChanged || immediate) {
      if (this.emitTimer) clearTimeout(this.emitTimer);
      this.emitTimer = null;
      this.options.onStatus(this.status());
      return;
    }
    this.emitTimer ??= setTimeout(() => {
      this.emitTimer = null;
      this.options.onStatus(this.status());
    }, STATUS_THROTTLE_MS);
    this.emitTimer.unref?.();
  }
}

/** A minimal EIP-1193 provider over HTTP JSON-RPC, with a timeout (no network detection loops). */
export function httpProvider(url: string, timeoutMs = 10_000): Eip1193Provider {
  let id = 0;
  return {
    request: async ({ method, params }) => {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: params ?? [] }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new ProviderRpcError({
          code: rpcErrorCodes.unavailable,
          message: `The chain at ${endpointLabel(url)} cannot be reached (${(error as Error).message}).`,
        });
      }
      const body = (await response.json().catch(() => null)) as {
        result?: unknown;
        error?: { code: number; message: string; data?: unknown };
      } | null;
      if (!body) {
        throw new ProviderRpcError({
          code: rpcErrorCodes.internal,
          message: `HTTP ${response.status} without a JSON-RPC answer.`,
        });
      }
      if (body.error) throw new ProviderRpcError(body.error);
      return body.result;
    },
  };
}
