// What a rebase keeps of mine's commit besides element states, where theirs' head is a version of
// this store (as when a commit is rebased with the one it builds on): the file each model comes
// from when both sides imported one for the same model, and where each element is (its model and
// express id) when both sides placed it. The resolver on a real SQLite store, without a chain.
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { OutboxStore } from '../../src/main/store/outbox';
import { TwinStore } from '../../src/main/store/twin-store';
import { ConflictResolver } from '../../src/main/sync/conflicts';
import { PackageStore } from '../../src/main/sync/outbox-packages';
import { elementKeyOf } from '../../src/shared/fingerprint';
import {
  elementState,
  ensureModel,
  modelFiles,
  setModelFile,
  tempDir,
  writeVersion,
  type ElementSpec,
  type PlacedState,
} from './outbox-fixture';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const [W1, W2, W3] = ['wall000000000000000001', 'wall000000000000000002', 'wall000000000000000003'];

/** An element of a version: its spec (model included), express id and, optionally, its row's storey and meshes. */
type Element = [ElementSpec, number, Pick<PlacedState, 'storeyGlobalId' | 'meshes'>?];

/**
 * A twin whose base version holds W1 (as given) and W2 (architecture, file arch-1.ifc) and W3 (services,
 * mep-1.ifc); `version` writes another on the base, with the files it names.
 */
function twin(w1: Element = [{ globalId: W1 }, 1]) {
  const dir = tempDir('rebase-merge');
  const store = TwinStore.open(join(dir.dir, 'twins.sqlite'));
  cleanups.push(
    () => dir.remove(),
    () => store.close(),
  );
  const outbox = new OutboxStore(store.db);
  store.db.prepare('INSERT INTO twins (id, name, created_at) VALUES (?, ?, ?)').run('t', 't', Date.now());
  const resolver = new ConflictResolver(outbox, new PackageStore([join(dir.dir, 'packages')]));
  const write = (
    baseVersionId: number | null,
    status: 'confirmed' | 'local',
    elements: Element[],
    files: Record<string, string>,
  ) => {
    const id = writeVersion(
      outbox,
      't',
      baseVersionId,
      status,
      elements.map(([spec, expressId, row]) => ({
        state: elementState(spec),
        modelId: ensureModel(store.db, 't', spec.model ?? 'arch'),
        expressId,
        ...row,
      })),
    );
    for (const [model, file] of Object.entries(files)) setModelFile(store.db, id, 't', model, file);
    return id;
  };
  const base = write(null, 'confirmed', [w1, [{ globalId: W2 }, 2], [{ globalId: W3, model: 'mep' }, 3]], {
    arch: 'arch-1.ifc',
    mep: 'mep-1.ifc',
  });
  return {
    outbox,
    /** A version on the base: these elements (the base's where not given), these files. */
    version: (status: 'confirmed' | 'local', changed: Element[], files: Record<string, string> = {}) => {
      const elements = new Map<string, Element>([
        [W1, w1],
        [W2, [{ globalId: W2 }, 2]],
        [W3, [{ globalId: W3, model: 'mep' }, 3]],
      ]);
      for (const element of changed) elements.set(element[0].globalId, element);
      return write(base, status, [...elements.values()], files);
    },
    /** Mine's version rebased on theirs', a version of the store. */
    rebase: (mine: number, theirs: number, choices: [string, string, 'mine' | 'theirs'][] = []) => {
      const result = resolver.rebase(
        't',
        base,
        outbox.leaves(base),
        outbox.leaves(mine),
        {
          headVersion: 2,
          headRoot: outbox.version(theirs)!.merkleRoot,
          authors: [],
          leaves: outbox.leaves(theirs),
          unavailable: null,
          newModels: [],
        },
        new Map(choices.map(([globalId, path, take]) => [`${elementKeyOf(globalId)}/${path}`, take])),
        { id: mine, baseVersionId: base },
      );
      expect(result.theirsVersionId).toBe(theirs);
      return result.mergedVersionId;
    },
    files: (versionId: number) => modelFiles(store.db, versionId),
    warnings: (versionId: number, model: string) =>
      JSON.parse(
        outbox.modelRevisions(versionId).find((r) => r.modelId === `t-${model}`)!.warnings,
      ) as string[],
    placement: (versionId: number, globalId: string) => {
      const leaf = outbox.leaves(versionId).find((l) => l.elementKey === elementKeyOf(globalId))!;
      return { model: leaf.modelId.slice(2), expressId: leaf.expressId };
    },
  };
}

