// Storage and downsampling without a broker: minute and hour rollups maintained incrementally equal
// aggregates computed from the raw readings; a chart's series picks raw points, raw buckets or
// rollups by the range it covers; retention drops raw readings but keeps the rollups.
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayFixture, payload, pumpMapping, type GatewayFixture } from './fixture';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** A deterministic pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('sensor series', () => {
  let fixture: GatewayFixture;
  let clock: number;
  afterEach(() => fixture.close());

  /** Feeds `count` readings, one every `stepMs`, ending now; answers them. */
  function feed(mappingId: number, topic: string, count: number, stepMs: number, seed = 7) {
    const next = random(seed);
    const end = clock;
    const readings: { ts: number; value: number }[] = [];
    for (let i = 0; i < count; i++) {
      const ts = end - (count - 1 - i) * stepMs;
      const value = Math.round((20 + next() * 10) * 1000) / 1000;
      readings.push({ ts, value });
      fixture.gateway.handleMessage(topic, Buffer.from(payload(value, i + 1, ts)));
      // Flushes at uneven places, so buckets are built up across several transactions.
      if (next() < 0.01) fixture.gateway.flush();
    }
    fixture.gateway.flush();
    expect(fixture.gateway.store.countReadings(mappingId)).toBe(count);
    return readings;
  }

  function expectBuckets(
    points: { t: number; min: number; max: number; avg: number; count: number }[],
    readings: { ts: number; value: number }[],
    origin: number,
    bucketMs: number,
  ) {
    const expected = new Map<number, number[]>();
    for (const r of readings) {
      const t = origin + Math.floor((r.ts - origin) / bucketMs) * bucketMs;
      expected.set(t, [...(expected.get(t) ?? []), r.value]);
    }
    expect(points.map((p) => p.t)).toEqual([...expected.keys()]);
    for (const p of points) {
      const values = expected.get(p.t)!;
      expect(p.count).toBe(values.length);
      expect(p.min).toBe(Math.min(...values));
      expect(p.max).toBe(Math.max(...values));
      expect(p.avg).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
    }
  }

  it('answers raw points, raw buckets, minute and hour rollups that match the raw readings', async () => {
    clock = Date.UTC(2026, 10, 24, 12, 0, 0);
    fixture = await gatewayFixture(
      { enabled: false, staleAfterSeconds: 86_400 * 30, retentionDays: 30 },
      { now: () => clock },
    );
    const { gateway } = fixture;
    const mapping = gateway.addMapping(pumpMapping());
    // Two days of a reading every 20 s: 8,640 readings.
    const readings = feed(mapping.id, mapping.topic, 8640, 20_000);
    const first = readings[0]!.ts;

    // Ten minutes at 100 points: 30 raw readings, returned as they are.
    const short = gateway.series({
      mappingId: mapping.id,
      from: clock - 10 * MINUTE + 1,
      to: clock,
      points: 100,
    });
    expect(short).toMatchObject({ source: 'raw', bucketMs: 0 });
    expect(short.points.map((p) => p.avg)).toEqual(readings.slice(-30).map((r) => r.value));

    // An hour at 120 points: 180 raw readings in 30 s buckets.
    const from = clock - HOUR + 1;
    const hour = gateway.series({ mappingId: mapping.id, from, to: clock, points: 120 });
    expect(hour).toMatchObject({ source: 'raw', bucketMs: 30_000 });
    expectBuckets(
      hour.points,
      readings.filter((r) => r.ts >= from),
      from - (from % 30_000),
      30_000,
    );
    // The same hour at 40 points: 90 s buckets are wider than a minute, so minute rollups answer.
    expect(gateway.series({ mappingId: mapping.id, from, to: clock, points: 40 })).toMatchObject({
      source: 'minute',
      bucketMs: 2 * MINUTE,
    });

    // A day at 200 points: minute rollups in 8-minute buckets.
    const day = gateway.series({ mappingId: mapping.id, from: clock - 24 * HOUR, to: clock, points: 200 });
    expect(day).toMatchObject({ source: 'minute', bucketMs: 8 * MINUTE });
    const dayOrigin = clock - 24 * HOUR - ((clock - 24 * HOUR) % (8 * MINUTE));
    expectBuckets(
      day.points,
      readings.filter((r) => r.ts >= clock - 24 * HOUR - ((clock - 24 * HOUR) % MINUTE)),
      dayOrigin,
      8 * MINUTE,
    );
    expect(day.points.length).toBeLessThanOrEqual(200);

    // Both days at 24 points: hour rollups in 2-hour buckets.
    const all = gateway.series({ mappingId: mapping.id, from: first, to: clock, points: 24 });
    expect(all).toMatchObject({ source: 'hour', bucketMs: 2 * HOUR });
    expectBuckets(all.points, readings, first - (first % (2 * HOUR)), 2 * HOUR);
    expect(all.points.reduce((n, p) => n + p.count, 0)).toBe(8640);
  });

  it('drops raw readings past the retention period and draws that range from rollups', async () => {
    clock = Date.UTC(2026, 10, 24, 12, 0, 0);
    fixture = await gatewayFixture(
      { enabled: false, staleAfterSeconds: 86_400 * 30, retentionDays: 1 },
      { now: () => clock },
    );
    const { gateway } = fixture;
    const mapping = gateway.addMapping(pumpMapping());
    const readings = feed(mapping.id, mapping.topic, 3 * 24 * 60, MINUTE, 11);
    clock += 1;
    await gateway.configure({ retentionDays: 1 });
    const kept = gateway.store.rawReadings(mapping.id, 0, clock);
    expect(kept.length).toBe(24 * 60);
    expect(kept[0]!.ts).toBeGreaterThanOrEqual(clock - 24 * HOUR);
    // Two days ago, ten minutes: raw readings are gone, the minute rollups answer.
    const from = clock - 48 * HOUR;
    const old = gateway.series({ mappingId: mapping.id, from, to: from + 10 * MINUTE, points: 100 });
    expect(old.source).toBe('minute');
    expectBuckets(
      old.points,
      readings.filter((r) => r.ts >= from - (from % MINUTE) && r.ts <= from + 10 * MINUTE),
      from - (from % MINUTE),
      MINUTE,
    );
  });

  it('answers an element metric by twin, element and metric, with NOT_FOUND for an unmapped one', async () => {
    clock = Date.now();
    fixture = await gatewayFixture({ enabled: false });
    const mapping = fixture.gateway.addMapping(pumpMapping());
    const series = fixture.gateway.series({
      twinId: 'twin-1',
      elementKey: mapping.elementKey.toUpperCase().replace('0X', '0x'),
      metric: 'vibration_mm_s',
      from: 0,
      to: clock,
    });
    expect(series.mapping.id).toBe(mapping.id);
    expect(series.points).toEqual([]);
    expect(() =>
      fixture.gateway.series({
        twinId: 'twin-1',
        elementKey: mapping.elementKey,
        metric: 'temperature_c',
        from: 0,
        to: clock,
      }),
    ).toThrow(/No sensor is mapped/);
  });
});
