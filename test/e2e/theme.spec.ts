// The theme: System follows the OS's colour scheme live (no reload), page and 3D view alike; Light
// or Dark chosen in the Settings dialog applies once saved whatever the OS says, reaches main, and
// is in force from the first frame of the workspace after a reload or in a new window; a change
// made elsewhere applies at once (an open dialog follows it); Restore defaults brings back System.
import { expect, type Page } from '@playwright/test';
import { ownServe, type ServeProcess } from './fixtures';
import { test as workspaceTest, type Client } from './workspace-fixtures';
import { sampleCanvas } from './viewer-canvas';
import { defaultSettings, type Settings } from '../../src/shared/api/app';

// A host of its own: the theme it saves never reaches the other journeys.
const test = workspaceTest.extend<object, { host: ServeProcess }>({ host: ownServe() });

test.beforeEach(async ({ client }) => {
  expect(await client.call('settings.update', defaultSettings)).toMatchObject({ ok: true });
});

const DARK_BODY = 'rgb(20, 23, 28)';
const LIGHT_BODY = 'rgb(255, 255, 255)';

async function mainTheme(client: Client): Promise<Settings['theme']> {
  const answer = (await client.call('settings.get', {})) as { ok: boolean; value: Settings };
  expect(answer.ok).toBe(true);
  return answer.value.theme;
}

/** Records, in the page, the theme on <html> when the workspace frame first enters the DOM. */
async function recordThemeAtFirstFrame(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { themeAtFirstFrame?: string | null };
    const observer = new MutationObserver(() => {
      if (!document.querySelector('[data-testid="app-frame"]')) return;
      w.themeAtFirstFrame = document.documentElement.getAttribute('data-theme');
      observer.disconnect();
    });
    observer.observe(document, { childList: true, subtree: true });
  });
}

async function openApp(page: Page, host: ServeProcess) {
  await page.goto(host.url);
  await expect(page.getByTestId('chain-mode')).toContainText('Sandbox chain');
}

/** What the page shows: the theme on <html>, its color-scheme and the body's background. */
const shown = (page: Page) =>
  page.evaluate(() => ({
    theme: document.documentElement.dataset.theme,
    scheme: getComputedStyle(document.documentElement).colorScheme,
    body: getComputedStyle(document.body).backgroundColor,
  }));

/** The 3D view's background (its most common colour), as its mean channel value 0-255. */
async function canvasBackground(page: Page): Promise<number> {
  const { pixels } = await sampleCanvas(page);
  const counts = new Map<number, number>();
  for (const p of pixels) counts.set(p, (counts.get(p) ?? 0) + 1);
  const [top] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [0];
  return (((top >> 16) & 255) + ((top >> 8) & 255) + (top & 255)) / 3;
}

async function expectTheme(page: Page, theme: 'light' | 'dark') {
  await expect
    .poll(() => shown(page))
    .toEqual({
      theme,
      scheme: theme,
      body: theme === 'light' ? LIGHT_BODY : DARK_BODY,
    });
  // Frames are drawn on demand: poll until one in the new colours is on the canvas.
  const background = expect.poll(() => canvasBackground(page), { timeout: 15_000 });
  if (theme === 'light') await background.toBeGreaterThan(170);
  else await background.toBeLessThan(80);
}

const settingsDialog = (page: Page) => page.getByRole('dialog', { name: 'Settings' });

