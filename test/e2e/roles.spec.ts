// The owner's journey on a seeded sandbox: the Roles tab lists the twin's grants with their end
// dates; the owner grants the demo planner EDITOR until a date (one transaction), sees it in the
// list and the timeline's audit, then revokes it; the planner sees the list read-only with why.
import { expect } from '@playwright/test';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { screenshotsDir as screenshots, seededSandbox } from './fixtures';

const test = seededSandbox();

test.use({ viewport: { width: 1440, height: 900 } });

test('as the owner, grant the planner EDITOR until a date, see it, revoke it', async ({ page, seeded }) => {
  test.setTimeout(150_000);
  const planner = demoWallet('planner').address;
  await page.goto(seeded.url);
  const sample = page.getByTestId('twin-item').filter({ hasText: 'Duplex apartment' });
  await expect(sample).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('seeding')).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId('identity')).toContainText('Demo owner');
  await sample.click();

  await page.getByRole('tab', { name: 'Roles' }).click();
  const panel = page.getByTestId('roles-panel');
  await expect(panel).toContainText('Owner: Demo owner');
  const crewRow = panel.locator(`[data-testid="grant-row"][data-role="MAINTAINER"]`);
  await expect(crewRow).toContainText(/\d{4}-\d{2}-\d{2}/);
  await expect(panel.getByTestId('roles-reason')).toHaveCount(0);

  // Grant the planner EDITOR until a date 30 days from now.
  const until = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  const form = panel.getByTestId('grant-form');
  await form.getByLabel('Account').fill(planner);
  await form.getByLabel('Role').selectOption('EDITOR');
  await form.getByLabel('Until').fill(until);
  await form.getByRole('button', { name: 'Grant' }).click();
  const editorRow = panel.locator(`[data-testid="grant-row"][data-account="${planner}"][data-role="EDITOR"]`);
  await expect(editorRow).toBeVisible({ timeout: 20_000 });
  await expect(editorRow).toContainText(until);
  await expect(page.getByRole('status').filter({ hasText: 'EDITOR granted to Demo planner' })).toBeVisible();
  await page.screenshot({ path: `${screenshots}/roles-granted.png` });

  // The audit trail in the maintenance timeline names it, with its transaction.
  await page.getByRole('tab', { name: 'Maintenance' }).click();
  const audit = page.getByTestId('timeline-entry').filter({ hasText: 'EDITOR granted to Demo planner' });
  await expect(audit).toContainText(`Until ${until}`);
  await expect(audit.getByTestId('entry-tx')).toContainText(/tx 0x/);

  // Revoke it: the row goes, the planner keeps their VIEWER role.
  await page.getByRole('tab', { name: 'Roles' }).click();
  await editorRow.getByRole('button', { name: /Revoke EDITOR from Demo planner/ }).click();
  await expect(editorRow).toHaveCount(0, { timeout: 20_000 });
  await expect(
    panel.locator(`[data-testid="grant-row"][data-account="${planner}"][data-role="VIEWER"]`),
  ).toBeVisible();
  await page.screenshot({ path: `${screenshots}/roles-revoked.png` });

  // A past end date is refused in the form before anything is signed.
  await form.getByLabel('Account').fill(planner);
  await form.getByLabel('Until').fill('2020-01-01');
  await form.getByRole('button', { name: 'Grant' }).click();
  await expect(form.getByRole('alert')).toContainText('The end date must be in the future.');

  // The planner sees the list read-only, with the reason.
  await page.getByTestId('identity').click();
  await page.getByRole('menuitemradio', { name: /Demo planner/ }).click();
  await expect(panel.getByTestId('roles-reason')).toContainText(/Only admins manage roles/, {
    timeout: 15_000,
  });
  await expect(form.getByRole('button', { name: 'Grant' })).toBeDisabled();
  await expect(panel.getByRole('button', { name: /^Revoke/ })).toHaveCount(0);
  await page.screenshot({ path: `${screenshots}/roles-read-only.png` });
});
