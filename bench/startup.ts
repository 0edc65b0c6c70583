// Start-up: the app host answers twins.list from its SQLite cache in under 1.5 s from process start,
// with the sandbox chain, before the chain has finished starting (it replays its journal in the
// background, then sync catches up). The data folder is first seeded and given a journal of extra
// transactions, like an install that has been used. Run: npm run bench:startup [-- RUNS]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleChild } from '../test/support/bundle-child';
import { createEthersProvider } from '../src/main/chain/ethers';
import { TwinRegistry__factory } from '../src/main/chain/generated/types';
import { createServiceHost } from '../src/main/services/host';
import type { Logger } from '../src/main/services/logger';
import { demoWallet } from '../src/main/vault/demo-identities';

const BOUND_MS = 1500;
const RUNS = Number(process.argv[2] ?? 5);
const EXTRA_TXS = 300;
const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const SAMPLES = join(REPO, 'resources', 'samples');
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

interface Run {
  importedAt: number;
  hostAt: number;
  listedAt: number;
  twins: number;
  chainStateAtList: string;
  chainReadyAt: number;
  syncedAt: number;
  replayedEntries: number | null;
  head: number | null;
}

async function prepare(dataDir: string): Promise<void> {
  const t0 = performance.now();
  const host = createServiceHost({
    dataDir,
    host: 'serve',
    appVersion: 'bench',
    logger: quiet,
    seedSandbox: true,
    samplesDir: SAMPLES,
  });
  await host.chain.start();
  await host.sync!.seeded();
  // A used install: the journal holds the seeding plus EXTRA_TXS role changes to replay.
  const sandbox = host.chain.sandbox!;
  const provider = createEthersProvider(sandbox, sandbox.chainId);
  const owner = host.vault.connectedSigner('demo-owner', provider, sandbox.chainId);
  const registry = TwinRegistry__factory.connect(host.sync!.deployment.get()!.registry, owner);
  let nonce = await provider.getTransactionCount(await owner.getAddress(), 'latest');
  for (let i = 0; i < EXTRA_TXS; i++) {
    await registry.grantRole(1, 3, demoWallet('planner').address, 4_000_000_000 + i, {
      nonce: nonce++,
      gasLimit: 200_000,
    });
  }
  await host.sync!.caughtUp(60_000);
  provider.destroy();
  await host.close();
  console.log(
    `prepared a used install in ${((performance.now() - t0) / 1000).toFixed(1)} s (sample twin, seeding, ${EXTRA_TXS} extra transactions)`,
  );
}

function runChild(script: string, dataDir: string): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, dataDir, SAMPLES], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{'))
        fail(new Error(`start-up child failed (${code}): ${err || out}`));
      else done(JSON.parse(line) as Run);
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'twinledger-bench-startup-'));
  try {
    await prepare(dir);
    const script = await bundleChild('bench/startup/child.ts');
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await runChild(script, dir);
      runs.push(run);
      console.log(
        `run ${i + 1}: modules ${run.importedAt.toFixed(0)} ms, host ${run.hostAt.toFixed(0)} ms, twins.list (${run.twins} twin) ` +
          `${run.listedAt.toFixed(0)} ms with the chain "${run.chainStateAtList}"; chain ready ${run.chainReadyAt.toFixed(0)} ms ` +
          `(replayed ${run.replayedEntries} journal lines), sync caught up ${run.syncedAt.toFixed(0)} ms (head #${run.head})`,
      );
    }
    const listed = runs.map((r) => r.listedAt).sort((a, b) => a - b);
    const median = listed[Math.floor(listed.length / 2)]!;
    const worst = listed.at(-1)!;
    const beforeChain = runs.every((r) => r.chainStateAtList !== 'ready' && r.listedAt < r.chainReadyAt);
    console.log(
      `usable (twins.list answered from cache): median ${median.toFixed(0)} ms, worst ${worst.toFixed(0)} ms from process start; ` +
        `bound ${BOUND_MS} ms (ratio worst / bound ${(worst / BOUND_MS).toFixed(2)}); before the chain finished starting: ${beforeChain}`,
    );
    if (worst >= BOUND_MS || !beforeChain || runs.some((r) => r.twins < 1)) {
      console.error('FAIL: start-up bound not met');
      process.exitCode = 1;
    } else {
      console.log('PASS');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
