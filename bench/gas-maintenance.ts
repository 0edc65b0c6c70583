// Gas benchmark of the maintenance contract on Hardhat's EDR (issue 7): a relayed reading that
// breaches a rule and opens (and assigns) a work order must cost at most 120k gas. Also prints a
// reading that breaches nothing (the gateway never sends those), a breach while the rule's order is
// open, a batch, and the work-order steps. Exits non-zero when a bound is exceeded.
// Run: npm run bench:gas (after bench/gas.ts) or npx hardhat run bench/gas-maintenance.ts
import { mkdir, writeFile } from 'node:fs/promises';
import { network } from 'hardhat';
import { TWIN_ROLES } from '../src/shared/eip712';
import { COMPLETE_WORK_ORDER_TYPES, READING_TYPES } from '../src/main/gateway/maintenance-abi';
import { MaintenanceManager__factory, TwinRegistry__factory } from '../src/main/chain/generated';

/** EVM floor of the breaching reading: 21k tx + 22.1k fresh order slot + ecrecover 3k + a cold external call (role) 2.6k. */
const READING_FLOOR = 48_700n;
const BATCH_SIZE = 20;

const { ethers } = await network.create();
const [owner, sensor, crew, provider, relayer, contact] = await ethers.getSigners();
if (!owner || !sensor || !crew || !provider || !relayer || !contact) throw new Error('need six accounts');

const registry = await new TwinRegistry__factory(owner).deploy();
const manager = await new MaintenanceManager__factory(owner).deploy(await registry.getAddress());
const managerAddress = await manager.getAddress();
const { chainId } = await ethers.provider.getNetwork();
const domain = { name: 'TwinLedger Maintenance', version: '1', chainId, verifyingContract: managerAddress };

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error('no receipt');
  return receipt.gasUsed;
}

await (await registry.mintTwin(owner.address, 'Duplex', 'ipfs://meta/duplex')).wait();
const twinId = await registry.lastTwinId();
await (await registry.grantRole(twinId, TWIN_ROLES.Sensor, sensor.address, 0)).wait();
await (await registry.grantRole(twinId, TWIN_ROLES.Maintainer, crew.address, 0)).wait();

// A pump of the Duplex MEP model (keccak256 of its IFC GlobalId), its vibration in mm/s x 1000.
const pump = ethers.keccak256(ethers.toUtf8Bytes('2O2Fr$t4X7Zf8NOew3FLOH'));
const vibration = ethers.encodeBytes32String('vibration_mm_s');
const temperature = ethers.encodeBytes32String('temperature_c');
await (await manager.registerSensor(twinId, pump, vibration, sensor.address, 0, 50_000)).wait();
await (await manager.registerSensor(twinId, pump, temperature, sensor.address, -40_000, 150_000)).wait();
await (
  await manager.addConditionRule(
    twinId,
    pump,
    vibration,
    0,
    7_100,
    0,
    ethers.encodeBytes32String('inspect_bearing'),
  )
).wait();
const penalty = ethers.parseEther('0.1');
await (
  await manager.setSlaTerms(twinId, {
    provider: provider.address,
    asset: ethers.ZeroAddress,
    penalty,
    responseTime: 4 * 3600,
    resolutionTime: 24 * 3600,
    escalationContact: contact.address,
  })
).wait();
await (
  await manager.connect(provider).postBond(twinId, ethers.ZeroAddress, ethers.parseEther('1'), {
    value: ethers.parseEther('1'),
  })
).wait();

let sequence = 0n;
async function signedReading(metric: string, value: bigint) {
  const block = await ethers.provider.getBlock('latest');
  const reading = {
    twinId,
    elementKey: pump,
    metric,
    value,
    timestamp: BigInt(block!.timestamp),
    sequence: ++sequence,
  };
  return { reading, signature: await sensor!.signTypedData(domain, READING_TYPES, reading) };
}

const relay = manager.connect(relayer);
const rows: { op: string; gas: bigint; bound?: bigint; note: string }[] = [];
async function report(op: string, metric: string, value: bigint, bound?: bigint, note = '') {
  const { reading, signature } = await signedReading(metric, value);
  rows.push({ op, gas: await gasOf(relay.reportReading(reading, signature)), bound, note });
}

