// The settings dialog: opened with Ctrl+, and from the status bar's gear; Save waits for a valid
// change; a value the schema refuses is named next to its field; what is saved reaches main (its
// settings.get and its settings.json) and the dialog shows it when opened again; Esc and Cancel
// drop edits; Restore defaults fills the form (Save still needed); edits made elsewhere meanwhile
// reach the fields not touched, and never a touched one, even landing before the edit's re-render;
// a settings.get failure is said until a settings.changed fills the form; main's refusal is shown.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import { decode, encode } from '@msgpack/msgpack';
import { ownServe, screenshotsDir, type ServeProcess } from './fixtures';
import { test as workspaceTest, type Client } from './workspace-fixtures';
import { defaultSettings, type Settings } from '../../src/shared/api/app';

// A host of its own: the settings it saves never reach the other journeys.
const test = workspaceTest.extend<object, { host: ServeProcess }>({ host: ownServe() });

const defaults = defaultSettings;

test.beforeEach(async ({ client }) => {
  expect(await client.call('settings.update', defaults)).toMatchObject({ ok: true });
});

async function mainSettings(client: Client): Promise<Settings> {
  const answer = (await client.call('settings.get', {})) as { ok: boolean; value: Settings };
  expect(answer.ok).toBe(true);
  return answer.value;
}

async function openApp(page: Page, host: ServeProcess) {
  await page.goto(host.url);
  await expect(page.getByTestId('chain-mode')).toContainText('Sandbox chain');
}

const settingsDialog = (page: Page) => page.getByRole('dialog', { name: 'Settings' });
const field = (dialog: Locator, label: string) => dialog.getByLabel(label, { exact: true });
const note = (dialog: Locator, name: string) => dialog.getByTestId(`settings-${name}-note`);
const IMPORT = 'Maximum IFC import size (MB)';
const IDLE = 'Vault auto-lock (minutes idle)';

test('Ctrl+, and the gear open it; Save waits for a valid change; saved values persist', async ({
  page,
  host,
  client,
}) => {
  await openApp(page, host);
  const dialog = settingsDialog(page);
  const save = dialog.getByRole('button', { name: 'Save' });

  await page.keyboard.press('Control+,');
  await expect(dialog).toBeVisible();
  await expect(field(dialog, IMPORT)).toHaveValue('512');
  await expect(field(dialog, IMPORT)).toBeFocused();
  await expect(field(dialog, IDLE)).toHaveValue('15');
  await expect(field(dialog, 'Chain mode')).toHaveValue('sandbox');
  // Network settings stay hidden in sandbox mode; the theme is offered, following the system.
  await expect(field(dialog, 'RPC URL')).toHaveCount(0);
  await expect(dialog.getByRole('radiogroup', { name: 'Theme' })).toBeVisible();
  await expect(dialog.getByRole('radio', { name: 'System' })).toBeChecked();
  await expect(save).toBeDisabled();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);

  const gear = page.getByRole('button', { name: 'Settings', exact: true });
  await gear.click();
  await expect(dialog).toBeVisible();
  await expect(save).toBeDisabled();

  // Out of the schema's range: named next to the field, marked invalid, Save stays disabled.
  await field(dialog, IMPORT).fill('0');
  await expect(note(dialog, 'maxImportMegabytes')).toHaveText(
    'Maximum IFC import size must be a whole number of MB from 1 to 4096',
  );
  await expect(field(dialog, IMPORT)).toHaveAttribute('aria-invalid', 'true');
  await expect(save).toBeDisabled();
  await field(dialog, IMPORT).fill('4097');
  await expect(note(dialog, 'maxImportMegabytes')).toContainText('from 1 to 4096');
  await expect(save).toBeDisabled();
  await field(dialog, IMPORT).fill('');
  await expect(note(dialog, 'maxImportMegabytes')).toContainText('from 1 to 4096');
  await field(dialog, IDLE).fill('1441');
  await expect(note(dialog, 'vaultIdleLockMinutes')).toHaveText(
    'Vault auto-lock must be a whole number of minutes from 1 to 1440',
  );
  await expect(save).toBeDisabled();
  // Nothing invalid ever reached main.
  expect(await mainSettings(client)).toMatchObject({ maxImportMegabytes: 512, vaultIdleLockMinutes: 15 });

  await field(dialog, IMPORT).fill('64');
  await field(dialog, IDLE).fill('30');
  await expect(note(dialog, 'maxImportMegabytes')).toContainText('refused when picked');
  await expect(field(dialog, IMPORT)).not.toHaveAttribute('aria-invalid', 'true');
  await expect(save).toBeEnabled();
  // Enter saves; the dialog closes once main has the change, and focus goes back to the gear.
  await field(dialog, IDLE).press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(page.getByText('Settings saved.')).toBeVisible();
  await expect(gear).toBeFocused();

  expect(await mainSettings(client)).toMatchObject({
    maxImportMegabytes: 64,
    vaultIdleLockMinutes: 30,
    chainMode: 'sandbox',
  });
  const onDisk = JSON.parse(readFileSync(join(host.dataDir, 'settings.json'), 'utf8')) as Settings;
  expect(onDisk).toMatchObject({ maxImportMegabytes: 64, vaultIdleLockMinutes: 30 });

  // Opened again, after a reload too: the saved values, and nothing to save.
  await page.reload();
  await expect(page.getByTestId('chain-mode')).toContainText('Sandbox chain');
  await page.keyboard.press('Control+,');
  await expect(field(dialog, IMPORT)).toHaveValue('64');
  await expect(field(dialog, IDLE)).toHaveValue('30');
  await expect(save).toBeDisabled();
});

