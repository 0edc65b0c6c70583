// When a commit's base moved on chain: the other side's versions are rebuilt from their changeset
// packages, the element-level overlap with this commit is computed, and either the commit is rebased
// (its edits replayed on top of the new head, with a new Merkle root) or it becomes a conflict with
// both sides field by field. Resolving takes mine or theirs per field and rebases the result.
// Fields are the top-level fields of an element's canonical state, except property sets, which are
// compared property by property (two people editing different properties of one wall do not clash
// on the field level, and the user chooses per property where they do). A property is told apart
// as the changeset tells it apart (src/main/ifc/changeset.ts): by its set's kind, name and repeat
// number and its own name and repeat number, and its path is the changeset's detail path
// (src/shared/property-paths.ts); a set that repeats its kind and name (a property its name in a
// set) is numbered on each side as the base numbers the one it came from (numberedAsBase), not by
// its rank there. The rebased version's changeset is written by the importer's
// diffStates (src/main/ifc/changeset.ts), so it reads like an imported one.
// Besides its elements, the rebased version keeps what mine's commit said of them that no leaf
// hash holds: the file each model comes from (model revisions, see modelRevisionsOf) and the model
// and express id of each element (see rebase).
import { randomUUID } from 'node:crypto';
import { canonicalJson, type CanonicalValue } from '../../shared/canonical';
import {
  elementFields,
  sortPropertySets,
  sortPropertyValues,
  stateHashOfCanonical,
  Y_UP,
  type ElementState,
  type PropertySetState,
  type PropertyValue,
} from '../../shared/fingerprint';
import type { ConflictField, ConflictView } from '../../shared/api/outbox';
import {
  nthName,
  numbered,
  propertyKey,
  setKey,
  setLabel,
  sharedSetNames,
} from '../../shared/property-paths';
import { diffStates } from '../ifc/changeset';
import { invertAffineOrNull, multiply } from '../ifc/matrix';
import { buildVersionTree } from '../ifc/merkle';
import { searchTextOf } from '../ifc/search-text';
import type {
  ModelRevision,
  NewVersion,
  OutboxStore,
  VersionInfo,
  PackageModel,
  PortableState,
  VersionLeaf,
} from '../store/outbox';
import { diffLeaves, type PackageEntry, type PackageStore } from './outbox-packages';

/** The other side: the chain's head for the twin and its element leaves, rebuilt here. */
export interface TheirsSide {
  headVersion: number;
  headRoot: string;
  authors: string[];
  /** Null when a package is missing (then `unavailable` says which). */
  leaves: VersionLeaf[] | null;
  unavailable: string | null;
  /** Models its leaves name that this store does not have yet (rebase adds them). */
  newModels: PackageModel[];
}

export interface ChainVersionInfo {
  modelRoot: string;
  packageUri: string;
  actor: string;
}

/**
 * The `property.nth`-th property of that name in the `set.nth`-th set of that kind and name
 * (numbered as property-paths.ts numbers them); `property` null: the set itself, where it has no
 * properties (as the changeset names such a set).
 */
interface PropertyAt {
  kind: 'property';
  set: { kind: 'pset' | 'qto'; name: string; nth: number };
  property: { name: string; nth: number } | null;
}

type Path = { kind: 'element' } | { kind: 'field'; field: string } | PropertyAt;

interface FieldChange {
  path: string;
  at: Path;
  base: CanonicalValue | undefined;
  mine: CanonicalValue | undefined;
  theirs: CanonicalValue | undefined;
  mineChanged: boolean;
  theirsChanged: boolean;
  conflicting: boolean;
}

const text = (value: CanonicalValue | undefined): string | null =>
  value === undefined ? null : canonicalJson(value);
const same = (a: CanonicalValue | undefined, b: CanonicalValue | undefined): boolean => text(a) === text(b);

const setKeyOf = (set: PropertyAt['set']): string => JSON.stringify([set.kind, set.name, set.nth]);
const keyOf = (at: PropertyAt): string =>
  at.property
    ? JSON.stringify([at.set.kind, at.set.name, at.set.nth, at.property.name, at.property.nth])
    : setKeyOf(at.set);

/**
 * Repeat numbers: of each set among the sets of its kind and name, and of each of its properties
 * among the properties of its name in the set (see numberedAsBase).
 */
interface Numbering {
  sets: number[];
  properties: number[][];
}

/** Repeat numbers by rank, as the state's own order gives them (the base's, and the changeset's). */
function rankNumbering(sets: readonly PropertySetState[]): Numbering {
  return {
    sets: numbered(sets, setKey).map(([, n]) => n),
    properties: sets.map((set) => numbered(set.properties, propertyKey).map(([, n]) => n)),
  };
}

/**
 * Each property of the sets (and each set with none) under a key that no other one shares, its
 * set and itself numbered by `numbering` (default: by rank).
 */
