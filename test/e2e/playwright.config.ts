// End-to-end journeys: Playwright drives Chromium against the real serve host (real services,
// real store, real renderer build). Run `npm run build` first; `npm test` does.
import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumExecutable } from '../support/chromium';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: '../../test-results/e2e',
  timeout: 60_000,
  workers: 1,
  // SwiftShader on a loaded 2-core machine: one retry, reported as flaky with its first error.
  retries: process.env.CI ? 1 : 0,
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [['list'], ['json']] : [['list']],
  use: {
    browserName: 'chromium',
    viewport: { width: 1440, height: 900 },
    // The journeys (and the README's screenshots) on a dark OS, as the theme's default ('system')
    // then shows the app; theme.spec.ts sets the OS's preference itself.
    colorScheme: 'dark',
    launchOptions: { executablePath: chromiumExecutable(), args: chromiumArgs },
    trace: 'retain-on-failure',
  },
});
