// The gateway against real brokers (the embedded aedes one and Debian's mosquitto): mapped readings
// are stored with their rollups; every kind of bad input is refused, counted under its reason and
// never stored; a breach of a rule is queued for the chain, a reading that breaches nothing is not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { Wallet } from 'ethers';
import { elementKeyOf } from '../../src/shared/fingerprint';
import {
  connectClient,
  endClient,
  mosquittoMissing,
  publish,
  startMosquitto,
  until,
  type Mosquitto,
} from './brokers';
import { gatewayFixture, payload, pumpMapping, PUMP, type GatewayFixture } from './fixture';

if (mosquittoMissing) console.warn(mosquittoMissing);

interface BrokerCase {
  name: string;
  skip: string | null;
  setup(): Promise<{ fixture: GatewayFixture; url: string; stop(): Promise<void> }>;
}

const rules = [
  {
    id: '18446744073709551617',
    twinId: 'twin-1',
    elementKey: elementKeyOf(PUMP),
    metric: 'vibration_mm_s',
    comparator: '>' as const,
    threshold: 7.1,
    action: 'work order',
    label: 'work order when > 7.1',
    active: true,
  },
];

const cases: BrokerCase[] = [
  {
    name: 'embedded aedes broker',
    skip: null,
    setup: async () => {
      const fixture = await gatewayFixture({ brokerMode: 'embedded' }, { rules });
      const port = fixture.gateway.status().broker.port;
      return { fixture, url: `mqtt://127.0.0.1:${port}`, stop: async () => {} };
    },
  },
  {
    name: 'mosquitto',
    skip: mosquittoMissing,
    setup: async () => {
      const mosquitto: Mosquitto = await startMosquitto();
      const fixture = await gatewayFixture({ brokerMode: 'external', brokerUrl: mosquitto.url }, { rules });
      await until(() => fixture.gateway.status().broker.connected, 5000, 'the gateway to connect');
      return { fixture, url: mosquitto.url, stop: () => mosquitto.stop() };
    },
  },
];

