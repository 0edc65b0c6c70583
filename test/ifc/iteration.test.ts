// A new design iteration of a model becomes a draft version whose changeset names exactly what the
// authoring tool changed: a property value, a moved cabinet, a deleted door (with its opening, and
// the wall that lost the void). Same file twice gives the same root and an empty changeset.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { decodeGeometryChunk } from '../../src/shared/geometry-stream';
import { DUPLEX_A, FIXTURES, boxIfc, createHarness, type Harness } from './helpers';

let h: Harness;
beforeAll(() => {
  h = createHarness();
});
afterAll(async () => {
  await h.close();
});

test('re-importing a changed iteration names exactly the changed elements and fields', async () => {
  const first = await h.importFile(DUPLEX_A, { twinName: 'Duplex' });
  const next = await h.importFile(
    join(FIXTURES, 'Duplex_A_iteration2.ifc'),
    { kind: 'newIteration', twinId: first.twinId, modelId: first.modelId },
    false,
  );
  expect(next.status).toBe('draft');
  expect(next.baseVersionId).toBe(first.versionId);
  expect(next.merkleRoot).not.toBe(first.merkleRoot);
  expect(next.elementCount).toBe(first.elementCount - 2);

  const changeset = h.store.changeset(first.twinId, next.versionId);
  const summary = changeset.entries
    .map((e) => ({
      globalId: e.globalId,
      ifcClass: e.ifcClass,
      change: e.change,
      fields: e.fields,
      details: e.details,
    }))
    .sort((a, b) => a.globalId.localeCompare(b.globalId));
  expect(summary).toEqual(
    [
      // cabinet moved 0.5 m: its placement, nothing else
      {
        globalId: '0wkEuT1wr1kOyafLY4vyMO',
        ifcClass: 'IfcFurnishingElement',
        change: 'modified',
        fields: ['placement'],
        details: ['placement'],
      },
      // door deleted, with its opening
      { globalId: '1hOSvn6df7F8_7GcBWlRGQ', ifcClass: 'IfcDoor', change: 'removed', fields: [], details: [] },
      {
        globalId: '1xS3BCk291UvhgP2dvNrY1',
        ifcClass: 'IfcOpeningElement',
        change: 'removed',
        fields: [],
        details: [],
      },
      // the other door's fire rating changed
      {
        globalId: '1hOSvn6df7F8_7GcBWlRH8',
        ifcClass: 'IfcDoor',
        change: 'modified',
        fields: ['propertySets'],
        details: ['propertySets.Pset_DoorCommon.FireRating'],
      },
      // the wall that hosted the deleted door lost its void
      {
        globalId: '2O2Fr$t4X7Zf8NOew3FNqI',
        ifcClass: 'IfcWallStandardCase',
        change: 'modified',
        fields: ['geometry'],
        details: ['geometry'],
      },
    ].sort((a, b) => a.globalId.localeCompare(b.globalId)),
  );
  expect([changeset.added, changeset.removed, changeset.modified]).toEqual([0, 2, 3]);

  // The head is unchanged until the draft is committed.
  expect(h.store.getTwin(first.twinId).head?.id).toBe(first.versionId);
  expect(h.store.getTwin(first.twinId).draft?.id).toBe(next.versionId);
  const door = h.store.search(first.twinId, undefined, { property: { name: 'FireRating', value: 'EI 60' } });
  expect(door.total).toBe(0);
  const draftDoor = h.store.search(first.twinId, next.versionId, {
    property: { name: 'FireRating', value: 'EI 60' },
  });
  expect(draftDoor.elements.map((e) => e.globalId)).toEqual(['1hOSvn6df7F8_7GcBWlRH8']);

  // A second import while the draft is open is refused.
  await expect(
    h.importFile(DUPLEX_A, { kind: 'newIteration', twinId: first.twinId, modelId: first.modelId }, false),
  ).rejects.toMatchObject({ code: 'CONFLICT' });

  const committed = h.store.commitDraft(first.twinId, next.versionId);
  expect(committed.status).toBe('local');
  expect(h.store.getTwin(first.twinId).head?.id).toBe(next.versionId);
  expect(
    h.store.search(first.twinId, undefined, { property: { name: 'FireRating', value: 'EI 60' } }).total,
  ).toBe(1);
}, 90_000);

test('the same file imported twice gives the same root, and an empty changeset', async () => {
  const first = await h.importFile(DUPLEX_A, { twinName: 'Duplex twice' });
  const again = await h.importFile(
    DUPLEX_A,
    { kind: 'newIteration', twinId: first.twinId, modelId: first.modelId },
    false,
  );
  expect(again.merkleRoot).toBe(first.merkleRoot);
  expect(again.changeset).toMatchObject({ added: 0, removed: 0, modified: 0 });
  // Discarding the draft removes it and nothing else.
  expect(h.store.discardDraft(first.twinId, again.versionId)).toBe(true);
  expect(h.store.getTwin(first.twinId).draft).toBeNull();
  expect(h.store.listVersions(first.twinId).map((v) => v.id)).toEqual([first.versionId]);
}, 60_000);

