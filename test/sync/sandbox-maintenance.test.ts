// Sandbox seeding of the maintenance contract: deployed beside the registry with its address in the
// manifest; seeding registers the sample twin's pumps and fan to the demo sensor with a rule each, the demo
// crew bonded as the SLA's provider; a breaching reading signed by the demo sensor opens a work
// order assigned to the crew; a restart and a second seeding change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ZeroAddress, encodeBytes32String } from 'ethers';
import { MaintenanceManager__factory } from '../../src/main/chain/generated';
import { createEthersProvider } from '../../src/main/chain/ethers';
import type { ServiceHost } from '../../src/main/services/host';
import { DEMO_CHANNELS, DUPLEX_PUMP_1 } from '../../src/main/gateway/demo-channels';
import { READING_TYPES } from '../../src/main/gateway/maintenance-abi';
import { sandboxManifestPath } from '../../src/main/sync/deployment';
import { DEMO_SLA, seedSandboxMaintenance } from '../../src/main/sync/sandbox-maintenance';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { elementKeyOf } from '../../src/shared/fingerprint';
import { toChainValue } from '../../src/shared/api/sensors';
import { seededHost, tempDir } from './helpers';

let dir: { dir: string; remove: () => void };
let host: ServiceHost;

/** Seeding's maintenance step again, by hand: it must find everything done. */
async function seedMaintenance(): Promise<void> {
  const chain = host.chain.sandbox!;
  const ethers = createEthersProvider(chain, chain.chainId);
  try {
    await seedSandboxMaintenance({
      ethers,
      chainId: chain.chainId,
      vault: host.vault,
      maintenance: host.sync!.deployment.get()!.manifest.contracts.MaintenanceManager!.address,
      chainTwinId: '1',
    });
  } finally {
    ethers.destroy();
  }
}

beforeAll(async () => {
  dir = tempDir('seed-maintenance');
  host = seededHost(dir.dir);
  await host.sync!.seeded();
}, 120_000);

afterAll(async () => {
  await host?.close();
  dir.remove();
});

function contract() {
  const chain = host.chain.sandbox!;
  const provider = createEthersProvider(chain, chain.chainId);
  const address = host.sync!.deployment.get()!.manifest.contracts.MaintenanceManager!.address;
  return { provider, maintenance: MaintenanceManager__factory.connect(address, provider), address };
}

describe('sandbox maintenance seeding', () => {
  it('deploys the maintenance contract for the registry and names it in the manifest', async () => {
    const manifest = JSON.parse(readFileSync(sandboxManifestPath(dir.dir), 'utf8'));
    const { provider, maintenance, address } = contract();
    try {
      expect(manifest.contracts.MaintenanceManager.address).toBe(address);
      expect(await maintenance.registry()).toBe(manifest.contracts.TwinRegistry.address);
      expect(manifest.startBlock).toBe(manifest.contracts.TwinRegistry.blockNumber);
    } finally {
      provider.destroy();
    }
  });

  it('registers every demo channel to the demo sensor with its rule, and bonds the crew', async () => {
    const { provider, maintenance } = contract();
    try {
      for (const channel of DEMO_CHANNELS) {
        const element = elementKeyOf(channel.globalId);
        const metric = encodeBytes32String(channel.metric);
        const sensor = await maintenance.sensorOf(1n, element, metric);
        expect(sensor.sensor).toBe(demoWallet('sensor').address);
        expect(sensor.maxValue).toBe(toChainValue(channel.maxValue));
        const [ruleId] = await maintenance.rulesOf(1n, element, metric);
        const rule = await maintenance.ruleOf(ruleId!);
        expect(rule.threshold).toBe(toChainValue(channel.threshold));
      }
      expect(await maintenance.currentSlaTermsIndex(1n)).toBe(1n);
      const terms = await maintenance.slaTerms(1n, 1);
      expect(terms.provider).toBe(demoWallet('crew').address);
      expect(terms.escalationContact).toBe(demoWallet('planner').address);
      expect(terms.asset).toBe(ZeroAddress);
      const [bond] = await maintenance.bondOf(1n, demoWallet('crew').address, ZeroAddress);
      expect(bond).toBe(DEMO_SLA.bond);
    } finally {
      provider.destroy();
    }
  });

  it('opens a work order assigned to the crew when the demo sensor reports pump 1 past 7.1 mm/s', async () => {
    const { provider, maintenance, address } = contract();
    try {
      const latest = await provider.getBlock('latest');
      const reading = {
        twinId: 1n,
        elementKey: elementKeyOf(DUPLEX_PUMP_1),
        metric: encodeBytes32String('vibration_mm_s'),
        value: toChainValue(7.4),
        timestamp: BigInt(latest!.timestamp),
        sequence: 1n,
      };
      const { chainId } = await provider.getNetwork();
      const signature = await demoWallet('sensor').signTypedData(
        { name: 'TwinLedger Maintenance', version: '1', chainId, verifyingContract: address },
        READING_TYPES,
        reading,
      );
      const relayer = demoWallet('planner').connect(provider);
      const tx = await maintenance.connect(relayer).reportReading(reading, signature);
      await tx.wait();
      const order = await maintenance.workOrder((1n << 64n) | 1n);
      expect(order.provider).toBe(demoWallet('crew').address);
      expect(order.status).toBe(2n); // Assigned
      expect(order.resolveBy - order.assignedAt).toBe(BigInt(DEMO_SLA.resolutionTime));
    } finally {
      provider.destroy();
    }
  });

  it('changes nothing on a restart', async () => {
    const manifest = readFileSync(sandboxManifestPath(dir.dir), 'utf8');
    await host.close();
    host = seededHost(dir.dir);
    await host.sync!.seeded();
    await seedMaintenance();
    expect(readFileSync(sandboxManifestPath(dir.dir), 'utf8')).toBe(manifest);
    const { provider, maintenance } = contract();
    try {
      expect(await maintenance.currentSlaTermsIndex(1n)).toBe(1n);
      const [bond] = await maintenance.bondOf(1n, demoWallet('crew').address, ZeroAddress);
      expect(bond).toBe(DEMO_SLA.bond);
    } finally {
      provider.destroy();
    }
  });
});
