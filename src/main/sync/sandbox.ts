// Seeding of the sandbox chain, so a first start shows every role at work: demo identities in the
// vault, the sample federated Duplex twin in the store, TwinRegistry and the maintenance contract
// deployed (manifest in the data folder), the twin minted to the demo owner with a role for every
// other demo identity, version 1 committed with the store's Merkle root, the store twin linked to
// its chain twin, and its maintenance seeded (sensors, rules, the crew's bond and SLA terms: see
// sandbox-maintenance.ts).
//
// Idempotent by construction: the owner's seeding transactions use nonces 0..6 in a fixed order, so
// the owner's nonce on the (journaled) chain says which steps are done; the store keeps its own
// progress in sync_meta. A crash at any point resumes where it stopped.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AbiCoder,
  ContractFactory,
  getAddress,
  getCreateAddress,
  keccak256,
  parseEther,
  type Provider,
  type TransactionReceipt,
  type TransactionResponse,
} from 'ethers';
import { TwinRegistry__factory, TwinRegistryArtifact } from '../chain/generated';
import type { Eip1193Provider } from '../chain/embedded-chain';
import { createEthersProvider } from '../chain/ethers';
import type { ImportService } from '../ifc/import-service';
import type { ChainIndex } from '../store/chain-index';
import type { TwinStore } from '../store/twin-store';
import { DEMO_ROLES } from '../vault/demo-identities';
import type { Vault } from '../vault/vault';
import { TWIN_REGISTRY_DOMAIN, TWIN_ROLES } from '../../shared/eip712';
import {
  deploymentOf,
  readManifest,
  sandboxManifestPath,
  sandboxRelayerWallet,
  writeManifest,
  type Deployment,
  type DeploymentManifest,
} from './deployment';
import {
  ensureSandboxMaintenance,
  SANDBOX_CREDIT,
  SANDBOX_MAINTENANCE,
  seedSandboxMaintenance,
} from './sandbox-maintenance';

/** The sample twin's metadata URI on chain: how seeding finds it again after a restart. */
export const SAMPLE_TWIN_URI = 'twinledger:sample/duplex';
export const SAMPLE_NAME = 'duplex';
/** The crew's maintenance contract ends 90 days after seeding: an expiry the UI can show. */
export const CREW_ENGAGEMENT_SECONDS = 90 * 24 * 3600;
export const RELAYER_FUNDING = parseEther('1000');

const META_SAMPLE_TWIN = 'sandbox.sampleTwin';

/** Owner nonces of the seeding steps (their order is part of the sandbox's format: never reorder). */
export const OWNER_STEPS = [
  'deploy',
  'mint',
  'grantEditor',
  'grantMaintainer',
  'grantViewer',
  'grantSensor',
  'fundRelayer',
] as const;

export interface SeedContext {
  dataDir: string;
  vault: Vault;
  store: TwinStore;
  importer: ImportService;
  index: ChainIndex;
  /** resources/samples; null when this installation lacks it (the sample twin is then skipped). */
  samplesDir: string | null;
  /** Reports what seeding does now, in words. */
  onStep: (step: string) => void;
  /** True once the service is closing: seeding stops between steps. */
  closed: () => boolean;
}

export interface SampleTwin {
  storeTwinId: string;
  versionId: number;
  merkleRoot: string;
  packageUri: string;
  changesetHash: string;
}

export class SeedingStopped extends Error {
  constructor() {
    super('Seeding stopped: the app is closing.');
  }
}

/** Where resources/samples is: packaged (Electron's resources folder) or in the repository. */
export function defaultSamplesDir(): string | null {
  const candidates: string[] = [];
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  if (resourcesPath) candidates.push(join(resourcesPath, 'samples'));
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..', '../../..']) candidates.push(resolve(here, up, 'resources', 'samples'));
  candidates.push(resolve(process.cwd(), 'resources', 'samples'));
  return candidates.find((dir) => existsSync(join(dir, 'samples.json'))) ?? null;
}

