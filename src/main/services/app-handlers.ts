// Handlers of the app-level requests: build info, health, session status and settings.
import type { appMethods, Health, SessionStatus } from '../../shared/api';
import type { Handlers } from './router';
import type { EventBus } from './events';
import type { SettingsService } from './settings';
import type { HostOptions } from './host';

interface AppDeps {
  options: HostOptions;
  settings: SettingsService;
  bus: EventBus;
}

export function appHandlers({ options, settings, bus }: AppDeps): Pick<Handlers, keyof typeof appMethods> {
  const startedAt = Date.now();

  const status = (): SessionStatus => {
    const { chainMode, rpcUrl } = settings.get();
    return {
      chainMode,
      chainLabel: chainMode === 'sandbox' ? 'Sandbox chain' : (rpcUrl ?? 'No network configured'),
      // Chain connectivity and identities arrive with the sync capability; until then, offline.
      online: false,
      identity: null,
    };
  };

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
