// The maintenance contract in the sandbox: deployed beside the registry (its address in the
// manifest), then seeded for the sample Duplex twin so a first start shows the whole loop: the demo
// sensor registered on the MEP model's pumps and fan, a rule per channel, SLA terms with the demo
// crew as the bonded provider and the planner as escalation contact.
import {
  ContractFactory,
  ZeroAddress,
  encodeBytes32String,
  getAddress,
  parseEther,
  toQuantity,
  type BrowserProvider,
  type Provider,
  type TransactionReceipt,
  type TransactionResponse,
} from 'ethers';
import { createHash } from 'node:crypto';
import {
  MaintenanceManager__factory,
  MaintenanceManagerArtifact,
  SandboxCredit__factory,
  SandboxCreditArtifact,
} from '../chain/generated';
import { DEMO_CHANNELS } from '../gateway/demo-channels';
import { MAINTENANCE_CONTRACT } from '../gateway/maintenance-abi';
import type { Vault } from '../vault/vault';
import { elementKeyOf } from '../../shared/fingerprint';
import { toChainValue } from '../../shared/api/sensors';
import { sandboxRelayerWallet, writeManifest, type DeploymentManifest } from './deployment';

/** The manifest's name of the maintenance contract. */
export const SANDBOX_MAINTENANCE = MAINTENANCE_CONTRACT;
/** The manifest's name of the sandbox's faucet ERC-20 (TLC), for bonds and penalties in a token. */
export const SANDBOX_CREDIT = 'SandboxCredit';
/** What the demo crew holds of it after seeding. */
export const DEMO_CREDIT = parseEther('100');
/** The demo SLA: the crew's company answers in 4 h, fixes in 24 h, or loses 0.5 ETH per breach. */
export const DEMO_SLA = {
  penalty: parseEther('0.5'),
  responseTime: 4 * 3600,
  resolutionTime: 24 * 3600,
  bond: parseEther('5'),
} as const;
/** What the relayer needs to pay for the deployment when seeding has not funded it yet. */
const DEPLOYMENT_FUNDS = parseEther('1');

type Mined = (provider: Provider, tx: TransactionResponse, what: string) => Promise<TransactionReceipt>;

/** Waits for a transaction and insists it succeeded. */
const minedByWait: Mined = async (_provider, tx, what) => {
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1)
    throw new Error(`${what} failed on the sandbox chain (transaction ${tx.hash}).`);
  return receipt;
};

/**
 * Adds the maintenance contract to the manifest unless it names a live one: found on chain (a
 * manifest lost or written before the contract existed), or deployed now. The sandbox relayer
 * deploys it, since it acts for nobody and the owner's nonces are seeding's step counter; on a new
 * chain it is given test ether for that first (hardhat_setBalance, journaled like any transaction).
 */
export async function ensureSandboxMaintenance(
  ethers: BrowserProvider,
  manifest: DeploymentManifest,
  manifestPath: string,
  mined: Mined,
): Promise<DeploymentManifest> {
  const registry = getAddress(manifest.contracts.TwinRegistry!.address);
  const named = manifest.contracts[SANDBOX_MAINTENANCE];
  if (named && (await servesRegistry(ethers, named.address, registry))) return manifest;
  const relayer = sandboxRelayerWallet().connect(ethers);
  let receipt = await findMaintenanceDeployment(ethers, relayer.address, registry, manifest.startBlock);
  if (!receipt) {
    // No seeding step of its own: it takes milliseconds, and a step would hide an earlier failure.
    if ((await ethers.getBalance(relayer.address)) < DEPLOYMENT_FUNDS) {
      await ethers.send('hardhat_setBalance', [relayer.address, toQuantity(DEPLOYMENT_FUNDS)]);
    }
    const factory = new ContractFactory(
      MaintenanceManager__factory.abi,
      MaintenanceManagerArtifact.bytecode,
      relayer,
    );
    const deployed = await factory.deploy(registry);
    receipt = await mined(ethers, deployed.deploymentTransaction()!, 'Deploying the maintenance contract');
  }
  const next = recordDeployment(
    manifestPath,
    manifest,
    SANDBOX_MAINTENANCE,
    receipt,
    MaintenanceManagerArtifact,
  );
  return ensureSandboxCredit(ethers, next, manifestPath, mined);
}

