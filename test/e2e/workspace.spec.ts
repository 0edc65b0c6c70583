// Workspace journeys in Chromium against the real serve host and twin store: import an IFC through
// the UI and see it rendered; select in 3D and find the element in the tree, the properties and
// search; import the next design iteration (test/fixtures/Duplex_A_iteration2.ifc: a fire rating
// changed, a cabinet moved, a door removed), review its changeset in 3D and commit it.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { test, expect, openApp, importByPath, waitForModel, elementPoint } from './workspace-fixtures';
import { sampleCanvas, changedShare } from './viewer-canvas';
import { writeLargeInput, writeOpenHouseInput } from './ifc-inputs';

const repo = resolve(import.meta.dirname, '../..');
const screenshots = resolve(repo, 'test-results/screenshots');
mkdirSync(screenshots, { recursive: true });
const duplex = resolve(repo, 'resources/samples/duplex/Duplex_A_20110907.ifc');
const openHouse = writeOpenHouseInput();
const iteration = resolve(repo, 'test/fixtures/Duplex_A_iteration2.ifc');
// Against a shared host (E2E_SERVE_URL) earlier runs' twins are still there: name ours apart.
const tag = process.env.E2E_SERVE_URL ? ` ${Date.now().toString(36)}` : '';

// A modest viewport: SwiftShader draws every pixel on the CPU.
test.use({ viewport: { width: 1280, height: 760 } });

test('import an IFC through the UI: progress, the new twin in the list, the model drawn', async ({
  page,
  host,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openApp(page, host);
  await expect(page.getByTestId('viewport-canvas')).toHaveAttribute('data-drawn', 'true');
  await expect(page.getByTestId('viewport-empty')).toBeVisible();
  await page.waitForTimeout(200);
  const emptyGrid = await sampleCanvas(page);

  await page.getByTestId('import-ifc').click();
  const dialog = page.getByTestId('import-dialog');
  await expect(dialog).toBeVisible();
  await page.getByTestId('import-file-input').setInputFiles(openHouse);
  await expect(page.getByTestId('import-file-name')).toContainText('IfcOpenHouse.ifc');
  await dialog.getByLabel('Twin name').fill(`Open house${tag}`);
  // The progress shows while the store imports (briefly, for a small file): watch from the click.
  const progressShown = page.getByTestId('import-progress').waitFor({ state: 'attached', timeout: 30_000 });
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await progressShown;
  await expect(dialog).toBeHidden({ timeout: 30_000 });

  await expect(page.getByTestId('twin-item').filter({ hasText: `Open house${tag}` })).toBeVisible();
  await expect(page.getByTestId('open-twin-name')).toContainText(`Open house${tag}`);
  await waitForModel(page);
  await expect(page.getByTestId('spatial-tree')).toContainText('IfcOpenHouse');

  const model = await sampleCanvas(page);
  const changed = changedShare(emptyGrid, model);
  console.log(
    `model vs empty grid: ${(changed * 100).toFixed(1)}% of samples changed, ${model.distinctColours} colours`,
  );
  expect(changed).toBeGreaterThan(0.08);
  expect(model.distinctColours).toBeGreaterThan(30);
  await expect(page.getByTestId('viewer-stats')).toContainText('draw calls');
  await page.screenshot({ path: `${screenshots}/workspace-imported.png` });
  expect(errors).toEqual([]);
});

test('files that are not importable are refused in the dialog with the problem named; nothing is imported', async ({
  page,
  host,
  client,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openApp(page, host);
  const twinsBefore = ((await client.call('twins.list', {})) as { value: unknown[] }).value.length;
  await page.getByTestId('import-ifc').click();
  const dialog = page.getByTestId('import-dialog');
  await expect(dialog).toBeVisible();
  const input = page.getByTestId('import-file-input');
  const importButton = dialog.getByRole('button', { name: 'Import', exact: true });
  const cases: [string, RegExp][] = [
    ['truncated.ifc', /truncated: it does not end with "END-ISO-10303-21;"/],
    ['binary-renamed.ifc', /binary file, not an IFC file/],
    ['not-ifc-ap214.stp', /STEP file of schema "AUTOMOTIVE_DESIGN .*", not an IFC model/],
    ['unknown-schema-ifc5.ifc', /IFC schema "IFC5X9", which this version of TwinLedger cannot read/],
  ];
  for (const [file, problem] of cases) {
    await input.setInputFiles(resolve(repo, 'test/fixtures', file));
    await expect(page.getByTestId('import-file-name')).toContainText(file);
    // The twin's name follows the picked file (nothing typed), and a new pick clears the last problem.
    await expect(dialog.getByLabel('Twin name')).toHaveValue(
      file.replace(/\.ifc$/i, '').replace(/[_-]+/g, ' '),
    );
    await expect(dialog.getByRole('alert')).toHaveCount(0);
    await importButton.click();
    // The dialog stays open, names the problem, and can take another file.
    await expect(dialog.getByRole('alert')).toContainText(problem, { timeout: 30_000 });
    await expect(dialog).toBeVisible();
    await expect(importButton).toBeEnabled();
  }
  await page.screenshot({ path: `${screenshots}/import-refused.png` });
  const twinsAfter = ((await client.call('twins.list', {})) as { value: unknown[] }).value.length;
  expect(twinsAfter).toBe(twinsBefore);
  // Escape closes the dialog once nothing runs.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  expect(errors).toEqual([]);
});

test('cancel an import from its dialog: nothing is imported and the dialog closes', async ({
  page,
  host,
  client,
}) => {
  const large = writeLargeInput();
  await openApp(page, host);
  const twinsBefore = ((await client.call('twins.list', {})) as { value: unknown[] }).value.length;
  await page.getByTestId('import-ifc').click();
  const dialog = page.getByTestId('import-dialog');
  await page.getByTestId('import-file-input').setInputFiles(large);
  await dialog.getByLabel('Twin name').fill(`Cancelled${tag}`);
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByTestId('import-progress')).toBeVisible();
  // Cancel at once: while the page still reads the file, or while main imports it.
  await dialog.getByRole('button', { name: 'Cancel import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Import cancelled.' })).toBeVisible({
    timeout: 30_000,
  });
  await expect(dialog).toBeHidden();
  // Nothing arrives later either: the store is as it was.
  await page.waitForTimeout(1000);
  const twins = ((await client.call('twins.list', {})) as { value: { name: string }[] }).value;
  expect(twins).toHaveLength(twinsBefore);
  expect(twins.map((t) => t.name)).not.toContain(`Cancelled${tag}`);
  await expect(page.getByTestId('twin-item').filter({ hasText: `Cancelled${tag}` })).toHaveCount(0);
});

