// The vault and chain requests through the router, as a renderer sends them: schemas refuse bad
// secrets without echoing them, and status changes arrive as events.
import { afterEach, describe, expect, it } from 'vitest';
import { createServiceHost, type ServiceHost } from '../../src/main/services/host';
import { quietLogger } from '../support/serve';
import { tempDir } from '../chain/helpers';

const PASSWORD = 'correct horse battery';
const hosts: ServiceHost[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function host(): { services: ServiceHost; events: [string, unknown][] } {
  const { dir, remove } = tempDir('vault-api');
  cleanups.push(remove);
  const services = createServiceHost({
    dataDir: dir,
    host: 'serve',
    appVersion: '0.0.0',
    logger: quietLogger,
  });
  hosts.push(services);
  const events: [string, unknown][] = [];
  services.bus.subscribe((event, payload) => events.push([event, payload]));
  return { services, events };
}

describe('vault API', () => {
  it('never echoes a secret in a refusal', async () => {
    const { services } = host();
    const secretKey = `0x${'z'.repeat(64)}`;
    const bad = await services.router.dispatch('vault.importKey', {
      label: 'x',
      privateKey: secretKey,
      password: 'short',
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const text = JSON.stringify(bad);
    expect(text).not.toContain('zzzz');
    expect(text).not.toContain('short');
    const phrase = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima';
    const badPhrase = await services.router.dispatch('vault.importMnemonic', {
      label: 'x',
      mnemonic: phrase,
      password: PASSWORD,
    });
    expect(badPhrase).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(JSON.stringify(badPhrase)).not.toContain('bravo');
    const wrong = await services.router.dispatch('vault.unlock', { password: 'wrong password here' });
    expect(JSON.stringify(wrong)).not.toContain('wrong password here');
    const extra = await services.router.dispatch('vault.lock', { password: PASSWORD });
    expect(extra).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(JSON.stringify(extra)).not.toContain(PASSWORD);
  });

  it('a new idle lock time saved in the settings restarts the clock with it at once', async () => {
    const { services, events } = host();
    await services.router.call('vault.create', { label: 'Engineer', password: PASSWORD });
    const before = Date.now();
    expect(await services.router.call('settings.update', { vaultIdleLockMinutes: 2 })).toMatchObject({
      ok: true,
    });
    const status = events.filter(([name]) => name === 'vault.changed').at(-1)![1] as { lockAt: number };
    // 2 minutes from the save, not the default 15 from the vault's creation.
    expect(status.lockAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(status.lockAt).toBeLessThanOrEqual(Date.now() + 120_000);
  });

  it('creates, locks, unlocks and exports through the router, announcing each change', async () => {
    const { services, events } = host();
    const created = await services.router.call('vault.create', { label: 'Engineer', password: PASSWORD });
    expect(created).toMatchObject({ ok: true, value: { label: 'Engineer', active: true } });
    expect(await services.router.call('vault.lock', {})).toMatchObject({ ok: true, value: { locked: true } });
    expect(await services.router.call('vault.unlock', { password: PASSWORD })).toMatchObject({
      ok: true,
      value: { locked: false, protection: { kind: 'none' } },
    });
    const id = created.ok ? created.value.id : '';
    const exported = await services.router.call('vault.export', {
      id,
      password: PASSWORD,
      format: 'privateKey',
    });
    expect(exported).toMatchObject({
      ok: true,
      value: { format: 'privateKey', secret: expect.stringMatching(/^0x[0-9a-f]{64}$/) },
    });
    const vaultEvents = events.filter(([name]) => name === 'vault.changed').map(([, payload]) => payload);
    expect(vaultEvents.map((status) => (status as { locked: boolean }).locked)).toEqual([false, true, false]);
  });
});

describe('chain API', () => {
  it('starts the sandbox chain in the background and reports it ready', async () => {
    const t0 = performance.now();
    const { services, events } = host();
    const hostMs = performance.now() - t0;
    expect((await services.router.call('chain.status', {})).ok).toBe(true);
    await services.chain.start();
    const status = await services.router.call('chain.status', {});
    expect(status).toMatchObject({
      ok: true,
      value: { mode: 'sandbox', state: 'ready', chainId: 31337, head: { number: 0 } },
    });
    expect(
      events.some(
        ([name, payload]) =>
          name === 'chain.statusChanged' && (payload as { state: string }).state === 'ready',
      ),
    ).toBe(true);
    console.log(
      `host created in ${hostMs.toFixed(0)} ms; sandbox chain ready after ${(performance.now() - t0).toFixed(0)} ms`,
    );
    expect(hostMs).toBeLessThan(500);
  });
});
