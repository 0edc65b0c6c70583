// The main services, independent of Electron: the desktop shell and the headless serve host both
// build one of these and connect a transport to its router and event bus.
import { mkdirSync } from 'node:fs';
import { createRouter, type Router } from './router';
import { EventBus } from './events';
import { SettingsService } from './settings';
import { appHandlers } from './app-handlers';
import { createTwinServices } from './twin-handlers';
import type { AppInfo } from '../../shared/api';
import type { Logger } from './logger';

export interface HostOptions {
  dataDir: string;
  host: AppInfo['host'];
  appVersion: string;
  logger: Logger;
  /** Versions worth showing in About (node, electron, chrome...). */
  versions?: Record<string, string>;
}

export interface ServiceHost {
  readonly router: Router;
  readonly bus: EventBus;
  readonly settings: SettingsService;
  close(): Promise<void>;
}

export function createServiceHost(options: HostOptions): ServiceHost {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const bus = new EventBus();
  const settings = new SettingsService(options.dataDir, bus, (m) => options.logger.warn(m));
  const closers: (() => Promise<void> | void)[] = [];
  const twins = createTwinServices({
    dataDir: options.dataDir,
    bus,
    maxImportMegabytes: () => settings.get().maxImportMegabytes,
    logError: (message, error) => options.logger.error(message, error),
  });
  closers.push(() => twins.close());

  // Each capability contributes one handler group; together they must cover the whole contract
  // (the Handlers type makes a missing method a compile error).
  const router = createRouter(
    {
      ...appHandlers({ options, settings, bus }),
      ...twins.handlers,
    },
    { logError: (method, error) => options.logger.error(`request ${method} failed`, error) },
  );

  return {
    router,
    bus,
    settings,
    close: async () => {
      for (const close of closers.reverse()) await close();
    },
  };
}
