// What each edit does to a canonical element state (pure functions, no store): values keep their
// kind, sets and properties stay sorted as the fingerprint requires, refusals name the problem,
// moves translate the placement and (in viewer axes) the meshes; and how field diffs read.
import { describe, expect, it } from 'vitest';
import { applyEdit, statusOf, translateMatrix } from '../../src/main/edits/operations';
import { fieldDiffs, valueText } from '../../src/main/edits/history-service';
import { canonicalJson, type CanonicalValue } from '../../src/shared/canonical';
import { stateHashOf, type ElementState } from '../../src/shared/fingerprint';
import { wallState } from '../support/states';

function wall(): ElementState {
  return wallState(
    [
      {
        name: 'Pset_WallCommon',
        kind: 'pset',
        properties: [
          { name: 'FireRating', type: 'IFCLABEL', value: 'EI 30', unit: null },
          { name: 'IsExternal', type: 'IFCBOOLEAN', value: true, unit: null },
          {
            name: 'ThermalTransmittance',
            type: 'IFCTHERMALTRANSMITTANCEMEASURE',
            value: 0.24,
            unit: 'W/(m2·K)',
          },
        ],
      },
      {
        name: 'Qto_WallBaseQuantities',
        kind: 'qto',
        properties: [{ name: 'Length', type: 'IFCLENGTHMEASURE', value: 4.5, unit: 'm' }],
      },
    ],
    [{ name: 'Pset_TypeOnly', kind: 'pset', properties: [] }],
  );
}