await report(
  'reportReading, no breach (first on channel)',
  vibration,
  2_300n,
  undefined,
  'never sent by the gateway',
);
await report('reportReading, no breach', vibration, 2_400n, undefined, 'never sent by the gateway');
await report(
  'reportReading, breach opens+assigns order',
  vibration,
  7_400n,
  120_000n,
  'first order of the twin',
);
const firstOrder = (BigInt(twinId) << 64n) | 1n;
await report('reportReading, breach, order already open', vibration, 7_600n, undefined, 'RuleTriggered only');

rows.push({
  op: 'acceptWorkOrder',
  gas: await gasOf(manager.connect(provider).acceptWorkOrder(firstOrder)),
  note: '',
});
rows.push({
  op: 'completeWorkOrder direct',
  gas: await gasOf(
    manager.connect(crew).completeWorkOrder(firstOrder, ethers.keccak256('0x01'), 'ipfs://report/1'),
  ),
  note: '',
});
await report('reportReading, breach opens+assigns order', vibration, 7_800n, 120_000n, 'steady state');
const secondOrder = (BigInt(twinId) << 64n) | 2n;

// Let the response deadline pass, then enforce and complete offline (intent through relayBatch).
await ethers.provider.send('evm_increaseTime', [5 * 3600]);
await ethers.provider.send('evm_mine', []);
rows.push({
  op: 'enforce (response breach)',
  gas: await gasOf(relay.enforce(secondOrder, 0)),
  note: 'bond -> owner, escalation',
});
{
  const intent = {
    signer: crew.address,
    twinId,
    orderId: secondOrder,
    reportHash: ethers.keccak256('0x02'),
    uri: 'ipfs://report/2',
    nonce: await manager.intentNonce(crew.address, twinId),
    deadline: 2n ** 40n,
  };
  const signature = await crew.signTypedData(domain, COMPLETE_WORK_ORDER_TYPES, intent);
  const call = manager.interface.encodeFunctionData('completeWorkOrderBySig', [intent, signature]);
  rows.push({
    op: 'completeWorkOrderBySig via relayBatch',
    gas: await gasOf(relay.relayBatch([call])),
    note: '',
  });
}

// A gateway batch of readings that breach nothing (temperature channel has no rule).
{
  const readings = [];
  const signatures = [];
  for (let i = 0; i < BATCH_SIZE; i++) {
    const { reading, signature } = await signedReading(temperature, 45_000n + BigInt(i));
    readings.push(reading);
    signatures.push(signature);
  }
  const gas = await gasOf(relay.reportReadings(readings, signatures));
  rows.push({
    op: `reportReadings of ${BATCH_SIZE}, per reading`,
    gas: gas / BigInt(BATCH_SIZE),
    note: `total ${gas}`,
  });
}

let exceeded = 0;
console.log('\nTwinLedger maintenance contract gas (EDR, solc 0.8.37, optimizer 10,000 runs)\n');
console.log(
  `${'operation'.padEnd(46)} ${'gas'.padStart(8)} ${'bound'.padStart(8)} ${'gas/bound'.padStart(10)} ${'gas/floor'.padStart(9)}  note`,
);
for (const row of rows) {
  const ratio = row.bound ? (Number(row.gas) / Number(row.bound)).toFixed(3) : '-';
  const floor = (Number(row.gas) / Number(READING_FLOOR)).toFixed(3);
  const over = row.bound !== undefined && row.gas > row.bound;
  if (over) exceeded++;
  console.log(
    `${row.op.padEnd(46)} ${row.gas.toString().padStart(8)} ${(row.bound?.toString() ?? '-').padStart(8)} ${ratio.padStart(10)} ${floor.padStart(9)}  ${over ? 'EXCEEDS BOUND ' : ''}${row.note}`,
  );
}
console.log(`(floor ${READING_FLOOR}: 21k tx + fresh order slot + ecrecover + one cold external call)`);
console.log(exceeded ? `\n${exceeded} bound(s) exceeded` : '\nall bounds met');

const snapshot = Object.fromEntries(
  rows.map((row) => [`${row.op}${row.note ? ` (${row.note})` : ''}`, Number(row.gas)]),
);
await mkdir(new URL('./gas/', import.meta.url), { recursive: true });
await writeFile(
  new URL('./gas/maintenance-snapshot.json', import.meta.url),
  `${JSON.stringify(snapshot, null, 2)}\n`,
);
process.exitCode = exceeded ? 1 : 0;
