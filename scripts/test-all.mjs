// `npm test`: every test layer in turn, each printing its own summary, then one table and a closing
// count line. Runs all layers even when one fails, and exits non-zero if any failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const results = resolve('test-results', 'reports');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

/** @type {{name: string, command: string, args: string[], env?: Record<string,string>, report?: (ok: boolean) => {passed:number, failed:number, skipped:number} | null, needs?: string}[]} */
const layers = [
  { name: 'build', command: 'npm', args: ['run', '--silent', 'build'] },
  { name: 'typecheck', command: 'npm', args: ['run', '--silent', 'typecheck'] },
  { name: 'lint', command: 'npm', args: ['run', '--silent', 'lint'] },
  {
    name: 'unit + integration (vitest)',
    command: 'npx',
    args: [
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${results}/vitest.json`,
    ],
    report: () => {
      const r = readJson(`${results}/vitest.json`);
      return (
        r && {
          passed: r.numPassedTests,
          failed: r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0),
          skipped: r.numPendingTests + r.numTodoTests,
        }
      );
    },
  },
  {
    name: 'contracts (hardhat)',
    command: 'npm',
    args: ['run', '--silent', 'test:contracts'],
    needs: 'test:contracts',
    report: () => {
      const r = readJson('test-results/reports/contracts.json');
      return r && { passed: r.passed, failed: r.failed, skipped: r.skipped };
    },
  },
  {
    name: 'end-to-end (Playwright, Chromium, serve mode)',
    command: 'npx',
    args: ['playwright', 'test', '-c', 'test/e2e/playwright.config.ts'],
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: `${results}/e2e.json` },
    report: () => playwrightCounts(`${results}/e2e.json`),
  },
  {
    name: 'end-to-end (Playwright, Electron)',
    command: 'npx',
    args: ['playwright', 'test', '-c', 'test/electron/playwright.config.ts'],
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: `${results}/electron.json` },
    report: () => playwrightCounts(`${results}/electron.json`),
  },
];

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

function playwrightCounts(path) {
  const r = readJson(path);
  return (
    r && { passed: r.stats.expected + r.stats.flaky, failed: r.stats.unexpected, skipped: r.stats.skipped }
  );
}

const only = process.argv.slice(2);
const summary = [];
for (const layer of layers) {
  if (only.length > 0 && !only.some((o) => layer.name.startsWith(o))) continue;
  if (layer.needs && !pkg.scripts?.[layer.needs]) {
    summary.push({ name: layer.name, status: 'skipped', seconds: 0, note: `no "${layer.needs}" script` });
    continue;
  }
  console.log(`\n━━━ ${layer.name} ━━━`);
  const started = Date.now();
  const run = spawnSync(layer.command, layer.args, {
    stdio: 'inherit',
    env: { ...process.env, ...layer.env },
  });
  const ok = run.status === 0;
  const counts = layer.report?.(ok) ?? null;
  summary.push({
    name: layer.name,
    status: ok ? 'passed' : 'FAILED',
    seconds: (Date.now() - started) / 1000,
    counts,
  });
}

console.log('\n━━━ summary ━━━');
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const s of summary) {
  const counts = s.counts
    ? ` (${s.counts.passed} passed, ${s.counts.failed} failed, ${s.counts.skipped} skipped)`
    : '';
  console.log(
    `${s.status.padEnd(8)} ${s.name.padEnd(48)} ${s.seconds.toFixed(1).padStart(6)} s${counts}${s.note ? ` — ${s.note}` : ''}`,
  );
  if (s.counts) for (const k of Object.keys(totals)) totals[k] += s.counts[k];
}
const failedLayers = summary.filter((s) => s.status === 'FAILED');
if (existsSync('test-results/screenshots')) console.log('screenshots: test-results/screenshots/');
console.log(
  `${totals.passed} passed, ${totals.failed + failedLayers.filter((s) => !s.counts).length} failed, ${totals.skipped} skipped`,
);
process.exit(failedLayers.length > 0 ? 1 : 0);