test("both imported a file of one model and both sides' changes to its elements are kept: mine's file, with a warning naming theirs'", () => {
  const t = twin();
  const theirs = t.version('confirmed', [[{ globalId: W1, name: 'Theirs' }, 1]], { arch: 'arch-3.ifc' });
  const mine = t.version('local', [[{ globalId: W2, name: 'Mine' }, 2]], { arch: 'arch-2.ifc' });
  const merged = t.rebase(mine, theirs);
  expect(t.files(merged)).toEqual({ arch: 'arch-2.ifc', mep: 'mep-1.ifc' });
  expect(t.warnings(merged, 'arch')).toEqual([
    'Rebased: elements of this model also hold the changes of "arch-3.ifc", another file of it, committed meanwhile.',
  ]);
  expect(t.warnings(merged, 'mep')).toEqual([]);
});

test.each([
  // Theirs' name: nothing of mine's file is left in the merged version.
  ['theirs', 'arch-3.ifc'],
  // Mine's name: theirs' change is gone.
  ['mine', 'arch-2.ifc'],
] as const)('both imported a file of one model, %s won the element both changed: its file', (take, file) => {
  const t = twin();
  const theirs = t.version('confirmed', [[{ globalId: W1, name: 'Theirs' }, 1]], { arch: 'arch-3.ifc' });
  const mine = t.version('local', [[{ globalId: W1, name: 'Mine' }, 1]], { arch: 'arch-2.ifc' });
  const merged = t.rebase(mine, theirs, [[W1, 'name', take]]);
  expect(t.files(merged)).toEqual({ arch: file, mep: 'mep-1.ifc' });
  expect(t.warnings(merged, 'arch')).toEqual([]);
});

test("an element's model and express id follow mine's side where only mine changed them, its state whichever side's", () => {
  const t = twin();
  // Theirs: W2 passed to a new model; W1 and W3 edited.
  const theirs = t.version('confirmed', [
    [{ globalId: W1, fireRating: 'EI90' }, 1],
    [{ globalId: W2, model: 'fire' }, 2],
    [{ globalId: W3, model: 'mep', acoustic: 'R55' }, 3],
  ]);
  // Mine: W2 and W3 passed to the architecture's file, at new express ids, and W1 read at another
  // express id; no state changed.
  const mine = t.version(
    'local',
    [
      [{ globalId: W1 }, 7],
      [{ globalId: W2, model: 'mep' }, 8],
      [{ globalId: W3 }, 9],
    ],
    { arch: 'arch-2.ifc' },
  );
  const merged = t.rebase(mine, theirs);
  expect(t.placement(merged, W1)).toEqual({ model: 'arch', expressId: 7 });
  expect(t.placement(merged, W2)).toEqual({ model: 'fire', expressId: 2 });
  expect(t.placement(merged, W3)).toEqual({ model: 'arch', expressId: 9 });
  // Theirs' states, and the root of theirs' leaves: where an element is is no part of its leaf.
  expect(t.outbox.leaves(merged).map((l) => l.stateHash)).toEqual(
    t.outbox.leaves(theirs).map((l) => l.stateHash),
  );
  expect(t.outbox.version(merged)!.merkleRoot).toBe(t.outbox.version(theirs)!.merkleRoot);
});

test("mine's move to another model survives theirs' reading the element at another express id", () => {
  const t = twin();
  // Theirs: the architecture file read again, W1 unchanged at another express id (as packages
  // rebuilt from another store carry that store's express ids), W2 renamed.
  const theirs = t.version(
    'confirmed',
    [
      [{ globalId: W1 }, 120],
      [{ globalId: W2, name: 'Theirs' }, 2],
    ],
    { arch: 'arch-3.ifc' },
  );
  // Mine: W1 passed to the services model (its file holds it), its state unchanged.
  const mine = t.version('local', [[{ globalId: W1, model: 'mep' }, 55]], { mep: 'mep-2.ifc' });
  const merged = t.rebase(mine, theirs);
  expect(t.placement(merged, W1)).toEqual({ model: 'mep', expressId: 55 });
  expect(t.files(merged)).toEqual({ arch: 'arch-3.ifc', mep: 'mep-2.ifc' });
});

