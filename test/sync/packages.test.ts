// Changeset packages as another machine reads them: the models and moved elements a package names
// come back as written; where a file (written by another release, or by hand) says something else
// of them, the package still reads, without them (the rebase then keeps its own models).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keccak256, toUtf8Bytes } from 'ethers';
import { afterEach, expect, test } from 'vitest';
import { PACKAGE_URI_PREFIX, PackageStore, type ChangesetPackage } from '../../src/main/sync/outbox-packages';
import { tempDir } from './outbox-fixture';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const KEY = `0x${'ab'.repeat(32)}`;
const STATE = `0x${'cd'.repeat(32)}`;
const leaf = { elementKey: KEY, modelId: 'twin-a-fire', stateHash: STATE, expressId: 4 };

function packages() {
  const dir = tempDir('packages');
  cleanups.push(() => dir.remove());
  return { dir: dir.dir, store: new PackageStore([dir.dir]) };
}

/** A package file as another machine might have written it: named by its own hash, so it reads. */
function writeRaw(dir: string, wire: object): string {
  const text = JSON.stringify(wire);
  const hash = keccak256(toUtf8Bytes(text));
  writeFileSync(join(dir, `${hash.slice(2)}.json`), text);
  return `${PACKAGE_URI_PREFIX}${hash.slice(2)}`;
}

const base = {
  format: 1 as const,
  baseRoot: null,
  root: `0x${'ef'.repeat(32)}`,
  entries: [{ elementKey: KEY, change: 'added' as const, leaf }],
  states: [],
  geometries: [],
};

test('the models and moved elements a package names read back as written', () => {
  const { store } = packages();
  const pkg: ChangesetPackage = {
    ...base,
    models: [{ id: 'twin-a-fire', name: 'FIRE', discipline: 'FIRE' }],
    moved: [{ ...leaf, modelId: 'twin-a-mep', expressId: 9 }],
  };
  const { uri } = store.put(pkg);
  expect(store.get(uri)).toEqual(pkg);
});

test.each([
  ['models not a list', { models: { id: 'twin-a-fire' } }],
  ['a model without a name', { models: [{ id: 'twin-a-fire', discipline: 'FIRE' }] }],
  ['a moved leaf with a key that is not 32 bytes', { moved: [{ ...leaf, elementKey: '0x12' }] }],
  ['a moved leaf with a negative express id', { moved: [{ ...leaf, expressId: -1 }] }],
])('a package with %s reads without that member', (_, extra) => {
  const { dir, store } = packages();
  const read = store.get(writeRaw(dir, { ...base, ...extra }))!;
  expect(read.entries).toEqual(base.entries);
  expect(read.models).toBeUndefined();
  expect(read.moved).toBeUndefined();
});

test("an earlier release's package (no models, no moved elements) reads as before", () => {
  const { dir, store } = packages();
  const read = store.get(writeRaw(dir, base))!;
  expect(read).toMatchObject({ ...base, models: undefined, moved: undefined });
});
