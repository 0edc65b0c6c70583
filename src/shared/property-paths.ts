// How a changeset names a property set and a property in its detail paths
// (`propertySets.<set>.<property>`, `type.propertySets.<set>.<property>`), and the way back from
// such a name to the set and property of a state. Written by src/main/ifc/changeset.ts; read by the
// history (valueText) and the changes panel (valueAtPath), so the three cannot drift apart.
//
// - A set is named by its name; where a quantity set shares its name with a property set (in
//   either state of the diff), the quantity set is `<set> [Qto]`.
// - Repeats of one name (two sets of one kind and name, or a property named twice in one set, in
//   the sorted order the state keeps them): the first keeps the plain name, later ones are
//   `<name>#2`, `#3`...
// - Set and property names may contain dots: the longest set name that resolves wins.

/** What the naming needs of a set: PropertySetState (fingerprint) and the API's PropertySet fit. */
export interface NamedSet {
  name: string;
  kind: 'pset' | 'qto';
  properties: readonly { name: string }[];
}

export const QTO_MARKER = ' [Qto]';

/** Each item with its repeat number among the items of the same key (1 for the first). */
export function numbered<T>(items: readonly T[], keyOf: (item: T) => string): [T, number][] {
  const counts = new Map<string, number>();
  return items.map((item) => {
    const n = (counts.get(keyOf(item)) ?? 0) + 1;
    counts.set(keyOf(item), n);
    return [item, n];
  });
}
/** Sets repeat by kind and name; properties by name. */
export const setKey = (set: Pick<NamedSet, 'name' | 'kind'>): string => `${set.kind}\u0000${set.name}`;
export const propertyKey = (property: { name: string }): string => property.name;

/** `name`, or `name#n` for the n-th (n > 1) repeat of it. */
export const nthName = (name: string, n: number): string => (n > 1 ? `${name}#${n}` : name);

/** Names that both a property set and a quantity set carry, in any of the lists. */
export function sharedSetNames(...lists: readonly (readonly NamedSet[])[]): Set<string> {
  const kinds = new Map<string, Set<string>>();
  for (const list of lists)
    for (const set of list) {
      const seen = kinds.get(set.name) ?? new Set<string>();
      seen.add(set.kind);
      kinds.set(set.name, seen);
    }
  return new Set([...kinds].filter(([, seen]) => seen.size > 1).map(([name]) => name));
}

/** A set's shown name: `<set> [Qto]` for a quantity set whose name a property set also carries. */
export const setLabel = (set: Pick<NamedSet, 'name' | 'kind'>, shared: ReadonlySet<string>): string =>
  set.kind === 'qto' && shared.has(set.name) ? `${set.name}${QTO_MARKER}` : set.name;

/**
 * The set and property a changeset path names in one state's sets; `rest` is the path after
 * `propertySets.` (or `type.propertySets.`). A path naming a set alone gives no property; a path
 * naming nothing there gives null.
 *
 * With `others` (the other state's sets of the diff) the `[Qto]` marker is decided exactly as the
 * changeset decides it. Without it: `<set> [Qto]` names a quantity set of that name whenever there
 * is one, and a plain `<set>` the property set where both kinds carry the name.
 */
export function propertyAtPath<S extends NamedSet>(
  sets: readonly S[],
  rest: string,
  others?: readonly NamedSet[],
): { set: S; property?: S['properties'][number] } | null {
  const shared = others ? sharedSetNames(sets, others) : null;
  const psetNames = new Set(sets.filter((s) => s.kind === 'pset').map((s) => s.name));
  let best: { label: string; set: S; property?: S['properties'][number] } | null = null;
  for (const [set, n] of numbered(sets, setKey)) {
    const labels = shared
      ? [setLabel(set, shared)]
      : set.kind === 'pset'
        ? [set.name]
        : psetNames.has(set.name)
          ? [`${set.name}${QTO_MARKER}`]
          : [set.name, `${set.name}${QTO_MARKER}`];
    for (const label of labels.map((l) => nthName(l, n))) {
      if (best && best.label.length >= label.length) continue;
      if (rest === label) {
        best = { label, set };
        continue;
      }
      if (!rest.startsWith(`${label}.`)) continue;
      const name = rest.slice(label.length + 1);
      for (const [property, m] of numbered(set.properties, propertyKey)) {
        if (nthName(property.name, m) === name) {
          best = { label, set, property };
          break;
        }
      }
    }
  }
  if (!best) return null;
  return best.property ? { set: best.set, property: best.property } : { set: best.set };
}
