// Bundles a TypeScript child-process script (crash tests, the start-up bench) into one ESM file
// under node_modules/.cache, packages left external: the child then starts in a fraction of tsx's
// time, so a test can kill and restart it many times.
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/** Bundles `entry` (relative to the repository root) and answers the path of the runnable .mjs. */
export async function bundleChild(entry: string): Promise<string> {
  const outDir = join(REPO, 'node_modules', '.cache', 'twinledger-children');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, basename(entry).replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [join(REPO, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}
