// The sensors.* requests through the service host's router: every payload checked by its schema
// (strict: unknown fields, wildcard topics, short passwords refused), mappings tied to real twins,
// and the gateway off in a host that was not asked to start it, until sensors.configure turns it on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceHost, type ServiceHost } from '../../src/main/services/host';
import { quietLogger } from './fixture';

describe('sensors API', () => {
  let dir: string;
  let host: ServiceHost;
  const events: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'twinledger-sensors-api-'));
    host = createServiceHost({
      dataDir: dir,
      host: 'serve',
      appVersion: '0.0.0',
      logger: quietLogger,
      startChain: false,
    });
    host.bus.subscribe((event) => events.push(event));
  });
  afterAll(async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with the gateway stopped and no mappings, then runs once configured', async () => {
    const status = await host.router.call('sensors.status', {});
    expect(status).toMatchObject({ ok: true, value: { state: 'stopped', broker: { connected: false } } });
    expect(await host.router.call('sensors.listMappings', {})).toEqual({ ok: true, value: { mappings: [] } });
    const configured = await host.router.call('sensors.configure', { enabled: true, port: 0 });
    expect(configured).toMatchObject({
      ok: true,
      value: { state: 'running', broker: { mode: 'embedded', connected: true } },
    });
    if (!configured.ok) return;
    expect(configured.value.broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    await new Promise((r) => setTimeout(r, 600));
    expect(events).toContain('sensors.statusChanged');
  });

  it('refuses payloads that do not match the contract, naming the field', async () => {
    const bad = [
      [
        'sensors.addMapping',
        {
          twinId: 't',
          element: { globalId: 'g' },
          topic: 'sensors/#',
          metric: 'v',
          minValue: 0,
          maxValue: 1,
        },
        'topic',
      ],
      [
        'sensors.addMapping',
        { twinId: 't', element: { globalId: 'g' }, topic: 'a/b', metric: '1bad', minValue: 0, maxValue: 1 },
        'metric',
      ],
      ['sensors.configure', { port: 70_000 }, 'port'],
      ['sensors.configure', { brokerMode: 'cloud' }, 'brokerMode'],
      ['sensors.configure', { secret: 1 }, 'secret'],
      ['sensors.setCredential', { username: 'pump 1', password: 'long enough password' }, 'username'],
      ['sensors.setCredential', { username: 'pump-1', password: 'short' }, 'password'],
      ['sensors.series', { from: 10, to: 20 }, 'mappingId'],
      ['sensors.series', { mappingId: 1, from: 20, to: 10 }, 'before'],
    ] as const;
    for (const [method, request, field] of bad) {
      const result = await host.router.dispatch(method, request);
      expect(result, `${method} ${JSON.stringify(request)}`).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST' },
      });
      if (!result.ok) expect(result.error.message).toContain(field);
    }
  });

  it('answers clear errors for a missing twin, an external broker without URL and an unknown mapping', async () => {
    const missingTwin = await host.router.call('sensors.addMapping', {
      twinId: 'no-such-twin',
      element: { globalId: '13kXneVBL8egWoGKRJw4xa' },
      topic: 'sensors/x',
      metric: 'vibration_mm_s',
      minValue: 0,
      maxValue: 100,
    });
    expect(missingTwin).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(
      await host.router.call('sensors.configure', { brokerMode: 'external', brokerUrl: null }),
    ).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', message: expect.stringContaining('URL') },
    });
    expect(await host.router.call('sensors.updateMapping', { id: 42, label: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await host.router.call('sensors.removeMapping', { id: 42 })).toEqual({
      ok: true,
      value: { removed: false },
    });
    // Nothing half-written: the gateway kept its embedded broker.
    expect(await host.router.call('sensors.status', {})).toMatchObject({
      ok: true,
      value: { broker: { mode: 'embedded' } },
    });
  });

  it('keeps credentials write-only', async () => {
    const set = await host.router.call('sensors.setCredential', {
      username: 'pump-1',
      password: 'a long sensor password',
    });
    expect(set).toMatchObject({ ok: true, value: { username: 'pump-1', topics: [] } });
    expect(JSON.stringify(await host.router.call('sensors.listCredentials', {}))).not.toContain(
      'a long sensor password',
    );
    expect(await host.router.call('sensors.removeCredential', { username: 'pump-1' })).toEqual({
      ok: true,
      value: { removed: true },
    });
  });
});