function propertyEntries(
  sets: readonly PropertySetState[],
  numbering: Numbering = rankNumbering(sets),
): Map<string, { at: PropertyAt; value: CanonicalValue }> {
  const map = new Map<string, { at: PropertyAt; value: CanonicalValue }>();
  for (const [i, set] of sets.entries()) {
    const at = { kind: set.kind, name: set.name, nth: numbering.sets[i]! };
    if (set.properties.length === 0) {
      const entry: PropertyAt = { kind: 'property', set: at, property: null };
      map.set(keyOf(entry), { at: entry, value: set });
      continue;
    }
    set.properties.forEach((p, j) => {
      const entry: PropertyAt = {
        kind: 'property',
        set: at,
        property: { name: p.name, nth: numbering.properties[i]![j]! },
      };
      map.set(keyOf(entry), { at: entry, value: p });
    });
  }
  return map;
}

const canonicalOf = (value: object): string => canonicalJson(value as CanonicalValue);

/**
 * Pairs one side's items with the base's where they repeat a key: `score` > 0 pairs (highest
 * first), then, where `byRank`, the rest in order; answers each side item's repeat number as the
 * base numbers the item it is paired with, and numbers after the base's for the others.
 */
function pairRepeats<T>(
  base: readonly T[],
  side: readonly T[],
  keyOf: (item: T) => string,
  score: (b: T, s: T) => number,
  byRank: boolean,
): number[] {
  const groups = (items: readonly T[]) => {
    const out = new Map<string, number[]>();
    items.forEach((item, i) => {
      const group = out.get(keyOf(item));
      if (group) group.push(i);
      else out.set(keyOf(item), [i]);
    });
    return out;
  };
  const baseGroups = groups(base);
  const repeats: number[] = Array.from(side, () => 1);
  for (const [key, sideGroup] of groups(side)) {
    const baseGroup = baseGroups.get(key) ?? [];
    if (sideGroup.length === 1 && baseGroup.length <= 1) continue;
    const pairs: [number, number, number][] = [];
    baseGroup.forEach((bi, rank) =>
      sideGroup.forEach((si, j) => {
        const points = score(base[bi]!, side[si]!);
        if (points > 0) pairs.push([points, rank, j]);
      }),
    );
    pairs.sort((x, y) => y[0] - x[0] || x[1] - y[1] || x[2] - y[2]);
    const taken = new Set<number>();
    const paired = new Map<number, number>(); // side position -> base rank
    for (const [, rank, j] of pairs) {
      if (taken.has(rank) || paired.has(j)) continue;
      taken.add(rank);
      paired.set(j, rank);
    }
    const left = byRank ? baseGroup.map((_, rank) => rank).filter((rank) => !taken.has(rank)) : [];
    let next = baseGroup.length;
    sideGroup.forEach((si, j) => {
      const rank = paired.get(j) ?? left.shift();
      repeats[si] = rank === undefined ? ++next : rank + 1;
    });
  }
  return repeats;
}

/**
 * One side's repeat numbers as the base numbers the sets and properties they came from: where sets
 * repeat a kind and name (or properties a name within a set), ranks alone can pair the wrong ones
 * (states keep them sorted by content, so an edit can move one past another of its name, and a
 * removal shifts the ones after it), and a change to one would read as changes to both, clashing
 * with the other side's edit of either. A side's set of a repeated name is paired with the base's
 * set it has most in common with (the same set, else the most properties alike, else the most
 * property names; none in common: a set of its own, numbered after the base's); a property of a
 * repeated name with the base's property of the same value, the rest by rank (an edited value).
 */
function numberedAsBase(base: readonly PropertySetState[], side: readonly PropertySetState[]): Numbering {
  const setScore = (b: PropertySetState, s: PropertySetState): number => {
    if (canonicalOf(b) === canonicalOf(s)) return Number.MAX_SAFE_INTEGER;
    const values = new Set(b.properties.map(canonicalOf));
    const names = new Set(b.properties.map((p) => p.name));
    let alike = 0;
    let named = 0;
    for (const p of s.properties) {
      if (values.has(canonicalOf(p))) alike++;
      if (names.has(p.name)) named++;
    }
    return alike * 10_000 + named;
  };
  const sets = pairRepeats(base, side, setKey, setScore, false);
  const baseRanks = rankNumbering(base).sets;
  const baseSet = new Map(base.map((set, i) => [JSON.stringify([setKey(set), baseRanks[i]]), set]));
  const properties = side.map((set, i) => {
    const from = baseSet.get(JSON.stringify([setKey(set), sets[i]]));
    if (!from) return numbered(set.properties, propertyKey).map(([, n]) => n);
    const same = (b: PropertyValue, s: PropertyValue) => (canonicalOf(b) === canonicalOf(s) ? 1 : 0);
    return pairRepeats(from.properties, set.properties, propertyKey, same, true);
  });
  return { sets, properties };
}

/** The changeset's detail path of a property (or set), given the names both kinds of set carry. */
function propertyPath(at: PropertyAt, shared: ReadonlySet<string>): string {
  const set = `propertySets.${nthName(setLabel(at.set, shared), at.set.nth)}`;
  return at.property ? `${set}.${nthName(at.property.name, at.property.nth)}` : set;
}

