// An element the authors move from one model's file to another's stays in the twin whichever file is
// imported first: the import of the file that took it skips it (another model holds it) but keeps
// its claim, and the import of the file that lost it passes it on to the claimant, with the state
// the claimant's file gave it, instead of removing it. Real imports of hand-written IFC files.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MERKLE_LEAF_ENCODING, elementKeyOf } from '../../src/shared/fingerprint';
import { createHarness, type Harness } from './helpers';

let h: Harness;
beforeAll(() => {
  h = createHarness();
});
afterAll(async () => {
  await h.close();
});

interface Box {
  globalId: string;
  name: string;
  /** Where it stands along x (metres). */
  x: number;
}

/** The express id of the i-th proxy of a file written by ifcOf. */
const expressIdOf = (i: number) => 100 + 10 * i;

/** A hand-written IFC2X3 file: a project aggregating unit boxes (building element boxes). */
const ifcOf = (projectGlobalId: string, boxes: Box[]) => `ISO-10303-21;
HEADER;
FILE_DESCRIPTION(('ViewDefinition [CoordinationView]'),'2;1');
FILE_NAME('model.ifc','2026-12-07T00:00:00',(''),(''),'','','');
FILE_SCHEMA(('IFC2X3'));
ENDSEC;
DATA;
#1=IFCPROJECT('${projectGlobalId}',$,'P',$,$,$,$,(#20),#10);
#10=IFCUNITASSIGNMENT((#11));
#11=IFCSIUNIT(*,.LENGTHUNIT.,$,.METRE.);
#20=IFCGEOMETRICREPRESENTATIONCONTEXT($,'Model',3,1.E-05,#21,$);
#21=IFCAXIS2PLACEMENT3D(#22,$,$);
#22=IFCCARTESIANPOINT((0.,0.,0.));
#41=IFCSHAPEREPRESENTATION(#20,'Body','SweptSolid',(#42));
#42=IFCEXTRUDEDAREASOLID(#43,#21,#47,1.);
#43=IFCRECTANGLEPROFILEDEF(.AREA.,$,#44,1.,1.);
#44=IFCAXIS2PLACEMENT2D(#48,$);
#48=IFCCARTESIANPOINT((0.,0.));
#47=IFCDIRECTION((0.,0.,1.));
${boxes
  .map((p, i) => {
    const n = expressIdOf(i);
    return `#${n}=IFCBUILDINGELEMENTPROXY('${p.globalId}',$,'${p.name}',$,$,#${n + 1},#${n + 4},$,$);
#${n + 1}=IFCLOCALPLACEMENT($,#${n + 2});
#${n + 2}=IFCAXIS2PLACEMENT3D(#${n + 3},$,$);
#${n + 3}=IFCCARTESIANPOINT((${p.x}.,0.,0.));
#${n + 4}=IFCPRODUCTDEFINITIONSHAPE($,$,(#41));`;
  })
  .join('\n')}
