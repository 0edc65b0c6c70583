// Reads back the WebGL canvas and measures how much of it was actually drawn.
import type { Page } from '@playwright/test';

export interface CanvasReport {
  width: number;
  height: number;
  distinctColours: number;
  /** Share of sampled pixels that differ from the most common colour (the clear colour). */
  drawnShare: number;
}

export function inspectCanvas(page: Page, selector: string): Promise<CanvasReport> {
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
    const counts = new Map<number, number>();
    let samples = 0;
    for (let i = 0; i < data.length; i += 4 * 7) {
      const key = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      samples++;
    }
    const top = Math.max(...counts.values());
    return {
      width: copy.width,
      height: copy.height,
      distinctColours: counts.size,
      drawnShare: 1 - top / samples,
    };
  }, selector);
}
