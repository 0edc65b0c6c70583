// The process the crash test kills: an outbox relaying a queue against a chain node over HTTP,
// started on an existing data folder. It prints "ready" once the relayer runs and "step" after each
// durable change, and relays until it is killed (SIGKILL, at a random moment chosen by the parent).
//   node --import tsx test/sync/outbox-crash-child.ts DIR URL REGISTRY CHAIN_ID START_BLOCK MAX_BATCH
import { join } from 'node:path';
import { httpProvider } from '../../src/main/chain/chain-service';
import { TwinStore } from '../../src/main/store/twin-store';
import { sandboxRelayerWallet } from '../../src/main/sync/deployment';
import { OutboxService } from '../../src/main/sync/outbox';
import { passphraseOnly } from '../../src/main/vault/secret-protector';
import { Vault } from '../../src/main/vault/vault';

const [dir, url, registry, chainId, startBlock, maxBatch] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const store = TwinStore.open(join(dir, 'twins.sqlite'));
const vault = new Vault({
  dataDir: dir,
  protector: passphraseOnly('crash test'),
  idleLockMinutes: () => 15,
  scryptN: 1024,
});
const provider = httpProvider(url, 5_000);
const silent = { info: () => {}, warn: () => {}, error: () => {} };
const outbox = new OutboxService({
  store,
  vault,
  provider: () => provider,
  target: () => ({ chainId: Number(chainId), registry, startBlock: Number(startBlock) }),
  relayerAccount: () => sandboxRelayerWallet(),
  packageDirs: [join(dir, 'packages')],
  logger: silent,
  // Each durable step (a batch written, a batch settled) is announced, so the parent can aim its kill.
  onChange: (counts) => process.stdout.write(`step ${counts.sent} ${counts.confirmed}\n`),
  relayer: { maxBatch: Number(maxBatch), receiptPollMs: 5, idleMs: 50, backoffMs: { initial: 20, max: 100 } },
});
outbox.start();
process.stdout.write('ready\n');
setInterval(() => {}, 60_000);
