// Electron entry: the desktop shell around the main services. Everything that is not Electron
// specific lives in ./services and is shared with the headless serve host.
import { app, BrowserWindow, dialog, nativeTheme } from 'electron';
import { join } from 'node:path';
import { createServiceHost, type ServiceHost } from './services/host';
import { createConsoleLogger } from './services/logger';
import { APP_VERSION } from './services/version';
import { applySecurityPolicy, rendererLocation } from './electron/security';
import { registerIpc } from './electron/ipc';
import { createMainWindow, windowBackground } from './electron/window';
import { createSafeStorageProtector } from './electron/safe-storage';

const logger = createConsoleLogger('main');

// Sandbox every renderer, whatever a window's own options say.
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let services: ServiceHost | null = null;

  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  app
    .whenReady()
    .then(() => {
      const dataDir = app.getPath('userData');
      services = createServiceHost({
        dataDir,
        host: 'electron',
        appVersion: APP_VERSION,
        logger,
        secretProtector: createSafeStorageProtector(),
        // A first start of the sandbox shows every role at work (demo identities, sample twin, grants).
        seedSandbox: process.env.TWINLEDGER_SANDBOX_SEED !== '0',
        versions: {
          electron: process.versions.electron ?? '',
          chrome: process.versions.chrome ?? '',
        },
      });
      const location = rendererLocation(join(import.meta.dirname, '../renderer/index.html'));
      applySecurityPolicy(location, logger);
      registerIpc(services, location, logger);
      createMainWindow({
        dataDir,
        preload: join(import.meta.dirname, '../preload/index.cjs'),
        location,
        logger,
        theme: services.settings.get().theme,
      });
      // The windows' own colour follows the theme as the page does (a setting saved, the OS's changed).
      const recolour = () => {
        const colour = windowBackground(services!.settings.get().theme);
        for (const win of BrowserWindow.getAllWindows()) win.setBackgroundColor(colour);
      };
      services.bus.subscribe((event) => {
        if (event === 'settings.changed') recolour();
      });
      nativeTheme.on('updated', recolour);
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0 && services) {
          createMainWindow({
            dataDir,
            preload: join(import.meta.dirname, '../preload/index.cjs'),
            location,
            logger,
            theme: services.settings.get().theme,
          });
        }
      });
    })
    .catch((error: unknown) => {
      logger.error('start-up failed', error);
      dialog.showErrorBox('TwinLedger could not start', (error as Error).message);
      app.exit(1);
    });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('will-quit', () => {
    void services?.close();
  });
}
