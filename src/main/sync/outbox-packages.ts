// Changeset packages: what a committed version changed (element states with their meshes and
// geometry, and removed keys), content-addressed by keccak256, named by the URI the commit intent
// carries. Another machine whose commit lost the race reads the winner's package to rebase its own
// edits on top; the chain holds only the hash and the URI. Packages live in folders: the app's own,
// plus any shared ones (a team drive; in tests, a folder both "laptops" see).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keccak256, toUtf8Bytes } from 'ethers';
import { z } from 'zod';
import type {
  OutboxStore,
  PackageModel,
  PortableGeometry,
  PortableState,
  VersionLeaf,
} from '../store/outbox';

export const PACKAGE_URI_PREFIX = 'twinledger:changeset/keccak256/';

export interface PackageEntry {
  elementKey: string;
  change: 'added' | 'removed' | 'modified';
  /** The element in the new version (absent when removed). */
  leaf?: VersionLeaf;
}

export interface ChangesetPackage {
  format: 1;
  baseRoot: string | null;
  root: string;
  entries: PackageEntry[];
  /**
   * The models its entries' leaves name (leaves carry the publishing store's model ids): absent
   * from packages of earlier releases, and ignored where it is not a list of models.
   */
  models?: PackageModel[];
  /**
   * Elements the version placed in another model, their state changed or not (unchanged: no entry,
   * as the Merkle leaf is the same); a reader keeps an element in the model it has it in unless it
   * is here. Absent from packages of earlier releases.
   */
  moved?: VersionLeaf[];
  states: PortableState[];
  geometries: PortableGeometry[];
}

interface Wire {
  format: 1;
  baseRoot: string | null;
  root: string;
  entries: PackageEntry[];
  models?: PackageModel[];
  moved?: VersionLeaf[];
  states: (Omit<PortableState, 'meshes'> & {
    meshes: { geometryHash: string; color: string; matrix: string }[];
  })[];
  geometries: (Omit<PortableGeometry, 'vertices' | 'indices'> & { vertices: string; indices: string })[];
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

/** The element-level difference between two versions' leaves. */
export function diffLeaves(base: readonly VersionLeaf[], next: readonly VersionLeaf[]): PackageEntry[] {
  const before = new Map(base.map((leaf) => [leaf.elementKey, leaf]));
  const entries: PackageEntry[] = [];
  const seen = new Set<string>();
  for (const leaf of next) {
    seen.add(leaf.elementKey);
    const old = before.get(leaf.elementKey);
    if (!old) entries.push({ elementKey: leaf.elementKey, change: 'added', leaf });
    else if (old.stateHash !== leaf.stateHash)
      entries.push({ elementKey: leaf.elementKey, change: 'modified', leaf });
  }
  for (const leaf of base)
    if (!seen.has(leaf.elementKey)) entries.push({ elementKey: leaf.elementKey, change: 'removed' });
  return entries.sort((a, b) => (a.elementKey < b.elementKey ? -1 : a.elementKey > b.elementKey ? 1 : 0));
}

/**
 * The leaves of `next` whose element the base holds in another model (express ids alone are each
 * store's files' own: a reader keeps its own).
 */
export function movedLeaves(base: readonly VersionLeaf[], next: readonly VersionLeaf[]): VersionLeaf[] {
  const before = new Map(base.map((leaf) => [leaf.elementKey, leaf]));
  return next.filter((leaf) => {
    const old = before.get(leaf.elementKey);
    return old !== undefined && old.modelId !== leaf.modelId;
  });
}

export class PackageStore {
  /** `dirs[0]` is written; every folder is read. */
  constructor(private readonly dirs: readonly string[]) {
    for (const dir of dirs) mkdirSync(dir, { recursive: true });
  }

  /** Builds the package of `versionId` against `baseVersionId` from the store and publishes it. */
  publish(
    store: OutboxStore,
    versionId: number,
    baseVersionId: number | null,
  ): { uri: string; hash: string } {
    const version = store.version(versionId)!;
    const base = baseVersionId === null ? null : store.version(baseVersionId);
    const baseLeaves = baseVersionId === null ? [] : store.leaves(baseVersionId);
    const leaves = store.leaves(versionId);
    const entries = diffLeaves(baseLeaves, leaves);
    const moved = movedLeaves(baseLeaves, leaves);
    const hashes = entries.filter((e) => e.leaf).map((e) => e.leaf!.stateHash);
    const { states, geometries } = store.exportStates(hashes);
    const placed = [...entries.flatMap((e) => (e.leaf ? [e.leaf] : [])), ...moved];
    const models = store.modelsById([...new Set(placed.map((leaf) => leaf.modelId))]);
    return this.put({
      format: 1,
      baseRoot: base?.merkleRoot ?? null,
      root: version.merkleRoot,
      entries,
      models,
      moved,
      states,
      geometries,
    });
  }

  put(pkg: ChangesetPackage): { uri: string; hash: string } {
    const wire: Wire = {
      ...pkg,
      states: pkg.states.map((s) => ({
        ...s,
        meshes: s.meshes.map((m) => ({
          geometryHash: m.geometryHash,
          color: b64(m.color),
          matrix: b64(m.matrix),
        })),
      })),
      geometries: pkg.geometries.map((g) => ({ ...g, vertices: b64(g.vertices), indices: b64(g.indices) })),
    };
    const text = JSON.stringify(wire);
    const hash = keccak256(toUtf8Bytes(text));
    // Content-addressed and rebuildable from the store: an atomic rename is enough, no fsync.
    for (const dir of this.dirs) {
      const path = join(dir, `${hash.slice(2)}.json`);
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, path);
    }
    return { uri: `${PACKAGE_URI_PREFIX}${hash.slice(2)}`, hash };
  }

  /** The package a URI names, checked against its hash; null when no folder has it. */
  get(uri: string): ChangesetPackage | null {
    if (!uri.startsWith(PACKAGE_URI_PREFIX)) return null;
    const hex = uri.slice(PACKAGE_URI_PREFIX.length);
    if (!/^[0-9a-f]{64}$/.test(hex)) return null;
    for (const dir of this.dirs) {
      let text: string;
      try {
        text = readFileSync(join(dir, `${hex}.json`), 'utf8');
      } catch {
        continue;
      }
      if (keccak256(toUtf8Bytes(text)) !== `0x${hex}`) continue;
      const wire = JSON.parse(text) as Wire;
      return {
        ...wire,
        models: valid(PackageModels, wire.models),
        moved: valid(MovedLeaves, wire.moved),
        states: wire.states.map((s) => ({
          ...s,
          meshes: s.meshes.map((m) => ({
            geometryHash: m.geometryHash,
            color: bytes(m.color),
            matrix: bytes(m.matrix),
          })),
        })),
        geometries: wire.geometries.map((g) => ({
          ...g,
          vertices: bytes(g.vertices),
          indices: bytes(g.indices),
        })),
      };
    }
    return null;
  }
}

/** What a package may say of its models and moved elements (another machine wrote the file). */
const PackageModels = z.array(
  z.object({
    id: z.string().min(1).max(200),
    name: z.string().min(1).max(500),
    discipline: z.string().min(1).max(100),
  }),
);
const Hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const MovedLeaves = z.array(
  z.object({
    elementKey: Hex32,
    modelId: z.string().min(1).max(200),
    stateHash: Hex32,
    expressId: z.number().int().min(0),
  }),
);

/** The member where it is what the schema says; else none (as in packages of earlier releases). */
function valid<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
