// The app shell in Chromium against the real serve host: the frame renders, requests round-trip,
// the 3D viewport really draws, and the API refuses strangers.
import { test, expect } from './fixtures';
import { inspectCanvas } from './canvas';
import { openClient } from './client';

test('the app frame renders with a drawn 3D viewport and live status', async ({ page, serve }, testInfo) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });

  await page.goto(serve.url);
  await expect(page.getByTestId('app-frame')).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Twins' })).toContainText('No twins yet');
  await expect(page.getByRole('tab', { name: 'Properties' })).toHaveAttribute('aria-selected', 'true');

  // app.status and app.info round-trip through the socket.
  await expect(page.getByTestId('chain-mode')).toContainText('Sandbox chain');
  await expect(page.getByTestId('identity')).toHaveText('No identity');
  await expect(page.getByTestId('app-version')).toHaveText(/TwinLedger \d+\.\d+\.\d+ · serve/);

  // The secret left the address bar once read.
  expect(page.url()).not.toContain('token=');

  const canvas = page.getByTestId('viewport-canvas');
  await expect(canvas).toHaveAttribute('data-drawn', 'true');
  // Frames are drawn on demand; a resize clears the canvas until the next one, so poll for a frame.
  let report = await inspectCanvas(page, '[data-testid="viewport-canvas"]');
  await expect
    .poll(
      async () => {
        report = await inspectCanvas(page, '[data-testid="viewport-canvas"]');
        return report.distinctColours > 3 && report.drawnShare > 0.05;
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  console.log(
    `canvas ${report.width}x${report.height}: ${report.distinctColours} colours, ${(report.drawnShare * 100).toFixed(1)}% drawn`,
  );
  expect(report.width).toBeGreaterThan(300);
  expect(report.drawnShare).toBeGreaterThan(0.05);

  await page.screenshot({ path: testInfo.outputPath('app-shell.png') });
  await page.screenshot({ path: 'test-results/screenshots/app-shell.png' });
  expect(errors).toEqual([]);
});

test('events from main reach the page: the status bar follows a settings change', async ({ page, serve }) => {
  await page.goto(serve.url);
  await expect(page.getByTestId('chain-mode')).toContainText('Sandbox chain');
  // Another client of the same host (as a second window would be) switches to network mode.
  const other = await openClient(serve);
  const answer = await other.call('settings.update', {
    chainMode: 'network',
    rpcUrl: 'http://127.0.0.1:8545/secret-api-key',
  });
  expect(answer).toMatchObject({ ok: true });
  // Nothing listens there: the label names the endpoint (never its path, where API keys live) and
  // says it is offline.
  await expect(page.getByTestId('chain-mode')).toContainText('http://127.0.0.1:8545');
  await expect(page.getByTestId('chain-mode')).toContainText('offline');
  await expect(page.getByTestId('chain-mode')).not.toContainText('secret-api-key');
  other.close();
});

test('the API refuses a page from another origin, even with the secret', async ({ page, serve }) => {
  await page.goto('about:blank');
  const outcome = await page.evaluate(
    ({ origin, token }) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(origin.replace('http', 'ws') + '/api', ['twinledger.v1', `auth.${token}`]);
        ws.onopen = () => resolve('open');
        ws.onerror = () => resolve('refused');
      }),
    { origin: serve.origin, token: serve.token },
  );
  expect(outcome).toBe('refused');
});

test('the API refuses the app page when the secret is missing, and says how to fix it', async ({
  page,
  serve,
}) => {
  await page.goto(serve.origin + '/');
  await expect(page.getByRole('alert')).toContainText('opened without its access token');
});