test("mine imported a file of a model whose elements theirs edited meanwhile: mine's file, with a warning", () => {
  const t = twin();
  // Theirs: an edit (its head names the base's files, as one rebuilt from packages does).
  const theirs = t.version('confirmed', [[{ globalId: W2, name: 'Theirs' }, 2]]);
  expect(t.files(theirs)).toEqual({ arch: 'arch-1.ifc', mep: 'mep-1.ifc' });
  const mine = t.version('local', [[{ globalId: W1, name: 'Mine' }, 1]], { arch: 'arch-2.ifc' });
  const merged = t.rebase(mine, theirs);
  expect(t.files(merged)).toEqual({ arch: 'arch-2.ifc', mep: 'mep-1.ifc' });
  expect(t.warnings(merged, 'arch')).toEqual([
    'Rebased: elements of this model also hold edits committed meanwhile, which this file does not have.',
  ]);
  expect(t.warnings(merged, 'mep')).toEqual([]);
});

test("an element moved on one side and re-shaped on the other: mine's meshes moved with theirs' placement, the storey with the container", () => {
  // IFC axes (Z up) to the viewer's (Y up), column-major.
  const yUp = [1, 0, 0, 0, 0, 0, -1, 0, 0, 1, 0, 0, 0, 0, 0, 1];
  const translation = (x: number, y: number, z: number) => [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, x, y, z, 1];
  const times = (a: number[], b: number[]) =>
    Array.from({ length: 16 }, (_, i) => {
      const [col, row] = [Math.floor(i / 4), i % 4];
      return [0, 1, 2, 3].reduce((sum, k) => sum + a[k * 4 + row]! * b[col * 4 + k]!, 0);
    });
  const at = translation(10, 20, 3);
  // Moved 5 m along IFC x and 5 m along IFC y (the viewer's -z: the axes' turn is checked too).
  const moved = translation(15, 25, 3);
  // Mine's body: turned a quarter about Z and raised 1 m in its placement.
  const body = [0, 1, 0, 0, -1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1];
  const [oldShape, newShape] = [`0x${'a'.repeat(64)}`, `0x${'b'.repeat(64)}`];
  const wall = (placement: number[], geometry: string, container: string): ElementSpec => ({
    globalId: W1,
    placement,
    geometry,
    container,
  });
  const t = twin([
    wall(at, oldShape, 'storeyA'),
    1,
    { storeyGlobalId: 'storeyA', meshes: [{ geometryHash: 'shape-a', matrix: times(yUp, at) }] },
  ]);
  const theirs = t.version('confirmed', [
    [
      wall(moved, oldShape, 'storeyB'),
      1,
      { storeyGlobalId: 'storeyB', meshes: [{ geometryHash: 'shape-a', matrix: times(yUp, moved) }] },
    ],
  ]);
  const mineMatrix = times(times(yUp, at), body);
  const mine = t.version('local', [
    [
      wall(at, newShape, 'storeyA'),
      1,
      { storeyGlobalId: 'storeyA', meshes: [{ geometryHash: 'shape-b', matrix: mineMatrix }] },
    ],
  ]);
  const merged = t.rebase(mine, theirs);
  const leaf = t.outbox.leaves(merged).find((l) => l.elementKey === elementKeyOf(W1))!;
  const [row] = t.outbox.exportStates([leaf.stateHash]).states;
  const state = JSON.parse(row!.canonical) as { placement: number[]; geometry: string; container: string };
  expect(state).toMatchObject({ placement: moved, geometry: newShape, container: 'storeyB' });
  expect(row!.storeyGlobalId).toBe('storeyB');
  expect(row!.meshes).toHaveLength(1);
  expect(row!.meshes[0]!.geometryHash).toBe('shape-b');
  const matrix = Array.from(new Float64Array(row!.meshes[0]!.matrix.slice().buffer));
  // Mine's mesh, 5 m further along the viewer's x (IFC x) and 5 m along its -z (IFC y).
  const expected = mineMatrix.map((v, i) => (i === 12 ? v + 5 : i === 14 ? v - 5 : v));
  matrix.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 9));
});

test("mine's commit holding what theirs' head holds (the same root) is not taken for theirs' version", () => {
  const t = twin();
  const theirs = t.version('confirmed', [[{ globalId: W1, name: 'Same' }, 1]]);
  const mine = t.version('local', [[{ globalId: W1, name: 'Same' }, 1]]);
  expect(t.outbox.version(mine)!.merkleRoot).toBe(t.outbox.version(theirs)!.merkleRoot);
  // (t.rebase checks the version that stands for theirs' head is theirs, not mine, the newer.)
  const merged = t.rebase(mine, theirs);
  expect(t.outbox.version(merged)!.baseVersionId).toBe(theirs);
});