test('Esc and Cancel drop edits; network mode asks for a valid RPC URL', async ({ page, host, client }) => {
  await openApp(page, host);
  const dialog = settingsDialog(page);
  const save = dialog.getByRole('button', { name: 'Save' });

  await page.keyboard.press('Control+,');
  await field(dialog, IMPORT).fill('99');
  await expect(save).toBeEnabled();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await page.keyboard.press('Control+,');
  await expect(field(dialog, IMPORT)).toHaveValue('512');
  await field(dialog, IDLE).fill('5');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  expect(await mainSettings(client)).toMatchObject({ maxImportMegabytes: 512, vaultIdleLockMinutes: 15 });

  // Network mode without an endpoint would leave the app without a chain: the dialog asks for one.
  await page.keyboard.press('Control+,');
  await field(dialog, 'Chain mode').selectOption('network');
  const rpc = field(dialog, 'RPC URL');
  await expect(rpc).toBeVisible();
  await expect(note(dialog, 'rpcUrl')).toHaveText(
    'Network mode needs an RPC URL: without one there is no chain to connect to',
  );
  await expect(note(dialog, 'chainMode')).toContainText('Saving stops the current chain');
  await expect(note(dialog, 'deploymentManifestPath')).toContainText('Without a manifest');
  await expect(field(dialog, 'Sync confirmations (blocks)')).toHaveValue('2');
  await expect(save).toBeDisabled();
  await rpc.fill('ftp://rpc.example.org');
  await expect(note(dialog, 'rpcUrl')).toHaveText('RPC URL must be an http(s) URL');
  await expect(rpc).toHaveAttribute('aria-invalid', 'true');
  await expect(save).toBeDisabled();
  await field(dialog, 'Sync confirmations (blocks)').fill('257');
  await expect(note(dialog, 'syncConfirmations')).toHaveText(
    'Sync confirmations must be a whole number from 0 to 256',
  );
  await field(dialog, 'Sync confirmations (blocks)').fill('6');
  await rpc.fill('http://127.0.0.1:8545');
  await expect(note(dialog, 'rpcUrl')).toContainText('The JSON-RPC node the app reads and sends through');
  await expect(save).toBeEnabled();
  await dialog.screenshot({ path: join(screenshotsDir, 'settings-network.png') });

  // A hidden network field's problem is said at the mode while sandbox is chosen.
  await rpc.fill('not a url');
  await field(dialog, 'Chain mode').selectOption('sandbox');
  await expect(rpc).toHaveCount(0);
  await expect(note(dialog, 'chainMode')).toHaveText(
    'RPC URL must be an http(s) URL (a network setting: choose Network to correct it)',
  );
  await expect(save).toBeDisabled();

  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  expect(await mainSettings(client)).toMatchObject({
    chainMode: 'sandbox',
    rpcUrl: null,
    syncConfirmations: 2,
  });
  await expect(page.getByTestId('chain-mode')).toContainText('Sandbox chain');
});

