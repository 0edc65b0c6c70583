// The outbox end to end on a real chain: sign and queue durably, relay in batches, confirm from the
// receipt, and keep the user's work when the chain refuses it (a revoked role: failed with the
// reason in words, the commit back to being a draft).
import { Wallet } from 'ethers';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { TWIN_ROLES } from '../../src/shared/eip712';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { OutboxStore } from '../../src/main/store/outbox';
import { Lab, Laptop, registryInterface, tempDir } from './outbox-fixture';

let lab: Lab;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  lab = await Lab.start();
});
afterAll(async () => {
  await lab.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const walls = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ globalId: `wall${String(i).padStart(18, '0')}` }));

async function laptop(
  identity: 'engineer' | 'crew' | 'planner',
  options: Partial<Parameters<typeof Laptop.open>[0]> = {},
) {
  const dir = tempDir('outbox');
  const shared = tempDir('packages');
  const opened = await Laptop.open({ lab, dir: dir.dir, sharedPackages: shared.dir, identity, ...options });
  cleanups.push(
    () => dir.remove(),
    () => shared.remove(),
    () => opened.close(),
  );
  return opened;
}

async function twinOn(l: Laptop, name: string, elements = walls(4)) {
  const chainTwinId = await lab.registerTwin(name);
  const storeTwinId = `${name}-store`;
  const v1 = l.createTwin(storeTwinId, name, chainTwinId, elements);
  await lab.commitDirect('engineer', chainTwinId, 0, l.db.version(v1)!.merkleRoot);
  // What the indexer (or a first look online) tells the outbox: version 1's root.
  l.db.learnChainVersion(chainTwinId, 1, l.db.version(v1)!.merkleRoot);
  return { chainTwinId, storeTwinId, v1 };
}

test('a commit is queued durably before the answer, relayed, and confirmed from its receipt', async () => {
  // What the app's views are told of the item, step by step (the commit's progress in the UI).
  let followed = -1;
  const told: string[] = [];
  const l: Laptop = await laptop('engineer', {
    start: false,
    onChange: (_counts, itemIds) => {
      if (itemIds.includes(followed)) told.push(l.outbox.get(followed).status);
    },
  });
  const { chainTwinId, storeTwinId } = await twinOn(l, 'durable');
  const draft = l.editDraft(storeTwinId, [{ globalId: walls(1)[0]!.globalId, name: 'North wall' }]);
  const item = await l.outbox.commitVersion({ twinId: storeTwinId });
  followed = item.id;
  expect(item).toMatchObject({
    status: 'queued',
    versionId: draft,
    baseVersion: 1,
    nonce: 0,
    kind: 'commitVersion',
  });
  expect(item.summary).toMatch(/^Commit version 2 of "durable"/);
  expect(item.summary).toContain('modelRoot: ');
  // Durable: a second connection to the same file sees it before anything was sent.
  const other = new OutboxStore(l.store.db);
  expect(other.item(item.id)?.status).toBe('queued');
  expect(l.db.version(draft)?.status).toBe('queued');

  l.outbox.start();
  await l.outbox.drained(20_000);
  const done = l.outbox.get(item.id);
  expect(done.status).toBe('confirmed');
  expect(done.txHash).toMatch(/^0x[0-9a-f]{64}$/);
  expect(done.blockNumber).toBeGreaterThan(0);
  // Told when it went out and when it was confirmed, by its id.
  expect(told).toContain('sent');
  expect(told.at(-1)).toBe('confirmed');
  expect(l.db.version(draft)?.status).toBe('confirmed');
  expect(await lab.view<bigint>('headVersion', [chainTwinId])).toBe(2n);
  expect(await lab.view<string>('versionRoot', [chainTwinId, 2])).toBe(l.db.version(draft)!.merkleRoot);
  expect((await lab.executions()).get(done.digest)).toBe(1);
});

test('many intents go out in relayBatch transactions of up to 50; service logs and commits mixed', async () => {
  const l = await laptop('engineer', { start: false });
  const { storeTwinId } = await twinOn(l, 'batched');
  l.vault.setActive('demo-crew');
  const ids: number[] = [];
  for (let i = 0; i < 110; i++) {
    const item = await l.outbox.logService({
      twinId: storeTwinId,
      element: { globalId: walls(4)[i % 4]!.globalId },
      kind: 'inspection',
      notes: `round ${i}`,
      attachments: [],
    });
    ids.push(item.id);
  }
  l.vault.setActive('demo-engineer');
  l.editDraft(storeTwinId, [{ globalId: walls(4)[2]!.globalId, fireRating: 'EI90' }]);
  ids.push((await l.outbox.commitVersion({ twinId: storeTwinId })).id);
  const before = await lab.relayerTransactions();
  const counts = () => l.outbox.counts();
  l.outbox.start();
  await l.outbox.drained(30_000);
  const sent = (await lab.relayerTransactions()) - before;
  expect(sent).toBe(3);
  const executions = await lab.executions();
  for (const id of ids) {
    const item = l.outbox.get(id);
    expect(item.status).toBe('confirmed');
    expect(executions.get(item.digest)).toBe(1);
  }
  expect(counts()).toMatchObject({ queued: 0, sent: 0, failed: 0, conflict: 0 });
});