/** Every field either side changed on one element, relative to the base. */
function fieldChanges(
  base: ElementState | null,
  mine: ElementState | null,
  theirs: ElementState | null,
): FieldChange[] {
  const out: FieldChange[] = [];
  if (!mine || !theirs || !base) {
    // Added on one side, or removed on one side while edited on the other: the element as a whole.
    const value = (s: ElementState | null) => (s ? (s as unknown as CanonicalValue) : undefined);
    out.push({
      path: '(element)',
      at: { kind: 'element' },
      base: value(base),
      mine: value(mine),
      theirs: value(theirs),
      mineChanged: !same(value(base), value(mine)),
      theirsChanged: !same(value(base), value(theirs)),
      conflicting: !same(value(mine), value(theirs)),
    });
    return out;
  }
  const push = (
    path: string,
    at: Path,
    b: CanonicalValue | undefined,
    m: CanonicalValue | undefined,
    t: CanonicalValue | undefined,
  ) => {
    const mineChanged = !same(b, m);
    const theirsChanged = !same(b, t);
    if (!mineChanged && !theirsChanged) return;
    out.push({
      path,
      at,
      base: b,
      mine: m,
      theirs: t,
      mineChanged,
      theirsChanged,
      conflicting: mineChanged && theirsChanged && !same(m, t),
    });
  };
  for (const field of elementFields) {
    if (field !== 'propertySets') {
      push(field, { kind: 'field', field }, base[field], mine[field], theirs[field]);
      continue;
    }
    // In the changeset's order: where the property sets come among the fields, by path.
    const shared = sharedSetNames(base.propertySets, mine.propertySets, theirs.propertySets);
    // Each side's sets and properties numbered as the base numbers its own (numberedAsBase).
    const b = propertyEntries(base.propertySets);
    const m = propertyEntries(mine.propertySets, numberedAsBase(base.propertySets, mine.propertySets));
    const t = propertyEntries(theirs.propertySets, numberedAsBase(base.propertySets, theirs.propertySets));
    const paths = [...new Set([...b.keys(), ...m.keys(), ...t.keys()])]
      .map((key) => {
        const { at } = (b.get(key) ?? m.get(key) ?? t.get(key))!;
        return { key, at, path: propertyPath(at, shared) };
      })
      .sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    for (const { key, at, path } of paths)
      push(path, at, b.get(key)?.value, m.get(key)?.value, t.get(key)?.value);
  }
  return out;
}

/**
 * Property sets with each change's value in place of exactly the property (or empty set) it names,
 * or without it where the value is absent: a set is there while anything of it is, of the kind and
 * name the change names. Sorted as the importer sorts them (fingerprint.ts sortPropertySets).
 */
function withProperties(
  sets: readonly PropertySetState[],
  numbering: Numbering,
  changes: readonly { at: PropertyAt; value: CanonicalValue | undefined }[],
): PropertySetState[] {
  const entries = propertyEntries(sets, numbering);
  for (const { at, value } of changes) {
    if (value === undefined) entries.delete(keyOf(at));
    else entries.set(keyOf(at), { at, value });
  }
  const merged = new Map<string, PropertySetState>();
  for (const { at, value } of entries.values()) {
    let set = merged.get(setKeyOf(at.set));
    if (!set) merged.set(setKeyOf(at.set), (set = { name: at.set.name, kind: at.set.kind, properties: [] }));
    if (at.property) set.properties.push(value as PropertyValue);
  }
  for (const set of merged.values()) sortPropertyValues(set.properties);
  return sortPropertySets([...merged.values()]);
}

/** Merges one element: each changed field from the chosen side (default: the side that changed it). */
function mergeElement(
  base: ElementState | null,
  mine: ElementState | null,
  theirs: ElementState | null,
  choose: (change: FieldChange) => 'mine' | 'theirs',
): {
  state: ElementState | null;
  sides: Set<'mine' | 'theirs'>;
  /** The side whose geometry (and state format) the merged state has. */
  geometryFrom: 'mine' | 'theirs';
} {
  const changes = fieldChanges(base, mine, theirs);
  const sides = new Set<'mine' | 'theirs'>();
  const pick = (change: FieldChange): 'mine' | 'theirs' => {
    const side = change.conflicting ? choose(change) : change.mineChanged ? 'mine' : 'theirs';
    sides.add(side);
    return side;
  };
  const element = changes.find((c) => c.at.kind === 'element');
  if (element) {
    const side = pick(element);
    return { state: side === 'mine' ? mine : theirs, sides, geometryFrom: side };
  }
  const merged = structuredClone(theirs!) as ElementState;
  const properties: { at: PropertyAt; value: CanonicalValue | undefined }[] = [];
  let geometryFrom: 'mine' | 'theirs' = 'theirs';
  for (const change of changes) {
    const side = pick(change);
    const value = side === 'mine' ? change.mine : change.theirs;
    if (change.at.kind === 'field') {
      (merged as Record<string, unknown>)[change.at.field] =
        value === undefined ? null : structuredClone(value);
      if (change.at.field === 'geometry') geometryFrom = side;
    } else if (change.at.kind === 'property') properties.push({ at: change.at, value });
  }
  // Together: each change names its property by the repeat numbers of the sets before any of them
  // (theirs', numbered as the base numbers its own, as fieldChanges numbered them).
  if (properties.length > 0)
    merged.propertySets = withProperties(
      merged.propertySets,
      numberedAsBase(base!.propertySets, theirs!.propertySets),
      properties,
    );
  // The state format says how `geometry` is hashed (format 2 added where the body sits) and nothing
  // else: every other field reads alike in both. So it goes with the geometry, from the side whose
  // geometry the merge took (theirs' where neither side changed it: then both hold the same hash,
  // hashed alike, or none, which reads alike in both formats), and any mix of sides is a state of
  // one format, as an importer of that format would write it.
  merged.format = (geometryFrom === 'mine' ? mine! : theirs!).format;
  return { state: merged, sides, geometryFrom };
}

