// Local mirror of the maintenance contract's rules: the gateway evaluates each accepted reading
// against the rules of its element and metric, so only readings that breach one go on chain.
import type { SeriesThreshold } from '../../shared/api/sensors';

export type Comparator = SeriesThreshold['comparator'];

export interface LocalRule {
  /** The contract's rule id (decimal string). */
  id: string;
  /** Store twin id and element key the rule watches. */
  twinId: string;
  elementKey: string;
  metric: string;
  comparator: Comparator;
  /** In the mapping's unit (the contract's fixed-point value divided by its scale). */
  threshold: number;
  /** What a breach does, in words the UI shows ("work order", "parts request", "alert"). */
  action: string;
  label: string;
  active: boolean;
}

/** Where the rules come from (the chain through the maintenance contract, or a fixed list in tests). */
export interface RuleSource {
  rulesFor(twinId: string, elementKey: string, metric: string): readonly LocalRule[];
  /** Called when the rules may have changed; answers when the cache is fresh again. */
  refresh?(): Promise<void>;
  close?(): void;
}

export function breaches(comparator: Comparator, value: number, threshold: number): boolean {
  switch (comparator) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

/**
 * Hysteresis: a breach ends only once the value is back past the threshold by this fraction of it,
 * so noise around the threshold does not send a new breach on chain with every crossing.
 */
export const BREACH_DEADBAND = 0.05;

/** Whether a breaching channel is back to normal (past the threshold by the deadband). */
export function cleared(comparator: Comparator, value: number, threshold: number): boolean {
  const band = Math.abs(threshold) * BREACH_DEADBAND;
  return comparator === '>' || comparator === '>=' ? value < threshold - band : value > threshold + band;
}

/** A fixed rule list (tests, the headless gateway without a chain), indexed by channel. */
export class StaticRules implements RuleSource {
  private byChannel = new Map<string, LocalRule[]>();

  constructor(rules: LocalRule[] = []) {
    this.set(rules);
  }

  set(rules: LocalRule[]): void {
    this.byChannel = new Map();
    for (const rule of rules) {
      if (!rule.active) continue;
      const key = `${rule.twinId}|${rule.elementKey.toLowerCase()}|${rule.metric}`;
      this.byChannel.set(key, [...(this.byChannel.get(key) ?? []), rule]);
    }
  }

  rulesFor(twinId: string, elementKey: string, metric: string): readonly LocalRule[] {
    return this.byChannel.get(`${twinId}|${elementKey.toLowerCase()}|${metric}`) ?? [];
  }
}