/**
 * Adds the sandbox's faucet token to the manifest unless it names a live one: found on chain (a
 * manifest lost or written before the token existed), or deployed now by the relayer.
 */
async function ensureSandboxCredit(
  ethers: BrowserProvider,
  manifest: DeploymentManifest,
  manifestPath: string,
  mined: Mined,
): Promise<DeploymentManifest> {
  const named = manifest.contracts[SANDBOX_CREDIT];
  if (named && (await isSandboxCredit(ethers, named.address))) return manifest;
  const relayer = sandboxRelayerWallet().connect(ethers);
  let receipt = await findRelayerDeployment(ethers, relayer.address, manifest.startBlock, (address) =>
    isSandboxCredit(ethers, address),
  );
  if (!receipt) {
    if ((await ethers.getBalance(relayer.address)) < DEPLOYMENT_FUNDS) {
      await ethers.send('hardhat_setBalance', [relayer.address, toQuantity(DEPLOYMENT_FUNDS)]);
    }
    const factory = new ContractFactory(SandboxCredit__factory.abi, SandboxCreditArtifact.bytecode, relayer);
    const deployed = await factory.deploy();
    receipt = await mined(ethers, deployed.deploymentTransaction()!, 'Deploying the sandbox credit token');
  }
  return recordDeployment(manifestPath, manifest, SANDBOX_CREDIT, receipt, SandboxCreditArtifact);
}

/** The manifest with `name` deployed by `receipt`, written to disk. */
function recordDeployment(
  manifestPath: string,
  manifest: DeploymentManifest,
  name: string,
  receipt: TransactionReceipt,
  artifact: { bytecode: string },
): DeploymentManifest {
  const next: DeploymentManifest = {
    ...manifest,
    contracts: {
      ...manifest.contracts,
      [name]: {
        address: getAddress(receipt.contractAddress!),
        transactionHash: receipt.hash,
        blockNumber: receipt.blockNumber,
        bytecodeSha256: createHash('sha256').update(artifact.bytecode).digest('hex'),
      },
    },
  };
  writeManifest(manifestPath, next);
  return next;
}

async function servesRegistry(provider: Provider, address: string, registry: string): Promise<boolean> {
  if ((await provider.getCode(address)) === '0x') return false;
  try {
    return getAddress(await MaintenanceManager__factory.connect(address, provider).registry()) === registry;
  } catch {
    return false;
  }
}

/** The relayer's deployment of a maintenance contract for `registry`, found block by block. */
function findMaintenanceDeployment(
  provider: Provider,
  relayer: string,
  registry: string,
  fromBlock: number,
): Promise<TransactionReceipt | null> {
  return findRelayerDeployment(provider, relayer, fromBlock, (address) =>
    servesRegistry(provider, address, registry),
  );
}

/** The first contract the relayer deployed since `fromBlock` that `matches`, found block by block. */
async function findRelayerDeployment(
  provider: Provider,
  relayer: string,
  fromBlock: number,
  matches: (address: string) => Promise<boolean>,
): Promise<TransactionReceipt | null> {
  if ((await provider.getTransactionCount(relayer, 'latest')) === 0) return null;
  const head = await provider.getBlockNumber();
  for (let n = Math.max(1, fromBlock); n <= head; n++) {
    const block = await provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from !== relayer || tx.to !== null) continue;
      const receipt = await provider.getTransactionReceipt(tx.hash);
      if (receipt?.contractAddress && (await matches(receipt.contractAddress))) return receipt;
    }
  }
  return null;
}

