// Which fields of an element changed between two of its canonical states, for changesets:
// top-level fields ("placement", "propertySets"...) and finer paths ("propertySets.Pset_X.Prop").
//
// Property paths are `<prefix>.<set>.<property>`. Sets and properties are matched by what tells
// them apart, so that no change hides behind another of the same name:
// - a set's kind: where a quantity set shares its name with a property set (in either state), the
//   quantity set is written `<set> [Qto]` (as the properties panel badges it); a set that changes
//   kind is the old set gone and the new one there;
// - repeats of one name (two sets of one kind and name, or a property named twice in one set, in
//   their sorted order): the first keeps the plain name, the later ones are `<name>#2`, `#3`...
// A set with no properties is named by its set path alone. The labels come from
// src/shared/property-paths.ts, whose propertyAtPath reads them back.
import { elementFields, type ElementState, type PropertySetState } from '../../shared/fingerprint';
import {
  nthName,
  numbered,
  propertyKey,
  setKey,
  setLabel,
  sharedSetNames,
} from '../../shared/property-paths';

export interface StateDiff {
  fields: string[];
  details: string[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function propertyDetails(prefix: string, before: PropertySetState[], after: PropertySetState[]): string[] {
  // Set names that both a property set and a quantity set carry, in either state.
  const shared = sharedSetNames(before, after);
  const index = (sets: PropertySetState[]) => {
    // Key (unambiguous, never shown) -> shown path and the value compared.
    const map = new Map<string, { path: string; value: unknown }>();
    for (const [set, setNth] of numbered(sets, setKey)) {
      const setPath = nthName(setLabel(set, shared), setNth);
      if (set.properties.length === 0) {
        map.set(JSON.stringify([set.kind, set.name, setNth]), { path: setPath, value: set });
        continue;
      }
      for (const [p, propNth] of numbered(set.properties, propertyKey)) {
        map.set(JSON.stringify([set.kind, set.name, setNth, p.name, propNth]), {
          path: `${setPath}.${nthName(p.name, propNth)}`,
          value: p,
        });
      }
    }
    return map;
  };
  const a = index(before);
  const b = index(after);
  const out = new Set<string>();
  for (const [key, entry] of a) if (!same(entry.value, b.get(key)?.value)) out.add(`${prefix}.${entry.path}`);
  for (const [key, entry] of b) if (!a.has(key)) out.add(`${prefix}.${entry.path}`);
  return [...out].sort();
}

export function diffStates(beforeJson: string, afterJson: string): StateDiff {
  const before = JSON.parse(beforeJson) as ElementState;
  const after = JSON.parse(afterJson) as ElementState;
  const fields: string[] = [];
  const details: string[] = [];
  // Two state formats hash the same shape differently (format 2 added where the body sits): a
  // geometry that differs only that way is the format's change, not the shape's.
  const formatChanged = before.format !== after.format;
  for (const field of elementFields) {
    if (same(before[field], after[field])) continue;
    if (field === 'geometry' && formatChanged && before.geometry !== null && after.geometry !== null)
      continue;
    fields.push(field);
    const paths: string[] = [];
    if (field === 'propertySets')
      paths.push(...propertyDetails('propertySets', before.propertySets, after.propertySets));
    else if (field === 'type' && before.type && after.type) {
      // "type" itself when anything besides its property sets differs (another type object, its
      // name, class, classifications...), and the paths of its property sets that differ.
      const { propertySets: setsBefore, ...restBefore } = before.type;
      const { propertySets: setsAfter, ...restAfter } = after.type;
      if (!same(restBefore, restAfter)) paths.push('type');
      paths.push(...propertyDetails('type.propertySets', setsBefore, setsAfter));
    }
    // A difference the finer paths cannot name is still the field's.
    details.push(...(paths.length > 0 ? paths : [field]));
  }
  if (formatChanged || (fields.length === 0 && !same(before, after))) {
    fields.push('format');
    details.push('format');
  }
  return { fields, details };
}