test('another store on another run computes the same roots (pinned)', async () => {
  const other = createHarness();
  try {
    const report = await other.importFile(DUPLEX_A, { twinName: 'elsewhere' });
    // Pinned: a change here means element states or their hashing changed (ELEMENT_STATE_FORMAT).
    expect(report.merkleRoot).toBe('0x1530dfca7ed60e90191068a7e0516f0a41286235ba9f7a72f80380b5763c5360');
  } finally {
    await other.close();
  }
}, 60_000);

test("a new twin's first version lists every element as added, read from the version itself (no copied entries)", async () => {
  const first = await h.importFile(DUPLEX_A, { twinName: 'Duplex first version' });
  const changeset = h.store.changeset(first.twinId, first.versionId);
  expect([changeset.baseVersionId, changeset.added, changeset.removed, changeset.modified]).toEqual([
    null,
    first.elementCount,
    0,
    0,
  ]);
  // Nothing is copied into changeset_entries for it...
  const stored = h.store.db
    .prepare('SELECT COUNT(*) FROM changeset_entries WHERE changeset_id = ?')
    .pluck()
    .get(changeset.id);
  expect(stored).toBe(0);
  // ...and its entries are the version's elements with their states, in the changeset's order.
  const states = new Map(
    (
      h.store.db
        .prepare('SELECT element_key, state_hash FROM version_elements WHERE version_id = ?')
        .all(first.versionId) as { element_key: string; state_hash: string }[]
    ).map((r) => [r.element_key, r.state_hash]),
  );
  expect(changeset.entries).toHaveLength(first.elementCount);
  for (const e of changeset.entries) {
    expect(e).toMatchObject({ change: 'added', fields: [], details: [], oldStateHash: null });
    expect(e.newStateHash).toBe(states.get(e.elementKey));
  }
  const order = changeset.entries.map((e) => [e.ifcClass, e.name ?? '', e.globalId].join('\u0000'));
  expect(order).toEqual([...order].sort());
  const door = changeset.entries.find((e) => e.ifcClass === 'IfcDoor')!;
  expect(door.globalId).toMatch(/^[0-9A-Za-z_$]{22}$/);
}, 60_000);

test("a new twin's first version imported as a draft keeps its entries written out, each listed once", async () => {
  const draft = await h.importFile(DUPLEX_A, { twinName: 'Duplex first draft' }, false);
  expect(draft.status).toBe('draft');
  const changeset = h.store.changeset(draft.twinId, draft.versionId);
  const stored = h.store.db
    .prepare('SELECT COUNT(*) FROM changeset_entries WHERE changeset_id = ?')
    .pluck()
    .get(changeset.id);
  expect(stored).toBe(draft.elementCount);
  expect(changeset.entries).toHaveLength(draft.elementCount);
  expect(new Set(changeset.entries.map((e) => e.elementKey)).size).toBe(draft.elementCount);
}, 60_000);

test('a body moved inside its unchanged placement is a geometry change; the element moved is a placement change', async () => {
  const write = (name: string, at: string, body: string) => {
    const path = join(h.dir, name);
    writeFileSync(path, boxIfc(at, body));
    return path;
  };
  const first = await h.importFile(write('box.ifc', '0.,0.,0.', '0.,0.,0.'), { twinName: 'Box' });
  const iteration = (path: string) =>
    h.importFile(path, { kind: 'newIteration', twinId: first.twinId, modelId: first.modelId }, false);
  const boxOf = (versionId: number) =>
    h.store
      .changeset(first.twinId, versionId)
      .entries.filter((e) => e.globalId === '1YvctVUKr0kugbFTf53O9L')
      .map((e) => ({ change: e.change, fields: e.fields }));
  // The extrusion's position moved 5 m (an authoring tool's "move the body, keep the origin"): the
  // same mesh and placement, placed elsewhere; the root changes with it.
  const body = await iteration(write('box-body.ifc', '0.,0.,0.', '5.,0.,0.'));
  expect(body.merkleRoot).not.toBe(first.merkleRoot);
  expect(boxOf(body.versionId)).toEqual([{ change: 'modified', fields: ['geometry'] }]);
  // And the viewer is streamed the body where the file has it: 5 m along x (Y up, as web-ifc
  // gives meshes: the box's mesh is centred half a metre up).
  const translations = (versionId: number) => {
    const out: number[][] = [];
    for (let cursor: number | null = 0; cursor !== null;) {
      const chunk = decodeGeometryChunk(h.store.geometryChunk(first.twinId, versionId, cursor));
      if (chunk.kind === 'instances') for (const i of chunk.instances) out.push([...i.matrix.slice(12, 15)]);
      cursor = chunk.nextCursor;
    }
    return out;
  };
  expect(translations(first.versionId)).toEqual([[0, 0.5, 0]]);
  expect(translations(body.versionId)).toEqual([[5, 0.5, 0]]);
  h.store.discardDraft(first.twinId, body.versionId);
  // The element moved 5 m with its body: its placement only.
  const moved = await iteration(write('box-moved.ifc', '5.,0.,0.', '0.,0.,0.'));
  expect(boxOf(moved.versionId)).toEqual([{ change: 'modified', fields: ['placement'] }]);
}, 60_000);
