// Network mode: any JSON-RPC endpoint plus a deployment manifest (the format scripts/deploy.ts
// writes). The indexer follows the endpoint through the ChainService, and the sync status says
// online/offline, head, cursor and lag as the node goes away and comes back.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { defaultSettings, type Settings, type SyncStatus } from '../../src/shared/api';
import { ChainService } from '../../src/main/chain/chain-service';
import { EmbeddedChain } from '../../src/main/chain/embedded-chain';
import { ChainRpcServer } from '../../src/main/chain/rpc-server';
import { sandboxGenesis } from '../../src/main/chain/sandbox-genesis';
import { EventBus } from '../../src/main/services/events';
import { createTwinServices, type TwinServices } from '../../src/main/services/twin-handlers';
import { writeManifest } from '../../src/main/sync/deployment';
import { SyncService } from '../../src/main/sync/sync-service';
import { Vault } from '../../src/main/vault/vault';
import { passphraseOnly } from '../../src/main/vault/secret-protector';
import { quietLogger, tempDir } from './helpers';
import { RegistryDriver, writeHistory } from './registry-fixture';

const dir = tempDir('network');
let node: EmbeddedChain;
let server: ChainRpcServer;
let driver: RegistryDriver;
let chain: ChainService;
let twins: TwinServices;
let vault: Vault;
let sync: SyncService;
const statuses: SyncStatus[] = [];

beforeAll(async () => {
  node = await EmbeddedChain.start({ genesis: () => sandboxGenesis() });
  server = await ChainRpcServer.start(node);
  driver = await RegistryDriver.deploy(node, node.chainId);
  await writeHistory(driver, { twins: 2, versions: 3, perBlock: 2, seed: 5 });
  const manifestPath = join(dir.dir, 'deployment.json');
  writeManifest(manifestPath, {
    format: 1,
    chainId: driver.chainId,
    startBlock: driver.startBlock,
    deployer: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    deployedAt: new Date().toISOString(),
    contracts: {
      TwinRegistry: {
        address: driver.registry,
        transactionHash: `0x${'0'.repeat(64)}`,
        blockNumber: driver.startBlock,
        bytecodeSha256: 'test',
      },
    },
    eip712: { name: 'TwinLedger', version: '1' },
  });
  const settings: Settings = {
    ...defaultSettings,
    chainMode: 'network',
    rpcUrl: server.url,
    deploymentManifestPath: manifestPath,
    syncConfirmations: 1,
  };
  const bus = new EventBus();
  bus.subscribe((event, payload) => {
    if (event === 'sync.statusChanged') statuses.push(payload as SyncStatus);
  });
  chain = new ChainService({
    dataDir: dir.dir,
    config: () => settings,
    onStatus: (status) => bus.emit('chain.statusChanged', status),
    logger: quietLogger,
    pollMs: 200,
  });
  twins = createTwinServices({ dataDir: dir.dir, bus, maxImportMegabytes: () => 64 });
  vault = new Vault({
    dataDir: dir.dir,
    protector: passphraseOnly('test'),
    idleLockMinutes: () => 15,
    onChange: () => {},
  });
  sync = new SyncService({
    dataDir: dir.dir,
    bus,
    chain,
    vault,
    store: twins.store!,
    importer: twins.importer!,
    settings: () => settings,
    logger: quietLogger,
    pollMs: 100,
  });
  sync.start();
  await chain.start();
}, 60_000);

afterAll(async () => {
  await sync?.close();
  await chain?.close();
  await twins?.close();
  vault?.close();
  await server?.stop();
  await node?.close();
  dir.remove();
});

async function until(test: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(sync.status())}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

it('indexes the deployment named by the manifest, holding back the confirmation depth', async () => {
  const head = Number(await node.request({ method: 'eth_blockNumber', params: [] }));
  await until(
    () => sync.status().cursor === head - 1 && sync.status().indexer === 'idle',
    'the cursor at head - 1',
  );
  const status = sync.status();
  expect(status).toMatchObject({
    online: true,
    mode: 'network',
    indexer: 'idle',
    head,
    lag: 1,
    confirmations: 1,
    deployment: { chainId: 31337, registry: driver.registry, startBlock: driver.startBlock },
    lastError: null,
  });
  expect(sync.index.versions('1').length).toBeGreaterThan(0);
  // The status bar hears of it (events are throttled to one per 200 ms).
  await until(() => statuses.at(-1)?.cursor === head - 1, 'the status event');
});

it('goes offline when the node stops, and catches up when it returns', async () => {
  await server.stop();
  await until(() => !sync.status().online, 'offline');
  expect(statuses.some((s) => !s.online)).toBe(true);
  // Meanwhile the chain moves on.
  await writeHistory(driver, { twins: 1, versions: 2, perBlock: 1, seed: 6, label: 'while-offline' });
  const head = Number(await node.request({ method: 'eth_blockNumber', params: [] }));
  await server.start();
  await until(
    () => sync.status().online && sync.status().cursor === head - 1,
    'caught up after reconnecting',
  );
  expect(sync.status()).toMatchObject({ online: true, head, lag: 1 });
});
