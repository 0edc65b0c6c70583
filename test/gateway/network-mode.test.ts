// The embedded broker opened to the network: every client must log in with its own sensor
// credentials (stored as scrypt hashes), may publish only on its topics, and may not subscribe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, endClient, publish, until } from './brokers';
import { gatewayFixture, payload, pumpMapping, type GatewayFixture } from './fixture';
import { openDatabase } from '../../src/main/store/database';

describe('embedded broker open to the network', () => {
  let fixture: GatewayFixture;
  let url: string;

  beforeAll(async () => {
    fixture = await gatewayFixture({ brokerMode: 'embedded', openToNetwork: true });
    fixture.gateway.addMapping(pumpMapping());
    fixture.gateway.addMapping(pumpMapping({ topic: 'sensors/duplex/pump-2/vibration' }));
    url = `mqtt://127.0.0.1:${fixture.gateway.status().broker.port}`;
    await fixture.gateway.setCredential({
      username: 'pump-1',
      password: 'correct horse battery',
      topics: ['sensors/duplex/pump-1/vibration'],
    });
  });
  afterAll(() => fixture.close());

  it('listens on every interface and keeps only a salted scrypt hash of each password', () => {
    const status = fixture.gateway.status();
    expect(status.config.openToNetwork).toBe(true);
    expect(status.state).toBe('running');
    const db = openDatabase(fixture.dbPath);
    const row = db.prepare('SELECT * FROM sensor_credentials').get() as Record<string, unknown>;
    db.close();
    expect(JSON.stringify(row)).not.toContain('correct horse');
    expect((row.hash as Buffer).length).toBe(32);
    expect((row.salt as Buffer).length).toBe(16);
    expect(fixture.gateway.listCredentials()).toEqual([
      expect.objectContaining({ username: 'pump-1', topics: ['sensors/duplex/pump-1/vibration'] }),
    ]);
  });

  it('refuses a client without credentials and one with a wrong password', async () => {
    const before = fixture.gateway.status().counts.rejected.unauthorized;
    await expect(connectClient(url)).rejects.toThrow(/Bad username or password|Not authorized|bad user/i);
    await expect(connectClient(url, { username: 'pump-1', password: 'wrong password!' })).rejects.toThrow(
      /Bad username or password|Not authorized|bad user/i,
    );
    await expect(
      connectClient(url, { username: 'nobody', password: 'correct horse battery' }),
    ).rejects.toThrow();
    expect(fixture.gateway.status().counts.rejected.unauthorized).toBe(before + 3);
  });

  it('accepts the sensor’s readings on its own topic only, and refuses subscriptions', async () => {
    const client = await connectClient(url, { username: 'pump-1', password: 'correct horse battery' });
    await publish(client, 'sensors/duplex/pump-1/vibration', payload(3.3, 1), 0);
    await until(() => fixture.gateway.status().counts.stored === 1, 5000, 'the reading stored');
    expect(fixture.gateway.listCredentials()[0]!.lastUsedAt).not.toBeNull();
    // A refused subscription: either a failure grant (128) or aedes closing the connection.
    const granted = await new Promise<number[] | 'closed'>((resolve) =>
      client.subscribe('sensors/#', (error, grants) =>
        resolve(error ? 'closed' : (grants ?? []).map((g) => g.qos)),
      ),
    );
    expect([[128], 'closed']).toContainEqual(granted);
    await endClient(client);

    // Another topic: aedes drops the connection, the publish is counted as unauthorized.
    const intruder = await connectClient(url, { username: 'pump-1', password: 'correct horse battery' });
    const before = fixture.gateway.status().counts.rejected.unauthorized;
    intruder.publish('sensors/duplex/pump-2/vibration', payload(3.3, 1), { qos: 0 });
    await until(() => fixture.gateway.status().counts.rejected.unauthorized === before + 1, 5000, 'refusal');
    await endClient(intruder);
    expect(fixture.gateway.status().counts.stored).toBe(1);
  });

  it('lets a removed credential no longer log in', async () => {
    expect(fixture.gateway.removeCredential('pump-1')).toBe(true);
    await expect(
      connectClient(url, { username: 'pump-1', password: 'correct horse battery' }),
    ).rejects.toThrow();
  });
});
