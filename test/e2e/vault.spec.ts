// The vault through the status bar's identity menu: create the first identity (setting the vault
// password), lock and unlock it (a wrong password is refused inline), import a private key and
// switch to it, then export the first identity's key with the password. Secrets never reach the
// console. Each scrypt operation costs about a second on the serve host.
import { Wallet } from 'ethers';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';

const password = 'correct horse battery';

async function menuAction(page: Page, name: string | RegExp) {
  await page.getByTestId('identity').click();
  const menu = page.getByRole('menu', { name: 'Switch identity' });
  await expect(menu).toBeVisible();
  await menu.getByRole('menuitem', { name }).click();
}

async function chooseIdentity(page: Page, name: RegExp) {
  await page.getByTestId('identity').click();
  await page.getByRole('menuitemradio', { name }).click();
  await expect(page.getByTestId('identity')).toContainText(name);
}

test('create, lock, unlock, import and export identities from the status bar', async ({ page, serve }) => {
  const consoleText: string[] = [];
  page.on('console', (m) => consoleText.push(m.text()));
  page.on('pageerror', (e) => consoleText.push(e.message));
  const imported = Wallet.createRandom();

  await page.goto(serve.url);
  const identity = page.getByTestId('identity');
  const lockState = page.getByTestId('vault-lock-state');
  await expect(identity).toHaveText('No identity');

  // The first identity sets the vault password (with confirmation).
  await menuAction(page, 'Add identity…');
  const add = page.getByTestId('vault-add-dialog');
  await expect(add.getByTestId('vault-label')).toBeFocused();
  await add.getByTestId('vault-label').fill('Site engineer');
  await add.getByTestId('vault-password').fill(password);
  await add.getByTestId('vault-password-confirm').fill('something else');
  await expect(add.getByText('The passwords do not match.')).toBeVisible();
  await expect(add.getByTestId('vault-submit')).toBeDisabled();
  await add.getByTestId('vault-password-confirm').fill(password);
  await add.getByTestId('vault-password-confirm').press('Enter');
  // scrypt takes about a second: the dialog says so and refuses a second submit meanwhile.
  await expect(add.getByTestId('vault-progress')).toHaveText('Encrypting… (scrypt takes about a second)');
  await expect(add.getByTestId('vault-submit')).toBeDisabled();
  await expect(add).toHaveCount(0, { timeout: 15_000 });
  await expect(identity).toContainText('Site engineer');
  await expect(lockState).toHaveAttribute('data-locked', 'false');

  // Lock, then unlock: a wrong password is refused inline, the right one unlocks.
  await menuAction(page, 'Lock vault');
  await expect(lockState).toHaveAttribute('data-locked', 'true');
  await menuAction(page, 'Unlock…');
  const unlock = page.getByTestId('vault-unlock-dialog');
  await expect(unlock.getByTestId('vault-password')).toBeFocused();
  // The serve host has no OS keychain: the dialog says why the password is asked.
  await expect(unlock.getByTestId('vault-protection')).toBeVisible();
  await unlock.getByTestId('vault-password').fill('not the password');
  await unlock.getByTestId('vault-password').press('Enter');
  await expect(unlock.getByTestId('vault-error')).toContainText('Wrong vault password', { timeout: 15_000 });
  await expect(lockState).toHaveAttribute('data-locked', 'true');
  await unlock.getByTestId('vault-password').fill(password);
  await unlock.getByTestId('vault-password').press('Enter');
  await expect(unlock).toHaveCount(0, { timeout: 15_000 });
  await expect(lockState).toHaveAttribute('data-locked', 'false');

  // Import a private key under the same vault password, then switch to it.
  await menuAction(page, 'Add identity…');
  await add.getByRole('tab', { name: 'Import private key' }).click();
  await add.getByTestId('vault-label').fill('Imported key');
  await add.getByTestId('vault-private-key').fill(imported.privateKey);
  await add.getByTestId('vault-password').fill(password);
  await add.getByTestId('vault-password').press('Enter');
  await expect(add).toHaveCount(0, { timeout: 15_000 });
  await chooseIdentity(page, /Imported key/);
  await expect(identity).toContainText(imported.address.slice(-4));

  // Export the first identity's private key: password required, the secret shown once.
  await chooseIdentity(page, /Site engineer/);
  await menuAction(page, 'Export…');
  const exporter = page.getByTestId('vault-export-dialog');
  await expect(exporter.getByTestId('vault-password')).toBeFocused();
  await expect(exporter.getByTestId('vault-export-format')).toHaveValue('privateKey');
  await exporter.getByTestId('vault-password').fill(password);
  await exporter.getByTestId('vault-password').press('Enter');
  const secret = exporter.getByTestId('vault-secret');
  await expect(exporter.getByTestId('vault-copy')).toBeFocused({ timeout: 15_000 });
  await expect(secret).toHaveValue(/^0x[0-9a-fA-F]{64}$/, { timeout: 15_000 });
  const exported = await secret.inputValue();
  expect(new Wallet(exported).address).not.toBe(imported.address);
  await expect(exporter.getByRole('note')).toContainText('shown once');
  await page.keyboard.press('Escape');
  await expect(exporter).toHaveCount(0);

  for (const text of consoleText) {
    expect(text).not.toContain(password);
    expect(text).not.toContain(imported.privateKey.slice(2));
    expect(text).not.toContain(exported.slice(2));
  }
});
