// The crew's journey on a seeded sandbox: as the demo maintenance crew (MAINTAINER), find a circulator
// pump of the Duplex electrical model, stop the chain node from the status bar, log service
// with an attachment (hashed in the page), see it pending in the timeline and in the outbox, start
// the node again, and see it confirmed on chain with its transaction; its state is verified on chain.
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import { EmbeddedChain } from '../../src/main/chain/embedded-chain';
import { createEthersProvider } from '../../src/main/chain/ethers';
import { TwinRegistry__factory } from '../../src/main/chain/generated/types';
import { readManifest, sandboxManifestPath } from '../../src/main/sync/deployment';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { TWIN_ROLES } from '../../src/shared/eip712';
import { screenshotsDir as screenshots, seededSandbox, type ServeProcess } from './fixtures';

const test = seededSandbox();

// A circulator pump of the Duplex electrical model (IfcFlowMovingDevice, "M_Inline Pump - Circulator").
const PUMP = '13kXneVBL8egWoGKRJw4xa';

test.use({ viewport: { width: 1440, height: 900 } });

async function openSeededTwin(page: Page, seeded: ServeProcess) {
  await page.goto(seeded.url);
  const sample = page.getByTestId('twin-item').filter({ hasText: 'Duplex apartment' });
  await expect(sample).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('seeding')).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId('index-lag')).toContainText(/Index: block \d+/, { timeout: 60_000 });
  await sample.click();
  await expect(page.getByTestId('viewport-canvas')).toHaveAttribute('data-loaded', 'true', {
    timeout: 60_000,
  });
}

async function switchIdentity(page: Page, name: RegExp) {
  await page.getByTestId('identity').click();
  await page.getByRole('menuitemradio', { name }).click();
}

test('as the crew, log service on a pump while the chain node is stopped; it confirms once the node is back', async ({
  page,
  seeded,
}) => {
  test.setTimeout(180_000);
  await openSeededTwin(page, seeded);
  await switchIdentity(page, /Demo maintenance crew/);
  await expect(page.getByTestId('identity')).toContainText('Demo maintenance crew');

  // Find the pump by search; it is selected and its properties show it verified on chain.
  await page.getByTestId('search-input').fill(PUMP);
  await page.getByTestId('search-results').locator(`[data-global-id="${PUMP}"]`).click();
  await expect(page.getByTestId('properties')).toHaveAttribute('data-global-id', PUMP);
  await expect(page.getByTestId('verified-badge')).toHaveAttribute('data-state', 'verified', {
    timeout: 20_000,
  });
  await expect(page.getByTestId('verified-badge')).toContainText('Verified on chain');

  // The maintenance tab: the crew may log service on it.
  await page.getByRole('tab', { name: 'Maintenance' }).click();
  const form = page.getByTestId('log-service-form');
  await expect(form).toContainText('on M_Inline Pump - Circulator');
  await expect(page.getByTestId('log-service-reason')).toHaveCount(0, { timeout: 10_000 });

  // Stop the chain node from the status bar: the app says it is offline.
  await page.getByTestId('sandbox-node-toggle').click();
  await expect(page.getByTestId('chain-mode')).toContainText('offline', { timeout: 15_000 });
  await expect(page.getByTestId('log-service-offline')).toBeVisible();

  const notes = 'Annual inspection: impeller cleaned, flow 3.9 l/s, head 0.8 m, no seal leak.';
  await form.getByLabel('Service kind').selectOption('inspection');
  await form.getByLabel('Notes').fill(notes);
  await page.getByTestId('log-service-files').setInputFiles({
    name: 'pump-test-report.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('flow 3.9 l/s, head 0.8 m, vibration 2.1 mm/s\n'),
  });
  // sha256 of that text, hashed in the page with WebCrypto.
  await expect(page.getByTestId('log-service-attachments')).toContainText('pump-test-report.txt');
  await form.getByRole('button', { name: 'Log service' }).click();

  const entry = page.getByTestId('timeline-entry').filter({ hasText: notes });
  await expect(entry).toHaveAttribute('data-status', 'pending', { timeout: 15_000 });
  await expect(entry).toContainText('Inspection logged by Demo maintenance crew');
  await expect(entry).toContainText('waiting in the outbox');
  await expect(entry).toContainText('pump-test-report.txt');
  await expect(page.getByTestId('outbox-counts')).toContainText('1 pending');
  await page.screenshot({ path: `${screenshots}/maintenance-pending-offline.png` });

  // The outbox, from the status bar: the signed log waits there.
  await page.getByTestId('outbox-counts').click();
  const outbox = page.getByTestId('outbox-panel');
  await expect(outbox.getByTestId('outbox-item').filter({ hasText: notes })).toHaveAttribute(
    'data-status',
    'queued',
  );
  await page.screenshot({ path: `${screenshots}/outbox-queued.png` });
  await page.keyboard.press('Escape');
  await expect(outbox).toHaveCount(0);

  // Start the node again: the outbox sends it, the index sees it, the entry is on chain.
  await page.getByTestId('sandbox-node-toggle').click();
  await expect(page.getByTestId('chain-mode')).not.toContainText('offline', { timeout: 30_000 });
  await expect(entry).toHaveAttribute('data-status', 'confirmed', { timeout: 45_000 });
  await expect(entry.getByTestId('entry-tx')).toContainText(/tx 0x[0-9a-f]{8}…[0-9a-f]{6} · block \d+/);
  await expect(page.getByTestId('outbox-counts')).toContainText('all synced', { timeout: 20_000 });

  // The whole twin's timeline has it too, with the seeded history under it.
  await page.getByRole('button', { name: 'Whole twin' }).click();
  await expect(page.getByTestId('timeline-entries')).toContainText('Version 1 committed by Demo engineer');
  await expect(page.getByTestId('timeline-entries')).toContainText(
    'MAINTAINER granted to Demo maintenance crew',
  );
  // Filter by kind: service only.
  await page.getByRole('group', { name: 'Kinds' }).getByRole('button', { name: 'Roles' }).click();
  await page.getByRole('group', { name: 'Kinds' }).getByRole('button', { name: 'Versions' }).click();
  await expect(page.getByTestId('timeline-entry').filter({ hasText: 'Version 1 committed' })).toHaveCount(0);
  await expect(entry).toBeVisible();
  await page.screenshot({ path: `${screenshots}/maintenance-confirmed.png` });

  // Its element link selects the pump in 3D again (after clearing the selection).
  await page.keyboard.press('Escape');
  await entry.getByTestId('entry-element').click();
  await page.getByRole('tab', { name: 'Properties' }).click();
  await expect(page.getByTestId('properties')).toHaveAttribute('data-global-id', PUMP);
});

