// A first start, as a new user sees it: the sandbox seeds itself (demo identities, the sample
// federated Duplex twin minted and committed on the embedded chain), the twin is listed and drawn,
// the status bar shows the demo owner, a synced outbox and the index; switching identity is
// one click and main answers with the new identity.
import { expect } from '@playwright/test';
import { screenshotsDir as screenshots, seededSandbox } from './fixtures';
import { inspectCanvas } from './canvas';

const test = seededSandbox();

test.use({ viewport: { width: 1280, height: 760 } });

test('a first start shows the sample Duplex twin, on chain, with the demo owner active', async ({
  page,
  seeded,
}) => {
  test.setTimeout(120_000);
  await page.goto(seeded.url);
  const sample = page.getByTestId('twin-item').filter({ hasText: 'Duplex apartment' });
  await expect(sample).toBeVisible({ timeout: 60_000 });

  // Seeding ends with version 1 committed on chain and indexed: the outbox has nothing pending.
  await expect(page.getByTestId('identity')).toContainText('Demo owner', { timeout: 60_000 });
  await expect(page.getByTestId('chain-mode')).toContainText('Sandbox chain');
  await expect(page.getByTestId('chain-mode')).not.toContainText('offline');
  await expect(page.getByTestId('index-lag')).toContainText(/Index: block \d+/, { timeout: 60_000 });
  await expect(page.getByTestId('seeding')).toHaveCount(0, { timeout: 60_000 });

  await sample.click();
  const canvas = page.getByTestId('viewport-canvas');
  await expect(canvas).toHaveAttribute('data-loaded', 'true', { timeout: 60_000 });
  // Frames are drawn on demand: poll until a full frame of the model is on the canvas.
  await expect
    .poll(async () => (await inspectCanvas(page, '[data-testid="viewport-canvas"]')).distinctColours, {
      timeout: 15_000,
    })
    .toBeGreaterThan(30);
  const report = await inspectCanvas(page, '[data-testid="viewport-canvas"]');
  expect(report.drawnShare).toBeGreaterThan(0.2);
  await expect(page.getByTestId('spatial-tree')).toContainText('Duplex');
  await page.screenshot({ path: `${screenshots}/first-start.png` });

  // Switch to the demo planner: main makes it active and the status bar follows the event.
  await page.getByTestId('identity').click();
  await page.getByRole('menuitemradio', { name: /Demo planner/ }).click();
  await expect(page.getByTestId('identity')).toContainText('Demo planner');
  await page.getByTestId('identity').click();
  await expect(page.getByRole('menuitemradio', { name: /Demo planner/ })).toHaveAttribute(
    'aria-checked',
    'true',
  );
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu', { name: 'Switch identity' })).toHaveCount(0);
});
