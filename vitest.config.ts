// Unit and integration tests of main, shared and renderer logic (real SQLite, real files).
// Contract tests run under Hardhat, browser journeys under Playwright: both are excluded here.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/electron/**', 'test/contracts/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
