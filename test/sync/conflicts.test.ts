// Two engineers edit the same twin offline and reconnect, in either order. Edits on different
// elements: the second commit is rebased on the first (new Merkle root over both) and signed again
// automatically. Edits on the same element: the second becomes a conflict with both sides field by
// field; resolving takes mine or theirs per field and the result reaches the chain.
import { afterEach, describe, expect, test } from 'vitest';
import { diffStates } from '../../src/main/ifc/changeset';
import { elementKeyOf, type PropertySetState } from '../../src/shared/fingerprint';
import { prop as property, pset, qto } from '../support/states';
import { Lab, Laptop, tempDir, type ElementSpec } from './outbox-fixture';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const WALLS = ['wall000000000000000001', 'wall000000000000000002', 'wall000000000000000003'] as const;
const [W1, W2, W3] = WALLS;

async function twoEngineers(
  specs: ElementSpec[] = WALLS.map((globalId) => ({ globalId })),
  files: Record<string, string> = {},
) {
  const lab = await Lab.start();
  const shared = tempDir('team-drive');
  cleanups.push(
    () => lab.close(),
    () => shared.remove(),
  );
  const chainTwinId = await lab.registerTwin('shared', ['engineer', 'planner']);
  const open = async (identity: 'engineer' | 'planner', storeTwinId: string) => {
    const dir = tempDir(identity);
    const laptop = await Laptop.open({
      lab,
      dir: dir.dir,
      sharedPackages: shared.dir,
      identity,
      start: false,
    });
    cleanups.push(
      () => dir.remove(),
      () => laptop.close(),
    );
    const v1 = laptop.createTwin(storeTwinId, 'shared', chainTwinId, specs, files);
    laptop.db.learnChainVersion(chainTwinId, 1, laptop.db.version(v1)!.merkleRoot);
    return laptop;
  };
  const alice = await open('engineer', 'twin-a');
  const bob = await open('planner', 'twin-b');
  await lab.commitDirect(
    'engineer',
    chainTwinId,
    0,
    alice.db.version(alice.db.twinHead('twin-a')!)!.merkleRoot,
  );
  return { lab, chainTwinId, alice, bob };
}

async function reconnect(laptop: Laptop): Promise<void> {
  laptop.online = true;
  laptop.outbox.start();
  await laptop.outbox.drained(20_000);
}

const name = (laptop: Laptop, twin: string, globalId: string) => laptop.element(twin, globalId)?.name;
const prop = (laptop: Laptop, twin: string, globalId: string, property: string) =>
  laptop.element(twin, globalId)?.propertySets[0]!.properties.find((p) => p.name === property)?.value;