test('click an element in 3D: the tree and the properties show it, and search finds it', async ({
  page,
  host,
  client,
}) => {
  const { twinId } = await importByPath(client, duplex, `Duplex apartment${tag}`);
  await openApp(page, host);
  await page.getByRole('button', { name: `Open Duplex apartment${tag}` }).click();
  await waitForModel(page, twinId);

  const hit = await elementPoint(page);
  await page.mouse.click(hit.x, hit.y);
  const properties = page.getByTestId('properties');
  await expect(properties).toBeVisible();
  const globalId = await properties.getAttribute('data-global-id');
  expect(globalId).toBeTruthy();
  const name = (await page.getByTestId('properties-name').textContent())?.trim() ?? '';

  // The tree opened down to it and marks it selected.
  const treeRow = page.locator(`.tree-row[data-key="${hit.key}"]`);
  await expect(treeRow).toHaveAttribute('aria-selected', 'true');
  await expect(treeRow).toBeVisible();
  // Its proof checks against the version root, here in the renderer.
  await expect(page.getByTestId('proof-local')).toContainText('proof checked here');
  await page.screenshot({ path: `${screenshots}/workspace-selected.png` });

  // Search by GlobalId finds it, marked as the selection; picking a result selects it again.
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('properties-empty')).toBeVisible();
  await page.getByTestId('search-input').fill(globalId!);
  const result = page.getByTestId('search-results').locator(`[data-global-id="${globalId}"]`);
  await expect(result).toBeVisible();
  await result.click();
  await expect(result).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('properties-name')).toHaveText(name);

  // Search by class lists doors with their storey.
  await page.getByTestId('search-input').fill('class:IfcDoor');
  await expect(page.getByTestId('search-results')).toContainText(/\d+ match/);
  await page.screenshot({ path: `${screenshots}/workspace-search.png` });

  // Isolate with the keyboard, then show all again.
  await page.getByTestId('search-input').fill('');
  await page.getByTestId('viewport-canvas').focus();
  await page.keyboard.press('i');
  await expect(page.getByRole('button', { name: 'Isolate selection' })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await page.keyboard.press('Shift+H');
  await expect(page.getByRole('button', { name: 'Isolate selection' })).not.toHaveAttribute(
    'aria-pressed',
    'true',
  );
});

