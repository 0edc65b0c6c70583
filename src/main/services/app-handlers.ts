// Handlers of the app-level requests: build info, health, session status and settings.
import type { appMethods, Health, SessionStatus } from '../../shared/api';
import type { Handlers } from './router';
import type { EventBus } from './events';
import type { SettingsService } from './settings';
import type { HostOptions } from './host';
import type { Vault } from '../vault/vault';
import type { ChainService } from '../chain/chain-service';

interface AppDeps {
  options: HostOptions;
  settings: SettingsService;
  bus: EventBus;
  vault: Vault;
  chain: ChainService;
}

export function appHandlers({
  options,
  settings,
  bus,
  vault,
  chain,
}: AppDeps): Pick<Handlers, keyof typeof appMethods> {
  const startedAt = Date.now();

  const status = (): SessionStatus => {
    const chainStatus = chain.status();
    const active = vault.activeIdentity();
    return {
      chainMode: chainStatus.mode,
      chainLabel: chainStatus.label,
      online: chainStatus.state === 'ready',
      identity: active ? { label: active.label, address: active.address } : null,
    };
  };
  // The status bar follows the chain and the vault as they change.
  bus.subscribe((event) => {
    if (event === 'chain.statusChanged' || event === 'vault.changed') bus.emit('app.statusChanged', status());
  });

  const health = (): Health => ({
    ok: true,
    uptimeMs: Date.now() - startedAt,
    checks: [{ name: 'settings', ok: true, detail: 'settings.json readable and writable' }],
  });

  return {
    'app.info': () => ({
      name: 'TwinLedger',
      version: options.appVersion,
      host: options.host,
      platform: process.platform,
      versions: { node: process.versions.node, ...options.versions },
      dataDir: options.dataDir,
    }),
    'app.health': health,
    'app.status': status,
    'settings.get': () => settings.get(),
    'settings.update': (patch) => {
      const next = settings.update(patch);
      bus.emit('app.statusChanged', status());
      return next;
    },
  };
}
