// The process the crash test kills: indexes a chain over JSON-RPC into a SQLite file, one small
// range per transaction, printing "c <cursor>" after each commit. It starts indexing when told
// ("go" on stdin) so the test can start the next one while the current one runs. Bundled by
// crash-resume.test.ts.
//   node crash-child.mjs <dbPath> <rpcUrl> <registry> <chainId> <startBlock> <maxBlockRange>
import { openDatabase } from '../../src/main/store/database';
import { ChainIndex } from '../../src/main/store/chain-index';
import { ChainIndexer } from '../../src/main/sync/indexer';

const [dbPath, rpcUrl, registry, chainId, startBlock, range] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
let id = 0;
const provider = {
  request: async ({ method, params }: { method: string; params?: unknown }) => {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: params ?? [] }),
    });
    const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string } };
    if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code });
    return body.result;
  },
};
const index = new ChainIndex(openDatabase(dbPath));
const indexer = new ChainIndexer({
  provider,
  index,
  deployment: { registry, chainId: Number(chainId), startBlock: Number(startBlock) },
  maxBlockRange: Number(range),
  onCommit: (_change, progress) => process.stdout.write(`c ${progress.cursor}\n`),
});
process.stdout.write('ready\n');
await new Promise<void>((go) => process.stdin.once('data', () => go()));
await indexer.syncOnce();
process.stdout.write('done\n');