export interface ConflictOutcome {
  /** Elements both sides changed differently (empty: rebase automatically). */
  view: ConflictView;
  conflicting: number;
}

/** Rebuilds, merges and writes versions for one commit whose base moved. */
export class ConflictResolver {
  constructor(
    private readonly store: OutboxStore,
    private readonly packages: PackageStore,
  ) {}

  /**
   * The other side's leaves: the base's leaves with each chain version's package applied in order,
   * checked against the chain's head root.
   */
  theirs(
    storeTwinId: string,
    baseLeaves: VersionLeaf[],
    baseVersion: number,
    headVersion: number,
    headRoot: string,
    versions: Map<number, ChainVersionInfo>,
  ): TheirsSide {
    const authors = new Set<string>();
    const running = new Map(baseLeaves.map((leaf) => [leaf.elementKey, leaf]));
    const models = new ModelMap(this.store.models(storeTwinId));
    const known = new Map(baseLeaves.map((leaf) => [leaf.elementKey, leaf.modelId]));
    const unavailable = (reason: string): TheirsSide => ({
      headVersion,
      headRoot,
      authors: [...authors],
      leaves: null,
      unavailable: reason,
      newModels: [],
    });
    for (let v = baseVersion + 1; v <= headVersion; v++) {
      const info = versions.get(v);
      if (!info) return unavailable(`version ${v} of the twin is not indexed yet`);
      authors.add(info.actor);
      // The package, where this machine has it: its entries and moves place each element (where
      // an element sits, the root does not say: a version that only moved elements, or added one
      // back in another model, has the root of a version this store has). Without it, a version of
      // this store with that root gives the elements as this store placed them.
      const pkg = this.packages.get(info.packageUri);
      if (!pkg) {
        const local = standIns(this.store.versionsWithRoot(storeTwinId, info.modelRoot))[0];
        if (!local)
          return unavailable(
            `the contents of version ${v} (${info.packageUri}) are not available on this machine`,
          );
        running.clear();
        for (const leaf of this.store.leaves(local.id)) running.set(leaf.elementKey, leaf);
        continue;
      }
      const named = new Map((pkg.models ?? []).map((m) => [m.id, m]));
      this.store.importStates(pkg.states, pkg.geometries);
      for (const entry of pkg.entries) applyEntry(running, entry, known, models, named);
      for (const leaf of pkg.moved ?? []) {
        const now = running.get(leaf.elementKey);
        const modelId = models.resolve(leaf.modelId, named);
        // (A model the package does not name: the element stays where it is.)
        if (now?.stateHash !== leaf.stateHash || modelId === null || modelId === now.modelId) continue;
        running.set(leaf.elementKey, { ...now, modelId, expressId: leaf.expressId });
      }
    }
    const leaves = [...running.values()];
    const root = leaves.length
      ? buildVersionTree(leaves.map((l) => [l.elementKey, l.stateHash] as const)).root
      : null;
    if (root?.toLowerCase() !== headRoot.toLowerCase())
      return unavailable(`the packages do not add up to the chain's version ${headVersion}`);
    // Only the models some leaf still names (an element added and removed again names none).
    const named = new Set(leaves.map((l) => l.modelId));
    const newModels = models.added.filter((m) => named.has(m.id));
    return { headVersion, headRoot, authors: [...authors], leaves, unavailable: null, newModels };
  }