/** Whether `address` holds the sandbox credit token (it answers SandboxCredit's name and cap). */
async function isSandboxCredit(provider: Provider, address: string): Promise<boolean> {
  if ((await provider.getCode(address)) === '0x') return false;
  try {
    const token = SandboxCredit__factory.connect(address, provider);
    const [name, cap] = await Promise.all([token.name(), token.MAX_MINT()]);
    return name === 'TwinLedger Sandbox Credit' && cap > 0n;
  } catch {
    return false;
  }
}

/**
 * Seeds the sample twin's maintenance once: SLA terms are set last and mark it done, so a crash
 * resumes and a later start (or an admin who changed the setup since) is left alone.
 */
export async function seedSandboxMaintenance(options: {
  ethers: BrowserProvider;
  chainId: number;
  vault: Vault;
  maintenance: string;
  /** The sandbox credit token: the demo crew is given some to bond in it. */
  credit?: string;
  chainTwinId: string;
  onStep?: (step: string) => void;
  closed?: () => boolean;
  mined?: Mined;
}): Promise<void> {
  const { ethers, chainId, vault } = options;
  const onStep = options.onStep ?? (() => undefined);
  const mined = options.mined ?? minedByWait;
  const twinId = BigInt(options.chainTwinId);
  const owner = vault.connectedSigner('demo-owner', ethers, chainId);
  const contract = MaintenanceManager__factory.connect(options.maintenance, owner);
  if (options.credit && !options.closed?.()) {
    const crewSigner = vault.connectedSigner('demo-crew', ethers, chainId);
    const credit = SandboxCredit__factory.connect(options.credit, crewSigner);
    if ((await credit.balanceOf(await crewSigner.getAddress())) === 0n) {
      onStep('Giving the crew sandbox credit (TLC)');
      await mined(ethers, await credit.mint(DEMO_CREDIT), 'Minting sandbox credit');
    }
  }
  if ((await contract.currentSlaTermsIndex(twinId)) !== 0n) return;
  const address = (role: string) => vault.list().find((identity) => identity.demoRole === role)!.address;
  const sensor = address('sensor');
  const crew = address('crew');
  const send = async (what: string, tx: () => Promise<TransactionResponse>) => {
    if (options.closed?.()) return false;
    onStep(what);
    await mined(ethers, await tx(), what);
    return true;
  };
  for (const channel of DEMO_CHANNELS) {
    const element = elementKeyOf(channel.globalId);
    const metric = encodeBytes32String(channel.metric);
    const registered = await contract.sensorOf(twinId, element, metric);
    if (registered.sensor === ZeroAddress && registered.lastSequence === 0n) {
      const sent = await send(`Registering the sensor of ${channel.label}`, () =>
        contract.registerSensor(
          twinId,
          element,
          metric,
          sensor,
          toChainValue(channel.minValue),
          toChainValue(channel.maxValue),
        ),
      );
      if (!sent) return;
    }
    if ((await contract.rulesOf(twinId, element, metric)).length === 0) {
      const kind = encodeBytes32String(
        channel.metric.startsWith('temperature') ? 'bearing_service' : 'inspect',
      );
      const sent = await send(`Adding the rule of ${channel.label}`, () =>
        contract.addConditionRule(twinId, element, metric, 0, toChainValue(channel.threshold), 0, kind),
      );
      if (!sent) return;
    }
  }
  const [bond] = await contract.bondOf(twinId, crew, ZeroAddress);
  if (bond < DEMO_SLA.penalty) {
    const byCrew = contract.connect(vault.connectedSigner('demo-crew', ethers, chainId));
    const sent = await send('Posting the crew’s SLA bond', () =>
      byCrew.postBond(twinId, ZeroAddress, DEMO_SLA.bond, { value: DEMO_SLA.bond }),
    );
    if (!sent) return;
  }
  await send('Setting the SLA terms', () =>
    contract.setSlaTerms(twinId, {
      provider: crew,
      asset: ZeroAddress,
      penalty: DEMO_SLA.penalty,
      responseTime: DEMO_SLA.responseTime,
      resolutionTime: DEMO_SLA.resolutionTime,
      escalationContact: address('planner'),
    }),
  );
}
