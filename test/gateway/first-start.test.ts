// The whole loop on a first start of the sandbox: seeding imports the sample Duplex twin and sets up
// the maintenance contract; the gateway maps the simulator's topics to the MEP model's pumps and fan
// by itself; the simulator drives pump 1's vibration past its threshold over the embedded broker;
// within 10 s of the breaching reading a work order for the pump exists on chain.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceHost } from '../../src/main/services/host';
import { openDatabase } from '../../src/main/store/database';
import { elementKeyOf } from '../../src/shared/fingerprint';
import { DEMO_CHANNELS, DUPLEX_PUMP_1 } from '../../src/main/gateway/demo-channels';
import { maintenanceInterface, MAINTENANCE_CONTRACT } from '../../src/main/gateway/maintenance-abi';
import { simulate } from '../../src/main/gateway/simulator';
import { call, seededHost, tempDir } from '../sync/helpers';
import { until } from './brokers';

let dir: { dir: string; remove: () => void };
let host: ServiceHost;

beforeAll(async () => {
  dir = tempDir('gateway-first-start');
  // The app's broker port (1883) may be taken on a test machine: this data folder uses any free one.
  const db = openDatabase(join(dir.dir, 'twins.sqlite'));
  db.prepare('INSERT INTO sensor_gateway_config (id, config) VALUES (1, ?)').run(JSON.stringify({ port: 0 }));
  db.close();
  host = seededHost(dir.dir);
  await host.sync!.seeded();
  await host.sync!.caughtUp();
}, 180_000);

afterAll(async () => {
  await host?.close();
  dir.remove();
});

describe('first start of the sandbox', () => {
  it('maps the simulator’s topics to the sample twin’s pumps and fan, signed by the demo sensor', async () => {
    await until(() => host.sync!.status().seeding.state === 'done', 10_000, 'seeding');
    const [twin] = await call(host, 'twins.list', {});
    // The gateway adds them once the sample twin's MEP model is in the store.
    let mappings = (await call(host, 'sensors.listMappings', {})).mappings;
    for (let i = 0; i < 100 && mappings.length < DEMO_CHANNELS.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      mappings = (await call(host, 'sensors.listMappings', {})).mappings;
    }
    expect(mappings.map((m) => m.topic).sort()).toEqual(DEMO_CHANNELS.map((c) => c.topic).sort());
    expect(mappings.every((m) => m.twinId === twin!.id && m.signerIdentityId === 'demo-sensor')).toBe(true);
    const status = await call(host, 'sensors.status', {});
    expect(status).toMatchObject({ state: 'running', broker: { mode: 'embedded', connected: true } });
  });

  it('turns a simulated pump drifting past its threshold into a work order on chain within 10 s', async () => {
    const status = await call(host, 'sensors.status', {});
    const deployment = host.sync!.deployment.get()!;
    const maintenance = deployment.manifest.contracts[MAINTENANCE_CONTRACT]!.address;
    const provider = host.chain.provider()!;
    const orders = async () =>
      maintenanceInterface.decodeFunctionResult(
        'workOrderCount',
        (await provider.request({
          method: 'eth_call',
          params: [
            { to: maintenance, data: maintenanceInterface.encodeFunctionData('workOrderCount', [1n]) },
            'latest',
          ],
        })) as string,
      )[0] as bigint;
    expect(await orders()).toBe(0n);
    // The chart of pump 1's vibration draws the contract's threshold once the rules are read.
    const mapping = (await call(host, 'sensors.listMappings', {})).mappings.find(
      (m) => m.topic === DEMO_CHANNELS[0]!.topic,
    )!;
    let thresholds: number[] = [];
    for (let i = 0; i < 100 && thresholds.length === 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      const series = await call(host, 'sensors.series', { mappingId: mapping.id, from: 0, to: Date.now() });
      thresholds = series.thresholds.map((t) => t.value);
    }
    expect(thresholds).toEqual([DEMO_CHANNELS[0]!.threshold]);

    // 4 s from normal to the threshold, 10 readings a second, for 6 s.
    const published = await simulate({
      broker: status.broker.url!,
      rate: 10,
      duration: 6,
      ramp: 4,
      elements: ['pump-1/vibration'],
      quiet: true,
    });
    expect(published).toBeGreaterThan(40);
    const breach = (await call(host, 'sensors.listRelayed', {})).items.find(
      (i) => i.elementKey === elementKeyOf(DUPLEX_PUMP_1),
    );
    expect(breach, 'a breach queued for pump 1').toBeDefined();
    const started = breach!.createdAt;
    let confirmed = false;
    await until(
      () => {
        void call(host, 'sensors.listRelayed', { status: ['confirmed'] }).then(
          (r) => (confirmed = r.items.length > 0),
        );
        return confirmed;
      },
      10_000,
      'the breach confirmed on chain',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await orders()).toBe(1n);
    // Below the threshold nothing went on chain: one relayed reading for one breach.
    const relayed = (await call(host, 'sensors.listRelayed', {})).items;
    expect(relayed).toHaveLength(1);
    expect(relayed[0]!.value).toBeGreaterThan(7.1);
    let stored = 0;
    await until(
      () => {
        void call(host, 'sensors.status', {}).then((s) => (stored = s.counts.stored));
        return stored === published;
      },
      5000,
      'every published reading stored',
    );
    const gateway = await call(host, 'sensors.status', {});
    expect(gateway.counts.rejectedTotal).toBe(0);
  }, 60_000);
});
