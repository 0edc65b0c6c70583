// Renders resources/icon.svg to resources/icon.png (1024x1024), from which electron-builder makes
// the .ico and .icns. Run after changing the SVG: node scripts/render-icon.mjs
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage({ viewport: { width: 1024, height: 1024 } });
await page.setContent(
  `<html><body style="margin:0;background:transparent">${readFileSync('resources/icon.svg', 'utf8')}</body></html>`,
);
await page.locator('svg').screenshot({ path: 'resources/icon.png', omitBackground: true });
await browser.close();