test('System follows the OS colour scheme live, the 3D view too, without a reload', async ({
  page,
  host,
}, testInfo) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await openApp(page, host);
  await expect(page.getByTestId('viewport-canvas')).toHaveAttribute('data-drawn', 'true');
  await expectTheme(page, 'dark');
  await page.screenshot({ path: testInfo.outputPath('theme-dark.png') });
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

  await page.emulateMedia({ colorScheme: 'light' });
  await expectTheme(page, 'light');
  await page.screenshot({ path: testInfo.outputPath('theme-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectTheme(page, 'dark');
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
    true,
  );
});

test('Light chosen in the dialog applies once saved over a dark OS, from the first frame after a reload; Restore defaults brings back System', async ({
  page,
  host,
  client,
  browser,
}) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await openApp(page, host);
  await expectTheme(page, 'dark');

  const dialog = settingsDialog(page);
  const themes = dialog.getByRole('radiogroup', { name: 'Theme' });
  const save = dialog.getByRole('button', { name: 'Save' });
  await page.keyboard.press('Control+,');
  await expect(themes.getByRole('radio', { name: 'System' })).toBeChecked();
  await expect(save).toBeDisabled();
  await themes.getByText('Light', { exact: true }).click();
  await expect(themes.getByRole('radio', { name: 'Light' })).toBeChecked();
  await expect(dialog.getByTestId('settings-theme-note')).toContainText('whatever the operating system');
  // Chosen, not yet saved: the page stays as it was.
  expect((await shown(page)).theme).toBe('dark');
  await save.click();
  await expect(dialog).toHaveCount(0);
  await expectTheme(page, 'light');
  expect(await mainTheme(client)).toBe('light');

  // The OS changing its mind changes nothing now.
  await page.emulateMedia({ colorScheme: 'light' });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(200);
  await expectTheme(page, 'light');

  // After a reload, and in a new window that never saw this page (nothing remembered there), the
  // workspace is in the light theme from its first frame.
  await recordThemeAtFirstFrame(page);
  await page.reload();
  await expect(page.getByTestId('app-frame')).toBeVisible();
  expect(
    await page.evaluate(() => (window as unknown as { themeAtFirstFrame?: string }).themeAtFirstFrame),
  ).toBe('light');
  await expectTheme(page, 'light');
  const other = await browser.newContext({ colorScheme: 'dark' });
  try {
    const fresh = await other.newPage();
    await recordThemeAtFirstFrame(fresh);
    await openApp(fresh, host);
    expect(
      await fresh.evaluate(() => (window as unknown as { themeAtFirstFrame?: string }).themeAtFirstFrame),
    ).toBe('light');
    await expectTheme(fresh, 'light');
  } finally {
    await other.close();
  }

  // Restore defaults fills in System (Save still needed); saved, the page follows the OS again.
  await page.keyboard.press('Control+,');
  await expect(themes.getByRole('radio', { name: 'Light' })).toBeChecked();
  await dialog.getByRole('button', { name: 'Restore defaults' }).click();
  await expect(themes.getByRole('radio', { name: 'System' })).toBeChecked();
  await expect(dialog.getByTestId('settings-theme-note')).toContainText('following it when it changes');
  expect((await shown(page)).theme).toBe('light');
  await save.click();
  await expect(dialog).toHaveCount(0);
  await expectTheme(page, 'dark');
  expect(await mainTheme(client)).toBe('system');
});

test('a theme saved elsewhere applies at once, and an open dialog shows it', async ({
  page,
  host,
  client,
}) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await openApp(page, host);
  await expectTheme(page, 'light');
  const dialog = settingsDialog(page);
  await page.keyboard.press('Control+,');
  const themes = dialog.getByRole('radiogroup', { name: 'Theme' });
  await expect(themes.getByRole('radio', { name: 'System' })).toBeChecked();

  // Another window (or client) chooses Dark: the page and the untouched field follow.
  await client.call('settings.update', { theme: 'dark' });
  await expectTheme(page, 'dark');
  await expect(themes.getByRole('radio', { name: 'Dark' })).toBeChecked();
  await expect(dialog.getByRole('button', { name: 'Save' })).toBeDisabled();

  // Arrow keys move the choice, as in any radio group; Escape drops it, and the theme stays.
  await themes.getByRole('radio', { name: 'Dark' }).focus();
  await page.keyboard.press('ArrowLeft');
  await expect(themes.getByRole('radio', { name: 'Light' })).toBeChecked();
  await expect(dialog.getByRole('button', { name: 'Save' })).toBeEnabled();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expectTheme(page, 'dark');
  expect(await mainTheme(client)).toBe('dark');
});
