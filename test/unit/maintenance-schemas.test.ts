// What the maintenance API refuses before anything is signed: values the contract could not hold
// (a penalty past its uint96, a value past its int128 of thousandths) or would silently change (a
// usage life limit that rounds to 0), each named, where before they failed as an opaque "value
// out-of-bounds" from the transaction or as the contract's refusal.
import { describe, expect, it } from 'vitest';
import { maintenanceMethods } from '../../src/shared/api/maintenance';

const issues = (method: keyof typeof maintenanceMethods, request: unknown) => {
  const parsed = maintenanceMethods[method].request.safeParse(request);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

const terms = (penalty: string) => ({
  twinId: 't',
  provider: null,
  penalty,
  responseSeconds: 3600,
  resolutionSeconds: 86400,
  escalationContact: `0x${'11'.repeat(20)}`,
});
const rule = (threshold: number, kind: 'usage' | 'condition' = 'usage') => ({
  twinId: 't',
  element: { globalId: 'wall000000000000000001' },
  metric: 'hours',
  kind,
  ...(kind === 'condition' ? { comparator: '>=' } : {}),
  threshold,
  action: 'workOrder',
  actionRef: 'service',
});

describe('maintenance request schemas', () => {
  it('take a penalty up to 2^96 - 1 and refuse one past it', () => {
    expect(issues('maintenance.setSlaTerms', terms(String(2n ** 96n - 1n)))).toEqual([]);
    expect(issues('maintenance.setSlaTerms', terms(String(2n ** 96n)))).toEqual([
      'penalty: the penalty must be below 2^96 of the smallest unit (the contract keeps it in 96 bits)',
    ]);
  });

  it('refuse a usage life limit that thousandths round to 0, and take 0.001', () => {
    expect(issues('maintenance.addRule', rule(0.0004))).toEqual([
      'threshold: a usage rule needs a life limit of at least 0.001 (values are kept to thousandths)',
    ]);
    expect(issues('maintenance.addRule', rule(0.001))).toEqual([]);
    // A condition threshold of 0 is a threshold.
    expect(issues('maintenance.addRule', rule(0, 'condition'))).toEqual([]);
  });

  it('refuse values an int128 of thousandths cannot hold', () => {
    expect(issues('maintenance.addRule', rule(1e36, 'condition'))).toEqual(['threshold: at most 1e35']);
    const sensor = {
      twinId: 't',
      element: { globalId: 'w' },
      metric: 'temp',
      sensor: `0x${'22'.repeat(20)}`,
    };
    expect(issues('maintenance.registerSensor', { ...sensor, minValue: -1e36, maxValue: 1 })).toEqual([
      'minValue: at least -1e35',
    ]);
    expect(issues('maintenance.registerSensor', { ...sensor, minValue: -1e35, maxValue: 1e35 })).toEqual([]);
  });
});