#50=IFCRELAGGREGATES('${projectGlobalId.slice(0, -1)}R',$,$,$,#1,(${boxes.map((_, i) => `#${expressIdOf(i)}`).join(',')}));
ENDSEC;
END-ISO-10303-21;
`;

let files = 0;
const fileOf = (projectGlobalId: string, boxes: Box[]): string => {
  const path = join(h.dir, `model-${++files}.ifc`);
  writeFileSync(path, ifcOf(projectGlobalId, boxes));
  return path;
};

const ARCH_PROJECT = '0YvctVUKr0kugbFTf53OA1';
const MEP_PROJECT = '0YvctVUKr0kugbFTf53OB1';
const STRUCT_PROJECT = '0YvctVUKr0kugbFTf53OC1';
const X = '1YvctVUKr0kugbFTf53O01';
const Y = '1YvctVUKr0kugbFTf53O02';
const W = '1YvctVUKr0kugbFTf53O03';
const Z = '1YvctVUKr0kugbFTf53O04';

/** The version's elements: GlobalId -> model, state hash, express id. */
const elementsOf = (versionId: number) =>
  new Map(
    (
      h.store.db
        .prepare(
          `SELECT s.global_id, ve.model_id, ve.state_hash, ve.express_id FROM version_elements ve
           JOIN element_states s ON s.state_hash = ve.state_hash WHERE ve.version_id = ?`,
        )
        .all(versionId) as { global_id: string; model_id: string; state_hash: string; express_id: number }[]
    ).map((r) => [r.global_id, { modelId: r.model_id, stateHash: r.state_hash, expressId: r.express_id }]),
  );

/** The architecture model (X, Y, W) and the services model (Z), one version each. */
async function federatedTwin(name: string) {
  const arch = await h.importFile(
    fileOf(ARCH_PROJECT, [
      { globalId: X, name: 'X', x: 0 },
      { globalId: Y, name: 'Y', x: 2 },
      { globalId: W, name: 'W', x: 4 },
    ]),
    { twinName: name, modelName: 'Architecture', discipline: 'ARCH' },
  );
  const mep = await h.importFile(fileOf(MEP_PROJECT, [{ globalId: Z, name: 'Z', x: 6 }]), {
    kind: 'newModel',
    twinId: arch.twinId,
    modelName: 'Services',
    discipline: 'MEP',
  });
  return { twinId: arch.twinId, arch: arch.modelId, mep: mep.modelId };
}

test('an element moved to another model, whose file was imported first, passes to that model when its old file drops it', async () => {
  const twin = await federatedTwin('Moved element');
  // The services file now holds X too (moved 10 m, renamed): the architecture model holds it, so
  // this import skips it.
  const mep2 = await h.importFile(
    fileOf(MEP_PROJECT, [
      { globalId: Z, name: 'Z', x: 6 },
      { globalId: X, name: 'X in services', x: 10 },
    ]),
    { kind: 'newIteration', twinId: twin.twinId, modelId: twin.mep },
  );
  expect(mep2.warnings).toContain(
    `GlobalId ${X} already belongs to another model of this twin; it was skipped here.`,
  );
  expect(elementsOf(mep2.versionId).get(X)?.modelId).toBe(twin.arch);

  // The architecture file no longer holds X (nor W, which no other file holds).
  const arch2 = await h.importFile(
    fileOf(ARCH_PROJECT, [{ globalId: Y, name: 'Y', x: 2 }]),
    { kind: 'newIteration', twinId: twin.twinId, modelId: twin.arch },
    false,
  );
  const elements = elementsOf(arch2.versionId);
  // X is the services model's now, as the services file gives it: its name, its place, its express id.
  const x = elements.get(X);
  expect(x).toMatchObject({ modelId: twin.mep, expressId: expressIdOf(1) });
  expect(arch2.warnings).toContain(
    `1 element this file no longer holds was kept in model "Services" (its file holds it): ${X}.`,
  );
  const state = h.store.getElement(twin.twinId, arch2.versionId, elementKeyOf(X));
  expect(state).toMatchObject({ modelId: twin.mep, name: 'X in services', expressId: expressIdOf(1) });
  expect(state.meshCount).toBe(1);
  expect(elements.has(W)).toBe(false);
  expect([...elements.keys()].sort()).toEqual([ARCH_PROJECT, MEP_PROJECT, X, Y, Z].sort());
  expect(arch2.elementCount).toBe(5);
  // A leaf of the version's tree like any other.
  const leaves = h.store.versionLeaves(arch2.versionId);
  expect(arch2.merkleRoot).toBe(StandardMerkleTree.of(leaves, [...MERKLE_LEAF_ENCODING]).root);
  const proof = h.store.proofMaterial(twin.twinId, arch2.versionId, elementKeyOf(X));
  expect(proof.stateHash).toBe(x!.stateHash);
  expect(
    h.store
      .spatialTree(twin.twinId, arch2.versionId)
      .models.map((m) => [m.name, m.roots.flatMap((r) => r.children.map((c) => c.globalId)).sort()]),
  ).toEqual([
    ['Architecture', [Y]],
    ['Services', [X, Z].sort()],
  ]);

  // The changeset removes W only; X changed (the services file's name, project and place), and says so.
  const changeset = h.store.changeset(twin.twinId, arch2.versionId);
  expect(changeset.modelId).toBe(twin.arch);
  expect([changeset.added, changeset.removed, changeset.modified]).toEqual([0, 1, 1]);
  expect(changeset.entries.map((e) => [e.globalId, e.change, e.fields])).toEqual([
    [X, 'modified', ['name', 'decomposes', 'placement']],
    [W, 'removed', []],
  ]);
  const before = elementsOf(mep2.versionId).get(X)!;
  expect(changeset.entries[0]).toMatchObject({ oldStateHash: before.stateHash, newStateHash: x!.stateHash });

  // Committed, the next import of the services file finds X its own, unchanged.
  h.store.commitDraft(twin.twinId, arch2.versionId);
  const mep3 = await h.importFile(
    fileOf(MEP_PROJECT, [
      { globalId: Z, name: 'Z', x: 6 },
      { globalId: X, name: 'X in services', x: 10 },
    ]),
    { kind: 'newIteration', twinId: twin.twinId, modelId: twin.mep },
  );
  expect(mep3.changeset).toMatchObject({ added: 0, removed: 0, modified: 0 });
  expect(mep3.merkleRoot).toBe(arch2.merkleRoot);
}, 60_000);

test('of several models whose files hold the element, the one imported last takes it', async () => {
  const twin = await federatedTwin('Claimed twice');
  const moved = (name: string) => ({ globalId: X, name, x: 10 });
  await h.importFile(fileOf(MEP_PROJECT, [{ globalId: Z, name: 'Z', x: 6 }, moved('X in services')]), {
    kind: 'newIteration',
    twinId: twin.twinId,
    modelId: twin.mep,
  });
  const structure = await h.importFile(fileOf(STRUCT_PROJECT, [moved('X in structure')]), {
    kind: 'newModel',
    twinId: twin.twinId,
    modelName: 'Structure',
    discipline: 'STRUCT',
  });
  const arch2 = await h.importFile(fileOf(ARCH_PROJECT, [{ globalId: Y, name: 'Y', x: 2 }]), {
    kind: 'newIteration',
    twinId: twin.twinId,
    modelId: twin.arch,
  });
  expect(arch2.warnings).toContain(
    `1 element this file no longer holds was kept in model "Structure" (its file holds it): ${X}.`,
  );
  expect(h.store.getElement(twin.twinId, arch2.versionId, elementKeyOf(X))).toMatchObject({
    modelId: structure.modelId,
    name: 'X in structure',
  });
}, 60_000);

test("a claim does not outlive its file: the element goes once the claimant's next file drops it too", async () => {
  const twin = await federatedTwin('Claim withdrawn');
  await h.importFile(
    fileOf(MEP_PROJECT, [
      { globalId: Z, name: 'Z', x: 6 },
      { globalId: X, name: 'X in services', x: 10 },
    ]),
    { kind: 'newIteration', twinId: twin.twinId, modelId: twin.mep },
  );
  // The services file drops X again before the architecture file does.
  await h.importFile(fileOf(MEP_PROJECT, [{ globalId: Z, name: 'Z', x: 6 }]), {
    kind: 'newIteration',
    twinId: twin.twinId,
    modelId: twin.mep,
  });
  const arch2 = await h.importFile(
    fileOf(ARCH_PROJECT, [
      { globalId: Y, name: 'Y', x: 2 },
      { globalId: W, name: 'W', x: 4 },
    ]),
    { kind: 'newIteration', twinId: twin.twinId, modelId: twin.arch },
  );
  expect(arch2.warnings.filter((w) => w.includes('no longer holds'))).toEqual([]);
  expect(elementsOf(arch2.versionId).has(X)).toBe(false);
  const changeset = h.store.changeset(twin.twinId, arch2.versionId);
  expect(changeset.entries.map((e) => [e.globalId, e.change])).toEqual([[X, 'removed']]);
}, 60_000);

test('discarding the draft that claimed an element drops the claim and the state only it kept', async () => {
  const twin = await federatedTwin('Claim discarded');
  const draft = await h.importFile(
    fileOf(MEP_PROJECT, [
      { globalId: Z, name: 'Z', x: 6 },
      { globalId: X, name: 'X only claimed', x: 12 },
    ]),
    { kind: 'newIteration', twinId: twin.twinId, modelId: twin.mep },
    false,
  );
  const claims = () =>
    h.store.db
      .prepare('SELECT state_hash FROM element_claims WHERE model_id = ? AND source_sha256 = ?')
      .pluck()
      .all(twin.mep, draft.sourceSha256) as string[];
  const [claimedState] = claims();
  expect(claimedState).toBeDefined();
  const stateRows = () =>
    h.store.db.prepare('SELECT COUNT(*) FROM element_states WHERE state_hash = ?').pluck().get(claimedState);
  expect(stateRows()).toBe(1);
  expect(h.store.discardDraft(twin.twinId, draft.versionId)).toBe(true);
  expect(claims()).toEqual([]);
  expect(stateRows()).toBe(0);
}, 60_000);

test('an element moved unchanged passes with no changeset entry: the version did not change it', async () => {
  // Both files aggregate their elements under the same project, so X's state is the same in both.
  const arch = await h.importFile(
    fileOf(ARCH_PROJECT, [
      { globalId: X, name: 'X', x: 0 },
      { globalId: Y, name: 'Y', x: 2 },
    ]),
    { twinName: 'Moved unchanged', modelName: 'Architecture', discipline: 'ARCH' },
  );
  const mep = await h.importFile(
    fileOf(ARCH_PROJECT, [
      { globalId: Z, name: 'Z', x: 6 },
      { globalId: X, name: 'X', x: 0 },
    ]),
    { kind: 'newModel', twinId: arch.twinId, modelName: 'Services', discipline: 'MEP' },
  );
  const arch2 = await h.importFile(fileOf(ARCH_PROJECT, [{ globalId: Y, name: 'Y', x: 2 }]), {
    kind: 'newIteration',
    twinId: arch.twinId,
    modelId: arch.modelId,
  });
  const before = elementsOf(mep.versionId).get(X)!;
  expect(elementsOf(arch2.versionId).get(X)).toEqual({
    modelId: mep.modelId,
    stateHash: before.stateHash,
    expressId: expressIdOf(1),
  });
  expect(arch2.changeset).toMatchObject({ added: 0, removed: 0, modified: 0 });
  expect(h.store.changeset(arch.twinId, arch2.versionId).entries).toEqual([]);
}, 60_000);
