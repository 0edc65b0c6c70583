// The engineer's and the planner's journey on a seeded sandbox (the sample Duplex twin on the
// embedded chain, demo identities with their roles), in Chromium against the real serve host:
// as the planner (VIEWER) every edit control is disabled with main's reason; switching to the
// engineer (EDITOR) enables them at once; a property edit, a status change and a move (a mouse drag
// on the gizmo's X arrow) become pending changes, undo and redo walk them back and forth, the draft
// is committed through the outbox (signed, relayed, confirmed on chain), appears in the history with
// its author and transaction, and the diff of the two versions highlights the door in 3D.
import { keccak256, toUtf8Bytes } from 'ethers';
import { expect as baseExpect, type Page } from '@playwright/test';
import { screenshotsDir as screenshots, seededSandbox } from './fixtures';
import { inspectCanvas } from './canvas';

const test = seededSandbox();

// SwiftShader draws on the CPU and the host answers one request at a time: give the UI some slack.
const expect = baseExpect.configure({ timeout: 20_000 });

// A door of the Duplex architecture model, with Pset_DoorCommon.FireRating.
const DOOR = '1aj$VJZFn2TxepZUBcKpac';
const DOOR_KEY = keccak256(toUtf8Bytes(DOOR));

test.use({ viewport: { width: 1280, height: 760 } });

interface EditProbe {
  __twinViewer?: {
    changes(): Record<string, string>;
    statuses(): Record<string, string>;
    ghosts(): string[];
    moving(): string | null;
    moveBy(x: number, y: number, z: number): boolean;
    moveHandle(axis: 'x' | 'y' | 'z'): Handle | null;
    camera(): { alpha: number; beta: number; radius: number; minZ: number; target: number[] };
  };
}

/** Where the gizmo's arrow is grabbed (canvas CSS pixels) and its screen direction per metre. */
interface Handle {
  x: number;
  y: number;
  dx: number;
  dy: number;
}

async function switchIdentity(page: Page, label: RegExp): Promise<void> {
  await page.getByTestId('identity').click();
  await page.getByRole('menuitemradio', { name: label }).click();
  await expect(page.getByTestId('identity')).toContainText(label);
}

async function selectDoor(page: Page): Promise<void> {
  await page.getByTestId('search-input').fill(DOOR);
  await page.getByTestId('search-results').locator('.result').first().click();
  await page.getByRole('tab', { name: 'Properties' }).click();
  await expect(page.getByTestId('properties')).toHaveAttribute('data-global-id', DOOR);
}

const pendingCount = (page: Page) => page.getByTestId('pending-tab-count');

