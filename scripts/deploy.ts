// Deploys TwinLedger's contracts to any EVM JSON-RPC endpoint and writes the deployment manifest
// (chain id, addresses, start block) that the app's network mode reads.
//
//   node scripts/deploy.ts --rpc http://127.0.0.1:8545 [--out deployments/31337.json] [--confirmations 1]
//
// The deployer key comes from the DEPLOYER_PRIVATE_KEY environment variable (never the command
// line); without it the node's first unlocked account deploys (local nodes). Uses the committed
// bytecode in src/main/chain/generated, so Hardhat is not needed.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ContractFactory, JsonRpcProvider, Wallet, type Provider, type Signer } from 'ethers';

/** The manifest format: one file per deployment. */
export interface DeploymentManifest {
  format: 1;
  chainId: number;
  /** First block the app's indexer must read (the block of the first deployment transaction). */
  startBlock: number;
  deployer: string;
  deployedAt: string;
  contracts: Record<
    string,
    { address: string; transactionHash: string; blockNumber: number; bytecodeSha256: string }
  >;
  eip712: { name: string; version: string };
}

const GENERATED = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../src/main/chain/generated/abi',
);
/**
 * Deployed in this order; later contracts (maintenance, licensing) take the addresses of earlier
 * ones as constructor arguments. MaintenanceManager deploys its extension itself (one address).
 */
const SUITE: { name: string; args: (deployed: Record<string, string>) => string[] }[] = [
  { name: 'TwinRegistry', args: () => [] },
  { name: 'MaintenanceManager', args: (deployed) => [deployed.TwinRegistry!] },
];

async function loadArtifact(name: string): Promise<{ abi: unknown[]; bytecode: string }> {
  return JSON.parse(await readFile(path.join(GENERATED, `${name}.json`), 'utf8')) as {
    abi: unknown[];
    bytecode: string;
  };
}

/** Deploys the suite with `signer` and returns its manifest. */
export async function deploySuite(signer: Signer, confirmations = 1): Promise<DeploymentManifest> {
  const provider: Provider | null = signer.provider;
  if (!provider) throw new Error('the signer needs a provider');
  const { chainId } = await provider.getNetwork();
  const contracts: DeploymentManifest['contracts'] = {};
  const deployed: Record<string, string> = {};
  for (const { name, args } of SUITE) {
    const { abi, bytecode } = await loadArtifact(name);
    const factory = new ContractFactory(abi as never, bytecode, signer);
    const contract = await factory.deploy(...args(deployed));
    const tx = contract.deploymentTransaction();
    if (!tx) throw new Error(`${name}: no deployment transaction`);
    const receipt = await tx.wait(confirmations);
    if (!receipt || receipt.status !== 1) throw new Error(`${name}: deployment failed`);
    deployed[name] = await contract.getAddress();
    contracts[name] = {
      address: deployed[name],
      transactionHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      bytecodeSha256: createHash('sha256').update(bytecode).digest('hex'),
    };
  }
  return {
    format: 1,
    chainId: Number(chainId),
    startBlock: Math.min(...Object.values(contracts).map((c) => c.blockNumber)),
    deployer: await signer.getAddress(),
    deployedAt: new Date().toISOString(),
    contracts,
    eip712: { name: 'TwinLedger', version: '1' },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rpc: { type: 'string', default: process.env.RPC_URL ?? 'http://127.0.0.1:8545' },
      out: { type: 'string' },
      confirmations: { type: 'string', default: '1' },
    },
  });
  const provider = new JsonRpcProvider(values.rpc);
  const key = process.env.DEPLOYER_PRIVATE_KEY;
  const signer: Signer = key ? new Wallet(key, provider) : await provider.getSigner(0);
  const manifest = await deploySuite(signer, Number(values.confirmations));
  const out = values.out ?? path.join('deployments', `${manifest.chainId}.json`);
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  await writeFile(out, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`deployed to chain ${manifest.chainId} from block ${manifest.startBlock}:`);
  for (const [name, c] of Object.entries(manifest.contracts)) console.log(`  ${name} ${c.address}`);
  console.log(`manifest written to ${out}`);
  provider.destroy();
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
