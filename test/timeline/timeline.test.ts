// The maintenance timeline and "verified on chain" on a real seeded sandbox (SQLite store, EDR
// chain, compiled registry): the seeded history, a service log signed while the node is stopped
// (pending, then confirmed once it is back), filters, a provider added by another capability, and
// the element proof checked by the contract, checked locally offline, and refused when the cache
// was tampered with.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceHost } from '../../src/main/services/host';
import { elementKeyOf } from '../../src/shared/fingerprint';
import type { TimelineEntry } from '../../src/shared/api/timeline';
import { join } from 'node:path';
import { ChainService } from '../../src/main/chain/chain-service';
import { chainHandlers } from '../../src/main/chain/handlers';
import { EmbeddedChain } from '../../src/main/chain/embedded-chain';
import { createEthersProvider } from '../../src/main/chain/ethers';
import { TwinRegistry__factory } from '../../src/main/chain/generated/types';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { TWIN_ROLES } from '../../src/shared/eip712';
import { call, quietLogger, REPO, seededHost, tempDir } from '../sync/helpers';

// The Duplex electrical model's hot-water boiler (IfcEnergyConversionDevice): plant a crew services.
const BOILER = '10k69mF8j4eeUjUpzCXCG7';
const BOILER_KEY = elementKeyOf(BOILER).toLowerCase();

let dir: { dir: string; remove: () => void };
let host: ServiceHost;
let twinId: string;

beforeAll(async () => {
  dir = tempDir('timeline');
  host = seededHost(dir.dir);
  await host.sync!.seeded();
  await host.sync!.caughtUp();
  twinId = (await call(host, 'twins.list', {}))[0]!.id;
}, 120_000);

afterAll(async () => {
  await host?.close();
  dir.remove();
});

async function waitFor<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

async function serviceEntry(itemOrNotes: string): Promise<TimelineEntry | undefined> {
  const { entries } = await call(host, 'timeline.list', { twinId, kinds: ['service'] });
  return entries.find((e) => e.detail.includes(itemOrNotes));
}

