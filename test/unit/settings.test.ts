// Settings are durable before they are announced, survive a restart, and a damaged file never
// stops the app from starting.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SettingsService } from '../../src/main/services/settings';
import { EventBus } from '../../src/main/services/events';
import { defaultSettings } from '../../src/shared/api';

const dir = () => mkdtempSync(join(tmpdir(), 'twinledger-settings-'));

describe('settings', () => {
  it('starts from defaults when there is no file', () => {
    expect(new SettingsService(dir(), new EventBus()).get()).toEqual(defaultSettings);
  });

  it('writes the change to disk before emitting it, and reloads it after a restart', () => {
    const d = dir();
    const bus = new EventBus();
    const seenOnDisk: unknown[] = [];
    bus.subscribe((event) => {
      if (event === 'settings.changed')
        seenOnDisk.push(JSON.parse(readFileSync(join(d, 'settings.json'), 'utf8')).theme);
    });
    new SettingsService(d, bus).update({ theme: 'light', maxImportMegabytes: 64 });
    expect(seenOnDisk).toEqual(['light']);
    expect(new SettingsService(d, new EventBus()).get()).toMatchObject({
      theme: 'light',
      maxImportMegabytes: 64,
    });
  });

  it('keeps valid fields and falls back per field for invalid ones', () => {
    const d = dir();
    const warnings: string[] = [];
    writeFileSync(
      join(d, 'settings.json'),
      JSON.stringify({ theme: 'dark', vaultIdleLockMinutes: 'soon', future: 1 }),
    );
    const s = new SettingsService(d, new EventBus(), (m) => warnings.push(m)).get();
    expect(s.theme).toBe('dark');
    expect(s.vaultIdleLockMinutes).toBe(defaultSettings.vaultIdleLockMinutes);
    expect(warnings).toEqual(['settings.json: ignoring invalid vaultIdleLockMinutes.']);
  });

  it('starts with defaults and a warning when the file is not JSON', () => {
    const d = dir();
    const warnings: string[] = [];
    writeFileSync(join(d, 'settings.json'), '{"theme": "dar');
    expect(new SettingsService(d, new EventBus(), (m) => warnings.push(m)).get()).toEqual(defaultSettings);
    expect(warnings[0]).toMatch(/settings.json is unreadable/);
  });

  it('rejects an invalid update and leaves the file untouched', () => {
    const d = dir();
    const service = new SettingsService(d, new EventBus());
    service.update({ theme: 'dark' });
    const before = readFileSync(join(d, 'settings.json'), 'utf8');
    expect(() => service.update({ rpcUrl: 'ftp://example.org' } as never)).toThrow(/Settings rejected/);
    // The chain service speaks JSON-RPC over HTTP only: a WebSocket endpoint would never connect.
    expect(() => service.update({ rpcUrl: 'wss://rpc.example.org' })).toThrow(/Settings rejected/);
    expect(readFileSync(join(d, 'settings.json'), 'utf8')).toBe(before);
    expect(service.get().rpcUrl).toBeNull();
  });
});
