// A hand-built element state for tests of what reads states (diffs, edits, changeset paths): a
// placed IfcWall of type "Generic 200" with the property sets given; any member can be overridden.
import {
  ELEMENT_STATE_FORMAT,
  type ElementState,
  type PropertySetState,
  type PropertyValue,
} from '../../src/shared/fingerprint';

/** A property: an IFCLABEL for text, an IFCREAL otherwise (what these tests need of its type). */
export function prop(name: string, value: string | number | boolean): PropertyValue {
  return { name, type: typeof value === 'string' ? 'IFCLABEL' : 'IFCREAL', value, unit: null };
}
export function pset(name: string, properties: PropertyValue[]): PropertySetState {
  return { name, kind: 'pset', properties };
}
export function qto(name: string, properties: PropertyValue[]): PropertySetState {
  return { name, kind: 'qto', properties };
}

export function wallState(
  propertySets: PropertySetState[],
  typePropertySets: PropertySetState[] = [],
  overrides: Partial<ElementState> = {},
): ElementState {
  return {
    format: ELEMENT_STATE_FORMAT,
    globalId: '2O2Fr$t4X7Zf8NOew3FLOH',
    ifcClass: 'IfcWall',
    name: 'Basic Wall',
    description: null,
    objectType: null,
    tag: null,
    predefinedType: null,
    container: null,
    decomposes: null,
    placement: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 10, 20, 3, 1],
    type: {
      globalId: '3cUkl32yn9qRSPvBJVyWYp',
      ifcClass: 'IfcWallType',
      name: 'Generic 200',
      predefinedType: null,
      propertySets: typePropertySets,
      classifications: [],
    },
    propertySets,
    classifications: [],
    systems: [],
    ports: [],
    geometry: `0x${'ab'.repeat(32)}`,
    ...overrides,
  };
}
