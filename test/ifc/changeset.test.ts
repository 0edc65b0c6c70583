// Which fields and finer paths of an element a changeset names when its canonical state changes
// (pure function, hand-built states): ordinary edits keep their familiar paths, and no change hides
// behind another one (same-named sets of both kinds, repeated property names, a swapped type object,
// a set that changed kind).
import { describe, expect, it } from 'vitest';
import { diffStates } from '../../src/main/ifc/changeset';
import type { ElementState, PropertySetState } from '../../src/shared/fingerprint';
import { prop, pset, qto, wallState } from '../support/states';

function wall(): ElementState {
  return wallState(
    [
      pset('Pset_WallCommon', [prop('FireRating', 'EI 30'), prop('IsExternal', true)]),
      qto('Qto_WallBaseQuantities', [prop('Length', 4.5)]),
    ],
    [pset('Pset_WallTypeCommon', [prop('Width', 0.2)])],
  );
}

function diff(before: ElementState, after: ElementState) {
  return diffStates(JSON.stringify(before), JSON.stringify(after));
}

/** A wall whose own property sets are replaced by `sets`. */
function withSets(sets: PropertySetState[]): ElementState {
  return { ...wall(), propertySets: sets };
}

describe('ordinary changes keep their paths', () => {
  it('names a changed property value by set and property', () => {
    const after = wall();
    after.propertySets[0]!.properties[0] = prop('FireRating', 'EI 60');
    expect(diff(wall(), after)).toEqual({
      fields: ['propertySets'],
      details: ['propertySets.Pset_WallCommon.FireRating'],
    });
  });

  it('names a quantity of a set no property set shares a name with without its kind', () => {
    const after = wall();
    after.propertySets[1]!.properties[0] = prop('Length', 5);
    expect(diff(wall(), after).details).toEqual(['propertySets.Qto_WallBaseQuantities.Length']);
  });

  it('names an added and a removed property', () => {
    const after = wall();
    after.propertySets[0]!.properties = [prop('FireRating', 'EI 30'), prop('Mark', 'W1')];
    expect(diff(wall(), after)).toEqual({
      fields: ['propertySets'],
      details: ['propertySets.Pset_WallCommon.IsExternal', 'propertySets.Pset_WallCommon.Mark'],
    });
  });

  it('names a moved element by its placement', () => {
    const after = wall();
    after.placement![14] = 4;
    expect(diff(wall(), after)).toEqual({ fields: ['placement'], details: ['placement'] });
  });

  it('names a changed shape by its geometry', () => {
    const after = { ...wall(), geometry: `0x${'cd'.repeat(32)}` as const };
    expect(diff(wall(), after)).toEqual({ fields: ['geometry'], details: ['geometry'] });
  });

  it('names a changed type property, and a renamed type as the type', () => {
    const after = wall();
    after.type!.propertySets[0]!.properties[0] = prop('Width', 0.3);
    expect(diff(wall(), after)).toEqual({
      fields: ['type'],
      details: ['type.propertySets.Pset_WallTypeCommon.Width'],
    });
    const renamed = wall();
    renamed.type!.name = 'Generic 250';
    expect(diff(wall(), renamed)).toEqual({ fields: ['type'], details: ['type'] });
  });

  it('names nothing for the same state', () => {
    expect(diff(wall(), wall())).toEqual({ fields: [], details: [] });
  });
});

describe('no change hides behind another', () => {
  it('tells a property set and a quantity set of the same name apart', () => {
    const before = withSets([pset('S', [prop('A', 1)]), qto('S', [prop('A', 2)])]);
    const after = withSets([pset('S', [prop('A', 9), prop('B', 1)]), qto('S', [prop('A', 2)])]);
    expect(diff(before, after).details).toEqual(['propertySets.S.A', 'propertySets.S.B']);

    const qtoChanged = withSets([pset('S', [prop('A', 1)]), qto('S', [prop('A', 3)])]);
    expect(diff(before, qtoChanged).details).toEqual(['propertySets.S [Qto].A']);
  });

  it('compares repeated property names in one set one by one', () => {
    const before = withSets([pset('S', [prop('A', 1), prop('A', 2), prop('B', 1)])]);
    const after = withSets([pset('S', [prop('A', 0), prop('A', 2), prop('B', 2)])]);
    expect(diff(before, after).details).toEqual(['propertySets.S.A', 'propertySets.S.B']);

    const second = withSets([pset('S', [prop('A', 1), prop('A', 3), prop('B', 1)])]);
    expect(diff(before, second).details).toEqual(['propertySets.S.A#2']);

    const third = withSets([pset('S', [prop('A', 1), prop('A', 2), prop('A', 3), prop('B', 1)])]);
    expect(diff(before, third).details).toEqual(['propertySets.S.A#3']);
  });

  it('names a swapped type object besides its property sets', () => {
    const after = wall();
    after.type = {
      ...after.type!,
      globalId: '0Lx7bJZ3P1AuWT7ZdRbZ1c',
      name: 'Generic 300',
      propertySets: [pset('Pset_WallTypeCommon', [prop('Width', 0.3)])],
    };
    expect(diff(wall(), after)).toEqual({
      fields: ['type'],
      details: ['type', 'type.propertySets.Pset_WallTypeCommon.Width'],
    });
  });

  it('names changed type classifications besides its property sets', () => {
    const after = wall();
    after.type!.classifications = [{ system: 'Uniclass', code: 'Pr_20_93', name: 'Walls' }];
    after.type!.propertySets[0]!.properties[0] = prop('Width', 0.3);
    expect(diff(wall(), after).details).toEqual(['type', 'type.propertySets.Pset_WallTypeCommon.Width']);
  });

  it('names a set that became a quantity set with the same properties', () => {
    const before = withSets([pset('S', [prop('A', 1)])]);
    const after = withSets([qto('S', [prop('A', 1)])]);
    expect(diff(before, after)).toEqual({
      fields: ['propertySets'],
      details: ['propertySets.S [Qto].A', 'propertySets.S.A'],
    });

    const empty = diff(withSets([pset('S', [])]), withSets([qto('S', [])]));
    expect(empty.details).toEqual(['propertySets.S', 'propertySets.S [Qto]']);
  });

  it('compares repeated sets of one kind and name one by one', () => {
    const before = withSets([pset('S', [prop('A', 1)]), pset('S', [prop('A', 2)])]);
    const after = withSets([pset('S', [prop('A', 1)]), pset('S', [prop('A', 3)])]);
    expect(diff(before, after).details).toEqual(['propertySets.S#2.A']);
  });
});

describe('a state of an older format', () => {
  it('names a geometry hashed by another format as the format, not as a changed shape', () => {
    const before: ElementState = { ...wall(), format: 1, geometry: `0x${'cd'.repeat(32)}` };
    expect(diff(before, wall())).toEqual({ fields: ['format'], details: ['format'] });
  });

  it('still names the other fields that changed beside it, and a shape that appeared', () => {
    const before: ElementState = { ...wall(), format: 1, geometry: null, name: 'Old name' };
    expect(diff(before, wall())).toEqual({
      fields: ['name', 'geometry', 'format'],
      details: ['name', 'geometry', 'format'],
    });
  });
});