test('Restore defaults fills the form, and Save makes it so', async ({ page, host, client }) => {
  await client.call('settings.update', {
    maxImportMegabytes: 64,
    vaultIdleLockMinutes: 30,
    syncConfirmations: 9,
  });
  await openApp(page, host);
  const dialog = settingsDialog(page);
  await page.keyboard.press('Control+,');
  await expect(field(dialog, IMPORT)).toHaveValue('64');
  await dialog.getByRole('button', { name: 'Restore defaults' }).click();
  await expect(field(dialog, IMPORT)).toHaveValue(String(defaults.maxImportMegabytes));
  await expect(field(dialog, IDLE)).toHaveValue(String(defaults.vaultIdleLockMinutes));
  await expect(field(dialog, 'Chain mode')).toHaveValue(defaults.chainMode);
  // Filled, not saved.
  expect(await mainSettings(client)).toMatchObject({ maxImportMegabytes: 64, syncConfirmations: 9 });
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toHaveCount(0);
  expect(await mainSettings(client)).toEqual(defaultSettings);
});

test('changes made elsewhere reach the fields not edited; Saving… holds the dialog until main answers', async ({
  page,
  host,
  client,
}) => {
  // The page's settings.update frames wait here until released, so the dialog's wait shows.
  let release: () => void = () => {};
  const held = new Promise<void>((done) => (release = done));
  await page.routeWebSocket(/\/api$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((frame) => {
      const method = typeof frame === 'string' ? null : (decode(frame) as { method?: string }).method;
      if (method === 'settings.update') void held.then(() => server.send(frame));
      else server.send(frame);
    });
  });
  await openApp(page, host);
  const dialog = settingsDialog(page);
  await page.keyboard.press('Control+,');
  await field(dialog, IMPORT).fill('100');

  // Another window (or client) changes both the import limit and the idle lock meanwhile.
  await client.call('settings.update', { maxImportMegabytes: 300, vaultIdleLockMinutes: 45 });
  await expect(field(dialog, IDLE)).toHaveValue('45');
  await expect(field(dialog, IMPORT)).toHaveValue('100');

  await dialog.getByRole('button', { name: 'Save' }).click();
  const saving = dialog.getByRole('button', { name: 'Saving…' });
  await expect(saving).toBeDisabled();
  await expect(field(dialog, IMPORT)).toBeDisabled();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeVisible();
  release();
  await expect(dialog).toHaveCount(0);
  expect(await mainSettings(client)).toMatchObject({ maxImportMegabytes: 100, vaultIdleLockMinutes: 45 });
});

// Hands the page's API socket a settings.changed frame in the same task as `act` (run in the page
// first), i.e. before React re-renders for what `act` did: the order a frame from another client
// can take when it lands right after an edit. The page's sockets are recorded as they are made.
async function recordSockets(page: Page) {
  await page.addInitScript(() => {
    const Native = window.WebSocket;
    const sockets: WebSocket[] = [];
    (window as unknown as { apiSockets: WebSocket[] }).apiSockets = sockets;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    };
  });
}

type Act = { restoreDefaults: true } | { type: { id: string; text: string } };

async function changedRightAfter(page: Page, act: Act, settings: Settings) {
  const frame = [...encode({ type: 'event', event: 'settings.changed', payload: settings })];
  await page.evaluate(
    ({ act, frame }) => {
      const socket = (window as unknown as { apiSockets: WebSocket[] }).apiSockets
        .filter((ws) => ws.url.endsWith('/api') && ws.readyState === WebSocket.OPEN)
        .at(-1);
      if (!socket) throw new Error('no open API socket');
      if ('restoreDefaults' in act) {
        const button = [...document.querySelectorAll('button')].find(
          (b) => b.textContent === 'Restore defaults',
        );
        if (!button) throw new Error('no Restore defaults button');
        button.click();
      } else {
        // As a keystroke does: the native value setter, then the input event React listens to.
        const input = document.getElementById(act.type.id) as HTMLInputElement;
        Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, act.type.text);
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }
      socket.dispatchEvent(new MessageEvent('message', { data: new Uint8Array(frame).buffer }));
    },
    { act, frame },
  );
}

