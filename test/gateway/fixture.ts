// A gateway on a fresh twin database in a temporary folder, with a fixed rule list.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayConfig, NewSensorMapping } from '../../src/shared/api/sensors';
import { GatewayService, type GatewayServiceOptions } from '../../src/main/gateway/gateway-service';
import { StaticRules, type LocalRule } from '../../src/main/gateway/rules';

export const quietLogger = { info: () => {}, warn: () => {}, error: () => {} };

export interface GatewayFixture {
  dir: string;
  dbPath: string;
  gateway: GatewayService;
  rules: StaticRules;
  events: { event: string; payload: unknown }[];
  close(): Promise<void>;
}

export async function gatewayFixture(
  config: Partial<GatewayConfig>,
  options: Partial<Omit<GatewayServiceOptions, 'rules'>> & { rules?: LocalRule[]; dir?: string } = {},
): Promise<GatewayFixture> {
  const { rules: ruleList, dir: givenDir, ...serviceOptions } = options;
  const dir = givenDir ?? mkdtempSync(join(tmpdir(), 'twinledger-gateway-'));
  const dbPath = join(dir, 'twins.sqlite');
  const rules = new StaticRules(ruleList ?? []);
  const events: { event: string; payload: unknown }[] = [];
  const gateway = new GatewayService({
    dbPath,
    rules,
    logger: quietLogger,
    emit: (event, payload) => events.push({ event, payload }),
    flushIntervalMs: 10,
    ...serviceOptions,
    configOverride: { port: 0, ...config },
  });
  await gateway.start();
  return {
    dir,
    dbPath,
    gateway,
    rules,
    events,
    close: async () => {
      await gateway.close();
      if (!givenDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const PUMP = '13kXneVBL8egWoGKRJw4xa';

export function pumpMapping(overrides: Partial<NewSensorMapping> = {}): NewSensorMapping {
  return {
    twinId: 'twin-1',
    element: { globalId: PUMP },
    topic: 'sensors/duplex/pump-1/vibration',
    metric: 'vibration_mm_s',
    unit: 'mm/s',
    label: 'Pump 1 vibration',
    minValue: 0,
    maxValue: 100,
    ...overrides,
  };
}

export const payload = (value: number, seq: number, ts = Date.now(), extra: Record<string, unknown> = {}) =>
  JSON.stringify({ value, ts, seq, ...extra });
