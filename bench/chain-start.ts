// Start-up cost of the sandbox chain: EDR creation, then journal replay of N transactions (default
// 300) after a restart, checked to land on the same head. Run: npx tsx bench/chain-start.ts [N]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedChain } from '../src/main/chain/embedded-chain';
import { sandboxGenesis } from '../src/main/chain/sandbox-genesis';
import { demoWallet } from '../src/main/vault/demo-identities';

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 300);
  const dir = mkdtempSync(join(tmpdir(), 'twinledger-bench-chain-'));
  try {
    const t0 = performance.now();
    const chain = await EmbeddedChain.start({ dataDir: dir, genesis: () => sandboxGenesis() });
    const coldMs = performance.now() - t0;

    const wallet = demoWallet('owner');
    const raws: string[] = [];
    for (let nonce = 0; nonce < count; nonce++) {
      raws.push(
        await wallet.signTransaction({
          type: 2,
          chainId: chain.chainId,
          nonce,
          to: demoWallet('engineer').address,
          value: 1n,
          gasLimit: 21_000n,
          maxFeePerGas: 10n ** 10n,
          maxPriorityFeePerGas: 10n ** 9n,
        }),
      );
    }
    const t1 = performance.now();
    for (const raw of raws) await chain.request({ method: 'eth_sendRawTransaction', params: [raw] });
    const sendMs = performance.now() - t1;
    const head = await chain.head();
    await chain.close();

    const t2 = performance.now();
    const again = await EmbeddedChain.start({ dataDir: dir });
    const restartMs = performance.now() - t2;
    const replayed = await again.head();
    await again.close();

    const journalKb = statSync(join(dir, 'journal.jsonl')).size / 1024;
    console.log(`chain start (fresh, first in process): ${coldMs.toFixed(0)} ms`);
    console.log(
      `journaled sends: ${count} txs in ${sendMs.toFixed(0)} ms (${((sendMs / count) * 1000).toFixed(0)} us/tx, fsync each)`,
    );
    console.log(
      `restart with replay: ${restartMs.toFixed(0)} ms total, EDR ${again.timings.createMs.toFixed(0)} ms + ` +
        `replay of ${again.timings.replayedEntries} lines ${again.timings.replayMs.toFixed(0)} ms; journal ${journalKb.toFixed(0)} KiB`,
    );
    console.log(`same head after restart: ${replayed.hash === head.hash} (#${head.number} ${head.hash})`);
    console.log(
      `budget: app usable < 1500 ms; chain start runs in the background (ratio ${(restartMs / 1500).toFixed(2)})`,
    );
    if (replayed.hash !== head.hash) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
