// Every real sample imports with the counts its file states: elements per IFC class, property and
// quantity sets, storeys; the spatial tree and the store agree with the import report.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  DUPLEX_A,
  DUPLEX_ELECTRICAL,
  countEntities,
  createHarness,
  hasShared,
  shared,
  type Harness,
} from './helpers';

interface Expected {
  path: string;
  schema: string;
  /** Numbers stated in ../shared/ifc/README.md, checked on top of the file's own line counts. */
  classes: Record<string, number>;
  propertySets: number;
  quantitySets: number;
  predefinedSets: number;
  storeys: number;
}

const samples: Record<string, Expected> = {
  IfcOpenHouse: {
    path: shared('small/IfcOpenHouse_IFC4.ifc'),
    schema: 'IFC4',
    classes: { IfcWallStandardCase: 4, IfcDoor: 1, IfcWindow: 5, IfcRoof: 1 },
    propertySets: 0,
    quantitySets: 0,
    predefinedSets: 0,
    storeys: 1,
  },
  CPM: {
    path: shared('small/CPM.ifc'),
    schema: 'IFC2X3',
    classes: { IfcSlab: 40, IfcRoof: 1 },
    propertySets: 400,
    quantitySets: 53,
    predefinedSets: 0,
    storeys: 2,
  },
  Duplex_A: {
    path: DUPLEX_A,
    schema: 'IFC2X3',
    classes: { IfcDoor: 14, IfcWindow: 24, IfcSpace: 21 },
    propertySets: 1459,
    quantitySets: 21,
    predefinedSets: 12,
    storeys: 4,
  },
  Duplex_Electrical: {
    path: DUPLEX_ELECTRICAL,
    schema: 'IFC2X3',
    classes: { IfcFlowMovingDevice: 4, IfcDistributionControlElement: 3, IfcFlowTerminal: 82 },
    propertySets: 783,
    quantitySets: 1,
    predefinedSets: 0,
    storeys: 3,
  },
  Office_A: {
    path: shared('large/Office_A_20110811.ifc'),
    schema: 'IFC2X3',
    classes: { IfcDoor: 102, IfcWindow: 69, IfcSpace: 99 },
    propertySets: 5164,
    quantitySets: 99,
    predefinedSets: 19,
    storeys: 3,
  },
};

let h: Harness;
beforeAll(() => {
  h = createHarness();
});
afterAll(async () => {
  await h.close();
});

