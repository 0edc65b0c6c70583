// A seeded sandbox host whose deployment includes the maintenance contract (the sandbox's own when
// seeding deploys it; otherwise deployed here and added to the sandbox manifest, so a restart of
// the chain keeps it), and a sensor key that signs readings the way a gateway does.
import { createHash } from 'node:crypto';
import { getCreateAddress } from 'ethers';
import {
  MaintenanceManager__factory,
  MaintenanceManagerArtifact,
  SandboxCredit__factory,
} from '../../src/main/chain/generated';
import type { ServiceHost } from '../../src/main/services/host';
import {
  deploymentOf,
  readManifest,
  sandboxManifestPath,
  writeManifest,
} from '../../src/main/sync/deployment';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { READING_TYPES } from '../../src/main/gateway/maintenance-abi';

const maintenanceInterface = MaintenanceManager__factory.createInterface();

/** The maintenance contract's address on the host's sandbox, deploying it when seeding did not. */
export async function ensureMaintenanceContract(host: ServiceHost, dataDir: string): Promise<string> {
  const sync = host.sync!;
  const deployment = sync.deployment.get()!;
  const existing = deployment.manifest.contracts.MaintenanceManager;
  if (existing) return existing.address;
  const chain = host.chain.sandbox!;
  const deployer = demoWallet('planner');
  const nonce = Number(
    await chain.request({ method: 'eth_getTransactionCount', params: [deployer.address, 'latest'] }),
  );
  const raw = await deployer.signTransaction({
    type: 2,
    chainId: chain.chainId,
    nonce,
    maxFeePerGas: 10n ** 11n,
    maxPriorityFeePerGas: 10n ** 9n,
    gasLimit: 16_000_000n,
    data:
      MaintenanceManagerArtifact.bytecode + maintenanceInterface.encodeDeploy([deployment.registry]).slice(2),
  });
  const hash = (await chain.request({ method: 'eth_sendRawTransaction', params: [raw] })) as string;
  const receipt = (await chain.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as {
    status: string;
    blockNumber: string;
  };
  if (receipt.status !== '0x1') throw new Error('the maintenance contract could not be deployed');
  const address = getCreateAddress({ from: deployer.address, nonce });
  const path = sandboxManifestPath(dataDir);
  const manifest = readManifest(path)!;
  manifest.contracts.MaintenanceManager = {
    address,
    transactionHash: hash,
    blockNumber: Number(receipt.blockNumber),
    bytecodeSha256: createHash('sha256').update(MaintenanceManagerArtifact.bytecode).digest('hex'),
  };
  writeManifest(path, manifest);
  sync.deployment.set(deploymentOf('sandbox', manifest));
  return address;
}

let sequence = 0;

/** A reading signed by the demo sensor key and sent to the chain (what the gateway's relay does). */
export async function reportReading(
  host: ServiceHost,
  contract: string,
  reading: { twinId: string; elementKey: string; metric: string; value: bigint },
): Promise<void> {
  const chain = host.chain.sandbox!;
  const block = (await chain.request({ method: 'eth_getBlockByNumber', params: ['latest', false] })) as {
    timestamp: string;
  };
  const message = {
    twinId: BigInt(reading.twinId),
    elementKey: reading.elementKey,
    metric: reading.metric,
    value: reading.value,
    timestamp: BigInt(block.timestamp),
    sequence: BigInt(++sequence + Math.floor(Date.now() / 1000)),
  };
  const sensor = demoWallet('sensor');
  const signature = await sensor.signTypedData(
    { name: 'TwinLedger Maintenance', version: '1', chainId: chain.chainId, verifyingContract: contract },
    READING_TYPES,
    message,
  );
  const relayer = demoWallet('engineer');
  const raw = await relayer.signTransaction({
    type: 2,
    chainId: chain.chainId,
    nonce: Number(
      await chain.request({ method: 'eth_getTransactionCount', params: [relayer.address, 'pending'] }),
    ),
    maxFeePerGas: 10n ** 11n,
    maxPriorityFeePerGas: 10n ** 9n,
    gasLimit: 1_000_000n,
    to: contract,
    data: maintenanceInterface.encodeFunctionData('reportReading', [message, signature]),
  });
  const hash = (await chain.request({ method: 'eth_sendRawTransaction', params: [raw] })) as string;
  const receipt = (await chain.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as {
    status: string;
  };
  if (receipt.status !== '0x1') throw new Error('the reading was refused');
}

const creditInterface = SandboxCredit__factory.createInterface();

/** An ERC-20 balance or allowance read straight from the chain. */
export async function tokenCall(
  host: ServiceHost,
  token: string,
  method: 'balanceOf' | 'allowance',
  args: string[],
): Promise<bigint> {
  const data =
    method === 'balanceOf'
      ? creditInterface.encodeFunctionData('balanceOf', [args[0]!])
      : creditInterface.encodeFunctionData('allowance', [args[0]!, args[1]!]);
  const out = (await host.chain.sandbox!.request({
    method: 'eth_call',
    params: [{ to: token, data }, 'latest'],
  })) as string;
  return BigInt(out);
}
