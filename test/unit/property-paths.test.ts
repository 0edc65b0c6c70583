// Changeset property paths read back: propertyAtPath finds the set and property that
// src/main/ifc/changeset.ts named (`<set> [Qto]`, `#n` repeats, dotted names), so the history and
// the changes panel show their values instead of "(none)".
// ChangesPanel (valueAtPath) imports its stylesheets, which vite's client types declare.
/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import { diffStates } from '../../src/main/ifc/changeset';
import { fieldDiffs, valueText } from '../../src/main/edits/history-service';
import { valueAtPath } from '../../src/renderer/src/components/ChangesPanel';
import type { ElementState, PropertySetState } from '../../src/shared/fingerprint';
import { prop, pset, qto, wallState } from '../support/states';
import { nthName, propertyAtPath, setLabel, sharedSetNames } from '../../src/shared/property-paths';

describe('propertyAtPath', () => {
  const sets = [
    pset('Pset_WallCommon', [prop('FireRating', 'EI 30'), prop('IsExternal', true)]),
    pset('Pset.Dotted', [prop('A.B', 7)]),
    pset('S', [prop('A', 1), prop('A', 2)]),
    pset('S', [prop('A', 3)]),
    qto('S', [prop('A', 4)]),
  ];

  it('resolves a plain set.prop, and a set alone', () => {
    expect(propertyAtPath(sets, 'Pset_WallCommon.IsExternal')).toEqual({
      set: sets[0],
      property: sets[0]!.properties[1],
    });
    expect(propertyAtPath(sets, 'Pset_WallCommon')).toEqual({ set: sets[0] });
  });

  it('resolves dotted set and property names, the longest set name first', () => {
    expect(propertyAtPath(sets, 'Pset.Dotted.A.B')?.property).toBe(sets[1]!.properties[0]);
    const overlapping = [pset('P', [prop('Q.R', 1)]), pset('P.Q', [prop('R', 2)])];
    expect(propertyAtPath(overlapping, 'P.Q.R')?.property?.value).toBe(2);
    // The longer name does not resolve: the shorter one still does.
    expect(
      propertyAtPath([pset('P', [prop('Q.X', 1)]), pset('P.Q', [prop('R', 2)])], 'P.Q.X')?.property?.value,
    ).toBe(1);
  });

  it('tells `S [Qto].A` from `S.A` when both kinds carry the name', () => {
    expect(propertyAtPath(sets, 'S [Qto].A')?.property?.value).toBe(4);
    expect(propertyAtPath(sets, 'S.A')?.property?.value).toBe(1);
    // A quantity set alone keeps its plain name, and the marker still finds it.
    const onlyQto = [qto('S', [prop('A', 4)])];
    expect(propertyAtPath(onlyQto, 'S.A')?.property?.value).toBe(4);
    expect(propertyAtPath(onlyQto, 'S [Qto].A')?.property?.value).toBe(4);
    expect(propertyAtPath([pset('S', [prop('A', 1)])], 'S [Qto].A')).toBeNull();
  });

  it('picks the n-th property of a repeated name (`S.A#2`) and the n-th set (`S#2.A`)', () => {
    expect(propertyAtPath(sets, 'S.A#2')?.property?.value).toBe(2);
    expect(propertyAtPath(sets, 'S#2.A')?.property?.value).toBe(3);
    expect(propertyAtPath(sets, 'S#2')).toEqual({ set: sets[3] });
    expect(propertyAtPath(sets, 'S.A#3')).toBeNull();
    expect(propertyAtPath(sets, 'S#3.A')).toBeNull();
    expect(propertyAtPath(sets, 'S [Qto]#2.A')).toBeNull();
  });

  it('gives null for a path naming nothing', () => {
    expect(propertyAtPath(sets, 'Pset_Nothing.X')).toBeNull();
    expect(propertyAtPath(sets, 'Pset_WallCommon.Nothing')).toBeNull();
    expect(propertyAtPath(sets, 'Pset_WallCommo')).toBeNull();
    expect(propertyAtPath([], 'S.A')).toBeNull();
  });

  it("with the other state's sets, decides the [Qto] marker as the changeset does", () => {
    // A set that changed kind: `K.X` is the property set (before), `K [Qto].X` the quantity set (after).
    const before = [pset('K', [prop('X', 1)])];
    const after = [qto('K', [prop('X', 1)])];
    expect(propertyAtPath(after, 'K.X', before)).toBeNull();
    expect(propertyAtPath(after, 'K [Qto].X', before)?.set).toBe(after[0]);
    expect(propertyAtPath(before, 'K.X', after)?.set).toBe(before[0]);
    expect(propertyAtPath(before, 'K [Qto].X', after)).toBeNull();
  });
});

