// Gas benchmark of TwinLedger's core contract operations on Hardhat's EDR, each printed next to its
// bound and the ratio it is judged by (issue 3). Exits non-zero when a bound is exceeded.
// Run: npm run bench:gas
import { mkdir, writeFile } from 'node:fs/promises';
import { network } from 'hardhat';
import type { Signer } from 'ethers';
import {
  COMMIT_VERSION_TYPES,
  LOG_SERVICE_TYPES,
  TWIN_ROLES,
  twinRegistryDomain,
  type CommitVersionIntent,
} from '../src/shared/eip712';
import { TwinRegistry__factory } from '../src/main/chain/generated';

/** EVM floor of a version commit: 21k base tx + 22.1k fresh slot + ~1.4k 2-topic event (+ calldata). */
const COMMIT_FLOOR = 46_000n;
const BATCH_SIZE = 50;

const { ethers } = await network.create();
const [owner, editor, maintainer, relayer] = await ethers.getSigners();
if (!owner || !editor || !maintainer || !relayer) throw new Error('need four accounts');

const registry = await new TwinRegistry__factory(owner).deploy();
const address = await registry.getAddress();
const { chainId } = await ethers.provider.getNetwork();
const domain = twinRegistryDomain(chainId, address);
const FAR = 2n ** 40n; // a fixed deadline keeps calldata, and so gas, identical run to run

// Hashes as real ones look (no zero bytes to make calldata cheaper than it will be).
const hex32 = (n: number): string => ethers.keccak256(ethers.toUtf8Bytes(`bench-${n}`));
const uri = (n: number): string => `ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55f${n}`;

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error('no receipt');
  return receipt.gasUsed;
}

async function mintWithRoles(count: number): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (let i = 0; i < count; i++) {
    await (await registry.mintTwin(owner!.address, `Twin ${i}`, `ipfs://meta/${i}`)).wait();
    const id = await registry.lastTwinId();
    await (await registry.grantRole(id, TWIN_ROLES.Editor, editor!.address, 0)).wait();
    ids.push(id);
  }
  return ids;
}

async function signCommit(signer: Signer, intent: CommitVersionIntent): Promise<string> {
  return signer.signTypedData(domain, COMMIT_VERSION_TYPES, intent);
}

async function commitIntent(twinId: bigint, seed: number): Promise<[CommitVersionIntent, string]> {
  const intent: CommitVersionIntent = {
    signer: editor!.address,
    twinId,
    baseVersion: await registry.headVersion(twinId),
    modelRoot: hex32(seed),
    changesetHash: hex32(seed + 7),
    packageUri: uri(seed),
    nonce: await registry.intentNonce(editor!.address, twinId),
    deadline: FAR,
  };
  return [intent, await signCommit(editor!, intent)];
}

const rows: { op: string; gas: bigint; bound?: bigint; note: string }[] = [];

// Direct commit: a twin's first commit and a later one cost the same (the head slot is warm from mint).
const [twinA] = await mintWithRoles(1);
const twinAId = twinA!;
const byEditor = registry.connect(editor);
const firstCommit = await gasOf(byEditor.commitVersion(twinAId, 0, hex32(1), hex32(2), uri(1)));
const direct = await gasOf(byEditor.commitVersion(twinAId, 1, hex32(3), hex32(4), uri(3)));
rows.push({
  op: 'mintTwin',
  gas: await gasOf(registry.mintTwin(owner.address, 'Bench twin', 'ipfs://meta/x')),
  note: 'info',
});
rows.push({
  op: 'grantRole (fresh)',
  gas: await gasOf(registry.grantRole(twinAId, TWIN_ROLES.Maintainer, maintainer.address, 0)),
  note: 'info',
});
rows.push({ op: "commitVersion direct (twin's first)", gas: firstCommit, bound: 60_000n, note: 'floor 46k' });
rows.push({ op: 'commitVersion direct', gas: direct, bound: 60_000n, note: 'floor 46k' });