  /** Which elements both sides changed, field by field; empty when the edits can be rebased as they are. */
  analyse(baseLeaves: VersionLeaf[], mineLeaves: VersionLeaf[], theirs: TheirsSide): ConflictOutcome {
    if (!theirs.leaves) {
      return {
        conflicting: 1,
        view: {
          theirsVersion: theirs.headVersion,
          theirsAuthors: theirs.authors,
          elements: [],
          untouchedEdits: diffLeaves(baseLeaves, mineLeaves).length,
          unavailable: theirs.unavailable,
        },
      };
    }
    const { overlap, mineDelta } = this.overlap(baseLeaves, mineLeaves, theirs.leaves);
    const base = new Map(baseLeaves.map((l) => [l.elementKey, l]));
    const mine = new Map(mineLeaves.map((l) => [l.elementKey, l]));
    const their = new Map(theirs.leaves.map((l) => [l.elementKey, l]));
    const states = this.store.states(
      [...overlap].flatMap((key) =>
        [base.get(key), mine.get(key), their.get(key)].filter(Boolean).map((l) => l!.stateHash),
      ),
    );
    const parse = (leaf: VersionLeaf | undefined) =>
      leaf ? (JSON.parse(states.get(leaf.stateHash)!.canonical) as ElementState) : null;
    const elements: ConflictView['elements'] = [];
    for (const key of [...overlap].sort()) {
      const b = parse(base.get(key));
      const m = parse(mine.get(key));
      const t = parse(their.get(key));
      const any = (m ?? t ?? b)!;
      const fields: ConflictField[] = fieldChanges(b, m, t).map((c) => ({
        path: c.path,
        base: text(c.base),
        mine: text(c.mine),
        theirs: text(c.theirs),
        conflicting: c.conflicting,
      }));
      elements.push({
        elementKey: key,
        globalId: any.globalId,
        ifcClass: any.ifcClass,
        name: any.name,
        fields,
      });
    }
    return {
      conflicting: elements.length,
      view: {
        theirsVersion: theirs.headVersion,
        theirsAuthors: theirs.authors,
        elements,
        untouchedEdits: mineDelta.length - elements.length,
        unavailable: null,
      },
    };
  }

  private overlap(baseLeaves: VersionLeaf[], mineLeaves: VersionLeaf[], theirsLeaves: VersionLeaf[]) {
    const mineDelta = diffLeaves(baseLeaves, mineLeaves);
    const theirsDelta = new Map(diffLeaves(baseLeaves, theirsLeaves).map((e) => [e.elementKey, e]));
    const mine = new Map(mineLeaves.map((l) => [l.elementKey, l.stateHash]));
    const their = new Map(theirsLeaves.map((l) => [l.elementKey, l.stateHash]));
    const overlap = new Set<string>();
    for (const entry of mineDelta) {
      // Both made the same change: nothing to decide.
      if (theirsDelta.has(entry.elementKey) && mine.get(entry.elementKey) !== their.get(entry.elementKey))
        overlap.add(entry.elementKey);
    }
    return { overlap, mineDelta };
  }

