// MEP data on a small hand-written IFC4 file (no sample carries ports or systems): port
// connectivity through IfcRelNests and IfcRelConnectsPorts, IfcDistributionSystem membership,
// classification and a power property with its unit, and placements scaled from millimetres.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { SpatialNode } from '../../src/shared/api/twins';
import { buildVersionTree } from '../../src/main/ifc/merkle';
import { OutboxStore } from '../../src/main/store/outbox';
import { TwinStore } from '../../src/main/store/twin-store';
import { FIXTURES, MEP_FIXTURE, createHarness, type Harness } from './helpers';

let h: Harness;
beforeAll(() => {
  h = createHarness();
});
afterAll(async () => {
  await h.close();
});

test('ports, their connections, systems, classification and units are part of the element state', async () => {
  const report = await h.importFile(join(FIXTURES, 'mep-ports-systems.ifc'), { twinName: 'MEP' });
  expect(report.countsByClass).toMatchObject({ IfcPump: 1, IfcPipeSegment: 1, IfcDistributionPort: 2 });
  const pump = h.store.getElement(
    report.twinId,
    undefined,
    h.store.search(report.twinId, undefined, { ifcClass: 'IfcPump' }).elements[0]!.elementKey,
  );
  expect(pump.ports).toEqual([
    {
      connectedTo: [{ element: '3Hx3w5zOP0lQ5jkAqXqkhV', port: '1nIkp_FXfDegYwP$IBTxfm' }],
      flowDirection: 'SOURCE',
      globalId: '0h2_Y3D9bDmRjIaGsMCDm1',
      name: 'P-1 outlet',
    },
  ]);
  expect(pump.systems).toEqual([{ globalId: '1u2Wy0fUT8CB6kDmAT$G8n', name: 'Heating circuit H1' }]);
  expect(pump.classifications).toEqual([
    { code: '23-27 17 00', name: 'Pumps', system: 'OmniClass Table 23' },
  ]);
  expect(pump.predefinedType).toBe('CIRCULATOR');
  expect(pump.propertySets[0]!.properties).toContainEqual({
    name: 'NominalPower',
    type: 'IFCPOWERMEASURE',
    unit: 'W',
    value: 250,
  });
  // 1500 mm, 2500 mm from the storey: metres in the state.
  expect(pump.placement!.slice(12, 15)).toEqual([1.5, 2.5, 0]);
  const pipe = h.store.search(report.twinId, undefined, { text: 'supply pipe' });
  expect(pipe.elements.map((e) => e.globalId)).toEqual(['3Hx3w5zOP0lQ5jkAqXqkhV']);
  const pipeDetail = h.store.getElement(report.twinId, undefined, pipe.elements[0]!.elementKey);
  expect(pipeDetail.ports[0]!.connectedTo).toEqual([
    { element: '2O7sWrjp10i8HAoYRAs$Uq', port: '0h2_Y3D9bDmRjIaGsMCDm1' },
  ]);
}, 60_000);

test('elements of a malformed file that aggregate each other stay in the spatial tree, each once', async () => {
  // The pump and the pipe each made a part of the other (a loop no authoring tool should write).
  const text = readFileSync(join(FIXTURES, 'mep-ports-systems.ifc'), 'latin1').replace(
    /^ENDSEC;\r?\nEND-ISO-10303-21;/m,
    "#900=IFCRELAGGREGATES('0Loop0000000000000000A',$,$,$,#100,(#110));\n" +
      "#901=IFCRELAGGREGATES('0Loop0000000000000000B',$,$,$,#110,(#100));\nENDSEC;\nEND-ISO-10303-21;",
  );
  expect(text).toContain('#901=');
  const report = await h.importer.run({
    jobId: randomUUID(),
    source: { kind: 'bytes', fileName: 'loop.ifc', bytes: Buffer.from(text, 'latin1') },
    target: { kind: 'newTwin', twinId: randomUUID(), twinName: 'loop', modelId: randomUUID() },
    commit: true,
  });
  const seen: string[] = [];
  const walk = (nodes: SpatialNode[]) => {
    for (const node of nodes) {
      seen.push(node.globalId);
      walk(node.children);
    }
  };
  walk(h.store.spatialTree(report.twinId).models[0]!.roots);
  expect(seen.sort()).toEqual(
    h.store
      .search(report.twinId, undefined, { limit: 1000 })
      .elements.map((e) => e.globalId)
      .sort(),
  );
  expect(seen).toContain('2O7sWrjp10i8HAoYRAs$Uq'); // the pump
  expect(seen).toContain('3Hx3w5zOP0lQ5jkAqXqkhV'); // the pipe
});

test('a version id SQLite gives again (its version deleted, as the outbox does with a rebased commit) streams the new version’s geometry', async () => {
  const job = (file: string, twinName: string) => ({
    jobId: randomUUID(),
    source: { kind: 'path' as const, path: join(FIXTURES, file) },
    target: { kind: 'newTwin' as const, twinId: randomUUID(), twinName, modelId: randomUUID() },
    commit: true,
  });
  const gone = await h.importer.run(job('duplicate-globalids.ifc', 'to be deleted'));
  const goneManifest = h.store.geometryManifest(gone.twinId); // cached by the store
  const raw = new Database(h.dbPath);
  raw.pragma('foreign_keys = ON');
  raw.prepare('DELETE FROM twins WHERE id = ?').run(gone.twinId);
  raw.close();
  const next = await h.importer.run(job('mep-ports-systems.ifc', 'takes its id'));
  expect(next.versionId).toBe(gone.versionId); // the freed id, given again
  const fresh = TwinStore.open(h.dbPath);
  try {
    const expected = fresh.geometryManifest(next.twinId);
    expect(expected.meshCount).not.toBe(goneManifest.meshCount);
    expect(h.store.geometryManifest(next.twinId)).toEqual(expected);
  } finally {
    fresh.close();
  }
});

test('a version with no model revision rows (one the outbox made with no base) still shows its elements in the tree', async () => {
  const report = await h.importFile(MEP_FIXTURE, { twinName: 'no revisions' });
  const outbox = new OutboxStore(h.store.db);
  const leaves = outbox.leaves(report.versionId);
  const tree = buildVersionTree(leaves.map((l) => [l.elementKey, l.stateHash] as const));
  const versionId = outbox.createVersion({
    twinId: report.twinId,
    baseVersionId: null,
    status: 'draft',
    merkleRoot: tree.root,
    treeNodes: tree.nodes,
    leaves: leaves.map((l) => ({ ...l, leafIndex: tree.leafIndex.get(l.elementKey)! })),
    changeset: { entries: [] },
  });
  const revisions = h.store.db.prepare('SELECT COUNT(*) FROM model_revisions WHERE version_id = ?').pluck();
  expect(revisions.get(versionId)).toBe(0);
  const count = (nodes: SpatialNode[]): number => nodes.reduce((n, node) => n + 1 + count(node.children), 0);
  const head = h.store.spatialTree(report.twinId, report.versionId);
  const bare = h.store.spatialTree(report.twinId, versionId);
  expect(bare.models.map((m) => m.modelId)).toEqual([report.modelId]);
  expect(count(bare.models[0]!.roots)).toBe(leaves.length);
  expect(bare.models[0]!.roots).toEqual(head.models[0]!.roots);
});