/** Adds the demo identities; the first start makes the demo owner active (the vault does that). */
export async function ensureDemoIdentities(vault: Vault): Promise<void> {
  // Already there (every start but the first): skip deriving the five demo wallets again.
  const present = new Set(vault.list().map((identity) => identity.demoRole));
  if (DEMO_ROLES.every((role) => present.has(role))) return;
  await vault.addDemoIdentities();
}

interface SampleManifest {
  [sample: string]: { twinName: string; models: { file: string; name: string; discipline: string }[] };
}

/**
 * Imports the sample twin into the store through the import service unless it is there: the twin id
 * is recorded before the first import, and each model is imported only if the twin lacks it.
 */
export async function ensureSampleTwin(ctx: SeedContext): Promise<SampleTwin> {
  const samplesDir = ctx.samplesDir;
  if (!samplesDir || !existsSync(join(samplesDir, 'samples.json'))) {
    throw new Error('The sample twin files (resources/samples) are missing from this installation.');
  }
  const manifest = JSON.parse(readFileSync(join(samplesDir, 'samples.json'), 'utf8')) as SampleManifest;
  const entry = manifest[SAMPLE_NAME];
  if (!entry) throw new Error(`There is no sample "${SAMPLE_NAME}" in ${samplesDir}.`);
  let twinId = ctx.index.getMeta(META_SAMPLE_TWIN);
  if (!twinId) {
    twinId = crypto.randomUUID();
    ctx.index.setMeta(META_SAMPLE_TWIN, twinId);
  }
  for (const [i, model] of entry.models.entries()) {
    if (ctx.closed()) throw new SeedingStopped();
    const existing = twinExists(ctx.store, twinId) ? ctx.store.getTwin(twinId) : null;
    if (existing?.models.some((m) => m.name === model.name)) continue;
    ctx.onStep(`Importing the sample twin (${model.name})`);
    const ids = { modelId: crypto.randomUUID(), modelName: model.name, discipline: model.discipline };
    await ctx.importer.run({
      jobId: `sandbox-sample-${i}`,
      source: { kind: 'path', path: join(samplesDir, model.file) },
      target: existing
        ? { kind: 'newModel', twinId, ...ids }
        : { kind: 'newTwin', twinId, twinName: entry.twinName, ...ids },
      commit: true,
    });
  }
  const twin = ctx.store.getTwin(twinId);
  if (!twin.head) throw new Error('The sample twin has no committed version.');
  const sources = ctx.index.versionSources(twin.head.id);
  const packageHash = createHash('sha256').update(sources.join('\n')).digest('hex');
  return {
    storeTwinId: twinId,
    versionId: twin.head.id,
    merkleRoot: twin.head.merkleRoot,
    packageUri: `twinledger:package/sha256/${packageHash}`,
    // The first version's changeset adds every element: its hash binds the empty base to the root.
    changesetHash: keccak256(
      AbiCoder.defaultAbiCoder().encode(
        ['bytes32', 'bytes32'],
        [`0x${'0'.repeat(64)}`, twin.head.merkleRoot],
      ),
    ),
  };
}

function twinExists(store: TwinStore, twinId: string): boolean {
  try {
    store.getTwin(twinId);
    return true;
  } catch {
    return false;
  }
}

