// The outbox through the API of a seeded sandbox host: a service log and a new design iteration's
// commit are signed, queued durably, relayed and confirmed; the indexer then sees them; the status
// bar's counts (sync status and outbox.changed events) follow; the index's permissions are checked
// before anything is signed.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { EventName } from '../../src/shared/api';
import type { ServiceHost } from '../../src/main/services/host';
import { call, REPO, seededHost, tempDir } from './helpers';

let dir: { dir: string; remove: () => void };
let host: ServiceHost;
const events: { event: EventName; payload: unknown }[] = [];

beforeAll(async () => {
  dir = tempDir('outbox-api');
  host = seededHost(dir.dir);
  host.bus.subscribe((event, payload) => events.push({ event, payload }));
  await host.sync!.seeded();
  await host.sync!.caughtUp();
}, 120_000);

afterAll(async () => {
  await host?.close();
  dir.remove();
});

async function confirmed(itemId: number): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    const { items } = await call(host, 'outbox.list', {});
    const item = items.find((i) => i.id === itemId)!;
    if (item.status === 'confirmed') return;
    if (item.status === 'failed' || item.status === 'conflict')
      throw new Error(`item ${itemId} ${item.status}: ${item.reason}`);
    if (Date.now() > until) throw new Error(`item ${itemId} still ${item.status}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

test('a service log is signed by the crew, queued, relayed and indexed; counts reach the status bar', async () => {
  const [twin] = await call(host, 'twins.list', {});
  const door = (await call(host, 'twins.search', { twinId: twin!.id, ifcClass: 'IfcDoor', limit: 1 }))
    .elements[0]!;
  const item = await call(host, 'outbox.logService', {
    twinId: twin!.id,
    element: { globalId: door.globalId },
    kind: 'inspection',
    notes: 'Hinges greased, closer adjusted.',
    attachments: [{ name: 'photo.jpg', sha256: 'a'.repeat(64) }],
    identityId: 'demo-crew',
  });
  expect(item).toMatchObject({
    status: 'queued',
    kind: 'logService',
    service: { globalId: door.globalId, kind: 'inspection' },
  });
  expect(item.summary).toContain(`Log "inspection" on ${door.globalId}`);
  await confirmed(item.id);
  expect(
    events.some(
      (e) => e.event === 'outbox.changed' && (e.payload as { itemIds: number[] }).itemIds.includes(item.id),
    ),
  ).toBe(true);
  await host.sync!.caughtUp();
  const logs = host.sync!.index.serviceLogs(twin!.chainTwinId!);
  expect(logs.some((log) => log.elementKey === door.elementKey)).toBe(true);
  const until = Date.now() + 5_000;
  while ((host.sync!.status().outbox?.confirmed ?? 0) < 1 && Date.now() < until)
    await new Promise((done) => setTimeout(done, 25));
  expect(host.sync!.status().outbox).toMatchObject({ confirmed: 1, queued: 0, sent: 0 });
}, 60_000);

test("a new design iteration committed by the engineer becomes the chain's version 2", async () => {
  const [twin] = await call(host, 'twins.list', {});
  const arch = twin!.models.find((m) => m.discipline === 'ARCH')!;
  const imported = await call(host, 'twins.import', {
    jobId: randomUUID(),
    source: { kind: 'path', path: join(REPO, 'test', 'fixtures', 'Duplex_A_iteration2.ifc') },
    target: { kind: 'newIteration', twinId: twin!.id, modelId: arch.id },
  });
  expect(imported.status).toBe('draft');
  const item = await call(host, 'outbox.commitVersion', { twinId: twin!.id, identityId: 'demo-engineer' });
  expect(item).toMatchObject({ status: 'queued', versionId: imported.versionId, baseVersion: 1 });
  expect((await call(host, 'twins.get', { twinId: twin!.id })).head).toMatchObject({
    id: imported.versionId,
    status: 'queued',
  });
  await confirmed(item.id);
  await host.sync!.caughtUp();
  const versions = host.sync!.index.versions(twin!.chainTwinId!);
  expect(versions.map((v) => v.version)).toEqual([1, 2]);
  expect(versions[1]!.modelRoot).toBe(imported.merkleRoot);
  expect((await call(host, 'twins.get', { twinId: twin!.id })).head).toMatchObject({
    id: imported.versionId,
    status: 'confirmed',
  });
  // Nothing to discard or retry on a confirmed item.
  await expect(call(host, 'outbox.discard', { itemId: item.id })).rejects.toMatchObject({ code: 'CONFLICT' });
}, 90_000);

test('the index is asked before signing: a VIEWER cannot queue a commit or a service log', async () => {
  const [twin] = await call(host, 'twins.list', {});
  await expect(
    call(host, 'outbox.logService', {
      twinId: twin!.id,
      element: { globalId: 'x' },
      kind: 'inspection',
      notes: '',
      attachments: [],
      identityId: 'demo-planner',
    }),
  ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  const { items } = await call(host, 'outbox.list', { status: ['queued'] });
  expect(items).toHaveLength(0);
});