describe.each(Object.entries(samples))('importing %s', (name, expected) => {
  const run = name === 'Duplex_A' || name === 'Duplex_Electrical' || hasShared ? test : test.skip;

  run(
    'stores every product with the counts the file states',
    async () => {
      const report = await h.importFile(expected.path, { twinName: name });
      expect(report.schema).toBe(expected.schema);
      expect(report.status).toBe('local');

      // Elements per class from the store, against the file's own entity lines.
      const rows = h.store.db
        .prepare(
          `SELECT s.ifc_class, COUNT(*) AS n FROM version_elements ve JOIN element_states s ON s.state_hash = ve.state_hash
         WHERE ve.version_id = ? GROUP BY s.ifc_class`,
        )
        .all(report.versionId) as { ifc_class: string; n: number }[];
      const stored = Object.fromEntries(rows.map((r) => [r.ifc_class, r.n]));
      expect(stored).toEqual(report.countsByClass);
      const inFile = countEntities(expected.path, Object.keys(stored));
      expect(stored).toEqual(inFile);
      expect(stored.IfcProject).toBe(1);
      for (const [cls, n] of Object.entries(expected.classes)) expect(stored[cls] ?? 0, cls).toBe(n);
      const walls = (stored.IfcWall ?? 0) + (stored.IfcWallStandardCase ?? 0);
      if (name === 'CPM') expect(walls).toBe(13);
      if (name === 'Duplex_A') expect(walls).toBe(57);
      if (name === 'Office_A') expect(walls).toBe(487);

      // Property and quantity sets: each read once, as many as the file has.
      const sets = countEntities(expected.path, ['IfcPropertySet', 'IfcElementQuantity']);
      expect(report.stats.propertySets).toBe(sets.IfcPropertySet);
      expect(report.stats.propertySets).toBe(expected.propertySets);
      expect(report.stats.quantitySets).toBe(sets.IfcElementQuantity);
      expect(report.stats.quantitySets).toBe(expected.quantitySets);
      expect(report.stats.predefinedSets).toBe(expected.predefinedSets);
      expect(report.stats.storeys).toBe(expected.storeys);
      expect(report.elementCount).toBe(Object.values(stored).reduce((a, b) => a + b, 0));

      // The spatial tree reaches every element from the project.
      const tree = h.store.spatialTree(report.twinId);
      expect(tree.models).toHaveLength(1);
      const roots = tree.models[0]!.roots;
      expect(roots.map((r) => r.ifcClass)).toEqual(['IfcProject']);
      let count = 0;
      const storeys: string[] = [];
      const walk = (node: (typeof roots)[number]) => {
        count++;
        if (node.ifcClass === 'IfcBuildingStorey') storeys.push(node.globalId);
        node.children.forEach(walk);
      };
      roots.forEach(walk);
      expect(count).toBe(report.elementCount);
      expect(storeys).toHaveLength(expected.storeys);

      // Every stored state is RFC 8785 text (the importer writes it natively; the canonicalize
      // package must give the same bytes) and hashes to its key.
      const states = h.store.db
        .prepare(
          `SELECT s.state_hash, s.canonical FROM version_elements ve JOIN element_states s ON s.state_hash = ve.state_hash
           WHERE ve.version_id = ?`,
        )
        .raw()
        .all(report.versionId) as [string, string][];
      for (const [hash, text] of states) {
        expect(canonicalize(JSON.parse(text))).toBe(text);
        expect(`0x${createHash('sha256').update(text, 'utf8').digest('hex')}`).toBe(hash);
      }

      // Geometry: every element with a mesh has a geometry hash and its meshes are stored.
      const manifest = h.store.geometryManifest(report.twinId);
      expect(manifest.instanceCount).toBe(report.stats.meshes);
      expect(manifest.meshCount).toBeLessThanOrEqual(report.stats.distinctGeometries);
      expect(manifest.meshCount).toBeGreaterThan(0);
    },
    60_000,
  );
});

test('the Duplex models carry their units, types, classifications and property values', async () => {
  const electrical = await h.importFile(DUPLEX_ELECTRICAL, { twinName: 'Duplex electrical' });
  const pumps = h.store.search(electrical.twinId, undefined, { ifcClass: 'IfcFlowMovingDevice' });
  expect(pumps.total).toBe(4);
  const classified = h.store.db
    .prepare(
      `SELECT COUNT(*) FROM version_elements ve JOIN element_states s ON s.state_hash = ve.state_hash
       WHERE ve.version_id = ? AND (json_array_length(s.canonical, '$.classifications') > 0
         OR json_array_length(s.canonical, '$.type.classifications') > 0)`,
    )
    .pluck()
    .get(electrical.versionId) as number;
  expect(classified).toBeGreaterThan(0);
  const fan = h.store.getElement(electrical.twinId, undefined, pumps.elements[0]!.elementKey);
  expect(fan.type).not.toBeNull();
  expect(fan.storey).not.toBeNull();
  expect(fan.placement).toHaveLength(16);
  // Lengths in this Revit export are in feet: a length property carries its unit.
  const lengths = [...fan.propertySets, ...(fan.type?.propertySets ?? [])]
    .flatMap((s) => s.properties)
    .filter((p) => p.type === 'IFCLENGTHMEASURE');
  expect(lengths.length).toBeGreaterThan(0);
  expect(lengths.every((p) => p.unit === 'foot')).toBe(true);
}, 60_000);