  /**
   * Writes the rebased result: the other side's head as a confirmed store version (unless the store
   * has it), then this commit's edits replayed on it (conflicting elements merged by `choices`,
   * keyed `elementKey/path`) as a new queued version. Answers both version ids and the new root.
   */
  rebase(
    storeTwinId: string,
    baseVersionId: number | null,
    baseLeaves: VersionLeaf[],
    mineLeaves: VersionLeaf[],
    theirs: TheirsSide & { leaves: VersionLeaf[] },
    choices: Map<string, 'mine' | 'theirs'>,
    /** Mine's commit's version (of which mineLeaves are the leaves) and the version it was built on. */
    mineVersion: { id: number; baseVersionId: number | null },
  ): { theirsVersionId: number; mergedVersionId: number; root: string } {
    const store = this.store;
    return store.transaction(() => {
      // Models the other side added, which its leaves (and so the merged version's) name.
      store.addModels(storeTwinId, theirs.newModels);
      // A version of this store (not mine's commit itself) stands for theirs' head where it holds
      // the same elements in the same models (the root does not cover where an element sits;
      // express ids, each store's files' own, are not compared).
      const placed = (l: VersionLeaf) => `${l.elementKey}/${l.stateHash}/${l.modelId}`;
      const theirsPlaced = new Set(theirs.leaves.map(placed));
      let theirsVersionId = standIns(store.versionsWithRoot(storeTwinId, theirs.headRoot)).find((version) => {
        if (version.id === mineVersion.id) return false;
        const leaves = store.leaves(version.id);
        return leaves.length === theirsPlaced.size && leaves.every((l) => theirsPlaced.has(placed(l)));
      })?.id;
      if (theirsVersionId === undefined) {
        theirsVersionId = store.createVersion(
          this.versionRecord(storeTwinId, baseVersionId, 'confirmed', baseLeaves, theirs.leaves),
        );
      }
      const base = new Map(baseLeaves.map((l) => [l.elementKey, l]));
      const mine = new Map(mineLeaves.map((l) => [l.elementKey, l]));
      const merged = new Map(theirs.leaves.map((l) => [l.elementKey, l]));
      const their = new Map(theirs.leaves.map((l) => [l.elementKey, l]));
      const { overlap, mineDelta } = this.overlap(baseLeaves, mineLeaves, theirs.leaves);
      for (const entry of mineDelta) {
        if (overlap.has(entry.elementKey)) continue;
        if (entry.change === 'removed') merged.delete(entry.elementKey);
        else merged.set(entry.elementKey, entry.leaf!);
      }
      if (overlap.size > 0) {
        const hashes = [...overlap].flatMap((key) =>
          [base.get(key), mine.get(key), their.get(key)].filter(Boolean).map((l) => l!.stateHash),
        );
        const rows = new Map(store.exportStates(hashes).states.map((s) => [s.stateHash, s]));
        const parse = (leaf: VersionLeaf | undefined) =>
          leaf ? (JSON.parse(rows.get(leaf.stateHash)!.canonical) as ElementState) : null;
        const newStates: PortableState[] = [];
        for (const key of overlap) {
          const m = mine.get(key);
          const t = their.get(key);
          const mineState = parse(m);
          const theirState = parse(t);
          const result = mergeElement(parse(base.get(key)), mineState, theirState, (change) => {
            const choice = choices.get(`${key}/${change.path}`);
            if (!choice) throw new MissingChoice(key, change.path);
            return choice;
          });
          if (!result.state) {
            merged.delete(key);
            continue;
          }
          const canonical = canonicalJson(result.state as unknown as CanonicalValue);
          const stateHash = stateHashOfCanonical(canonical);
          const template =
            (m && m.stateHash === stateHash ? m : t && t.stateHash === stateHash ? t : null) ?? null;
          if (template) {
            merged.set(key, template);
            continue;
          }
          // A new state mixing both sides (both present): its row is built from the side whose
          // geometry it kept.
          const geometrySide = result.geometryFrom === 'mine' ? m! : t!;
          const geometryState = result.geometryFrom === 'mine' ? mineState : theirState;
          const row = rows.get(geometrySide.stateHash)!;
          // Its storey goes with its container: from the side whose container and whole it kept.
          const keepsPlace = (state: ElementState | null) =>
            !!state &&
            state.container === result.state!.container &&
            state.decomposes === result.state!.decomposes;
          const placedBy = m && keepsPlace(mineState) ? m : t && keepsPlace(theirState) ? t : null;
          const storeyGlobalId = placedBy
            ? (rows.get(placedBy.stateHash)?.storeyGlobalId ?? null)
            : row.storeyGlobalId;
          newStates.push({
            ...row,
            storeyGlobalId,
            // Its meshes where its placement is: the geometry side's, moved as the placement moved.
            meshes: movedMeshes(row.meshes, geometryState?.placement ?? null, result.state.placement),
            stateHash,
            canonical,
            name: result.state.name,
            ifcClass: result.state.ifcClass,
            geometryHash: result.state.geometry,
            parentGlobalId: result.state.decomposes ?? result.state.container,
            searchText: searchTextOf(result.state),
          });
          merged.set(key, { ...geometrySide, stateHash });
        }
        store.importStates(newStates, []);
      }
      // The files the rebased version names for its models (before the leaves' models below:
      // they decide by the merged states alone).
      const mineRevisions = store.modelRevisions(mineVersion.id);
      const revisions = this.modelRevisionsOf(theirsVersionId, mineVersion.baseVersionId, mineRevisions, {
        base,
        mine,
        theirs: their,
        merged,
      });
      const mineFiles = new Map(mineRevisions.map((r) => [r.modelId, r.sourceSha256]));
      const namesMineFile = new Set(
        revisions.filter((r) => mineFiles.get(r.modelId) === r.sourceSha256).map((r) => r.modelId),
      );
      // Where each element is, which its leaf hash does not hold: its model (whose file holds it)
      // and its express id (in that file). Mine's model where mine's commit changed it and theirs'
      // did not, whatever the state: an import that passed an element to another model
      // (import-writer.ts) changes no state, and no delta above names it; an element both added
      // takes mine's too (theirs' model is this store's only for elements the base has). The
      // express id goes with the file: mine's wherever the element is in a model the version names
      // mine's file for (theirs' express ids, from packages, are another store's file's anyway).
      for (const [key, leaf] of merged) {
        const m = mine.get(key);
        if (!m || (leaf.modelId === m.modelId && leaf.expressId === m.expressId)) continue;
        const b = base.get(key);
        const t = their.get(key);
        const mineMoved = !b || b.modelId !== m.modelId;
        const theirsMoved = !!b && !!t && t.modelId !== b.modelId;
        if ((mineMoved && !theirsMoved) || (leaf.modelId === m.modelId && namesMineFile.has(m.modelId)))
          merged.set(key, { ...leaf, modelId: m.modelId, expressId: m.expressId });
      }
      const mergedLeaves = [...merged.values()];
      const record = this.versionRecord(storeTwinId, theirsVersionId, 'queued', theirs.leaves, mergedLeaves);
      record.modelRevisions = revisions;
      const mergedVersionId = store.createVersion(record);
      return { theirsVersionId, mergedVersionId, root: record.merkleRoot };
    });
  }

