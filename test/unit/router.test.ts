// The router is the gate every renderer request passes: unknown methods, bad payloads and service
// failures all come back as Results with a code and a readable message.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceHost } from '../../src/main/services/host';
import { createRouter, type Handlers } from '../../src/main/services/router';
import { AppError } from '../../src/shared/result';
import { quietLogger } from '../support/serve';

const host = () =>
  createServiceHost({
    dataDir: mkdtempSync(join(tmpdir(), 'twinledger-router-')),
    host: 'serve',
    appVersion: '1.2.3',
    logger: quietLogger,
  });

describe('router', () => {
  it('answers a valid request with ok and the value', async () => {
    const result = await host().router.dispatch('app.info', {});
    expect(result).toMatchObject({
      ok: true,
      value: { name: 'TwinLedger', version: '1.2.3', host: 'serve' },
    });
  });

  it('refuses an unknown method by name', async () => {
    const result = await host().router.dispatch('vault.exportEverything', {});
    expect(result).toEqual({
      ok: false,
      error: { code: 'UNKNOWN_METHOD', message: 'Unknown request "vault.exportEverything".' },
    });
  });

  it('refuses a non-string method without echoing it', async () => {
    const result = await host().router.dispatch({ toString: 'x' }, {});
    expect(result).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
  });

  it('refuses a payload that fails the schema, naming the field', async () => {
    const result = await host().router.dispatch('settings.update', { vaultIdleLockMinutes: -5 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('BAD_REQUEST');
    expect(result.error.message).toMatch(/^Invalid settings.update request: vaultIdleLockMinutes: /);
  });

  it('refuses unknown fields (strict schemas)', async () => {
    const result = await host().router.dispatch('settings.update', { theme: 'dark', isAdmin: true });
    expect(result).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    if (!result.ok) expect(result.error.message).toContain('isAdmin');
  });

  it('refuses a payload of the wrong type entirely', async () => {
    const result = await host().router.dispatch('app.info', 'not an object');
    expect(result).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('passes AppError codes through and hides unexpected errors behind INTERNAL', async () => {
    const logged: string[] = [];
    const base = host();
    const handlers = {
      ...(Object.fromEntries(
        ['app.info', 'app.health', 'app.status', 'settings.get', 'settings.update'].map((m) => [
          m,
          () => {
            throw new Error('secret detail: /home/user/key.json');
          },
        ]),
      ) as unknown as Handlers),
      'settings.get': () => {
        throw new AppError('NOT_FOUND', 'No settings here.');
      },
    };
    const router = createRouter(handlers, { logError: (m) => logged.push(m) });
    expect(await router.dispatch('settings.get', {})).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'No settings here.' },
    });
    const internal = await router.dispatch('app.info', {});
    expect(internal).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'app.info failed unexpectedly; the details are in the log.' },
    });
    expect(logged).toEqual(['app.info']);
    await base.close();
  });
});