test('the planner (no MAINTAINER role) sees logging service disabled with the reason', async ({
  page,
  seeded,
}) => {
  test.setTimeout(120_000);
  await openSeededTwin(page, seeded);
  await switchIdentity(page, /Demo planner/);
  await expect(page.getByTestId('identity')).toContainText('Demo planner');
  await page.getByTestId('search-input').fill(PUMP);
  await page.getByTestId('search-results').locator(`[data-global-id="${PUMP}"]`).click();
  await page.getByRole('tab', { name: 'Maintenance' }).click();
  await expect(page.getByTestId('log-service-reason')).toContainText(/has no MAINTAINER role on this twin/);
  await expect(
    page.getByTestId('log-service-form').getByRole('button', { name: 'Log service' }),
  ).toBeDisabled();
  await page.screenshot({ path: `${screenshots}/maintenance-no-role.png` });
});

test('a log queued offline fails with the reason when an admin elsewhere revoked the role; the outbox discards it', async ({
  page,
  seeded,
}) => {
  test.setTimeout(150_000);
  await openSeededTwin(page, seeded);
  await switchIdentity(page, /Demo maintenance crew/);
  await expect(page.getByTestId('identity')).toContainText('Demo maintenance crew');
  await page.getByTestId('search-input').fill(PUMP);
  await page.getByTestId('search-results').locator(`[data-global-id="${PUMP}"]`).click();
  await page.getByRole('tab', { name: 'Maintenance' }).click();
  const form = page.getByTestId('log-service-form');
  await expect(page.getByTestId('log-service-reason')).toHaveCount(0, { timeout: 10_000 });

  await page.getByTestId('sandbox-node-toggle').click();
  await expect(page.getByTestId('chain-mode')).toContainText('offline', { timeout: 15_000 });
  const notes = 'Circulation pump seal replaced.';
  await form.getByLabel('Service kind').selectOption('repair');
  await form.getByLabel('Notes').fill(notes);
  await form.getByRole('button', { name: 'Log service' }).click();
  const entry = page.getByTestId('timeline-entry').filter({ hasText: notes });
  await expect(entry).toHaveAttribute('data-status', 'pending', { timeout: 15_000 });

  // Meanwhile the owner, on another machine sharing this chain, revokes the crew's MAINTAINER role.
  const chain = await EmbeddedChain.start({ dataDir: join(seeded.dataDir, 'chain') });
  const provider = createEthersProvider(chain, chain.chainId);
  const manifest = readManifest(sandboxManifestPath(seeded.dataDir))!;
  const registry = TwinRegistry__factory.connect(
    manifest.contracts.TwinRegistry!.address,
    demoWallet('owner').connect(provider),
  );
  const twin = await registry.lastTwinId();
  await (await registry.revokeRole(twin, TWIN_ROLES.Maintainer, demoWallet('crew').address)).wait();
  provider.destroy();
  await chain.close();

  // Back online: the chain refuses the log; the timeline and the outbox say why, in words.
  await page.getByTestId('sandbox-node-toggle').click();
  await expect(entry).toHaveAttribute('data-status', 'failed', { timeout: 45_000 });
  await expect(entry).toContainText(
    'Not recorded: your MAINTAINER role on this twin has ended or was revoked.',
  );
  await expect(page.getByTestId('outbox-counts')).toContainText('1 failed');
  await expect(page.getByTestId('log-service-reason')).toContainText(
    /MAINTAINER role on this twin was revoked/,
  );
  await page.getByTestId('outbox-counts').click();
  const item = page.getByTestId('outbox-panel').getByTestId('outbox-item').filter({ hasText: notes });
  await expect(item).toHaveAttribute('data-status', 'failed');
  await expect(item.getByTestId('outbox-reason')).toContainText('has ended or was revoked');
  await page.screenshot({ path: `${screenshots}/outbox-failed.png` });
  page.once('dialog', (dialog) => void dialog.accept());
  await item.getByRole('button', { name: 'Discard' }).click();
  await expect(item).toHaveCount(0);
  await expect(page.getByTestId('outbox-counts')).not.toContainText('failed');
  await page.keyboard.press('Escape');
  await expect(entry).toHaveCount(0);
});