  /**
   * The rebased version's model revisions: which file each model's elements come from. Theirs'
   * head's (its rows in this store: the chain names no files, so a head rebuilt from packages has
   * the rows of mine's base), except for each model whose file mine's commit changed (another
   * file than mine's base names, or a model mine added): there mine's row. Else the version would
   * name the file mine's elements replaced, and garbage collection (twin-store.ts) would drop
   * mine's file, the claims made by it (import-writer.ts), and a model no version names, with its
   * elements.
   *
   * Where theirs' head names yet another file for that model (both imported one: only where their
   * head is a version of this store), the merged elements decide. Mine's file if any change mine's
   * commit made to that model's elements is in the merged version (as mine's state, or mixed with
   * theirs'); theirs' otherwise, as mine's file then describes nothing in it. Where theirs' changes
   * to the model's elements are in it too (theirs' file's, or edits where their head names the
   * base's file, as a head rebuilt from packages does), no single file holds the mix: mine's row
   * stays (the import made last, whose claims this store holds), with a warning saying so.
   */
  private modelRevisionsOf(
    theirsVersionId: number,
    mineBaseVersionId: number | null,
    mineRevisions: readonly ModelRevision[],
    leaves: Record<'base' | 'mine' | 'theirs' | 'merged', Map<string, VersionLeaf>>,
  ): ModelRevision[] {
    const store = this.store;
    const theirs = new Map(store.modelRevisions(theirsVersionId).map((r) => [r.modelId, r]));
    const base = new Map(
      (mineBaseVersionId === null ? [] : store.modelRevisions(mineBaseVersionId)).map((r) => [
        r.modelId,
        r.sourceSha256,
      ]),
    );
    const rows = new Map<string, ModelRevision>(theirs);
    let kept: Map<string, { mine: boolean; theirs: boolean }> | undefined;
    for (const row of mineRevisions) {
      const before = base.get(row.modelId);
      if (row.sourceSha256 === before) continue;
      const other = theirs.get(row.modelId);
      if (!other || other.sourceSha256 === row.sourceSha256) {
        rows.set(row.modelId, row);
        continue;
      }
      kept ??= keptChanges(leaves);
      const model = kept.get(row.modelId);
      const theirsFile = other.sourceSha256 !== before;
      // Theirs' file describes the model better only where theirs' head names one of its own.
      if (theirsFile && !model?.mine) continue;
      if (!model?.theirs) {
        rows.set(row.modelId, row);
        continue;
      }
      const warnings = JSON.parse(row.warnings) as string[];
      warnings.push(
        theirsFile
          ? `Rebased: elements of this model also hold the changes of "${other.fileName ?? other.sourceSha256}", ` +
              'another file of it, committed meanwhile.'
          : 'Rebased: elements of this model also hold edits committed meanwhile, which this file does not have.',
      );
      rows.set(row.modelId, { ...row, warnings: JSON.stringify(warnings) });
    }
    return [...rows.values()];
  }

  private versionRecord(
    twinId: string,
    baseVersionId: number | null,
    status: NewVersion['status'],
    baseLeaves: VersionLeaf[],
    leaves: VersionLeaf[],
  ): NewVersion {
    const tree = buildVersionTree(leaves.map((l) => [l.elementKey, l.stateHash] as const));
    const delta = diffLeaves(baseLeaves, leaves);
    const before = new Map(baseLeaves.map((l) => [l.elementKey, l]));
    const hashes = delta.flatMap((e) =>
      [before.get(e.elementKey)?.stateHash, e.leaf?.stateHash].filter((h): h is string => !!h),
    );
    const states = this.store.states(hashes);
    return {
      twinId,
      baseVersionId,
      status,
      merkleRoot: tree.root,
      treeNodes: tree.nodes,
      leaves: leaves.map((l) => ({ ...l, leafIndex: tree.leafIndex.get(l.elementKey)! })),
      changeset: {
        entries: delta.map((e) => {
          const oldHash = before.get(e.elementKey)?.stateHash ?? null;
          const newHash = e.leaf?.stateHash ?? null;
          const about = states.get((newHash ?? oldHash)!);
          let fields: string[] = [];
          let details: string[] = [];
          // As an import writes them: a type's sets by their paths, a geometry changed only by
          // the state format as 'format'.
          if (e.change === 'modified' && oldHash && newHash)
            ({ fields, details } = diffStates(
              states.get(oldHash)!.canonical,
              states.get(newHash)!.canonical,
            ));
          return {
            elementKey: e.elementKey,
            globalId: about?.globalId ?? '',
            ifcClass: about?.ifcClass ?? '',
            name: about?.name ?? null,
            change: e.change,
            fields,
            details,
            oldStateHash: oldHash,
            newStateHash: newHash,
          };
        }),
      },
    };
  }
}

/** A conflicting field the resolution did not choose a side for. */
export class MissingChoice extends Error {
  constructor(
    readonly elementKey: string,
    readonly path: string,
  ) {
    super(`Choose mine or theirs for ${path} of element ${elementKey}.`);
  }
}

/**
 * For each model, whether the merged version holds changes that mine's commit made to elements of
 * it (relative to the base), and changes that theirs' made which mine's did not: an element whose
 * merged state is that side's, or mixes both sides' (a merged conflict), or is gone where that
 * side removed it. An element belongs to the model of the side's leaf (the base's if removed).
 */
