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
    failures: () => vitestFailures(`${results}/vitest.json`),
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
    failures: () => playwrightFailures(`${results}/e2e.json`),
  },
  {
    name: 'end-to-end (Playwright, Electron)',
    command: 'npx',
    args: ['playwright', 'test', '-c', 'test/electron/playwright.config.ts'],
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: `${results}/electron.json` },
    report: () => playwrightCounts(`${results}/electron.json`),
    failures: () => playwrightFailures(`${results}/electron.json`),
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

// What failed, and why, in a few lines each: printed last, so that the tail of a CI log names it.
// eslint-disable-next-line no-control-regex -- terminal colour codes are control characters
const ansi = /\u001b\[[0-9;]*m/g;
const firstLines = (text, n = 8) =>
  String(text ?? '')
    .replace(ansi, '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, n)
    .map((l) => `      ${l.slice(0, 240)}`)
    .join('\n');

function vitestFailures(path) {
  const r = readJson(path);
  const out = [];
  for (const file of r?.testResults ?? []) {
    const failed = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const a of failed)
      out.push({ title: `${file.name} › ${a.fullName}`, message: a.failureMessages?.[0] });
    if (failed.length === 0 && file.status === 'failed')
      out.push({ title: file.name, message: file.message });
  }
  return out;
}

function playwrightFailures(path) {
  const r = readJson(path);
  const out = [];
  const walk = (suite) => {
    for (const spec of suite.specs ?? [])
      for (const t of spec.tests ?? [])
        t.results?.forEach((res, attempt) => {
          if (res.status === 'passed' || res.status === 'skipped') return;
          const outcome = t.status === 'flaky' ? `flaky, attempt ${attempt + 1}` : res.status;
          out.push({
            title: `${spec.file}:${spec.line} › ${spec.title} (${outcome})`,
            message: res.error?.message ?? res.errors?.[0]?.message,
          });
        });
    (suite.suites ?? []).forEach(walk);
  };
  (r?.suites ?? []).forEach(walk);
  return out;
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
    failures: layer.failures?.() ?? [],
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
const withFailures = summary.filter((s) => s.failures?.length);
if (withFailures.length > 0) {
  console.log('\n━━━ failures (and retried flakes) ━━━');
  for (const s of withFailures)
    for (const f of s.failures) console.log(`  ${s.name}: ${f.title}\n${firstLines(f.message)}`);
}
process.exit(failedLayers.length > 0 ? 1 : 0);