test('import a modified iteration of the Duplex, review its changeset in 3D, then commit it', async ({
  page,
  host,
  client,
}) => {
  const { twinId } = await importByPath(client, duplex, `Duplex under design${tag}`);
  await openApp(page, host);
  await page.getByRole('button', { name: `Open Duplex under design${tag}` }).click();
  await waitForModel(page, twinId);
  const before = await sampleCanvas(page);

  await page.getByTestId('import-iteration').click();
  const dialog = page.getByTestId('import-dialog');
  await page.getByTestId('import-file-input').setInputFiles(iteration);
  await expect(dialog.getByLabel('Replaces model')).toContainText('Duplex_A_20110907');
  const progressShown = page.getByTestId('import-progress').waitFor({ state: 'attached', timeout: 30_000 });
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await progressShown;
  await expect(dialog).toBeHidden({ timeout: 60_000 });

  // Review: the banner, the changes tab and the model coloured by change (removed ones as ghosts).
  const banner = page.getByTestId('review-banner');
  await expect(banner).toContainText('0 added');
  await expect(banner).toContainText('3 modified');
  await expect(banner).toContainText('2 removed');
  await expect(page.getByRole('tab', { name: /Changes/ })).toHaveAttribute('aria-selected', 'true');
  await waitForModel(page, twinId);
  await page.waitForTimeout(300);
  expect(changedShare(before, await sampleCanvas(page))).toBeGreaterThan(0.05);

  const entries = page.getByTestId('change-entry');
  await expect(entries).toHaveCount(5);
  await expect(entries.and(page.locator('[data-change="removed"]'))).toHaveCount(2);
  // The door whose fire rating changed: its field diff, old and new value.
  const door = entries.filter({ hasText: '146678' });
  await expect(door).toHaveAttribute('data-change', 'modified');
  await door.getByRole('button').click();
  const diff = door.getByTestId('change-diff');
  await expect(diff).toContainText('Pset_DoorCommon.FireRating');
  await expect(diff.locator('.new')).toHaveText('EI 60');
  // Choosing the entry selects the door in the tree (and in 3D).
  await expect(page.locator('.tree-row.selected')).toContainText('146678');
  // The moved cabinet: its placement before and after.
  const cabinet = entries.filter({ hasText: 'Base Cabinet' });
  await cabinet.getByRole('button').click();
  await expect(cabinet.getByTestId('change-diff')).toContainText('placement');
  await page.screenshot({ path: `${screenshots}/workspace-review.png` });

  await page.getByTestId('commit-draft').click();
  await expect(page.getByText(/Committed version 2/)).toBeVisible();
  await expect(banner).toBeHidden();
  await expect(page.getByTestId('open-twin-name')).toContainText('version 2');
  await page.getByRole('tab', { name: 'History' }).click();
  await expect(page.locator('.timeline-entry')).toHaveCount(2);

  // The committed head has the door with its new fire rating.
  await page.getByTestId('search-input').fill('1hOSvn6df7F8_7GcBWlRH8');
  await page.getByTestId('search-results').locator('.result').first().click();
  await page.getByRole('tab', { name: 'Properties' }).click();
  await expect(page.getByTestId('properties')).toContainText('EI 60');
  await page.screenshot({ path: `${screenshots}/workspace-committed.png` });
});