// Relayed: first use of the signer's lane for the twin, then steady state.
const relay = registry.connect(relayer);
{
  const [intent, sig] = await commitIntent(twinAId, 10);
  rows.push({
    op: 'commitVersionBySig (lane first use)',
    gas: await gasOf(relay.commitVersionBySig(intent, sig)),
    bound: 72_000n,
    note: 'floor 46k',
  });
  const [intent2, sig2] = await commitIntent(twinAId, 11);
  rows.push({
    op: 'commitVersionBySig (steady state)',
    gas: await gasOf(relay.commitVersionBySig(intent2, sig2)),
    bound: 72_000n,
    note: 'floor 46k',
  });
}

// Batch of 50 relayed commits, each to a different twin (lanes never used before).
{
  const twins = await mintWithRoles(BATCH_SIZE);
  const calls: string[] = [];
  for (const [i, twinId] of twins.entries()) {
    const [intent, sig] = await commitIntent(twinId, 100 + i);
    calls.push(registry.interface.encodeFunctionData('commitVersionBySig', [intent, sig]));
  }
  const receipt = await (await relay.relayBatch(calls)).wait();
  const failed = receipt!.logs.filter(
    (log) => registry.interface.parseLog(log)?.name === 'IntentFailed',
  ).length;
  if (failed) throw new Error(`${failed} intents failed in the batch`);
  rows.push({
    op: `relayBatch of ${BATCH_SIZE} commits, per intent`,
    gas: receipt!.gasUsed / BigInt(BATCH_SIZE),
    bound: 50_000n,
    note: `total ${receipt!.gasUsed}`,
  });
}

// Service log.
const byMaintainer = registry.connect(maintainer);
rows.push({
  op: 'logService direct',
  gas: await gasOf(
    byMaintainer.logService(
      twinAId,
      hex32(50),
      ethers.encodeBytes32String('inspection'),
      hex32(51),
      'ipfs://report/1',
    ),
  ),
  bound: 35_000n,
  note: '',
});
{
  const intent = {
    signer: maintainer.address,
    twinId: twinAId,
    elementKey: hex32(52),
    kind: ethers.encodeBytes32String('repair'),
    reportHash: hex32(53),
    uri: 'ipfs://report/2',
    nonce: await registry.intentNonce(maintainer.address, twinAId),
    deadline: FAR,
  };
  const sig = await maintainer.signTypedData(domain, LOG_SERVICE_TYPES, intent);
  rows.push({ op: 'logServiceBySig', gas: await gasOf(relay.logServiceBySig(intent, sig)), note: 'info' });
}

let exceeded = 0;
console.log('\nTwinLedger contract gas (EDR, solc 0.8.37, optimizer 10,000 runs)\n');
console.log(
  `${'operation'.padEnd(44)} ${'gas'.padStart(8)} ${'bound'.padStart(8)} ${'gas/bound'.padStart(10)} ${'gas/46k'.padStart(8)}  note`,
);
for (const row of rows) {
  const ratio = row.bound ? (Number(row.gas) / Number(row.bound)).toFixed(3) : '-';
  const floor = (Number(row.gas) / Number(COMMIT_FLOOR)).toFixed(3);
  const over = row.bound !== undefined && row.gas > row.bound;
  if (over) exceeded++;
  console.log(
    `${row.op.padEnd(44)} ${row.gas.toString().padStart(8)} ${(row.bound?.toString() ?? '-').padStart(8)} ${ratio.padStart(10)} ${floor.padStart(8)}  ${over ? 'EXCEEDS BOUND ' : ''}${row.note}`,
  );
}
console.log(exceeded ? `\n${exceeded} bound(s) exceeded` : '\nall bounds met');

// Committed snapshot (like Foundry's .gas-snapshot) so that a change in cost shows up in review.
const snapshot = Object.fromEntries(rows.map((row) => [row.op, Number(row.gas)]));
await mkdir(new URL('./gas/', import.meta.url), { recursive: true });
await writeFile(new URL('./gas/snapshot.json', import.meta.url), `${JSON.stringify(snapshot, null, 2)}\n`);
process.exitCode = exceeded ? 1 : 0;
