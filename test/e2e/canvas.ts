// Reads back the WebGL canvas and measures how much of it was actually drawn.
import type { Page } from '@playwright/test';
import { sampleCanvas } from './viewer-canvas';

export interface CanvasReport {
  width: number;
  height: number;
  distinctColours: number;
  /** Share of sampled pixels that differ from the most common colour (the clear colour). */
  drawnShare: number;
}

export async function inspectCanvas(page: Page, selector: string): Promise<CanvasReport> {
  const sample = await sampleCanvas(page, selector);
  const counts = new Map<number, number>();
  for (const pixel of sample.pixels) counts.set(pixel, (counts.get(pixel) ?? 0) + 1);
  const top = Math.max(0, ...counts.values());
  return {
    width: sample.width,
    height: sample.height,
    distinctColours: sample.distinctColours,
    drawnShare: sample.pixels.length > 0 ? 1 - top / sample.pixels.length : 0,
  };
}