test('a role revoked while its holder was offline: the commit fails with that reason and the draft survives', async () => {
  const l = await laptop('engineer', { start: false });
  const { chainTwinId, storeTwinId, v1 } = await twinOn(l, 'revoked');
  l.online = false;
  const draft = l.editDraft(storeTwinId, [{ globalId: walls(1)[0]!.globalId, name: 'Renamed offline' }]);
  const item = await l.outbox.commitVersion({ twinId: storeTwinId });
  expect(item.status).toBe('queued');
  l.vault.setActive('demo-crew');
  const log = await l.outbox.logService({
    twinId: storeTwinId,
    element: { globalId: walls(1)[0]!.globalId },
    kind: 'repair',
    notes: 'fixed',
    attachments: [],
  });
  // Meanwhile the owner ends the engineer's EDITOR role and the crew's MAINTAINER role.
  await lab.send(
    'owner',
    registryInterface.encodeFunctionData('revokeRole', [
      chainTwinId,
      TWIN_ROLES.Editor,
      demoWallet('engineer').address,
    ]),
  );
  await lab.send(
    'owner',
    registryInterface.encodeFunctionData('revokeRole', [
      chainTwinId,
      TWIN_ROLES.Maintainer,
      demoWallet('crew').address,
    ]),
  );
  l.online = true;
  l.outbox.start();
  await l.outbox.drained(20_000);
  const failed = l.outbox.get(item.id);
  expect(failed).toMatchObject({
    status: 'failed',
    reasonCode: 'TwinMissingRole',
    reason: 'your EDITOR role on this twin has ended or was revoked',
  });
  expect(l.outbox.get(log.id)).toMatchObject({
    status: 'failed',
    reason: 'your MAINTAINER role on this twin has ended or was revoked',
  });
  // The edit is a draft again, on the same base, nothing lost.
  const twin = l.store.getTwin(storeTwinId);
  expect(twin.draft?.id).toBe(draft);
  expect(twin.head?.id).toBe(v1);
  expect(l.element(storeTwinId, walls(1)[0]!.globalId, draft)?.name).toBe('Renamed offline');
  expect(await lab.view<bigint>('headVersion', [chainTwinId])).toBe(1n);
  // Discarding the failed item keeps the draft; retrying after a new grant confirms it.
  await lab.send(
    'owner',
    registryInterface.encodeFunctionData('grantRole', [
      chainTwinId,
      TWIN_ROLES.Editor,
      demoWallet('engineer').address,
      0,
    ]),
  );
  const retried = await l.outbox.retry(item.id);
  expect(retried.status).toBe('queued');
  await l.outbox.drained(20_000);
  expect(l.outbox.get(item.id).status).toBe('confirmed');
  expect(await lab.view<bigint>('headVersion', [chainTwinId])).toBe(2n);
  expect(await l.outbox.discard(log.id)).toEqual({ discarded: true, draftVersionId: null });
});

test('a signature that must be made again (deadline passed) waits for the vault, and goes out once it is unlocked', async () => {
  const l = await laptop('engineer', { start: false });
  const { chainTwinId, storeTwinId } = await twinOn(l, 'locked');
  const key = Wallet.createRandom();
  const identity = await l.vault.importPrivateKey('Site engineer', key.privateKey, 'correct horse');
  await lab.send(
    'owner',
    registryInterface.encodeFunctionData('grantRole', [chainTwinId, TWIN_ROLES.Editor, key.address, 0]),
  );
  l.editDraft(storeTwinId, [{ globalId: walls(1)[0]!.globalId, name: 'Signed by a vault key' }]);
  const item = await l.outbox.commitVersion({ twinId: storeTwinId, identityId: identity.id });
  expect(item.signer).toBe(key.address);
  l.vault.lock();
  // A month passes before the laptop is back: the signature's deadline is gone.
  await lab.chain.request({ method: 'evm_increaseTime', params: [31 * 24 * 3600] });
  await lab.chain.request({ method: 'evm_mine', params: [] });
  l.outbox.start();
  const until = Date.now() + 10_000;
  while (!l.outbox.get(item.id).needsSignature && Date.now() < until)
    await new Promise((done) => setTimeout(done, 20));
  const waiting = l.outbox.get(item.id);
  expect(waiting).toMatchObject({ status: 'queued', needsSignature: true });
  expect(waiting.reason).toMatch(/waiting for the vault to be unlocked/);
  expect(await lab.view<bigint>('headVersion', [chainTwinId])).toBe(1n);
  await l.vault.unlock('correct horse');
  l.outbox.wake();
  await l.outbox.drained(20_000);
  const done = l.outbox.get(item.id);
  expect(done.status).toBe('confirmed');
  expect(done.digest).not.toBe(item.digest);
  expect(done.deadline).toBeGreaterThan(item.deadline);
  expect(await lab.view<bigint>('headVersion', [chainTwinId])).toBe(2n);
  const executions = await lab.executions();
  expect(executions.get(done.digest)).toBe(1);
  expect(executions.has(item.digest)).toBe(false);
});
