// Search through the store (TwinStore.search) on a real Revit export: text matches an element's own
// words and its type object's (a wall type's properties, set once on the IfcWallType for every wall
// of that type), and agrees with the property search that looks in the same places.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FIXTURES, createHarness, type Harness } from './helpers';

let h: Harness;
let twinId: string;
beforeAll(async () => {
  h = createHarness();
  twinId = (await h.importFile(join(FIXTURES, 'revit-ifc2x3-final.ifc'), { twinName: 'Revit' })).twinId;
}, 60_000);
afterAll(async () => {
  await h.close();
});

test('text finds elements by a property value only their type holds, as the property search does', () => {
  const byProperty = h.store.search(twinId, undefined, {
    property: { name: 'Ripiegatura agli inserti', value: 'Non ripiegare' },
  });
  expect(byProperty.total).toBeGreaterThan(0);
  const byText = h.store.search(twinId, undefined, { text: 'non ripiegare' });
  expect(byText.elements.map((e) => e.globalId).sort()).toEqual(
    byProperty.elements.map((e) => e.globalId).sort(),
  );
  // The value is the wall type's, not the walls' own.
  const wallKey = byText.elements.find((e) => e.globalId === '3WaiJWBPDEe8oyz6tpSAV7')!.elementKey;
  const wall = h.store.getElement(twinId, undefined, wallKey);
  expect(JSON.stringify(wall.propertySets)).not.toContain('Non ripiegare');
  expect(JSON.stringify(wall.type)).toContain('Non ripiegare');
  expect(h.store.search(twinId, undefined, { text: 'non ripiegare-nowhere' }).total).toBe(0);
});
