// The contracts' test command (npm run test:contracts): checks the generated bindings are current,
// runs the Solidity suites (unit, fuzz, invariant) and the TypeScript suites with line coverage,
// restores the uninstrumented build, and prints one summary. Exits non-zero on any failure or when
// line coverage of the contracts is below MIN_LINE_COVERAGE.
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const MIN_LINE_COVERAGE = 95;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const started = performance.now();

function run(command: string, args: string[], quiet = false): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let output = '';
    const collect = (chunk: Buffer, stream: NodeJS.WriteStream) => {
      output += chunk.toString();
      if (!quiet) stream.write(chunk);
    };
    child.stdout.on('data', (c: Buffer) => collect(c, process.stdout));
    child.stderr.on('data', (c: Buffer) => collect(c, process.stderr));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Line coverage of the contracts (not their tests) from Hardhat's lcov report. */
async function lineCoverage(): Promise<{ hit: number; found: number; files: string[] }> {
  const lcov = await readFile(path.join(root, 'coverage/lcov.info'), 'utf8');
  let hit = 0;
  let found = 0;
  const files: string[] = [];
  let current = '';
  for (const line of lcov.split('\n')) {
    if (line.startsWith('SF:')) current = line.slice(3);
    const counted = current.startsWith('contracts/') && !current.startsWith('contracts/test/');
    if (!counted) continue;
    if (line.startsWith('LH:')) hit += Number(line.slice(3));
    if (line.startsWith('LF:')) {
      found += Number(line.slice(3));
      files.push(current);
    }
  }
  return { hit, found, files };
}

const failures: string[] = [];
const config = await readFile(path.join(root, 'hardhat.config.ts'), 'utf8');

const compile = await run('hardhat', ['compile', '--quiet']);
if (compile.code !== 0) failures.push('compilation failed');

const fresh = await run('node', [path.join(root, 'scripts/contracts/export-artifacts.ts'), '--check']);
if (fresh.code !== 0) failures.push('src/main/chain/generated is out of date (npm run build:contracts)');

const tests = await run('hardhat', ['test', '--coverage']);
if (tests.code !== 0) failures.push(`hardhat test exited with ${tests.code}`);

// --coverage leaves instrumented bytecode in artifacts/: rebuild so nothing else picks it up.
const restore = await run('hardhat', ['compile', '--quiet', '--force'], true);
if (restore.code !== 0) failures.push('could not restore the uninstrumented build');

const plain = stripVTControlCharacters(tests.output);
const passing = /(\d+) passing \((\d+) solidity, (\d+) nodejs\)/.exec(plain);
const failing = /(\d+) failing/.exec(plain);
const fuzz = (plain.match(/\(runs: \d+/g) ?? []).length;
const invariants = (plain.match(/invariant_\w+\(\) \(runs: \d+/g) ?? []).length;

let coverageLine = 'line coverage: unavailable';
let coveragePct: number | null = null;
try {
  const { hit, found, files } = await lineCoverage();
  const pct = found === 0 ? 0 : (100 * hit) / found;
  coveragePct = pct;
  coverageLine = `line coverage: ${pct.toFixed(2)}% (${hit}/${found} lines in ${files.length} contract files; minimum ${MIN_LINE_COVERAGE}%)`;
  if (pct < MIN_LINE_COVERAGE) failures.push(`line coverage ${pct.toFixed(2)}% < ${MIN_LINE_COVERAGE}%`);
} catch (error) {
  failures.push(`no coverage report: ${(error as Error).message}`);
}

console.log('\n== contracts: summary ==');
console.log(
  passing
    ? `tests: ${passing[1]} passing (${passing[2]} solidity, ${passing[3]} nodejs), ${failing ? failing[1] : 0} failing`
    : `tests: ${failing ? `${failing[1]} failing` : 'no result line found'}`,
);
const fuzzRuns = /fuzz: \{ runs: (\d+)/.exec(config)?.[1] ?? '?';
const invariantRuns = /invariant: \{ runs: (\d+), depth: (\d+)/.exec(config);
console.log(
  `fuzz: ${fuzz - invariants} fuzz tests x ${fuzzRuns} runs; invariants: ${invariants} x ${invariantRuns?.[1] ?? '?'} runs of depth ${invariantRuns?.[2] ?? '?'}`,
);
console.log(coverageLine);
console.log(`generated bindings: ${fresh.code === 0 ? 'up to date' : 'OUT OF DATE'}`);
console.log(`time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
// Machine-readable counts for scripts/test-all.mjs (test-results/ is not committed).
const reports = path.join(root, 'test-results/reports');
await mkdir(reports, { recursive: true });
await writeFile(
  path.join(reports, 'contracts.json'),
  JSON.stringify({
    passed: passing ? Number(passing[1]) : 0,
    failed: failing ? Number(failing[1]) : failures.length ? 1 : 0,
    skipped: 0,
    lineCoverage: coveragePct,
    failures,
  }),
);
if (failures.length) {
  console.log(`FAILED: ${failures.join('; ')}`);
  process.exitCode = 1;
} else {
  console.log('OK');
}