describe.each(cases)('gateway with the $name', (brokerCase) => {
  let fixture: GatewayFixture;
  let client: MqttClient;
  let stop: () => Promise<void>;
  let mappingId: number;

  beforeAll(async () => {
    if (brokerCase.skip) return;
    const started = await brokerCase.setup();
    fixture = started.fixture;
    stop = started.stop;
    mappingId = fixture.gateway.addMapping(pumpMapping()).id;
    fixture.gateway.addMapping(
      pumpMapping({
        topic: 'sensors/duplex/pump-1/temperature',
        metric: 'temperature_c',
        minValue: -40,
        maxValue: 200,
      }),
    );
    client = await connectClient(started.url);
    // The external subscription follows mappings added after it connected.
    await new Promise((r) => setTimeout(r, 200));
  });

  afterAll(async () => {
    if (brokerCase.skip) return;
    await endClient(client);
    await fixture.close();
    await stop();
  });

  it.skipIf(brokerCase.skip)('stores mapped readings with their rollups and live events', async () => {
    const { gateway } = fixture;
    const start = Date.now() - 5000;
    for (let i = 1; i <= 20; i++)
      await publish(client, 'sensors/duplex/pump-1/vibration', payload(2 + i / 10, i, start + i * 100));
    await until(() => gateway.status().counts.stored >= 20, 5000, '20 stored readings');
    gateway.flush();
    const stored = gateway.store.rawReadings(mappingId, 0, Date.now());
    expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(stored[4]!.value).toBeCloseTo(2.5);
    const series = gateway.series({ mappingId, from: start, to: Date.now(), points: 1000 });
    expect(series.source).toBe('raw');
    expect(series.points).toHaveLength(20);
    expect(series.thresholds).toEqual([expect.objectContaining({ comparator: '>', value: 7.1 })]);
    const mappings = gateway.listMappings({ elementKey: elementKeyOf(PUMP) });
    expect(mappings.map((m) => m.metric)).toEqual(['temperature_c', 'vibration_mm_s']);
    expect(mappings[0]!.last).toBeNull();
    expect(mappings[1]!.last).toEqual({ ts: start + 2000, seq: 20, value: 4 });
    // Live events (throttled per mapping) add up to every stored reading.
    const liveCount = () =>
      fixture.events
        .filter((e) => e.event === 'sensors.reading')
        .reduce((sum, e) => sum + (e.payload as { count: number }).count, 0);
    await until(() => liveCount() >= 20, 3000, 'live events for 20 readings');
    expect(liveCount()).toBe(20);
    expect(gateway.listRelayed({})).toEqual([]);
  });

  it.skipIf(brokerCase.skip)(
    'refuses every kind of bad input, counts it under its reason and stores none of it',
    async () => {
      const { gateway } = fixture;
      const before = gateway.status();
      const storedBefore = gateway.store.countReadings(mappingId);
      const last = gateway.listMappings({}).find((m) => m.id === mappingId)!.last!.seq;
      const now = Date.now();
      const bad: [string, string | Buffer, string][] = [
        ['sensors/duplex/pump-1/vibration', 'not json', 'malformed'],
        [
          'sensors/duplex/pump-1/vibration',
          JSON.stringify({ value: 'high', ts: now, seq: last + 1 }),
          'malformed',
        ],
        [
          'sensors/duplex/pump-1/vibration',
          JSON.stringify({ value: 3, ts: Math.floor(now / 1000), seq: last + 1 }),
          'malformed',
        ],
        ['sensors/duplex/pump-1/vibration', JSON.stringify({ value: 3, ts: now }), 'malformed'],
        ['sensors/duplex/pump-1/vibration', Buffer.alloc(2000, 32), 'malformed'],
        ['sensors/duplex/pump-9/vibration', payload(3, last + 1, now), 'unknownTopic'],
        ['sensors/duplex/pump-1/vibration', payload(-5, last + 1, now), 'outOfBounds'],
        ['sensors/duplex/pump-1/vibration', payload(1e9, last + 1, now), 'outOfBounds'],
        ['sensors/duplex/pump-1/vibration', payload(3, last, now), 'replayed'],
        ['sensors/duplex/pump-1/vibration', payload(3, 1, now), 'replayed'],
        ['sensors/duplex/pump-1/vibration', payload(3, last + 1, now - 3_600_000), 'stale'],
        ['sensors/duplex/pump-1/vibration', payload(3, last + 1, now + 3_600_000), 'future'],
      ];
      for (const [topic, body] of bad) await publish(client, topic, body);
      // A good reading after them proves the bad ones were all seen (same connection, in order).
      await publish(client, 'sensors/duplex/pump-1/vibration', payload(3, last + 1, now));
      await until(
        () => gateway.status().counts.stored === before.counts.stored + 1,
        5000,
        'the good reading',
      );
      const after = gateway.status();
      const expected: Record<string, number> = {};
      for (const [, , reason] of bad) expected[reason] = (expected[reason] ?? 0) + 1;
      for (const [reason, count] of Object.entries(expected))
        expect(
          after.counts.rejected[reason as keyof typeof after.counts.rejected] -
            before.counts.rejected[reason as keyof typeof before.counts.rejected],
          reason,
        ).toBe(count);
      expect(after.counts.rejectedTotal - before.counts.rejectedTotal).toBe(bad.length);
      expect(gateway.store.countReadings(mappingId)).toBe(storedBefore + 1);
      expect(after.recentRejections[0]).toMatchObject({
        reason: 'future',
        topic: 'sensors/duplex/pump-1/vibration',
      });
      expect(after.recentRejections.map((r) => r.detail)).toContain(
        '"ts" looks like seconds: send milliseconds since epoch',
      );
      expect(gateway.listRelayed({})).toEqual([]);
    },
  );

  it.skipIf(brokerCase.skip)(
    'refuses readings of a self-signing sensor whose signature is not its own',
    async () => {
      const { gateway } = fixture;
      const sensor = Wallet.createRandom();
      const mapping = gateway.addMapping(
        pumpMapping({
          topic: 'sensors/signed/pump-1/vibration',
          sensorAddress: sensor.address,
          signerIdentityId: null,
        }),
      );
      const before = gateway.status().counts.rejected.badSignature;
      const forged = `0x${'11'.repeat(65)}`;
      await new Promise((r) => setTimeout(r, 100));
      await publish(client, 'sensors/signed/pump-1/vibration', payload(3, 1, Date.now(), { sig: forged }));
      await publish(client, 'sensors/signed/pump-1/vibration', payload(3, 2, Date.now()));
      await until(
        () => gateway.status().counts.rejected.badSignature === before + 2,
        5000,
        'two bad signatures',
      );
      expect(gateway.store.countReadings(mapping.id)).toBe(0);
    },
  );

  it.skipIf(brokerCase.skip)(
    'queues the reading that starts a breach for the chain, and only that one',
    async () => {
      const { gateway } = fixture;
      const last = gateway.listMappings({}).find((m) => m.id === mappingId)!.last!.seq;
      const now = Date.now();
      const values = [6.8, 7.0, 7.3, 7.6, 6.9, 7.2, 6.5, 7.4];
      for (const [i, value] of values.entries())
        await publish(
          client,
          'sensors/duplex/pump-1/vibration',
          payload(value, last + 1 + i, now - 1000 + i),
        );
      await until(() => gateway.listRelayed({}).length >= 2, 5000, 'two breaches queued');
      gateway.flush();
      const relayed = gateway.listRelayed({}).sort((a, b) => a.seq - b.seq);
      // 7.3 starts the breach; 7.6 continues it; 6.9 is within the 5% deadband (noise), so 7.2 is
      // the same breach; 6.5 ends it; 7.4 starts the next one.
      expect(relayed.map((r) => r.value)).toEqual([7.3, 7.4]);
      expect(
        relayed.every((r) => r.status === 'queued' && r.reason === 'breach' && r.ruleId === rules[0]!.id),
      ).toBe(true);
      expect(gateway.status().counts.relayQueued).toBe(2);
    },
  );
});
