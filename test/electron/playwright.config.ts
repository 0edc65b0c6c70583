// Electron end-to-end: Playwright's _electron launches the real desktop app. Where the Electron
// binary could not be downloaded (these build machines), the test reports itself skipped and why.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: '../../test-results/electron',
  timeout: 90_000,
  workers: 1,
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [['list'], ['json']] : [['list']],
});