/** Waits for a sent transaction's receipt (the sandbox mines at once) and insists it succeeded. */
async function mined(provider: Provider, tx: TransactionResponse, what: string): Promise<TransactionReceipt> {
  for (let i = 0; i < 400; i++) {
    const receipt = await provider.getTransactionReceipt(tx.hash);
    if (receipt) {
      if (receipt.status !== 1)
        throw new Error(`${what} failed on the sandbox chain (transaction ${tx.hash}).`);
      return receipt;
    }
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error(`${what}: no receipt for ${tx.hash}.`);
}

export interface SandboxChain {
  provider: Eip1193Provider;
  chainId: number;
}

/**
 * Deploys TwinRegistry (owner nonce 0) unless it is deployed, and keeps the manifest in the data
 * folder. A manifest lost after the deployment is rebuilt from the chain.
 */
export async function ensureSandboxDeployment(ctx: SeedContext, chain: SandboxChain): Promise<Deployment> {
  const path = sandboxManifestPath(ctx.dataDir);
  const ethers = createEthersProvider(chain.provider, chain.chainId);
  try {
    const owner = ctx.vault.connectedSigner('demo-owner', ethers, chain.chainId);
    const ownerAddress = await owner.getAddress();
    const expected = getCreateAddress({ from: ownerAddress, nonce: 0 });
    const existing = readManifest(path);
    if (
      existing &&
      existing.chainId === chain.chainId &&
      getAddress(existing.contracts.TwinRegistry!.address) === expected &&
      (await ethers.getCode(expected)) !== '0x'
    ) {
      return deploymentOf('sandbox', await ensureSandboxMaintenance(ethers, existing, path, mined));
    }
    const nonce = await ethers.getTransactionCount(ownerAddress, 'latest');
    let receipt: TransactionReceipt;
    if (nonce === 0) {
      ctx.onStep('Deploying the twin registry');
      const factory = new ContractFactory(TwinRegistry__factory.abi, TwinRegistryArtifact.bytecode, owner);
      const deployed = await factory.deploy({ nonce: 0 });
      receipt = await mined(ethers, deployed.deploymentTransaction()!, 'Deploying the registry');
    } else {
      if ((await ethers.getCode(expected)) === '0x') {
        throw new Error(
          'The sandbox chain was used before its registry was deployed; delete the chain folder to start over.',
        );
      }
      receipt = await findDeployment(ethers, ownerAddress);
    }
    const manifest: DeploymentManifest = {
      format: 1,
      chainId: chain.chainId,
      startBlock: receipt.blockNumber,
      deployer: ownerAddress,
      deployedAt: new Date().toISOString(),
      contracts: {
        TwinRegistry: {
          address: expected,
          transactionHash: receipt.hash,
          blockNumber: receipt.blockNumber,
          bytecodeSha256: createHash('sha256').update(TwinRegistryArtifact.bytecode).digest('hex'),
        },
      },
      eip712: { ...TWIN_REGISTRY_DOMAIN },
    };
    writeManifest(path, manifest);
    return deploymentOf('sandbox', await ensureSandboxMaintenance(ethers, manifest, path, mined));
  } finally {
    ethers.destroy();
  }
}

/** The receipt of the owner's first transaction (the deployment), found block by block. */
async function findDeployment(provider: Provider, owner: string): Promise<TransactionReceipt> {
  const head = await provider.getBlockNumber();
  for (let n = 1; n <= head; n++) {
    const block = await provider.getBlock(n, true);
    const tx = block?.prefetchedTransactions.find((t) => t.from === owner && t.nonce === 0);
    if (tx) {
      const receipt = await provider.getTransactionReceipt(tx.hash);
      if (receipt) return receipt;
    }
  }
  throw new Error('The registry deployment transaction is not on the sandbox chain.');
}

/**
 * The chain side of the sample: mint, grants, relayer funding (owner nonces 1..6), then version 1
 * by the engineer, then the store link. Answers the chain twin id.
 */
export async function ensureSampleOnChain(
  ctx: SeedContext,
  chain: SandboxChain,
  deployment: Deployment,
  sample: () => Promise<SampleTwin>,
): Promise<string> {
  const ethers = createEthersProvider(chain.provider, chain.chainId);
  try {
    const owner = ctx.vault.connectedSigner('demo-owner', ethers, chain.chainId);
    const ownerAddress = await owner.getAddress();
    const registry = TwinRegistry__factory.connect(deployment.registry, owner);
    const step = async (
      nonce: number,
      what: string,
      send: (nonce: number) => Promise<TransactionResponse>,
    ) => {
      if (ctx.closed()) throw new SeedingStopped();
      const current = await ethers.getTransactionCount(ownerAddress, 'latest');
      if (current > nonce) return;
      if (current < nonce)
        throw new Error(`Seeding lost its place: the owner's nonce is ${current}, expected ${nonce}.`);
      ctx.onStep(what);
      await mined(ethers, await send(nonce), what);
    };
    await step(1, 'Minting the sample twin', (nonce) =>
      registry.mintTwin(ownerAddress, 'Duplex apartment', SAMPLE_TWIN_URI, { nonce }),
    );
    const chainTwinId = await findSampleTwin(ethers, deployment, ownerAddress);
    const address = (role: string) => ctx.vault.list().find((i) => i.demoRole === role)!.address;
    const latest = await ethers.getBlock('latest');
    const crewEnds = (latest?.timestamp ?? Math.floor(Date.now() / 1000)) + CREW_ENGAGEMENT_SECONDS;
    const grants: [number, string, number, string, number][] = [
      [2, 'engineer', TWIN_ROLES.Editor, 'Granting the engineer EDITOR', 0],
      [3, 'crew', TWIN_ROLES.Maintainer, 'Granting the crew MAINTAINER (90 days)', crewEnds],
      [4, 'planner', TWIN_ROLES.Viewer, 'Granting the planner VIEWER', 0],
      [5, 'sensor', TWIN_ROLES.Sensor, 'Granting the sensor gateway SENSOR', 0],
    ];
    for (const [nonce, who, role, what, expiresAt] of grants) {
      await step(nonce, what, (n) =>
        registry.grantRole(chainTwinId, role, address(who), expiresAt, { nonce: n }),
      );
    }
    await step(6, 'Funding the relayer', (nonce) =>
      owner.sendTransaction({ to: sandboxRelayerWallet().address, value: RELAYER_FUNDING, nonce }),
    );
    const twin = await sample();
    if ((await registry.headVersion(chainTwinId)) === 0n) {
      if (ctx.closed()) throw new SeedingStopped();
      ctx.onStep('Committing version 1 of the sample twin');
      const engineer = ctx.vault.connectedSigner('demo-engineer', ethers, chain.chainId);
      const tx = await registry
        .connect(engineer)
        .commitVersion(chainTwinId, 0, twin.merkleRoot, twin.changesetHash, twin.packageUri);
      await mined(ethers, tx, 'Committing version 1');
    }
    if (ctx.index.chainTwinOf(twin.storeTwinId) !== chainTwinId)
      ctx.index.linkStoreTwin(twin.storeTwinId, chainTwinId);
    const maintenance = deployment.manifest.contracts[SANDBOX_MAINTENANCE];
    if (maintenance) {
      await seedSandboxMaintenance({
        ethers,
        chainId: chain.chainId,
        vault: ctx.vault,
        maintenance: maintenance.address,
        credit: deployment.manifest.contracts[SANDBOX_CREDIT]?.address,
        chainTwinId,
        onStep: ctx.onStep,
        closed: ctx.closed,
        mined,
      });
    }
    return chainTwinId;
  } finally {
    ethers.destroy();
  }
}

/** The sample twin's id, from its TwinMinted event (ids are sequential, but others may mint too). */
async function findSampleTwin(provider: Provider, deployment: Deployment, owner: string): Promise<string> {
  const iface = TwinRegistry__factory.createInterface();
  const topic = iface.getEvent('TwinMinted').topicHash;
  const logs = await provider.getLogs({
    address: deployment.registry,
    fromBlock: deployment.startBlock,
    toBlock: 'latest',
    topics: [topic, null, AbiCoder.defaultAbiCoder().encode(['address'], [owner])],
  });
  for (const log of logs) {
    const parsed = iface.parseLog(log);
    if (parsed && parsed.args.metadataUri === SAMPLE_TWIN_URI) return String(parsed.args.twinId);
  }
  throw new Error('The sample twin was minted but its TwinMinted event is missing.');
}
