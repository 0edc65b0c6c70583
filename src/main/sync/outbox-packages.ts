// Changeset packages: what a committed version changed (element states with their meshes and
// geometry, and removed keys), content-addressed by keccak256, named by the URI the commit intent
// carries. Another machine whose commit lost the race reads the winner's package to rebase its own
// edits on top; the chain holds only the hash and the URI. Packages live in folders: the app's own,
// plus any shared ones (a team drive; in tests, a folder both "laptops" see).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keccak256, toUtf8Bytes } from 'ethers';
import type { OutboxStore, PortableGeometry, PortableState, VersionLeaf } from '../store/outbox';

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
  states: PortableState[];
  geometries: PortableGeometry[];
}

interface Wire {
  format: 1;
  baseRoot: string | null;
  root: string;
  entries: PackageEntry[];
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
    const entries = diffLeaves(
      baseVersionId === null ? [] : store.leaves(baseVersionId),
      store.leaves(versionId),
    );
    const hashes = entries.filter((e) => e.leaf).map((e) => e.leaf!.stateHash);
    const { states, geometries } = store.exportStates(hashes);
    return this.put({
      format: 1,
      baseRoot: base?.merkleRoot ?? null,
      root: version.merkleRoot,
      entries,
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