describe('timeline', () => {
  it("shows the seeded twin's history newest first: version 1, the demo grants, the mint", async () => {
    const { entries, kinds } = await call(host, 'timeline.list', { twinId });
    expect(kinds).toEqual(expect.arrayContaining(['service', 'version', 'role']));
    const version = entries.find((e) => e.kind === 'version');
    expect(version).toMatchObject({
      status: 'confirmed',
      title: expect.stringMatching(/^Version 1 committed by/),
    });
    expect(version!.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const crew = entries.find((e) => e.title === 'MAINTAINER granted to Demo maintenance crew');
    expect(crew?.detail).toMatch(/^Until \d{4}-\d{2}-\d{2}.*By Demo owner\.$/);
    expect(entries.some((e) => e.title.startsWith('Twin registered on chain for Demo owner'))).toBe(true);
    for (let i = 1; i < entries.length; i++)
      expect(entries[i - 1]!.at).toBeGreaterThanOrEqual(entries[i]!.at);
    // Role changes are twin-wide: none name an element.
    expect(entries.filter((e) => e.kind === 'role').every((e) => e.elementKey === null)).toBe(true);
  });

  it('a service log signed while the node is stopped is pending, then confirmed once it is back', async () => {
    await call(host, 'vault.setActive', { id: 'demo-crew' });
    const offline = await call(host, 'chain.setSandboxRunning', { running: false });
    expect(offline.state).toBe('offline');
    expect(host.chain.provider()).toBeNull();
    const notes = `Annual boiler inspection ${Date.now()}`;
    const attachment = { name: 'report.pdf', sha256: 'ab'.repeat(32) };
    const item = await call(host, 'outbox.logService', {
      twinId,
      element: { globalId: BOILER },
      kind: 'inspection',
      notes,
      attachments: [attachment],
    });
    expect(item.status).toBe('queued');

    const pending = (await serviceEntry(notes))!;
    expect(pending).toMatchObject({
      status: 'pending',
      kind: 'service',
      elementKey: BOILER_KEY,
      globalId: BOILER,
      txHash: null,
      outboxItemId: item.id,
      title: 'Inspection logged by Demo maintenance crew',
    });
    expect(pending.facts).toContainEqual([`Attachment ${attachment.name}`, `sha256 ${attachment.sha256}`]);
    // Nothing reaches the chain while it is stopped.
    await new Promise((done) => setTimeout(done, 500));
    expect((await serviceEntry(notes))!.status).toBe('pending');

    const online = await call(host, 'chain.setSandboxRunning', { running: true });
    expect(online.state).toBe('ready');
    const confirmed = await waitFor(async () => {
      const entry = await serviceEntry(notes);
      return entry?.status === 'confirmed' && entry.id.startsWith('service:') ? entry : undefined;
    }, 'the service log to be indexed');
    expect(confirmed).toMatchObject({ elementKey: BOILER_KEY, outboxItemId: item.id });
    expect(confirmed.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(confirmed.blockNumber).toBeGreaterThan(0);
    // The pending entry became the confirmed one: never both.
    const { entries } = await call(host, 'timeline.list', { twinId, kinds: ['service'] });
    expect(entries.filter((e) => e.detail.includes(notes))).toHaveLength(1);
    await call(host, 'vault.setActive', { id: 'demo-owner' });
  }, 60_000);

  it('filters by element, kind and date', async () => {
    const forBoiler = await call(host, 'timeline.list', { twinId, elementKey: BOILER_KEY });
    expect(forBoiler.entries.length).toBeGreaterThan(0);
    expect(forBoiler.entries.every((e) => e.elementKey === BOILER_KEY)).toBe(true);
    // Asked about one element, versions say what they did to it: version 1 added the boiler.
    expect(forBoiler.entries.find((e) => e.kind === 'version')).toMatchObject({
      title: expect.stringMatching(/^Version 1 committed by/),
      detail: 'This element was added in this version.',
    });
    const other = await call(host, 'timeline.list', { twinId, elementKey: `0x${'12'.repeat(32)}` });
    expect(other.entries).toEqual([]);

    const roles = await call(host, 'timeline.list', { twinId, kinds: ['role'] });
    expect(roles.entries.length).toBeGreaterThanOrEqual(5);
    expect(roles.entries.every((e) => e.kind === 'role')).toBe(true);

    const all = (await call(host, 'timeline.list', { twinId })).entries;
    const newest = all[0]!.at;
    const after = await call(host, 'timeline.list', { twinId, from: newest });
    expect(after.entries.every((e) => e.at >= newest)).toBe(true);
    const before = await call(host, 'timeline.list', { twinId, to: newest - 1 });
    expect(before.entries.every((e) => e.at <= newest - 1)).toBe(true);
    expect(after.entries.length + before.entries.length).toBe(all.length);

    const limited = await call(host, 'timeline.list', { twinId, limit: 2 });
    expect(limited.entries).toHaveLength(2);
    expect(limited.truncated).toBe(true);
  });

  it('refuses bad queries with a clear error', async () => {
    const reversed = await host.router.call('timeline.list', { twinId, from: 20, to: 10 });
    expect(reversed).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(!reversed.ok && reversed.error.message).toMatch(/"from" must not be after "to"/);
    const unknownKind = await host.router.call('timeline.list', { twinId, kinds: ['gossip' as never] });
    expect(unknownKind).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const unknownTwin = await host.router.call('timeline.list', { twinId: 'no-such-twin' });
    expect(unknownTwin).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('takes entry kinds from providers other capabilities register', async () => {
    const at = Math.floor(Date.now() / 1000) + 3600;
    const remove = host.timeline!.register({
      name: 'test work orders',
      kinds: ['workOrder'],
      entries: (context) => [
        {
          id: `wo:${context.storeTwinId}:1`,
          kind: 'workOrder',
          status: 'confirmed',
          at,
          actor: null,
          actorLabel: null,
          title: 'Work order #1 opened: boiler pressure high',
          detail: 'SLA: 24 h',
          elementKey: BOILER_KEY,
          globalId: BOILER,
          txHash: null,
          blockNumber: null,
          outboxItemId: null,
          facts: [],
        },
      ],
    });
    try {
      const listed = await call(host, 'timeline.list', { twinId });
      expect(listed.kinds).toContain('workOrder');
      expect(listed.entries[0]).toMatchObject({ kind: 'workOrder', at });
      const onlyRoles = await call(host, 'timeline.list', { twinId, kinds: ['role'] });
      expect(onlyRoles.entries.some((e) => e.kind === 'workOrder')).toBe(false);
    } finally {
      remove();
    }
    // Removed: its entries are gone (the maintenance capability's own provider may still answer the kind).
    const after = await call(host, 'timeline.list', { twinId });
    expect(after.entries.some((e) => e.id === `wo:${twinId}:1`)).toBe(false);
  });
  it('a log queued offline fails with the reason when the role was revoked meanwhile, and can be discarded', async () => {
    await call(host, 'vault.setActive', { id: 'demo-crew' });
    await call(host, 'chain.setSandboxRunning', { running: false });
    const notes = `Pump seal replaced ${Date.now()}`;
    const item = await call(host, 'outbox.logService', {
      twinId,
      element: { globalId: BOILER },
      kind: 'repair',
      notes,
      attachments: [],
    });
    // While this machine was offline, an admin elsewhere revoked the crew's MAINTAINER role: the
    // same chain (its journal), reached by another process, takes the revoke.
    const other = await EmbeddedChain.start({ dataDir: join(dir.dir, 'chain') });
    const provider = createEthersProvider(other, other.chainId);
    const owner = demoWallet('owner').connect(provider);
    const registry = TwinRegistry__factory.connect(host.sync!.deployment.get()!.registry, owner);
    const chainTwinId = host.sync!.index.chainTwinOf(twinId)!;
    await (await registry.revokeRole(chainTwinId, TWIN_ROLES.Maintainer, demoWallet('crew').address)).wait();
    provider.destroy();
    await other.close();

    await call(host, 'chain.setSandboxRunning', { running: true });
    const failed = await waitFor(async () => {
      const entry = await serviceEntry(notes);
      return entry?.status === 'failed' ? entry : undefined;
    }, 'the queued log to fail');
    expect(failed.detail).toMatch(
      /Not recorded: your MAINTAINER role on this twin has ended or was revoked\./,
    );
    expect(failed.outboxItemId).toBe(item.id);
    // Signing it again would only fail on chain again: main refuses the retry with the reason.
    await expect(call(host, 'outbox.retry', { itemId: item.id })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/MAINTAINER/),
    });
    await call(host, 'outbox.discard', { itemId: item.id });
    expect(await serviceEntry(notes)).toBeUndefined();
    // The audit trail shows who revoked it.
    const { entries } = await call(host, 'timeline.list', { twinId, kinds: ['role'] });
    expect(entries[0]).toMatchObject({ title: 'MAINTAINER revoked from Demo maintenance crew' });
    expect(entries[0]!.detail).toBe('By Demo owner.');
    await call(host, 'vault.setActive', { id: 'demo-owner' });
  }, 60_000);
});

describe('verified on chain', () => {
  it("is verified by the registry for the head version's element", async () => {
    const v = await call(host, 'timeline.verifyElement', { twinId, elementKey: BOILER_KEY });
    expect(v).toMatchObject({ state: 'verified', chainVersion: 1 });
    expect(v.message).toMatch(/registry accepts this state as part of version 1/);
    expect(v.blockNumber).toBeGreaterThan(0);
  });

  it('is checked locally against the indexed root while the node is stopped', async () => {
    await call(host, 'chain.setSandboxRunning', { running: false });
    try {
      const v = await call(host, 'timeline.verifyElement', { twinId, elementKey: BOILER_KEY });
      expect(v).toMatchObject({ state: 'local', chainVersion: 1 });
      expect(v.message).toMatch(/chain is offline/);
    } finally {
      await call(host, 'chain.setSandboxRunning', { running: true });
      await host.sync!.caughtUp();
    }
  });

  it('is refused (mismatch) when the cached state is not what was committed', async () => {
    const db = host.sync!.index.db;
    const head = (await call(host, 'twins.list', {}))[0]!.head!;
    const original = db
      .prepare('SELECT state_hash FROM version_elements WHERE version_id = ? AND element_key = ?')
      .pluck()
      .get(head.id, BOILER_KEY) as string;
    // Another element's state, as a corrupted or tampered cache would hold.
    const other = db
      .prepare('SELECT state_hash FROM version_elements WHERE version_id = ? AND state_hash != ? LIMIT 1')
      .pluck()
      .get(head.id, original) as string;
    const setHash = db.prepare(
      'UPDATE version_elements SET state_hash = ? WHERE version_id = ? AND element_key = ?',
    );
    setHash.run(other, head.id, BOILER_KEY);
    try {
      const online = await call(host, 'timeline.verifyElement', { twinId, elementKey: BOILER_KEY });
      expect(online.state).toBe('mismatch');
      expect(online.message).toMatch(/REFUSED/);
      await call(host, 'chain.setSandboxRunning', { running: false });
      const offline = await call(host, 'timeline.verifyElement', { twinId, elementKey: BOILER_KEY });
      expect(offline.state).toBe('mismatch');
      expect(offline.message).toMatch(/does NOT match the root of version 1/);
    } finally {
      setHash.run(original, head.id, BOILER_KEY);
      await call(host, 'chain.setSandboxRunning', { running: true });
    }
    expect((await call(host, 'timeline.verifyElement', { twinId, elementKey: BOILER_KEY })).state).toBe(
      'verified',
    );
  });

  it('answers NOT_FOUND for an element the version does not hold', async () => {
    const missing = await host.router.call('timeline.verifyElement', {
      twinId,
      elementKey: `0x${'34'.repeat(32)}`,
    });
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('only the sandbox node can be stopped from the app', async () => {
    const network = new ChainService({
      dataDir: dir.dir,
      config: () => ({ chainMode: 'network', rpcUrl: null }),
      onStatus: () => undefined,
      logger: quietLogger,
    });
    await expect(network.setSandboxRunning(false)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/Only the sandbox chain can be stopped/),
    });
    await network.close();
  });

  it('the sandbox node is not stopped while the sandbox is being seeded', async () => {
    const handlers = chainHandlers({ chain: host.chain, seeding: () => 'running' });
    await expect(async () => handlers['chain.setSandboxRunning']({ running: false })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/still being prepared/),
    });
    expect(host.chain.status().state).toBe('ready');
  });
  it("follows a new design iteration: pending in the draft, verified in the chain's version 2, behind in version 1", async () => {
    const [twin] = await call(host, 'twins.list', {});
    const arch = twin!.models.find((m) => m.discipline === 'ARCH')!;
    const before = twin!.head!;
    const imported = await call(host, 'twins.import', {
      jobId: `timeline-${Date.now()}`,
      source: { kind: 'path', path: join(REPO, 'test', 'fixtures', 'Duplex_A_iteration2.ifc') },
      target: { kind: 'newIteration', twinId, modelId: arch.id },
    });
    const changeset = await call(host, 'twins.changeset', { twinId, versionId: imported.versionId });
    const modified = changeset.entries.find((e) => e.change === 'modified')!;
    const key = modified.elementKey.toLowerCase();

    const draft = await call(host, 'timeline.verifyElement', {
      twinId,
      versionId: imported.versionId,
      elementKey: key,
    });
    expect(draft).toMatchObject({ state: 'pending', chainVersion: 1 });
    expect(draft.message).toMatch(/Not on chain yet: this element changed in version \d+ \(draft\)/);
    // An element the iteration did not touch is already on chain, draft or not.
    expect(
      (
        await call(host, 'timeline.verifyElement', {
          twinId,
          versionId: imported.versionId,
          elementKey: BOILER_KEY,
        })
      ).state,
    ).toBe('verified');

    const item = await call(host, 'outbox.commitVersion', { twinId, identityId: 'demo-engineer' });
    await waitFor(
      async () => {
        const { items } = await call(host, 'outbox.list', { twinId });
        return items.find((i) => i.id === item.id && i.status === 'confirmed');
      },
      'the commit to be confirmed',
      60_000,
    );
    await host.sync!.caughtUp();

    const head = await call(host, 'timeline.verifyElement', { twinId, elementKey: key });
    expect(head).toMatchObject({ state: 'verified', chainVersion: 2 });
    const old = await call(host, 'timeline.verifyElement', { twinId, versionId: before.id, elementKey: key });
    expect(old).toMatchObject({ state: 'behind', chainVersion: 2 });
    expect(old.message).toMatch(/older than version 2 on chain, where this element changed/);

    // The element's timeline: version 2 changed it, version 1 added it; the twin's has both.
    const forElement = await call(host, 'timeline.list', { twinId, elementKey: key, kinds: ['version'] });
    expect(forElement.entries.map((e) => [e.title.replace(/ by .*/, ''), e.detail])).toEqual([
      ['Version 2 committed', 'This element was changed in this version.'],
      ['Version 1 committed', 'This element was added in this version.'],
    ]);
    const forTwin = await call(host, 'timeline.list', { twinId, kinds: ['version'] });
    expect(forTwin.entries[0]).toMatchObject({
      title: 'Version 2 committed by Demo engineer',
      elementKey: null,
      status: 'confirmed',
    });
  }, 120_000);
  it('a twin only this machine knows: nothing on chain yet, said so everywhere', async () => {
    const local = await call(host, 'twins.import', {
      jobId: `local-${Date.now()}`,
      source: { kind: 'path', path: join(REPO, 'test', 'fixtures', 'mep-ports-systems.ifc') },
      target: { kind: 'newTwin', twinName: 'Plant room (local)' },
    });
    const listed = await call(host, 'timeline.list', { twinId: local.twinId });
    expect(listed.entries).toEqual([]);
    const [first] = host
      .sync!.index.db.prepare('SELECT element_key FROM version_elements WHERE version_id = ? LIMIT 1')
      .pluck()
      .all(local.versionId) as string[];
    const v = await call(host, 'timeline.verifyElement', { twinId: local.twinId, elementKey: first! });
    expect(v).toMatchObject({ state: 'pending', message: 'This twin is not registered on chain yet.' });
    const roles = await call(host, 'roles.list', { twinId: local.twinId });
    expect(roles).toMatchObject({ chainTwinId: null, grants: [], mayAdminister: false });
    expect(roles.reason).toMatch(/not registered on chain yet/);
    const grant = await host.router.call('roles.grant', {
      twinId: local.twinId,
      role: 'EDITOR',
      account: demoWallet('planner').address,
      expiresAt: null,
    });
    expect(grant).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
  });
});
