// Samples the viewer's WebGL canvas so journeys can tell a drawn model from the empty grid.
import type { Page } from '@playwright/test';

export interface CanvasSample {
  width: number;
  height: number;
  /** RGB of every 5th pixel of every 5th row, packed. */
  pixels: number[];
  distinctColours: number;
}

export function sampleCanvas(
  page: Page,
  selector = '[data-testid="viewport-canvas"]',
): Promise<CanvasSample> {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(sel) as HTMLCanvasElement | null;
    if (!canvas) throw new Error(`no canvas at ${sel}`);
    const copy = document.createElement('canvas');
    copy.width = canvas.width;
    copy.height = canvas.height;
    const ctx = copy.getContext('2d');
    if (!ctx) throw new Error('no 2D context');
    ctx.drawImage(canvas, 0, 0);
    const { data } = ctx.getImageData(0, 0, copy.width, copy.height);
    const pixels: number[] = [];
    for (let y = 0; y < copy.height; y += 5) {
      for (let x = 0; x < copy.width; x += 5) {
        const i = (y * copy.width + x) * 4;
        pixels.push((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      }
    }
    return { width: copy.width, height: copy.height, pixels, distinctColours: new Set(pixels).size };
  }, selector);
}

/** Share of samples whose colour differs by more than `tolerance` (per channel) between two frames. */
export function changedShare(a: CanvasSample, b: CanvasSample, tolerance = 12): number {
  if (a.pixels.length !== b.pixels.length) return 1;
  let changed = 0;
  for (let i = 0; i < a.pixels.length; i++) {
    const p = a.pixels[i]!;
    const q = b.pixels[i]!;
    const d = Math.max(
      Math.abs(((p >> 16) & 255) - ((q >> 16) & 255)),
      Math.abs(((p >> 8) & 255) - ((q >> 8) & 255)),
      Math.abs((p & 255) - (q & 255)),
    );
    if (d > tolerance) changed++;
  }
  return changed / a.pixels.length;
}
