// Journeys across twins and limits: what the viewer hides, isolates or filters in one twin is not
// carried into the next one opened; a file over the import limit is said as soon as it is picked,
// and the dialog raises the limit when asked.
import { resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { ownServe, type ServeProcess } from './fixtures';
import {
  test as workspaceTest,
  expect,
  openApp,
  importByPath,
  waitForModel,
  elementPoint,
  type ProbeWindow,
} from './workspace-fixtures';
import { writeOpenHouseInput } from './ifc-inputs';

const repo = resolve(import.meta.dirname, '../..');
const duplex = resolve(repo, 'resources/samples/duplex/Duplex_A_20110907.ifc');
const iteration = resolve(repo, 'test/fixtures/Duplex_A_iteration2.ifc');

// A host of its own (its twins and its settings never reach the other workspace journeys, which
// begin from an empty store): a worker fixture overridden here runs these tests in a worker of
// their own.
const test = workspaceTest.extend<object, { host: ServeProcess }>({
  host: ownServe(),
});

test.use({ viewport: { width: 1280, height: 760 } });

type ViewState = {
  hiddenCount: number;
  isolatedCount: number | null;
  storey: string | null;
  loaded: boolean;
};
const viewState = (page: Page) =>
  page.evaluate(
    () =>
      (
        (window as unknown as ProbeWindow).__twinViewer as unknown as {
          stats(): { state: ViewState };
        }
      ).stats().state,
  );

test('what is hidden or filtered stays with its twin and follows its elements from version to version', async ({
  page,
  host,
  client,
}) => {
  const house = await importByPath(client, writeOpenHouseInput(), `Switch house`);
  const flat = await importByPath(client, duplex, `Switch duplex`);
  // The Duplex's next iteration, a draft (a door and a window removed: the elements after them in
  // the geometry list move up).
  const twins = (await client.call('twins.list', {})) as {
    value: { id: string; models: { id: string }[] }[];
  };
  const modelId = twins.value.find((t) => t.id === flat.twinId)!.models[0]!.id;
  const draft = (await client.call('twins.import', {
    jobId: `switch-${Date.now()}`,
    source: { kind: 'path', path: iteration },
    target: { kind: 'newIteration', twinId: flat.twinId, modelId },
  })) as { ok: boolean; value: { versionId: number } };
  expect(draft.ok).toBe(true);
  await openApp(page, host);

  // The house: one storey shown, one element hidden.
  await page.getByRole('button', { name: `Open Switch house` }).click();
  await waitForModel(page, house.twinId);
  const hit = await elementPoint(page);
  await page.mouse.click(hit.x, hit.y);
  await expect(page.getByTestId('properties')).toBeVisible();
  await page.getByTestId('viewport-canvas').focus();
  await page.keyboard.press('h');
  await expect.poll(async () => (await viewState(page)).hiddenCount).toBe(1);
  const storey = page.getByLabel('Storey');
  const storeys = await storey
    .locator('option')
    .evaluateAll((o) => (o as HTMLOptionElement[]).map((x) => x.value).filter(Boolean));
  await storey.selectOption(storeys[0]!);
  await expect.poll(async () => (await viewState(page)).storey).toBe(storeys[0]);

  // Review the Duplex's draft from the twin list: the Duplex is shown whole (the house's storey
  // would hide all of it, its hidden element's place would hide another).
  await page
    .getByTestId('twin-item')
    .filter({ hasText: `Switch duplex` })
    .getByRole('button', { name: 'Review' })
    .click();
  await expect(page.getByTestId('review-banner')).toBeVisible();
  await waitForModel(page, flat.twinId);
  expect(await viewState(page)).toMatchObject({
    hiddenCount: 0,
    isolatedCount: null,
    storey: null,
    loaded: true,
  });
  await expect(storey).toHaveValue('');

  // Hide an element whose place in the list differs between the draft and the head, then show the
  // head: the same element is hidden there, not the one at its old place.
  const manifest = async (versionId: number) =>
    (
      (await client.call('twins.geometryManifest', { twinId: flat.twinId, versionId })) as {
        value: { elements: { elementKey: string }[] };
      }
    ).value.elements.map((e) => e.elementKey);
  const inDraft = await manifest(draft.value.versionId);
  const inHead = await manifest(flat.versionId);
  const hits = () => page.evaluate(() => (window as unknown as ProbeWindow).__twinViewer!.hitPoints(20));
  const box = (await page.getByTestId('viewport-canvas').boundingBox())!;
  const target = (await hits()).find((h) => {
    const at = inHead.indexOf(h.key);
    return at >= 0 && at !== inDraft.indexOf(h.key);
  });
  expect(target).toBeDefined();
  await page.mouse.click(box.x + target!.x, box.y + target!.y);
  await expect(page.locator(`.tree-row[data-key="${target!.key}"]`)).toHaveAttribute('aria-selected', 'true');
  await page.getByTestId('viewport-canvas').focus();
  await page.keyboard.press('h');
  await expect.poll(async () => (await hits()).some((h) => h.key === target!.key)).toBe(false);
  await page.getByRole('tab', { name: 'History' }).click();
  await page
    .locator('[data-testid="timeline-entry"][data-seq="1"]')
    .getByRole('button', { name: 'Show' })
    .click();
  await expect(page.getByTestId('review-banner')).toBeHidden();
  await expect(page.getByTestId('viewport-canvas')).toHaveAttribute('data-version', String(flat.versionId));
  await waitForModel(page, flat.twinId);
  expect((await viewState(page)).hiddenCount).toBe(1);
  expect((await hits()).some((h) => h.key === target!.key)).toBe(false);

  // Isolate the door the draft deletes, then review the draft: it is not there to isolate, so the
  // draft shows whole (not nothing).
  await page.getByTestId('search-input').fill('1hOSvn6df7F8_7GcBWlRGQ');
  await page.getByTestId('search-results').locator('.result').first().click();
  await page.getByTestId('search-input').fill('');
  await page.getByTestId('viewport-canvas').focus();
  await page.keyboard.press('i');
  await expect.poll(async () => (await viewState(page)).isolatedCount).toBe(1);
  await page
    .getByTestId('twin-item')
    .filter({ hasText: 'Switch duplex' })
    .getByRole('button', { name: 'Review' })
    .click();
  await expect(page.getByTestId('viewport-canvas')).toHaveAttribute(
    'data-version',
    String(draft.value.versionId),
  );
  await waitForModel(page, flat.twinId);
  expect((await viewState(page)).isolatedCount).toBeNull();
  expect((await hits()).length).toBeGreaterThan(10);
});

test('a file over the import limit is said when picked, and the dialog raises the limit on request', async ({
  page,
  host,
  client,
}) => {
  const settings = (await client.call('settings.get', {})) as { value: { maxImportMegabytes: number } };
  const limitBefore = settings.value.maxImportMegabytes;
  await client.call('settings.update', { maxImportMegabytes: 1 });
  try {
    await openApp(page, host);
    await page.getByTestId('import-ifc').click();
    const dialog = page.getByTestId('import-dialog');
    await page.getByTestId('import-file-input').setInputFiles(duplex);
    const over = dialog.getByTestId('import-over-limit');
    await expect(over).toContainText('Duplex_A_20110907.ifc is 2.3 MB, over the import limit of 1 MB');
    const importButton = dialog.getByRole('button', { name: 'Import', exact: true });
    await expect(importButton).toBeDisabled();

    await over.getByRole('button', { name: 'Raise the limit to 256 MB' }).click();
    await expect(over).toBeHidden();
    await expect(importButton).toBeEnabled();
    const after = (await client.call('settings.get', {})) as { value: { maxImportMegabytes: number } };
    expect(after.value.maxImportMegabytes).toBe(256);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();
  } finally {
    await client.call('settings.update', { maxImportMegabytes: limitBefore });
  }
});