const sorted = (names: string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('applyEdit', () => {
  it('sets a value of the same kind, keeping type and unit, without touching the input', () => {
    const before = wall();
    const frozen = canonicalJson(before as unknown as CanonicalValue);
    const { state, summary, meshTranslation } = applyEdit(before, {
      kind: 'setProperty',
      set: 'Pset_WallCommon',
      property: 'ThermalTransmittance',
      value: 0.18,
    });
    expect(canonicalJson(before as unknown as CanonicalValue)).toBe(frozen);
    const p = state.propertySets[0]!.properties.find((x) => x.name === 'ThermalTransmittance')!;
    expect(p).toEqual({
      name: 'ThermalTransmittance',
      type: 'IFCTHERMALTRANSMITTANCEMEASURE',
      value: 0.18,
      unit: 'W/(m2·K)',
    });
    expect(summary).toBe('Pset_WallCommon.ThermalTransmittance: 0.24 W/(m2·K) → 0.18 W/(m2·K)');
    expect(meshTranslation).toBeNull();
    expect(stateHashOf(state)).not.toBe(stateHashOf(before));
  });

  it('keeps two sets of one name in the order an import of the same content gives', () => {
    // The importer orders sets of one name and kind by their canonical text (reader.ts sortSets).
    const set = (value: number) => ({
      name: 'Pset_Extra',
      kind: 'pset' as const,
      properties: [{ name: 'Load', type: 'IFCREAL', value, unit: null }],
    });
    const w = wallState([set(1), set(5)]);
    const { state } = applyEdit(w, { kind: 'setProperty', set: 'Pset_Extra', property: 'Load', value: 9 });
    const loads = state.propertySets
      .filter((s) => s.name === 'Pset_Extra')
      .map((s) => s.properties[0]!.value);
    expect(loads).toEqual([5, 9]);
    expect(stateHashOf(state)).toBe(stateHashOf(wallState([set(5), set(9)])));
    // A removed property (the set not emptied) moves its set just the same: {Load 0, Zone A} sorts
    // before {Load 0, Zone B}, and without its Zone after it.
    const zoned = (zone: string | null) => ({
      ...set(0),
      properties: [
        ...set(0).properties,
        ...(zone ? [{ name: 'Zone', type: 'IFCLABEL', value: zone, unit: null }] : []),
      ],
    });
    const before = wallState([zoned('A'), zoned('B')]);
    const removed = applyEdit(before, { kind: 'removeProperty', set: 'Pset_Extra', property: 'Zone' });
    expect(removed.state.propertySets.filter((s) => s.name === 'Pset_Extra')).toEqual([
      zoned('B'),
      zoned(null),
    ]);
  });

  it('refuses a value of another kind, a missing set or property, and a type property', () => {
    const w = wall();
    expect(() =>
      applyEdit(w, { kind: 'setProperty', set: 'Pset_WallCommon', property: 'IsExternal', value: 'no' }),
    ).toThrow(/IsExternal takes yes or no/);
    expect(() =>
      applyEdit(w, {
        kind: 'setProperty',
        set: 'Pset_WallCommon',
        property: 'ThermalTransmittance',
        value: 'cold',
      }),
    ).toThrow(/takes a number/);
    expect(() =>
      applyEdit(w, { kind: 'setProperty', set: 'Pset_WallCommon', property: 'Colour', value: 'red' }),
    ).toThrow(/has no property Colour/);
    expect(() => applyEdit(w, { kind: 'removePropertySet', set: 'Pset_TypeOnly' })).toThrow(
      /belongs to the element's type \(Generic 200\)/,
    );
    // Clearing a value is always allowed.
    const cleared = applyEdit(w, {
      kind: 'setProperty',
      set: 'Pset_WallCommon',
      property: 'FireRating',
      value: null,
    });
    expect(cleared.summary).toBe('Pset_WallCommon.FireRating: "EI 30" → (empty)');
  });

  it('adds properties (a new set sorted in), infers IFC types, and refuses duplicates and control characters', () => {
    let state = wall();
    state = applyEdit(state, {
      kind: 'addProperty',
      set: 'Pset_Acoustic',
      property: 'Rw',
      value: 52,
      unit: 'dB',
    }).state;
    state = applyEdit(state, {
      kind: 'addProperty',
      set: 'Pset_Acoustic',
      property: 'Flanking',
      value: true,
    }).state;
    state = applyEdit(state, {
      kind: 'addProperty',
      set: 'Pset_Acoustic',
      property: 'Note',
      value: 'tested',
    }).state;
    state = applyEdit(state, {
      kind: 'addProperty',
      set: 'Pset_Acoustic',
      property: 'Loss',
      value: 0.5,
    }).state;
    expect(state.propertySets.map((s) => s.name)).toEqual(
      sorted(['Pset_WallCommon', 'Qto_WallBaseQuantities', 'Pset_Acoustic']),
    );
    const acoustic = state.propertySets.find((s) => s.name === 'Pset_Acoustic')!;
    expect(acoustic.kind).toBe('pset');
    expect(acoustic.properties.map((p) => [p.name, p.type, p.unit])).toEqual([
      ['Flanking', 'IFCBOOLEAN', null],
      ['Loss', 'IFCREAL', null],
      ['Note', 'IFCLABEL', null],
      ['Rw', 'IFCINTEGER', 'dB'],
    ]);
    expect(() =>
      applyEdit(state, { kind: 'addProperty', set: 'Pset_Acoustic', property: 'Rw', value: 1 }),
    ).toThrow(/already has a property Rw/);
    expect(() =>
      applyEdit(state, { kind: 'addProperty', set: 'Pset_X', property: 'a\u0007b', value: 1 }),
    ).toThrow(/control characters/);
    // The same edits in another order give the same state, so the same hash.
    let other = wall();
    for (const [property, value] of [
      ['Loss', 0.5],
      ['Note', 'tested'],
      ['Flanking', true],
    ] as const)
      other = applyEdit(other, { kind: 'addProperty', set: 'Pset_Acoustic', property, value }).state;
    other = applyEdit(other, {
      kind: 'addProperty',
      set: 'Pset_Acoustic',
      property: 'Rw',
      value: 52,
      unit: 'dB',
    }).state;
    expect(stateHashOf(other)).toBe(stateHashOf(state));
  });

  it('removes a property (and the set it empties) and a whole set', () => {
    const w = wall();
    const one = applyEdit(w, { kind: 'removeProperty', set: 'Qto_WallBaseQuantities', property: 'Length' });
    expect(one.state.propertySets.map((s) => s.name)).toEqual(['Pset_WallCommon']);
    expect(one.summary).toBe('Removed Qto_WallBaseQuantities.Length (was 4.5 m) and the emptied set');
    const set = applyEdit(w, { kind: 'removePropertySet', set: 'Pset_WallCommon' });
    expect(set.state.propertySets.map((s) => s.name)).toEqual(['Qto_WallBaseQuantities']);
    expect(set.summary).toBe('Removed property set Pset_WallCommon (3 properties)');
  });

  it('records the status in TwinLedger_Status and says what it was', () => {
    const first = applyEdit(wall(), { kind: 'setStatus', status: 'out of service' });
    expect(statusOf(first.state)).toBe('out of service');
    expect(first.summary).toBe('Status: (not set) → out of service');
    const second = applyEdit(first.state, { kind: 'setStatus', status: 'replaced' });
    expect(second.summary).toBe('Status: out of service → replaced');
    expect(second.state.propertySets.find((s) => s.name === 'TwinLedger_Status')!.properties).toEqual([
      { name: 'Status', type: 'IFCLABEL', value: 'replaced', unit: null },
    ]);
  });

  it('moves the placement (model axes) and reports the mesh translation in viewer axes', () => {
    const moved = applyEdit(wall(), { kind: 'move', translation: [1.25, -2, 0.5] });
    expect(moved.state.placement!.slice(12, 15)).toEqual([11.25, 18, 3.5]);
    expect(moved.state.geometry).toBe(wall().geometry);
    expect(moved.meshTranslation).toEqual([1.25, 0.5, 2]); // x, z, -y
    expect(moved.summary).toBe('Moved by (1.25, -2, 0.5) m');
    // Rounded like every placement (micrometres).
    const tiny = applyEdit(wall(), { kind: 'move', translation: [1e-7 + 0.1, 0, 0] });
    expect(tiny.state.placement![12]).toBe(10.1);
    expect(() => applyEdit({ ...wall(), placement: null }, { kind: 'move', translation: [1, 0, 0] })).toThrow(
      /has no placement/,
    );
    expect(() => applyEdit(wall(), { kind: 'move', translation: [0, 1e-9, 0] })).toThrow(
      /shorter than a micrometre/,
    );
  });

  it('translates a placed mesh matrix (float64, column-major) and nothing else', () => {
    const m = new Float64Array([1, 0, 0, 0, 0, 0, -1, 0, 0, 1, 0, 0, 4, 5, 6, 1]);
    const bytes = new Uint8Array(m.buffer);
    const out = new Float64Array(translateMatrix(bytes, [1, 2, 3]).buffer);
    expect(Array.from(out)).toEqual([1, 0, 0, 0, 0, 0, -1, 0, 0, 1, 0, 0, 5, 7, 9, 1]);
    expect(Array.from(m)[12]).toBe(4); // the input is untouched
  });
});

describe('field diffs', () => {
  it('reads values by path, with units, placements in words, and set names that contain dots', () => {
    const before = wall();
    before.propertySets.push({
      name: 'Pset_Revit.Other',
      kind: 'pset',
      properties: [{ name: 'Mark.No', type: 'IFCLABEL', value: 'A1', unit: null }],
    });
    const after = applyEdit(
      applyEdit(before, { kind: 'setProperty', set: 'Pset_Revit.Other', property: 'Mark.No', value: 'A2' })
        .state,
      { kind: 'move', translation: [0, 0, 1] },
    ).state;
    const { fields, diffs } = fieldDiffs(
      canonicalJson(before as unknown as CanonicalValue),
      canonicalJson(after as unknown as CanonicalValue),
    );
    expect(fields).toEqual(['placement', 'propertySets']);
    expect(diffs).toEqual([
      { path: 'placement', before: 'at (10.000, 20.000, 3.000) m', after: 'at (10.000, 20.000, 4.000) m' },
      { path: 'propertySets.Pset_Revit.Other.Mark.No', before: 'A1', after: 'A2' },
    ]);
    expect(valueText(before, 'propertySets.Pset_WallCommon.ThermalTransmittance')).toBe('0.24 W/(m2·K)');
    expect(valueText(before, 'propertySets.Pset_WallCommon.IsExternal')).toBe('Yes');
    expect(valueText(before, 'propertySets.Pset_Nothing.X')).toBeNull();
    expect(valueText(before, 'type')).toBe('Generic 200');
    expect(valueText(before, 'geometry')).toMatch(/^shape 0xababab/);
  });
});