test('planner read-only, engineer edits, undo/redo, commit on chain, history and the diff in 3D', async ({
  page,
  seeded,
}) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${seeded.origin}/?probe#token=${seeded.token}`);
  const sample = page.getByTestId('twin-item').filter({ hasText: 'Duplex apartment' });
  await expect(sample).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('seeding')).toHaveCount(0, { timeout: 60_000 });
  await sample.click();
  const canvas = page.getByTestId('viewport-canvas');
  await expect(canvas).toHaveAttribute('data-loaded', 'true', { timeout: 60_000 });
  const headVersion = await canvas.getAttribute('data-version');

  // ---- the planner: a VIEWER, so every edit control is disabled with main's reason ----
  await switchIdentity(page, /Demo planner/);
  await selectDoor(page);
  const controls = page.getByTestId('edit-controls');
  await expect(controls).toHaveAttribute('data-editable', 'false');
  await expect(controls.getByTestId('edit-disabled-reason')).toContainText(
    /Demo planner.*has no EDITOR role on this twin/,
  );
  await expect(page.getByTestId('status-select')).toBeDisabled();
  await expect(page.getByTestId('move-toggle')).toBeDisabled();
  await expect(page.getByTestId('move-toggle')).toHaveAttribute('title', /no EDITOR role/);
  await expect(page.getByTestId('add-property')).toBeDisabled();
  await expect(page.getByTestId('property-value')).toHaveCount(0); // values are not editable
  // Keyboard shortcuts are refused the same way: nothing becomes pending.
  await page.keyboard.press('m');
  await expect(page.getByTestId('draft-bar')).toHaveCount(0);
  await page.screenshot({ path: `${screenshots}/editing-planner-readonly.png` });

  // ---- the engineer: EDITOR; switching identity enables editing at once ----
  await switchIdentity(page, /Demo engineer/);
  await expect(controls).toHaveAttribute('data-editable', 'true');
  await expect(controls.getByTestId('edit-disabled-reason')).toHaveCount(0);

  // A property value, edited in place.
  const fireRating = page.locator('[data-pset="Pset_DoorCommon"] tr[data-property="FireRating"]');
  await fireRating.getByTestId('property-value').click();
  await fireRating.getByTestId('property-input').fill('EI 60');
  await fireRating.getByTestId('property-input').press('Enter');
  await expect(fireRating.getByTestId('property-value')).toHaveText('EI 60');
  await expect(page.getByTestId('draft-bar')).toContainText('1 pending edit');
  await expect(pendingCount(page)).toHaveText('1');
  // The view follows the draft (a new version id), keeping the door selected. The canvas has no
  // version (data-version="") while it reloads: wait for the draft's to be on it.
  let draftVersion: string | null = null;
  await expect
    .poll(async () => {
      draftVersion = await canvas.getAttribute('data-version');
      return Boolean(draftVersion) && draftVersion !== headVersion;
    })
    .toBe(true);

  // A wrong value kind is refused before it is sent, with the reason inline.
  const isExternal = page.locator('[data-pset="Pset_DoorCommon"] tr[data-property="IsExternal"]');
  await isExternal.getByTestId('property-value').click();
  await isExternal.getByTestId('property-input').fill('perhaps');
  await isExternal.getByTestId('property-input').press('Enter');
  await expect(isExternal).toContainText('Enter yes or no.');
  await isExternal.getByTestId('property-input').press('Escape');

  // The status.
  await page.getByTestId('status-select').selectOption('out of service');
  await expect(pendingCount(page)).toHaveText('2');
  await expect(page.getByTestId('status-select')).toHaveValue('out of service');

  // The move gizmo: lifted out of the model; a mouse drag along its X arrow becomes a move edit.
  await page.getByTestId('move-toggle').click();
  await expect.poll(() => page.evaluate(() => (window as EditProbe).__twinViewer!.moving())).toBe(DOOR_KEY);
  let handle: Handle | null = null;
  await expect
    .poll(
      async () => (handle = await page.evaluate(() => (window as EditProbe).__twinViewer!.moveHandle('x'))),
    )
    .not.toBeNull();
  const grab = handle! as Handle;
  const box = (await canvas.boundingBox())!;
  const length = Math.hypot(grab.dx, grab.dy);
  const [ux, uy] = [grab.dx / length, grab.dy / length];
  const cameraBefore = await page.evaluate(() => (window as EditProbe).__twinViewer!.camera());
  await page.mouse.move(box.x + grab.x, box.y + grab.y);
  await page.mouse.down();
  await page.mouse.move(box.x + grab.x + ux * 80, box.y + grab.y + uy * 80, { steps: 10 });
  await page.mouse.up();
  await expect(pendingCount(page)).toHaveText('3');
  // The drag moved the door, not the view: the camera is where it was, the walls in front of the
  // door still clipped (a press on a handle is not a press on the scene).
  expect(await page.evaluate(() => (window as EditProbe).__twinViewer!.camera())).toEqual(cameraBefore);
  // The model reloads from the draft with the door moved; the gizmo comes back on it.
  await expect
    .poll(() => page.evaluate(() => (window as EditProbe).__twinViewer!.moving()), { timeout: 20_000 })
    .toBe(DOOR_KEY);
  await page.keyboard.press('Escape');
  await expect.poll(() => page.evaluate(() => (window as EditProbe).__twinViewer!.moving())).toBeNull();

  // ---- undo and redo: keyboard and buttons ----
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+z');
  await expect(pendingCount(page)).toHaveText('2');
  await page.keyboard.press('Control+z');
  await expect(pendingCount(page)).toHaveText('1');
  await expect(page.getByTestId('status-select')).toHaveValue('');
  await page.keyboard.press('Control+Shift+z');
  await expect(pendingCount(page)).toHaveText('2');
  await expect(page.getByTestId('status-select')).toHaveValue('out of service');
  await page.getByRole('tab', { name: 'Changes' }).click();
  await expect(page.getByTestId('pending-edit')).toHaveCount(2);
  await expect(page.getByTestId('undone-edit')).toHaveCount(1);
  await page.getByTestId('redo').click();
  await expect(page.getByTestId('pending-edit')).toHaveCount(3);
  await page.keyboard.press('Control+y');
  await expect(page.getByTestId('pending-edit')).toHaveCount(3); // nothing left to redo
  await expect(page.getByTestId('pending-edit').first()).toContainText('Pset_DoorCommon.FireRating');
  // Along X only, and forward: the arrow constrains the drag to its axis.
  await expect(page.getByTestId('pending-edit').last()).toContainText(/Moved by \(\d+(\.\d+)?, 0, 0\) m/);
  await page.screenshot({ path: `${screenshots}/editing-pending.png` });

  // ---- commit: signed by the engineer, queued, relayed, confirmed on chain ----
  await page.getByTestId('commit-edits').click();
  const progress = page.getByTestId('commit-progress');
  await expect(progress).toBeVisible();
  await expect(progress).toHaveAttribute('data-status', 'confirmed', { timeout: 60_000 });
  await expect(page.getByTestId('draft-bar')).toHaveCount(0);
  await expect(canvas).toHaveAttribute('data-version', draftVersion ?? '');

  // ---- colour by status: the door now out of service, in the committed version ----
  await page.getByLabel('Colour by').selectOption('status');
  await expect
    .poll(() => page.evaluate(() => (window as EditProbe).__twinViewer!.statuses()))
    .toEqual({ [DOOR_KEY]: 'out of service' });
  await expect(page.getByTestId('status-legend')).toContainText('out of service');
  await page.getByLabel('Colour by').selectOption('material');

  // ---- history: the new version with its author and transaction; its diff highlighted in 3D ----
  await page.getByRole('tab', { name: 'History' }).click();
  const newest = page.getByTestId('timeline-entry').first();
  await expect(newest).toHaveAttribute('data-version', draftVersion ?? '');
  await expect(newest.getByTestId('timeline-title')).toHaveText('3 edits');
  await expect(newest.getByTestId('timeline-author')).toContainText('Demo engineer', { timeout: 30_000 });
  await expect(newest.getByTestId('timeline-tx')).toContainText(/Chain version 2 · block \d+ · tx 0x/, {
    timeout: 30_000,
  });
  // Pick the two versions (the head before, the new one) and compare them.
  await newest.getByRole('checkbox').check();
  await page
    .locator(`[data-testid="timeline-entry"][data-version="${headVersion}"]`)
    .getByRole('checkbox')
    .check();
  await page.getByTestId('compare-versions').click();
  await expect(page.getByTestId('comparison-title')).toContainText('→');
  const entry = page.getByTestId('diff-entry');
  await expect(entry).toHaveCount(1);
  await expect(entry).toHaveAttribute('data-change', 'modified');
  await entry.getByRole('button').click();
  await expect(entry.getByTestId('diff-fields')).toContainText('EI 60');
  await expect(entry.getByTestId('diff-fields')).toContainText('placement');
  // The 3D view colours by the difference: the door amber (modified), the rest unchanged.
  await expect
    .poll(() => page.evaluate(() => (window as EditProbe).__twinViewer!.changes()), { timeout: 20_000 })
    .toEqual({ [DOOR_KEY]: 'modified' });
  await expect
    .poll(async () => (await inspectCanvas(page, '[data-testid="viewport-canvas"]')).distinctColours, {
      timeout: 15_000,
    })
    .toBeGreaterThan(10);
  // The door's own history names the edits.
  await page.getByRole('tab', { name: 'Properties' }).click();
  await page.getByTestId('element-history').locator('summary').click();
  await expect(page.getByTestId('element-history-entry').first()).toContainText('Pset_DoorCommon.FireRating');
  // The comparison with the door's field diffs open, the door unselected so its amber shows.
  await page.getByRole('tab', { name: 'History' }).click();
  await page.getByTestId('diff-entry').getByRole('button').click();
  await expect(page.getByTestId('diff-fields')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('properties-empty')).toHaveCount(0); // (the History tab is shown)
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${screenshots}/editing-history-diff.png` });
  expect(errors).toEqual([]);
});