describe.each([
  ['Alice reconnects first', true],
  ['Bob reconnects first', false],
])('%s', (_label, aliceFirst) => {
  test('edits on different elements: the later commit is rebased and signed again automatically', async () => {
    const { lab, chainTwinId, alice, bob } = await twoEngineers();
    alice.online = false;
    bob.online = false;
    alice.editDraft('twin-a', [{ globalId: W1, name: 'Alice north wall' }]);
    bob.editDraft('twin-b', [{ globalId: W2, fireRating: 'EI120' }], [W3]);
    const a = await alice.outbox.commitVersion({ twinId: 'twin-a' });
    const b = await bob.outbox.commitVersion({ twinId: 'twin-b' });
    const [first, second, secondTwin, secondItem] = aliceFirst
      ? [alice, bob, 'twin-b', b]
      : [bob, alice, 'twin-a', a];
    await reconnect(first);
    await reconnect(second);
    const rebased = second.outbox.get(secondItem.id);
    expect(rebased).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    expect(rebased.summary).toMatch(/rebased on version 2/);
    expect(await lab.view<bigint>('headVersion', [chainTwinId])).toBe(3n);
    // The second laptop's head holds both edits, and its root is the chain's version 3.
    expect(name(second, secondTwin, W1)).toBe('Alice north wall');
    expect(prop(second, secondTwin, W2, 'FireRating')).toBe('EI120');
    expect(second.element(secondTwin, W3)).toBeNull();
    const head = second.db.version(second.db.twinHead(secondTwin)!)!;
    expect(head.status).toBe('confirmed');
    expect(head.merkleRoot).toBe(await lab.view<string>('versionRoot', [chainTwinId, 3]));
    // The other side's version is in the store too, confirmed, as the base of the rebased one.
    expect(second.db.version(head.baseVersionId!)!.merkleRoot).toBe(
      await lab.view<string>('versionRoot', [chainTwinId, 2]),
    );
    const executions = await lab.executions();
    expect([...executions.values()]).toEqual([1, 1]);
  });

  test('edits on the same element: a conflict with both sides field by field, resolved per field', async () => {
    const { lab, chainTwinId, alice, bob } = await twoEngineers();
    alice.online = false;
    bob.online = false;
    alice.editDraft('twin-a', [{ globalId: W1, name: 'Alice north wall', acoustic: 'R45' }]);
    bob.editDraft('twin-b', [
      { globalId: W1, name: 'Bob north wall', fireRating: 'EI90', acoustic: 'R45' },
      { globalId: W3, acoustic: 'R55' },
    ]);
    const a = await alice.outbox.commitVersion({ twinId: 'twin-a' });
    const b = await bob.outbox.commitVersion({ twinId: 'twin-b' });
    const [first, second, secondTwin, secondItem, mineName, theirsName] = aliceFirst
      ? [alice, bob, 'twin-b', b, 'Bob north wall', 'Alice north wall']
      : [bob, alice, 'twin-a', a, 'Alice north wall', 'Bob north wall'];
    await reconnect(first);
    await reconnect(second);
    const conflict = second.outbox.get(secondItem.id);
    expect(conflict.status).toBe('conflict');
    expect(conflict.reason).toMatch(/version 2 was committed first and changed the same element/);
    const view = conflict.conflict!;
    expect(view.theirsVersion).toBe(2);
    expect(view.elements.map((e) => e.globalId)).toEqual([W1]);
    const fields = Object.fromEntries(view.elements[0]!.fields.map((f) => [f.path, f]));
    expect(fields.name).toMatchObject({
      conflicting: true,
      base: JSON.stringify(`Wall ${W1}`),
      mine: JSON.stringify(mineName),
      theirs: JSON.stringify(theirsName),
    });
    // Both set the same acoustic rating: listed, nothing to decide.
    expect(fields['propertySets.Pset_WallCommon.AcousticRating']).toMatchObject({ conflicting: false });
    expect(Object.values(fields).filter((f) => f.conflicting)).toHaveLength(1);
    expect(view.untouchedEdits).toBe(aliceFirst ? 1 : 0);
    // Nothing reached the chain from the second laptop, and its edit is still there.
    expect(await lab.view<bigint>('headVersion', [chainTwinId])).toBe(2n);
    expect(name(second, secondTwin, W1)).toBe(mineName);
    // Resolving without choosing the conflicting field is refused.
    await expect(second.outbox.resolveConflict(secondItem.id, [])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(second.outbox.get(secondItem.id).status).toBe('conflict');
    // Theirs for the name; every other change keeps the side that made it.
    const resolved = await second.outbox.resolveConflict(secondItem.id, [
      { elementKey: view.elements[0]!.elementKey, path: 'name', take: 'theirs' },
    ]);
    expect(resolved.status).toBe('queued');
    await second.outbox.drained(20_000);
    expect(second.outbox.get(secondItem.id)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    expect(name(second, secondTwin, W1)).toBe(theirsName);
    expect(prop(second, secondTwin, W1, 'AcousticRating')).toBe('R45');
    if (aliceFirst) {
      expect(prop(second, secondTwin, W1, 'FireRating')).toBe('EI90');
      expect(prop(second, secondTwin, W3, 'AcousticRating')).toBe('R55');
    } else {
      expect(prop(second, secondTwin, W1, 'FireRating')).toBe('EI90');
    }
    expect(second.db.version(second.db.twinHead(secondTwin)!)!.merkleRoot).toBe(
      await lab.view<string>('versionRoot', [chainTwinId, 3]),
    );
  });
});

test("a conflict whose other side's package is not available says so and keeps the edit", async () => {
  const { lab, chainTwinId, alice, bob } = await twoEngineers();
  bob.online = false;
  bob.editDraft('twin-b', [{ globalId: W2, name: 'Bob' }]);
  const b = await bob.outbox.commitVersion({ twinId: 'twin-b' });
  // Someone else commits version 2 with contents nobody published.
  await lab.commitDirect('engineer', chainTwinId, 1, `0x${'ab'.repeat(32)}`);
  await reconnect(bob);
  const item = bob.outbox.get(b.id);
  expect(item.status).toBe('conflict');
  expect(item.conflict?.unavailable).toMatch(/not available on this machine/);
  expect(name(bob, 'twin-b', W2)).toBe('Bob');
  // Discarding keeps the edit as a draft the user can rework.
  const discarded = await bob.outbox.discard(b.id);
  expect(discarded).toEqual({ discarded: true, draftVersionId: b.versionId });
  expect(bob.store.getTwin('twin-b').draft?.id).toBe(b.versionId);
  expect(bob.element('twin-b', W2, b.versionId!)?.name).toBe('Bob');
  void alice;
});

test('two commits chained offline are rebased together onto the version committed meanwhile', async () => {
  const { lab, chainTwinId, alice, bob } = await twoEngineers();
  alice.online = false;
  alice.editDraft('twin-a', [{ globalId: W1, name: 'Alice first' }]);
  const first = await alice.outbox.commitVersion({ twinId: 'twin-a' });
  alice.editDraft('twin-a', [{ globalId: W2, fireRating: 'EI30' }]);
  const second = await alice.outbox.commitVersion({ twinId: 'twin-a' });
  expect(second).toMatchObject({ baseVersion: 2, nonce: 1 });
  bob.editDraft('twin-b', [{ globalId: W3, acoustic: 'R60' }]);
  await bob.outbox.commitVersion({ twinId: 'twin-b' });
  await reconnect(bob);
  await reconnect(alice);
  expect(alice.outbox.get(first.id)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
  expect(alice.outbox.get(second.id)).toMatchObject({ status: 'confirmed', baseVersion: 3 });
  expect(await lab.view<bigint>('headVersion', [chainTwinId])).toBe(4n);
  expect(name(alice, 'twin-a', W1)).toBe('Alice first');
  expect(prop(alice, 'twin-a', W2, 'FireRating')).toBe('EI30');
  expect(prop(alice, 'twin-a', W3, 'AcousticRating')).toBe('R60');
  expect(alice.db.version(alice.db.twinHead('twin-a')!)!.merkleRoot).toBe(
    await lab.view<string>('versionRoot', [chainTwinId, 4]),
  );
  // The line in the store: 1 <- Bob's 2 <- Alice's 3 <- Alice's 4, all confirmed.
  const line = alice.store.listVersions('twin-a').filter((v) => v.status !== 'draft');
  expect(line.map((v) => v.status)).toEqual(['confirmed', 'confirmed', 'confirmed', 'confirmed']);
});

describe('property sets and quantity sets of one name, and repeated names', () => {
  /**
   * Alice and Bob each edit W1 (whose property sets start as `base`) offline; Alice's commit reaches
   * the chain first, so Bob's is rebased on it or becomes a conflict.
   */
  async function bothEdit(
    base: PropertySetState[],
    aliceEdit: Omit<ElementSpec, 'globalId'>,
    bobEdit: Omit<ElementSpec, 'globalId'>,
  ) {
    const engineers = await twoEngineers([{ globalId: W1, propertySets: base }, { globalId: W2 }]);
    const { alice, bob } = engineers;
    alice.online = false;
    bob.online = false;
    alice.editDraft('twin-a', [{ globalId: W1, ...aliceEdit }]);
    bob.editDraft('twin-b', [{ globalId: W1, ...bobEdit }]);
    await alice.outbox.commitVersion({ twinId: 'twin-a' });
    const item = await bob.outbox.commitVersion({ twinId: 'twin-b' });
    await reconnect(alice);
    await reconnect(bob);
    return { ...engineers, itemId: item.id };
  }

  /**
   * W1's entry in the changeset of Bob's head (the rebased version, on Alice's): its details, and
   * the details the importer's changeset gives for the same two states.
   */
  function headDetails(bob: Laptop) {
    const head = bob.db.twinHead('twin-b')!;
    const entry = bob.store.changeset('twin-b', head).entries.find((e) => e.globalId === W1)!;
    const states = bob.db.states([entry.oldStateHash!, entry.newStateHash!]);
    const canonical = (hash: string | null) => states.get(hash!)!.canonical;
    return {
      details: entry.details,
      imported: diffStates(canonical(entry.oldStateHash), canonical(entry.newStateHash)).details,
    };
  }

  const sets = (laptop: Laptop) => laptop.element('twin-b', W1)!.propertySets;
  const value = (text: string | null) => (JSON.parse(text!) as { value: unknown }).value;
  const dimensions = (width: number) => pset('Dimensions', [property('Width', width)]);
  const quantities = (width: number) => qto('Dimensions', [property('Width', width)]);

  test('edits of a quantity set and of the property set of its name are told apart and both kept', async () => {
    const { bob, itemId } = await bothEdit(
      [dimensions(200), quantities(0.2)],
      { name: 'Alice', propertySets: [dimensions(250), quantities(0.2)] },
      { name: 'Bob', propertySets: [dimensions(200), quantities(0.25)] },
    );
    const conflict = bob.outbox.get(itemId).conflict!;
    const element = conflict.elements[0]!;
    // Only the names clash; each set's Width has its own path, changed by one side.
    expect(element.fields.map((f) => [f.path, f.conflicting])).toEqual([
      ['name', true],
      ['propertySets.Dimensions [Qto].Width', false],
      ['propertySets.Dimensions.Width', false],
    ]);
    expect(element.fields.slice(1).map((f) => [f.base, f.mine, f.theirs].map(value))).toEqual([
      [0.2, 0.25, 0.2],
      [200, 200, 250],
    ]);
    await bob.outbox.resolveConflict(itemId, [
      { elementKey: element.elementKey, path: 'name', take: 'mine' },
    ]);
    await bob.outbox.drained(20_000);
    expect(bob.outbox.get(itemId)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    expect(sets(bob)).toEqual([dimensions(250), quantities(0.25)]);
    // The rebased version names what it changed on Alice's as an imported version would.
    expect(headDetails(bob)).toEqual({
      details: ['name', 'propertySets.Dimensions [Qto].Width'],
      imported: ['name', 'propertySets.Dimensions [Qto].Width'],
    });
  });

  test('a quantity set one side adds beside a property set of its name is added as a quantity set', async () => {
    const { bob, itemId } = await bothEdit(
      [dimensions(200)],
      { propertySets: [dimensions(250)] },
      { propertySets: [dimensions(200), quantities(0.2)] },
    );
    expect(bob.outbox.get(itemId)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    expect(sets(bob)).toEqual([dimensions(250), quantities(0.2)]);
    expect(headDetails(bob)).toEqual({
      details: ['propertySets.Dimensions [Qto].Width'],
      imported: ['propertySets.Dimensions [Qto].Width'],
    });
  });

  const door = (rating: string) => pset('Pset_Door', [property('Rating', rating)]);
  test.each([
    // Bob's edit sorts the set he changed after the other one; by rank alone both his sets would
    // read as changed, and his edit would clash with Alice's edit of the other set.
    [
      'an edit moves a set past another',
      [door('A'), door('D')],
      [door('C'), door('E')],
      [door('D'), door('E')],
    ],
    // Alice's removal of the first set shifts the second to its rank.
    ['a removal shifts a set', [door('C')], [door('A'), door('D')], [door('D')]],
  ])(
    "repeated sets of one name, where %s: each side's change reaches the set it was made to, no conflict",
    async (_, alice, bob, merged) => {
      const engineers = await bothEdit(
        [door('A'), door('C')],
        { propertySets: alice },
        { propertySets: bob },
      );
      expect(engineers.bob.outbox.get(engineers.itemId)).toMatchObject({
        status: 'confirmed',
        baseVersion: 2,
      });
      expect(sets(engineers.bob)).toEqual(merged);
    },
  );

  test('a set of a repeated name that shares nothing with the base set of its rank is a set of its own', async () => {
    // Bob replaces the second door set with one of other properties; Alice edits that second set.
    const width = pset('Pset_Door', [property('Width', 5)]);
    const { bob, itemId } = await bothEdit(
      [door('A'), door('C')],
      { propertySets: [door('A'), door('D')] },
      { propertySets: [door('A'), width] },
    );
    const element = bob.outbox.get(itemId).conflict!.elements[0]!;
    // Bob removed the set Alice edited (a real conflict), and added one: not one set changed.
    expect(element.fields.map((f) => [f.path, f.conflicting])).toEqual([
      ['propertySets.Pset_Door#2.Rating', true],
      ['propertySets.Pset_Door#3.Width', false],
    ]);
    await bob.outbox.resolveConflict(itemId, [
      { elementKey: element.elementKey, path: 'propertySets.Pset_Door#2.Rating', take: 'theirs' },
    ]);
    await bob.outbox.drained(20_000);
    expect(bob.outbox.get(itemId)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    expect(sets(bob)).toEqual([door('A'), door('D'), width]);
  });

  test('a property named twice: one side removes the first, the other edits the second; both land', async () => {
    const props = (...values: string[]) =>
      pset(
        'Pset_Common',
        values.map((v) => property('Prop', v)),
      );
    const { bob, itemId } = await bothEdit(
      [props('a', 'b')],
      { propertySets: [props('b')] },
      { propertySets: [props('a', 'c')] },
    );
    expect(bob.outbox.get(itemId)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    expect(sets(bob)).toEqual([props('c')]);
  });

  test('a property named twice in one set: an edit of the second keeps the first', async () => {
    const common = (other: string, second: string) =>
      pset('Pset_Common', [property('Other', other), property('Prop', 'a'), property('Prop', second)]);
    const { bob, itemId } = await bothEdit(
      [common('x', 'b')],
      { propertySets: [common('y', 'b')] },
      { propertySets: [common('x', 'c')] },
    );
    expect(bob.outbox.get(itemId)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    expect(sets(bob)).toEqual([common('y', 'c')]);
    expect(headDetails(bob)).toEqual({
      details: ['propertySets.Pset_Common.Prop#2'],
      imported: ['propertySets.Pset_Common.Prop#2'],
    });
  });

  test('a choice for the quantity set of a name applies to that set only', async () => {
    const { bob, itemId } = await bothEdit(
      [dimensions(200), quantities(0.2)],
      { propertySets: [dimensions(210), quantities(0.21)] },
      { propertySets: [dimensions(220), quantities(0.22)] },
    );
    const element = bob.outbox.get(itemId).conflict!.elements[0]!;
    expect(element.fields.map((f) => [f.path, f.conflicting])).toEqual([
      ['propertySets.Dimensions [Qto].Width', true],
      ['propertySets.Dimensions.Width', true],
    ]);
    await bob.outbox.resolveConflict(itemId, [
      { elementKey: element.elementKey, path: 'propertySets.Dimensions.Width', take: 'mine' },
      { elementKey: element.elementKey, path: 'propertySets.Dimensions [Qto].Width', take: 'theirs' },
    ]);
    await bob.outbox.drained(20_000);
    expect(bob.outbox.get(itemId)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    expect(sets(bob)).toEqual([dimensions(220), quantities(0.21)]);
    expect(headDetails(bob)).toEqual({
      details: ['propertySets.Dimensions.Width'],
      imported: ['propertySets.Dimensions.Width'],
    });
  });

  test('a set without properties that one side adds is kept, named by its set path', async () => {
    const { bob, itemId } = await bothEdit(
      [dimensions(200)],
      { propertySets: [dimensions(250)] },
      { propertySets: [dimensions(200), pset('Pset_Empty', [])] },
    );
    expect(bob.outbox.get(itemId)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    expect(sets(bob)).toEqual([dimensions(250), pset('Pset_Empty', [])]);
    expect(headDetails(bob)).toEqual({
      details: ['propertySets.Pset_Empty'],
      imported: ['propertySets.Pset_Empty'],
    });
  });
});

describe('a rebased import', () => {
  const W4 = 'wall000000000000000004';
  /** The architecture model holds W1 and W2, the services model W3; each names its first file. */
  const federated = () =>
    twoEngineers([{ globalId: W1 }, { globalId: W2 }, { globalId: W3, model: 'mep' }], {
      arch: 'arch-1.ifc',
      mep: 'mep-1.ifc',
    });
  const sourceFiles = (laptop: Laptop) =>
    laptop.store.db.prepare('SELECT file_name FROM source_files ORDER BY file_name').pluck().all();

  test("names mine's file for the model it imported and theirs' for the others; an element its file passed to another model stays there", async () => {
    const { alice, bob } = await federated();
    alice.online = false;
    bob.online = false;
    alice.editDraft('twin-a', [{ globalId: W3, fireRating: 'EI90' }]);
    // Bob imports the architecture's next file: W1 renamed; W2 no longer in it, so it passed to the
    // services model (whose file holds it) with its state unchanged; W3, the services model's, is
    // in it too: skipped, and claimed by the file.
    const draft = bob.importDraft('twin-b', 'arch', 'arch-2.ifc', [
      { globalId: W1, name: 'Bob north wall' },
      { globalId: W2, model: 'mep' },
    ]);
    bob.claim('twin-b', draft, 'arch', 'arch-2.ifc', W3);
    await alice.outbox.commitVersion({ twinId: 'twin-a' });
    const item = await bob.outbox.commitVersion({ twinId: 'twin-b' });
    await reconnect(alice);
    await reconnect(bob);
    expect(bob.outbox.get(item.id)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    const head = bob.db.twinHead('twin-b')!;
    expect(head).not.toBe(draft);
    expect(name(bob, 'twin-b', W1)).toBe('Bob north wall');
    expect(prop(bob, 'twin-b', W3, 'FireRating')).toBe('EI90');
    expect(bob.modelFiles(head)).toEqual({ arch: 'arch-2.ifc', mep: 'mep-1.ifc' });
    expect(bob.placement('twin-b', W2)).toEqual({ model: 'mep', expressId: 2 });
    // Garbage collection keeps what a version names: the file Bob imported, and its claim.
    bob.store.collectGarbage();
    expect(bob.claims('twin-b', 'arch', 'arch-2.ifc')).toEqual([elementKeyOf(W3)]);
    expect(sourceFiles(bob)).toEqual(['arch-1.ifc', 'arch-2.ifc', 'mep-1.ifc']);
  });

  /** The name of the model holding the element in the twin's head. */
  const modelName = (laptop: Laptop, storeTwinId: string, globalId: string) =>
    laptop.store.db
      .prepare(
        `SELECT m.name FROM version_elements v JOIN models m ON m.id = v.model_id
         WHERE v.version_id = ? AND v.element_key = ?`,
      )
      .pluck()
      .get(laptop.db.twinHead(storeTwinId), elementKeyOf(globalId));

  test("a model theirs' commit added comes with its elements, and one they moved an element to takes it here too", async () => {
    const { lab, chainTwinId, alice, bob } = await federated();
    alice.online = false;
    bob.online = false;
    // Alice's store and Bob's name their models alike but by ids of their own (twin-a-arch,
    // twin-b-arch...): Alice adds a fire model whose file holds W4, and her next architecture file no
    // longer holds W2, which passes to the services model.
    alice.importDraft('twin-a', 'fire', 'fire-1.ifc', [{ globalId: W4, model: 'fire' }]);
    await alice.outbox.commitVersion({ twinId: 'twin-a' });
    alice.importDraft('twin-a', 'arch', 'arch-2.ifc', [{ globalId: W2, model: 'mep' }]);
    await alice.outbox.commitVersion({ twinId: 'twin-a' });
    bob.editDraft('twin-b', [{ globalId: W1, name: 'Bob north wall' }]);
    const item = await bob.outbox.commitVersion({ twinId: 'twin-b' });
    await reconnect(alice);
    await reconnect(bob);
    expect(bob.outbox.get(item.id)).toMatchObject({ status: 'confirmed', baseVersion: 3 });
    const head = bob.db.twinHead('twin-b')!;
    expect(bob.db.version(head)!.merkleRoot).toBe(await lab.view<string>('versionRoot', [chainTwinId, 4]));
    expect(name(bob, 'twin-b', W1)).toBe('Bob north wall');
    // Not the twin's first model (architecture), where a package that names no models puts it.
    expect(modelName(bob, 'twin-b', W4)).toBe('FIRE');
    expect(
      bob.store.db
        .prepare('SELECT name, discipline FROM models WHERE twin_id = ? ORDER BY name')
        .all('twin-b'),
    ).toEqual([
      { name: 'ARCH', discipline: 'ARCH' },
      { name: 'FIRE', discipline: 'FIRE' },
      { name: 'MEP', discipline: 'MEP' },
    ]);
    expect(modelName(bob, 'twin-b', W2)).toBe('MEP');
    expect(modelName(bob, 'twin-b', W3)).toBe('MEP');
    // The model added here has an id of Bob's store's own, and no file here: a draft discarded
    // later keeps it (a version holds its element), and so the head's elements.
    const fire = bob.store.db
      .prepare("SELECT id FROM models WHERE twin_id = 'twin-b' AND name = 'FIRE'")
      .pluck()
      .get();
    expect(fire).not.toBe('twin-a-fire');
    const draft = bob.editDraft('twin-b', [{ globalId: W1, name: 'Scratch' }]);
    expect(bob.store.discardDraft('twin-b', draft)).toBe(true);
    expect(modelName(bob, 'twin-b', W4)).toBe('FIRE');
    expect(bob.db.leaves(head)).toHaveLength(4);
  });

  test("a version that only moved an element to another model (its base's root) moves it here too", async () => {
    const { alice, bob } = await federated();
    alice.online = false;
    bob.online = false;
    // Alice's next architecture file no longer holds W2, which passes to the services model with its
    // state unchanged: her version's root is the base's, which Bob's store has.
    alice.importDraft('twin-a', 'arch', 'arch-2.ifc', [{ globalId: W2, model: 'mep' }]);
    await alice.outbox.commitVersion({ twinId: 'twin-a' });
    bob.editDraft('twin-b', [{ globalId: W1, name: 'Bob north wall' }]);
    const item = await bob.outbox.commitVersion({ twinId: 'twin-b' });
    await reconnect(alice);
    await reconnect(bob);
    expect(bob.outbox.get(item.id)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    expect(modelName(bob, 'twin-b', W2)).toBe('MEP');
    expect(name(bob, 'twin-b', W1)).toBe('Bob north wall');
  });

  test('an element theirs removed and then added back in another model comes back in that model', async () => {
    const { alice, bob } = await federated();
    alice.online = false;
    bob.online = false;
    alice.editDraft('twin-a', [], [W2]);
    await alice.outbox.commitVersion({ twinId: 'twin-a' });
    alice.importDraft('twin-a', 'mep', 'mep-2.ifc', [{ globalId: W2, model: 'mep' }]);
    await alice.outbox.commitVersion({ twinId: 'twin-a' });
    bob.editDraft('twin-b', [{ globalId: W1, name: 'Bob north wall' }]);
    const item = await bob.outbox.commitVersion({ twinId: 'twin-b' });
    await reconnect(alice);
    await reconnect(bob);
    expect(bob.outbox.get(item.id)).toMatchObject({ status: 'confirmed', baseVersion: 3 });
    expect(modelName(bob, 'twin-b', W2)).toBe('MEP');
  });

  test("a model named otherwise in theirs' store keeps its elements here: an edit does not move them", async () => {
    const { alice, bob } = await federated();
    alice.online = false;
    bob.online = false;
    bob.store.db.prepare("UPDATE models SET name = 'Architecture' WHERE id = 'twin-b-arch'").run();
    alice.editDraft('twin-a', [{ globalId: W1, name: 'Alice north wall' }]);
    await alice.outbox.commitVersion({ twinId: 'twin-a' });
    bob.editDraft('twin-b', [{ globalId: W2, acoustic: 'R50' }]);
    const item = await bob.outbox.commitVersion({ twinId: 'twin-b' });
    await reconnect(alice);
    await reconnect(bob);
    expect(bob.outbox.get(item.id)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    expect(name(bob, 'twin-b', W1)).toBe('Alice north wall');
    expect(modelName(bob, 'twin-b', W1)).toBe('Architecture');
    expect(
      bob.store.db.prepare("SELECT name FROM models WHERE twin_id = 'twin-b' ORDER BY name").pluck().all(),
    ).toEqual(['Architecture', 'MEP']);
  });

  test('chained imports rebased together keep their files, and the model the second added outlives a discarded draft', async () => {
    const { lab, chainTwinId, alice, bob } = await federated();
    alice.online = false;
    bob.online = false;
    alice.editDraft('twin-a', [{ globalId: W2, acoustic: 'R50' }]);
    await alice.outbox.commitVersion({ twinId: 'twin-a' });
    bob.importDraft('twin-b', 'arch', 'arch-2.ifc', [{ globalId: W1, name: 'Bob north wall' }]);
    const first = await bob.outbox.commitVersion({ twinId: 'twin-b' });
    // A new model, whose file holds W4.
    bob.importDraft('twin-b', 'fire', 'fire-1.ifc', [{ globalId: W4, model: 'fire' }]);
    const second = await bob.outbox.commitVersion({ twinId: 'twin-b' });
    await reconnect(alice);
    await reconnect(bob);
    expect(bob.outbox.get(first.id)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    expect(bob.outbox.get(second.id)).toMatchObject({ status: 'confirmed', baseVersion: 3 });
    expect(bob.modelFiles(bob.outbox.get(first.id).versionId!)).toEqual({
      arch: 'arch-2.ifc',
      mep: 'mep-1.ifc',
    });
    const head = bob.db.twinHead('twin-b')!;
    expect(bob.modelFiles(head)).toEqual({ arch: 'arch-2.ifc', fire: 'fire-1.ifc', mep: 'mep-1.ifc' });
    // Discarding a draft drops the models no version names, and what only they held.
    const draft = bob.editDraft('twin-b', [{ globalId: W1, name: 'Scratch' }]);
    expect(bob.store.discardDraft('twin-b', draft)).toBe(true);
    expect(bob.placement('twin-b', W4)).toEqual({ model: 'fire', expressId: 4 });
    expect(bob.db.leaves(head)).toHaveLength(4);
    expect(bob.db.version(head)!.merkleRoot).toBe(await lab.view<string>('versionRoot', [chainTwinId, 4]));
    expect(sourceFiles(bob)).toEqual(['arch-1.ifc', 'arch-2.ifc', 'fire-1.ifc', 'mep-1.ifc']);
  });

  test("format goes with the geometry, and the changeset reads like an import's", async () => {
    const G1 = `0x${'11'.repeat(32)}`;
    const G2 = `0x${'22'.repeat(32)}`;
    const wallType = (thickness: number): ElementSpec['type'] => ({
      globalId: '3cUkl32yn9qRSPvBJVyWYp',
      ifcClass: 'IfcWallType',
      name: 'Generic 200',
      predefinedType: null,
      propertySets: [pset('Pset_WallType', [property('Thickness', thickness)])],
      classifications: [],
    });
    // Imported at state format 1.
    const { alice, bob } = await twoEngineers(
      [
        { globalId: W1, format: 1, geometry: G1 },
        { globalId: W2, format: 1 },
        { globalId: W3, format: 1, type: wallType(200) },
      ],
      { arch: 'arch-1.ifc' },
    );
    alice.online = false;
    bob.online = false;
    alice.editDraft('twin-a', [
      { globalId: W1, fireRating: 'EI120' },
      { globalId: W2, name: 'Alice west wall' },
    ]);
    // Bob re-imports the file at format 2: W1's geometry hashed the format-2 way (the same shape),
    // W2 has none (it reads alike in both formats); W3's type changed a property.
    bob.importDraft('twin-b', 'arch', 'arch-2.ifc', [
      { globalId: W1, format: 2, geometry: G2 },
      { globalId: W2, format: 2 },
      { globalId: W3, type: wallType(250) },
    ]);
    await alice.outbox.commitVersion({ twinId: 'twin-a' });
    const item = await bob.outbox.commitVersion({ twinId: 'twin-b' });
    await reconnect(alice);
    await reconnect(bob);
    expect(bob.outbox.get(item.id)).toMatchObject({ status: 'confirmed', baseVersion: 2 });
    // Bob's geometry with its format, Alice's fire rating.
    expect(bob.element('twin-b', W1)).toMatchObject({ format: 2, geometry: G2 });
    expect(prop(bob, 'twin-b', W1, 'FireRating')).toBe('EI120');
    // No geometry: Bob changed nothing but the format, Alice's state stands as it is.
    expect(bob.element('twin-b', W2)).toMatchObject({ format: 1, name: 'Alice west wall' });
    const head = bob.db.twinHead('twin-b')!;
    const entries = bob.store.changeset('twin-b', head).entries;
    const states = bob.db.states(entries.flatMap((e) => [e.oldStateHash!, e.newStateHash!]));
    for (const e of entries)
      expect([e.fields, e.details]).toEqual(
        Object.values(
          diffStates(states.get(e.oldStateHash!)!.canonical, states.get(e.newStateHash!)!.canonical),
        ),
      );
    expect(entries.map((e) => [e.globalId, e.fields, e.details]).sort()).toEqual([
      [W1, ['format'], ['format']],
      [W3, ['type'], ['type.propertySets.Pset_WallType.Thickness']],
    ]);
  });
});
