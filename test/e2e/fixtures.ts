// A worker-scoped fixture that runs the real serve host (`node out/main/serve.js`) on a free port
// with a temporary data folder, and hands tests the URL it prints.
import { test as base } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ServeProcess {
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  process: ChildProcess;
  logs: string[];
}

const repo = resolve(import.meta.dirname, '../..');

export interface StartServeOptions {
  /** Seed the sandbox as a first start does (demo identities, the sample Duplex twin on chain). */
  seed?: boolean;
}

export async function startServe(options: StartServeOptions = {}): Promise<ServeProcess> {
  const entry = join(repo, 'out/main/serve.js');
  if (!existsSync(entry)) throw new Error('out/main/serve.js is missing: run `npm run build` first.');
  const dataDir = mkdtempSync(join(tmpdir(), 'twinledger-e2e-'));
  // Most journeys start from an empty sandbox (no seeded sample twin or demo identities).
  const args = [entry, '--port', '0', '--data-dir', dataDir, ...(options.seed ? [] : ['--no-sandbox-seed'])];
  const child = spawn(process.execPath, args, {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`serve host did not print its URL:\n${logs.join('')}`)),
      30_000,
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /serving at (\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        done(match[1]);
      }
    });
    child.once('exit', (code) => fail(new Error(`serve host exited with ${code}:\n${logs.join('')}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.hash.replace('#token=', ''),
    dataDir,
    process: child,
    logs,
  };
}

export async function stopServe(serve: ServeProcess): Promise<void> {
  if (serve.process.exitCode === null) {
    const exited = new Promise((done) => serve.process.once('exit', done));
    serve.process.kill('SIGTERM');
    await exited;
  }
  rmSync(serve.dataDir, { recursive: true, force: true });
}

/**
 * A worker fixture: a serve host of the worker's own, started with `options`, stopped (its data
 * folder removed) when the worker ends. A spec whose twins or settings must not reach the other
 * journeys overrides its host with one of these, which also runs it in a worker of its own.
 */
export function ownServe(
  options: StartServeOptions = {},
): [(fixtures: object, use: (serve: ServeProcess) => Promise<void>) => Promise<void>, { scope: 'worker' }] {
  return [
    // Playwright reads the fixtures a fixture needs from its first parameter's pattern: none here.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const serve = await startServe(options);
      await use(serve);
      await stopServe(serve);
    },
    { scope: 'worker' },
  ];
}

export const test = base.extend<object, { serve: ServeProcess }>({ serve: ownServe() });

/**
 * A seeded sandbox (the sample Duplex twin on the embedded chain, the demo identities) for one spec
 * file's tests: each call makes a fixture of its own, so a journey that switches identity or grants
 * a role in its file leaves the next file a fresh sandbox (one worker runs the files in turn).
 */
export const seededSandbox = () =>
  base.extend<object, { seeded: ServeProcess }>({ seeded: ownServe({ seed: true }) });

/** Where the journeys leave their screenshots (README's come from there). */
export const screenshotsDir = resolve(import.meta.dirname, '../../test-results/screenshots');
mkdirSync(screenshotsDir, { recursive: true });

export { expect } from '@playwright/test';
