// Which fields of an element changed between two of its canonical states, for changesets:
// top-level fields ("placement", "propertySets"...) and finer paths ("propertySets.Pset_X.Prop").
import { elementFields, type ElementState, type PropertySetState } from '../../shared/fingerprint';

export interface StateDiff {
  fields: string[];
  details: string[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function propertyDetails(prefix: string, before: PropertySetState[], after: PropertySetState[]): string[] {
  const index = (sets: PropertySetState[]) => {
    const map = new Map<string, unknown>();
    for (const set of sets) for (const p of set.properties) map.set(`${set.name}.${p.name}`, p);
    for (const set of sets) if (set.properties.length === 0) map.set(`${set.name}`, set);
    return map;
  };
  const a = index(before);
  const b = index(after);
  const out = new Set<string>();
  for (const [key, value] of a) if (!b.has(key) || !same(value, b.get(key))) out.add(`${prefix}.${key}`);
  for (const key of b.keys()) if (!a.has(key)) out.add(`${prefix}.${key}`);
  return [...out].sort();
}

export function diffStates(beforeJson: string, afterJson: string): StateDiff {
  const before = JSON.parse(beforeJson) as ElementState;
  const after = JSON.parse(afterJson) as ElementState;
  const fields: string[] = [];
  const details: string[] = [];
  for (const field of elementFields) {
    if (same(before[field], after[field])) continue;
    fields.push(field);
    if (field === 'propertySets')
      details.push(...propertyDetails('propertySets', before.propertySets, after.propertySets));
    else if (field === 'type' && before.type && after.type) {
      const typeSets = propertyDetails(
        'type.propertySets',
        before.type.propertySets,
        after.type.propertySets,
      );
      details.push(...(typeSets.length > 0 ? typeSets : ['type']));
    } else details.push(field);
  }
  if (fields.length === 0 && !same(before, after)) fields.push('format');
  return { fields, details };
}
