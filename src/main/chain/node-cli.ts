// `npm run chain`: the embedded sandbox chain as a standalone JSON-RPC node on 127.0.0.1, so several
// app instances (and tests) can share one chain, and go "offline" by stopping it. Prints its URL.
import { parseArgs } from 'node:util';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { EmbeddedChain } from './embedded-chain';
import { ChainRpcServer } from './rpc-server';
import { sandboxGenesis } from './sandbox-genesis';

const usage = `Usage: npm run chain -- [options]
  --port N              port on 127.0.0.1 (default 8545; 0 picks a free one)
  --data-dir DIR        folder of the chain's journal (default ~/.twinledger/chain)
  --memory              keep the chain in memory only (no journal)
  --fund ADDRESS        also fund ADDRESS at genesis (repeatable; new chains only)
  --max-logs N          refuse eth_getLogs answers above N logs (default 10000; 0 = no limit)
  --max-block-range N   refuse eth_getLogs ranges above N blocks (default 2000; 0 = no limit)
  --no-fsync            do not fsync the journal after each call (faster, not crash-safe)`;

function positiveIntOrZero(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a whole number >= 0, got "${value}".`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8545' },
      'data-dir': { type: 'string' },
      memory: { type: 'boolean', default: false },
      fund: { type: 'string', multiple: true, default: [] },
      'max-logs': { type: 'string', default: '10000' },
      'max-block-range': { type: 'string', default: '2000' },
      'no-fsync': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = positiveIntOrZero('port', values.port);
  if (port > 65535) throw new Error('--port must be at most 65535.');
  const maxLogs = positiveIntOrZero('max-logs', values['max-logs']);
  const maxBlockRange = positiveIntOrZero('max-block-range', values['max-block-range']);
  for (const address of values.fund) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new Error(`--fund needs an address, got "${address}".`);
  }
  const dataDir = values.memory
    ? undefined
    : resolve(values['data-dir'] ?? join(homedir(), '.twinledger', 'chain'));

  const chain = await EmbeddedChain.start({
    ...(dataDir ? { dataDir } : {}),
    genesis: () => sandboxGenesis(values.fund),
    durable: !values['no-fsync'],
    logLimits: {
      ...(maxLogs > 0 ? { maxLogs } : {}),
      ...(maxBlockRange > 0 ? { maxBlockRange } : {}),
    },
    compactThreshold: 1000,
  });
  const server = await ChainRpcServer.start(chain, { port });
  const head = await chain.head();
  const { createMs, replayMs, replayedEntries } = chain.timings;
  console.error(
    `chain ${chain.chainId}: EDR ${createMs.toFixed(0)} ms, replayed ${replayedEntries} journal lines in ` +
      `${replayMs.toFixed(0)} ms; head #${head.number} ${head.hash}; data ${dataDir ?? '(memory)'}`,
  );
  // The one line on stdout: tests and scripts read the URL from it.
  console.log(`TwinLedger chain listening at ${server.url}`);

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await server.stop();
    await chain.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((error: unknown) => {
  console.error(`chain failed to start: ${(error as Error).message}`);
  process.exit(1);
});
