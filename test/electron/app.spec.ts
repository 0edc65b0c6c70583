// The desktop app itself: the window opens sandboxed, the preload bridge round-trips a request,
// the 3D viewport draws, and nothing but the narrow bridge is exposed.
import { test, expect, _electron as electron } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { inspectCanvas } from '../e2e/canvas';

const repo = resolve(import.meta.dirname, '../..');

/** Answers why Electron cannot run here, or null when its binary is installed. */
function electronUnavailable(): string | null {
  const require = createRequire(import.meta.url);
  let pkgDir: string;
  try {
    pkgDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return 'the electron package is not installed';
  }
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile))
    return 'the Electron binary was never downloaded (no network access to its release host)';
  const binary = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(binary)) return `the Electron binary is missing at ${binary}`;
  if (!existsSync(join(repo, 'out/main/index.js')))
    return 'out/main/index.js is missing: run `npm run build` first';
  return null;
}

const reason = electronUnavailable();
if (reason) console.log(`Electron end-to-end skipped: ${reason}.`);

test('the desktop app opens, round-trips a request over IPC and draws the viewport', async () => {
  test.skip(reason !== null, `Electron end-to-end skipped: ${reason}`);
  const userData = mkdtempSync(join(tmpdir(), 'twinledger-electron-'));
  const app = await electron.launch({
    args: [join(repo, 'out/main/index.js'), `--user-data-dir=${userData}`, '--no-sandbox'],
    cwd: repo,
  });
  try {
    const appWindow = await app.firstWindow();
    await expect(appWindow.getByTestId('app-frame')).toBeVisible();
    await expect(appWindow.getByTestId('app-version')).toHaveText(/TwinLedger \d+\.\d+\.\d+ · electron/);
    await expect(appWindow.getByTestId('chain-mode')).toContainText('Sandbox chain');

    // Only the narrow bridge is exposed: no Node, no ipcRenderer.
    const exposed = await appWindow.evaluate(() => ({
      bridge: Object.keys(window.twinledger ?? {}).sort(),
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
    }));
    expect(exposed).toEqual({ bridge: ['invoke', 'subscribe'], require: 'undefined', process: 'undefined' });

    // A bad payload is refused by main with a readable error.
    const refused = await appWindow.evaluate(() =>
      window.twinledger!.invoke('settings.update', { theme: 42 }),
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });

    // window.open is denied.
    const popup = await appWindow.evaluate(() => window.open('https://example.org') === null);
    expect(popup).toBe(true);

    await expect(appWindow.getByTestId('viewport-canvas')).toHaveAttribute('data-drawn', 'true');
    const report = await inspectCanvas(appWindow, '[data-testid="viewport-canvas"]');
    expect(report.distinctColours).toBeGreaterThan(3);
    await appWindow.screenshot({ path: join(repo, 'test-results/screenshots/electron-app.png') });
  } finally {
    await app.close();
    rmSync(userData, { recursive: true, force: true });
  }
});