function keptChanges(
  leaves: Record<'base' | 'mine' | 'theirs' | 'merged', Map<string, VersionLeaf>>,
): Map<string, { mine: boolean; theirs: boolean }> {
  const { base, mine, theirs, merged } = leaves;
  const out = new Map<string, { mine: boolean; theirs: boolean }>();
  const mark = (leaf: VersionLeaf, side: 'mine' | 'theirs') => {
    const model = out.get(leaf.modelId) ?? { mine: false, theirs: false };
    model[side] = true;
    out.set(leaf.modelId, model);
  };
  for (const key of new Set([...base.keys(), ...mine.keys(), ...theirs.keys()])) {
    const b = base.get(key);
    const m = mine.get(key);
    const t = theirs.get(key);
    const state = merged.get(key)?.stateHash;
    const isMine = state === m?.stateHash;
    const mixed = !isMine && state !== t?.stateHash;
    if (m?.stateHash !== b?.stateHash && (isMine || mixed)) mark((m ?? b)!, 'mine');
    if (t?.stateHash !== b?.stateHash && !isMine) mark((t ?? b)!, 'theirs');
  }
  return out;
}

/**
 * This store's models, and those another store's packages name by that store's ids: model ids are
 * each store's own, names are unique within a twin. A package's model is this twin's model of the
 * same name, or one added under an id of this store's own (`added`: rebase writes them).
 */
class ModelMap {
  private readonly ids: Set<string>;
  private readonly byName: Map<string, string>;
  /** Other stores' model ids, as this store's. */
  private readonly alias = new Map<string, string>();
  readonly added: PackageModel[] = [];

  constructor(readonly local: PackageModel[]) {
    this.ids = new Set(local.map((m) => m.id));
    this.byName = new Map(local.map((m) => [m.name, m.id]));
  }

  /** This store's id for the model a package names (null: the package says nothing of it). */
  resolve(id: string, named: ReadonlyMap<string, PackageModel>): string | null {
    if (this.ids.has(id)) return id;
    const known = this.alias.get(id);
    if (known) return known;
    const theirs = named.get(id);
    if (!theirs) return null;
    let mine = this.byName.get(theirs.name);
    if (!mine) {
      mine = randomUUID();
      this.added.push({ id: mine, name: theirs.name, discipline: theirs.discipline });
      this.byName.set(theirs.name, mine);
    }
    this.alias.set(id, mine);
    return mine;
  }
}

/**
 * The versions that can stand for a chain version of the same root: committed ones (a draft is
 * still under review), confirmed first, then the newest.
 */
function standIns(versions: VersionInfo[]): VersionInfo[] {
  const rank = { confirmed: 0, queued: 1, local: 2 } as const;
  return versions
    .filter((v): v is VersionInfo & { status: keyof typeof rank } => v.status in rank)
    .sort((a, b) => rank[a.status] - rank[b.status]);
}

/**
 * An added or changed element as the package gives it. Its model here: one the element already has
 * keeps it (theirs' model ids, and the names of models, may differ from this store's for the same
 * model; `moved` says where theirs moved one: see theirs()); a new one goes to the model the package
 * names (this store's of that name, or one added), or the twin's first model where the package
 * names none (packages of earlier releases).
 */
function applyEntry(
  running: Map<string, VersionLeaf>,
  entry: PackageEntry,
  known: Map<string, string>,
  models: ModelMap,
  named: ReadonlyMap<string, PackageModel>,
): void {
  if (entry.change === 'removed') {
    running.delete(entry.elementKey);
    return;
  }
  const leaf = entry.leaf!;
  const modelId =
    running.get(entry.elementKey)?.modelId ??
    models.resolve(leaf.modelId, named) ??
    known.get(entry.elementKey) ??
    models.local[0]!.id;
  running.set(entry.elementKey, { ...leaf, modelId });
}

/**
 * Meshes (world matrices, float64 column-major, Y up) of an element placed at `from`, moved to
 * where it is placed at `to` (IFC axes, Z up), as reader.ts places a body: M' = (Y_UP . to) .
 * (Y_UP . from)^-1 . M. Unchanged where either placement is missing, they are equal, or `from` is
 * singular.
 */
function movedMeshes(
  meshes: PortableState['meshes'],
  from: number[] | null,
  to: number[] | null,
): PortableState['meshes'] {
  if (!from || !to || from.every((v, i) => v === to[i])) return meshes;
  const fromInverse = invertAffineOrNull(multiply([...Y_UP], from));
  if (!fromInverse) return meshes;
  const move = multiply(multiply([...Y_UP], to), fromInverse);
  return meshes.map((mesh) => {
    const matrix = Array.from(new Float64Array(new Uint8Array(mesh.matrix).buffer));
    return { ...mesh, matrix: new Uint8Array(Float64Array.from(multiply(move, matrix)).buffer) };
  });
}