test('a change made elsewhere that lands right after an edit keeps the edit', async ({
  page,
  host,
  client,
}) => {
  await client.call('settings.update', { maxImportMegabytes: 64, vaultIdleLockMinutes: 30 });
  await recordSockets(page);
  await openApp(page, host);
  const dialog = settingsDialog(page);
  await page.keyboard.press('Control+,');
  await expect(field(dialog, IMPORT)).toHaveValue('64');
  await expect(field(dialog, IDLE)).toHaveValue('30');

  // Typed into the idle lock; another client's change of both fields comes before the re-render.
  const elsewhere1 = { ...(await mainSettings(client)), maxImportMegabytes: 300, vaultIdleLockMinutes: 45 };
  await changedRightAfter(page, { type: { id: 'settings-vaultIdleLockMinutes', text: '20' } }, elsewhere1);
  await expect(field(dialog, IMPORT)).toHaveValue('300');
  await expect(field(dialog, IDLE)).toHaveValue('20');
  // Main has it too (its own settings.changed then reaches the page as well).
  await client.call('settings.update', { maxImportMegabytes: 300, vaultIdleLockMinutes: 45 });

  // Restore defaults touches every field: a change landing before its re-render replaces none.
  const elsewhere2 = { ...elsewhere1, maxImportMegabytes: 256, vaultIdleLockMinutes: 60 };
  await changedRightAfter(page, { restoreDefaults: true }, elsewhere2);
  await expect(field(dialog, IMPORT)).toHaveValue(String(defaults.maxImportMegabytes));
  await expect(field(dialog, IDLE)).toHaveValue(String(defaults.vaultIdleLockMinutes));
  await client.call('settings.update', { maxImportMegabytes: 256, vaultIdleLockMinutes: 60 });
  await expect(field(dialog, IMPORT)).toHaveValue(String(defaults.maxImportMegabytes));

  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toHaveCount(0);
  expect(await mainSettings(client)).toEqual(defaultSettings);
});

test('settings.get failing is said until a settings.changed fills the form', async ({
  page,
  host,
  client,
}) => {
  // The next settings.get the page sends is answered here with a failure; main never sees it.
  let failGet = false;
  await page.routeWebSocket(/\/api$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((frame) => {
      const request = typeof frame === 'string' ? null : (decode(frame) as { id: number; method?: string });
      if (failGet && request?.method === 'settings.get') {
        failGet = false;
        const result = { ok: false, error: { code: 'INTERNAL', message: 'the settings file is unreadable' } };
        ws.send(Buffer.from(encode({ type: 'response', id: request.id, result })));
      } else server.send(frame);
    });
  });
  await openApp(page, host);
  const dialog = settingsDialog(page);
  failGet = true;
  await page.keyboard.press('Control+,');
  await expect(dialog.getByRole('alert')).toHaveText(
    'The settings could not be read: the settings file is unreadable',
  );
  await expect(dialog.getByText('Reading the settings…')).toHaveCount(0);
  await expect(field(dialog, IMPORT)).toBeDisabled();
  expect(failGet).toBe(false);

  // Saved elsewhere: the event fills the form, and the error goes.
  await client.call('settings.update', { maxImportMegabytes: 128 });
  await expect(field(dialog, IMPORT)).toHaveValue('128');
  await expect(field(dialog, IMPORT)).toBeEnabled();
  await expect(field(dialog, IDLE)).toHaveValue('15');
  await expect(dialog.getByRole('alert')).toHaveCount(0);
  await expect(dialog.getByRole('button', { name: 'Save' })).toBeDisabled();
});

test("main's refusal is shown and the dialog stays", async ({ page, host, client }) => {
  // settings.json replaced by a folder that is not empty: main cannot write the change durably.
  const path = join(host.dataDir, 'settings.json');
  rmSync(path, { force: true });
  mkdirSync(path);
  writeFileSync(join(path, 'keep'), '');
  try {
    await openApp(page, host);
    const dialog = settingsDialog(page);
    await page.keyboard.press('Control+,');
    await field(dialog, IMPORT).fill('128');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog.getByRole('alert')).toHaveText(
      'The settings were not saved: settings.update failed unexpectedly; the details are in the log.',
    );
    await expect(dialog).toBeVisible();
    await expect(field(dialog, IMPORT)).toHaveValue('128');
    await expect(dialog.getByRole('button', { name: 'Save' })).toBeEnabled();
    expect(await mainSettings(client)).toMatchObject({ maxImportMegabytes: 512 });
    // Nothing half-made is left beside it (writeFileDurably removes its temporary copy).
    expect(readdirSync(host.dataDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
});