describe('every path the changeset names reads back', () => {
  const before = wallState(
    [
      pset('Pset_WallCommon', [prop('FireRating', 'EI 30'), prop('IsExternal', true)]),
      pset('Pset.Dotted', [prop('A.B', 1)]),
      pset('K', [prop('X', 1)]),
      pset('S', [prop('A', 1), prop('A', 2)]),
      qto('S', [prop('A', 3)]),
      pset('Gone', [prop('G', 1)]),
    ],
    [pset('T', [prop('W', 0.2)]), qto('T', [prop('W', 1)])],
  );
  const after = wallState(
    [
      pset('Empty', []),
      pset('Pset_WallCommon', [prop('FireRating', 'EI 60'), prop('IsExternal', true)]),
      pset('Pset.Dotted', [prop('A.B', 2)]),
      qto('K', [prop('X', 1)]),
      pset('S', [prop('A', 1), prop('A', 5)]),
      pset('S', [prop('A', 6)]),
      qto('S', [prop('A', 7)]),
    ],
    [pset('T', [prop('W', 0.3)]), qto('T', [prop('W', 1), prop('W', 2)])],
  );

  it('resolves each reported path in the state(s) holding it, to values that differ', () => {
    const { details } = diffStates(JSON.stringify(before), JSON.stringify(after));
    expect(details).toEqual([
      'type.propertySets.T [Qto].W#2',
      'type.propertySets.T.W',
      'propertySets.Empty',
      'propertySets.Gone.G',
      'propertySets.K [Qto].X',
      'propertySets.K.X',
      'propertySets.Pset.Dotted.A.B',
      'propertySets.Pset_WallCommon.FireRating',
      'propertySets.S [Qto].A',
      'propertySets.S#2.A',
      'propertySets.S.A#2',
    ]);
    const resolve = (state: ElementState, other: ElementState, path: string) => {
      const inType = path.startsWith('type.');
      const rest = path.slice(inType ? 'type.propertySets.'.length : 'propertySets.'.length);
      const found = inType
        ? propertyAtPath(state.type!.propertySets, rest, other.type!.propertySets)
        : propertyAtPath(state.propertySets, rest, other.propertySets);
      return found && (found.property ?? found.set);
    };
    const onlyAfter = new Set([
      'propertySets.Empty',
      'propertySets.K [Qto].X',
      'propertySets.S#2.A',
      'type.propertySets.T [Qto].W#2',
    ]);
    const onlyBefore = new Set(['propertySets.Gone.G', 'propertySets.K.X']);
    for (const path of details) {
      const was = resolve(before, after, path);
      const is = resolve(after, before, path);
      expect(was === null, `${path} before`).toBe(onlyAfter.has(path));
      expect(is === null, `${path} after`).toBe(onlyBefore.has(path));
      expect(JSON.stringify(was), path).not.toBe(JSON.stringify(is));
    }
    expect(resolve(after, before, 'propertySets.S.A#2')).toEqual(prop('A', 5));
    expect(resolve(after, before, 'propertySets.S [Qto].A')).toEqual(prop('A', 7));
  });

  it('names every set and property of a state by a label that resolves back to it', () => {
    for (const [state, other] of [
      [before, after],
      [after, before],
    ] as const) {
      const lists: [PropertySetState[], PropertySetState[]][] = [
        [state.propertySets, other.propertySets],
        [state.type!.propertySets, other.type!.propertySets],
      ];
      for (const [sets, others] of lists) {
        const shared = sharedSetNames(sets, others);
        const setCounts = new Map<string, number>();
        for (const set of sets) {
          const key = `${set.kind}:${set.name}`;
          setCounts.set(key, (setCounts.get(key) ?? 0) + 1);
          const setPath = nthName(setLabel(set, shared), setCounts.get(key)!);
          expect(propertyAtPath(sets, setPath, others)?.set).toBe(set);
          const propCounts = new Map<string, number>();
          for (const p of set.properties) {
            propCounts.set(p.name, (propCounts.get(p.name) ?? 0) + 1);
            const found = propertyAtPath(
              sets,
              `${setPath}.${nthName(p.name, propCounts.get(p.name)!)}`,
              others,
            );
            expect(found?.set).toBe(set);
            expect(found?.property).toBe(p);
          }
        }
      }
    }
  });
});

describe('the history and the changes panel read marked paths', () => {
  const state = wallState([
    pset('S', [prop('A', 1), prop('A', 2)]),
    pset('S', [prop('A', 3)]),
    qto('S', [prop('A', 4)]),
  ]);

  it('valueText shows the value a marked path names', () => {
    expect(valueText(state, 'propertySets.S.A')).toBe('1');
    expect(valueText(state, 'propertySets.S.A#2')).toBe('2');
    expect(valueText(state, 'propertySets.S#2.A')).toBe('3');
    expect(valueText(state, 'propertySets.S [Qto].A')).toBe('4');
    expect(valueText(state, 'propertySets.S#2')).toBe('1 properties');
    expect(valueText(state, 'propertySets.S#3.A')).toBeNull();
  });

  it('valueAtPath shows the value a marked path names', () => {
    expect(valueAtPath(state, 'propertySets.S.A#2')).toBe(2);
    expect(valueAtPath(state, 'propertySets.S#2.A')).toBe(3);
    expect(valueAtPath(state, 'propertySets.S [Qto].A')).toBe(4);
    expect(valueAtPath(state, 'propertySets.S [Qto].B')).toBeUndefined();
    expect(valueAtPath(state, 'placement')).toEqual(state.placement);
  });

  it('a set that changed kind shows nothing on the side that lacks it', () => {
    const before = wallState([pset('K', [prop('X', 1)])]);
    const after = wallState([qto('K', [prop('X', 1)])]);
    expect(fieldDiffs(JSON.stringify(before), JSON.stringify(after)).diffs).toEqual([
      { path: 'propertySets.K [Qto].X', before: null, after: '1' },
      { path: 'propertySets.K.X', before: '1', after: null },
    ]);
    expect(valueAtPath(before, 'propertySets.K [Qto].X', after)).toBeUndefined();
    expect(valueAtPath(after, 'propertySets.K [Qto].X', before)).toBe(1);
    expect(valueAtPath(after, 'propertySets.K.X', before)).toBeUndefined();
  });
});
