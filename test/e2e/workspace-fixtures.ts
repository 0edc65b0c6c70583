// Fixtures for the workspace journeys: their own serve host (so twins they import never leak into
// the app-shell journeys' empty-state checks), a Node API client for setup, and the page opened
// with the viewer probe.
import { test as base, expect, type Page } from '@playwright/test';
import { startServe, stopServe, type ServeProcess } from './fixtures';
import { openClient } from './client';

export type Client = Awaited<ReturnType<typeof openClient>>;

export const test = base.extend<{ client: Client }, { host: ServeProcess }>({
  host: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      // E2E_SERVE_URL points the journeys at a host already running (debugging); else start one.
      const external = process.env.E2E_SERVE_URL;
      if (external) {
        const url = new URL(external);
        await use({
          url: external,
          origin: url.origin,
          token: url.hash.replace('#token=', ''),
        } as ServeProcess);
        return;
      }
      const serve = await startServe();
      await use(serve);
      await stopServe(serve);
    },
    { scope: 'worker' },
  ],
  client: async ({ host }, use) => {
    const client = await openClient(host);
    await use(client);
    client.close();
  },
});

export { expect };

/** Opens the app with the read-only viewer probe (`?probe`), token in the fragment as printed. */
export async function openApp(page: Page, host: ServeProcess): Promise<void> {
  await page.goto(`${host.origin}/?probe#token=${host.token}`);
  await expect(page.getByTestId('app-frame')).toBeVisible();
}

/** Imports a file by path through the API (setup for journeys that start from an existing twin). */
export async function importByPath(
  client: Client,
  path: string,
  twinName: string,
): Promise<{ twinId: string; versionId: number }> {
  const answer = (await client.call('twins.import', {
    jobId: `setup-${Date.now()}`,
    source: { kind: 'path', path },
    target: { kind: 'newTwin', twinName },
  })) as { ok: boolean; value?: { twinId: string; versionId: number }; error?: { message: string } };
  if (!answer.ok || !answer.value) throw new Error(`setup import failed: ${answer.error?.message}`);
  return answer.value;
}

/** Waits until the viewer shows a version (data-loaded on the canvas) and a frame is drawn. */
export async function waitForModel(page: Page, twinId?: string): Promise<void> {
  const canvas = page.getByTestId('viewport-canvas');
  if (twinId) await expect(canvas).toHaveAttribute('data-twin', twinId, { timeout: 30_000 });
  await expect(canvas).toHaveAttribute('data-loaded', 'true', { timeout: 30_000 });
  await page.waitForTimeout(250);
}

/** A canvas point (page coordinates) where the viewer hits an element, found through the probe. */
export async function elementPoint(page: Page): Promise<{ x: number; y: number; key: string }> {
  const box = await page.getByTestId('viewport-canvas').boundingBox();
  if (!box) throw new Error('no canvas box');
  const hits = await page.evaluate(
    () => (window as unknown as ProbeWindow).__twinViewer?.hitPoints(40) ?? [],
  );
  if (hits.length === 0) throw new Error('the viewer hits nothing on its canvas');
  // Prefer a hit near the middle of the canvas, where a user would click.
  const cx = box.width / 2;
  const cy = box.height / 2;
  hits.sort((a, b) => Math.hypot(a.x - cx, a.y - cy) - Math.hypot(b.x - cx, b.y - cy));
  const hit = hits[0]!;
  return { x: box.x + hit.x, y: box.y + hit.y, key: hit.key };
}

/** The viewer's read-only test hook (installed by `?probe`), as the page exposes it. */
export interface ProbeWindow {
  __twinViewer?: {
    hitPoints(step: number): { x: number; y: number; key: string }[];
    keyAt(x: number, y: number): string | null;
    stats(): { drawCalls: number; materials: number; frameMs: number };
  };
}
