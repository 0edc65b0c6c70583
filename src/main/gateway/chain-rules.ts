// The maintenance contract's rules for every mapped channel, read from the chain (rulesOf + ruleOf)
// and refreshed periodically and after each relayed batch; the last copy stays in memory while the
// chain is unreachable, so breaches are still detected and queued offline.
import { decodeBytes32String, type BrowserProvider } from 'ethers';
import { fromChainValue } from '../../shared/api/sensors';
import type { Eip1193Provider } from '../chain/embedded-chain';
import { createEthersProvider } from '../chain/ethers';
import type { GatewayLogger } from './gateway-service';
import { COMPARATORS, RULE_ACTIONS, maintenanceInterface, metricToBytes32 } from './maintenance-abi';
import type { RelayTarget } from './relay';
import type { LocalRule, RuleSource } from './rules';

export interface ChainRulesContext {
  provider(): Eip1193Provider | null;
  target(): RelayTarget | null;
  chainTwinId(storeTwinId: string): string | null;
  /** The channels to watch (the enabled mappings). */
  channels(): { twinId: string; elementKey: string; metric: string }[];
  logger: GatewayLogger;
  /** Refresh interval, read at each tick (default 15 s; a local sandbox can afford a few seconds). */
  refreshMs?: () => number;
}

const keyOf = (twinId: string, elementKey: string, metric: string) =>
  `${twinId}|${elementKey.toLowerCase()}|${metric}`;

interface RuleInfo {
  kind: bigint;
  comparator: bigint;
  threshold: bigint;
  usageBaseline: bigint;
  action: bigint;
  actionRef: string;
  active: boolean;
}

function describeRef(ref: string): string {
  try {
    return decodeBytes32String(ref);
  } catch {
    return ref.slice(0, 10);
  }
}

export class ChainRules implements RuleSource {
  private cache = new Map<string, LocalRule[]>();
  private readonly timer: NodeJS.Timeout;
  private refreshing: Promise<void> | null = null;
  private pending: Promise<void> | null = null;
  private loadedAt = 0;
  private ethers: { raw: Eip1193Provider; wrapped: BrowserProvider } | null = null;
  private warned = false;

  constructor(private readonly ctx: ChainRulesContext) {
    this.timer = setInterval(() => {
      if (Date.now() - this.loadedAt >= (ctx.refreshMs?.() ?? 15_000)) void this.refresh().catch(() => {});
    }, 1000);
    this.timer.unref();
  }

  rulesFor(twinId: string, elementKey: string, metric: string): readonly LocalRule[] {
    return this.cache.get(keyOf(twinId, elementKey, metric)) ?? [];
  }

  /** Reads the rules again; a call while a read runs gets a fresh read after it (never a stale one). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.pending ??= this.refreshing.then(() => {
        this.pending = null;
        return this.refresh();
      });
      return this.pending;
    }
    this.refreshing = this.load().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  close(): void {
    clearInterval(this.timer);
    this.ethers?.wrapped.destroy();
  }

  private async load(): Promise<void> {
    this.loadedAt = Date.now();
    const target = this.ctx.target();
    const raw = this.ctx.provider();
    if (!target || !raw) return;
    if (this.ethers?.raw !== raw) {
      this.ethers?.wrapped.destroy();
      this.ethers = { raw, wrapped: createEthersProvider(raw, target.chainId) };
    }
    const provider = this.ethers.wrapped;
    const call = async (fn: 'rulesOf' | 'ruleOf', args: unknown[]) =>
      maintenanceInterface.decodeFunctionResult(
        fn,
        await provider.call({
          to: target.maintenance,
          data: maintenanceInterface.encodeFunctionData(fn, args),
        }),
      );
    const next = new Map<string, LocalRule[]>();
    try {
      for (const channel of this.ctx.channels()) {
        const chainTwinId = this.ctx.chainTwinId(channel.twinId);
        if (!chainTwinId) continue;
        const [ids] = (await call('rulesOf', [
          chainTwinId,
          channel.elementKey,
          metricToBytes32(channel.metric),
        ])) as unknown as [bigint[]];
        const rules: LocalRule[] = [];
        for (const id of ids) {
          const [info] = (await call('ruleOf', [id])) as unknown as [RuleInfo];
          if (!info.active) continue;
          const usage = Number(info.kind) === 1;
          const comparator = usage ? '>=' : (COMPARATORS[Number(info.comparator)] ?? '>');
          const threshold = fromChainValue(usage ? info.usageBaseline + info.threshold : info.threshold);
          const action = RULE_ACTIONS[Number(info.action)] ?? 'alert';
          const ref = Number(info.action) === 2 ? '' : ` (${describeRef(info.actionRef)})`;
          rules.push({
            id: id.toString(),
            twinId: channel.twinId,
            elementKey: channel.elementKey.toLowerCase(),
            metric: channel.metric,
            comparator,
            threshold,
            action,
            label: usage
              ? `${action}${ref} after ${fromChainValue(info.threshold)} of use`
              : `${action}${ref} when ${comparator} ${threshold}`,
            active: true,
          });
        }
        next.set(keyOf(channel.twinId, channel.elementKey, channel.metric), rules);
      }
    } catch (error) {
      // Keep the last known rules: breaches are still detected while the chain is away.
      if (!this.warned) this.ctx.logger.warn(`sensor rules not refreshed: ${(error as Error).message}`);
      this.warned = true;
      return;
    }
    this.warned = false;
    this.cache = next;
  }
}
