// A twin's history in main: its versions as a timeline (authors, times, transactions and blocks from
// the chain index; the outbox item while a version waits; imports and edits named), the difference
// between any two versions with field diffs, and one element's own history.
import type { ElementState } from '../../shared/fingerprint';
import { elementKeyOf } from '../../shared/fingerprint';
import type {
  DiffEntry,
  ElementHistory,
  ElementHistoryEntry,
  FieldDiff,
  VersionEntry,
  VersionDiff,
} from '../../shared/api/history';
import type { VersionSummary } from '../../shared/api/twins';
import { AppError } from '../../shared/result';
import { ElementStatus } from '../../shared/api/edits';
import { statusOf } from './operations';
import { diffStates } from '../ifc/changeset';
import { propertyAtPath } from '../../shared/property-paths';
import type { ChainIndex, ChainVersion } from '../store/chain-index';
import { DraftStore } from '../store/drafts';
import { OutboxStore, type OutboxItemRow } from '../store/outbox';
import { ghostGeometry, type GhostGeometry } from './ghosts';
import type { TwinStore } from '../store/twin-store';

export interface HistoryServiceOptions {
  store: TwinStore;
  /** The chain index (null without sync): authors, transactions and blocks of committed versions. */
  index: () => ChainIndex | null;
  /** A person's name for an address (vault labels: "Demo engineer"), or null when unknown. */
  labelOf: (address: string) => string | null;
}

type Person = { address: string; label: string };
type ElementRef = { globalId: string } | { elementKey: string };
const DEFAULT_DIFF_LIMIT = 5_000;

export class HistoryService {
  private readonly drafts: DraftStore;
  private readonly outbox: OutboxStore;

  constructor(private readonly options: HistoryServiceOptions) {
    this.drafts = new DraftStore(options.store.db);
    this.outbox = new OutboxStore(options.store.db);
  }

  timeline(twinId: string): VersionEntry[] {
    const twin = this.options.store.getTwin(twinId);
    const versions = this.options.store.listVersions(twinId);
    const context = this.context(twinId);
    const edits = this.drafts.editCounts(twinId);
    return versions
      .map((v): VersionEntry => {
        const chain = context.chainVersionOf(v);
        const item = context.itemOf(v.id);
        const edited = edits.get(v.id);
        const origin: VersionEntry['origin'] =
          edited && edited.count > 0
            ? 'edits'
            : v.changeset?.modelId || v.baseVersionId === null
              ? 'import'
              : 'merge';
        let title: string;
        if (origin === 'edits') {
          title = `${edited!.count} edit${edited!.count === 1 ? '' : 's'}`;
        } else if (origin === 'import') {
          const files = v.changeset?.modelId ? this.drafts.importedFiles(v.id) : this.drafts.modelsOf(v.id);
          title = files.length
            ? `Imported ${files.map((f) => `${f.fileName} (${f.discipline})`).join(', ')}`
            : 'Imported model';
        } else title = `Rebased onto version ${this.seqOf(versions, v.baseVersionId) ?? '?'}`;
        const author: Person | null = chain
          ? this.person(chain.author)
          : item
            ? this.person(item.signer)
            : edited?.authors.length
              ? { address: '', label: edited.authors.join(', ') }
              : null;
        return {
          versionId: v.id,
          seq: v.seq,
          status: v.status,
          baseVersionId: v.baseVersionId,
          merkleRoot: v.merkleRoot,
          elementCount: v.elementCount,
          origin,
          title,
          author,
          time: chain ? chain.committedAt * 1000 : (v.committedAt ?? v.createdAt),
          chain: chain
            ? {
                version: chain.version,
                txHash: chain.txHash,
                blockNumber: chain.blockNumber,
                committedAt: chain.committedAt * 1000,
              }
            : null,
          pending:
            item && item.status !== 'confirmed'
              ? { itemId: item.id, status: item.status, txHash: item.txHash }
              : null,
          changes: v.changeset
            ? { added: v.changeset.added, removed: v.changeset.removed, modified: v.changeset.modified }
            : null,
          isHead: twin.head?.id === v.id,
        };
      })
      .reverse();
  }

  diff(twinId: string, fromVersionId: number, toVersionId: number, limit = DEFAULT_DIFF_LIMIT): VersionDiff {
    const from = this.options.store.resolveVersion(twinId, fromVersionId);
    const to = this.options.store.resolveVersion(twinId, toVersionId);
    const a = this.drafts.leafMap(from.id);
    const b = this.drafts.leafMap(to.id);
    const changed: { key: string; change: DiffEntry['change']; old: string | null; now: string | null }[] =
      [];
    for (const [key, old] of a) {
      const now = b.get(key);
      if (now === undefined) changed.push({ key, change: 'removed', old, now: null });
      else if (now !== old) changed.push({ key, change: 'modified', old, now });
    }
    for (const [key, now] of b) if (!a.has(key)) changed.push({ key, change: 'added', old: null, now });
    const labels = this.drafts.stateLabels(changed.map((c) => (c.now ?? c.old)!));
    const order = { modified: 0, added: 1, removed: 2 } as const;
    const described = changed.map((c) => ({ ...c, about: labels.get((c.now ?? c.old)!)! }));
    described.sort(
      (x, y) =>
        order[x.change] - order[y.change] ||
        x.about.ifcClass.localeCompare(y.about.ifcClass) ||
        (x.about.name ?? '').localeCompare(y.about.name ?? '') ||
        x.about.globalId.localeCompare(y.about.globalId),
    );
    const entries = described.slice(0, limit).map((c): DiffEntry => {
      let fields: string[] = [];
      let diffs: FieldDiff[] = [];
      if (c.change === 'modified') {
        const before = this.drafts.canonical(c.old!)!;
        const after = this.drafts.canonical(c.now!)!;
        ({ fields, diffs } = fieldDiffs(before, after));
      }
      return {
        elementKey: c.key,
        globalId: c.about.globalId,
        ifcClass: c.about.ifcClass,
        name: c.about.name,
        change: c.change,
        fields,
        diffs,
      };
    });
    const count = (kind: DiffEntry['change']) => changed.filter((c) => c.change === kind).length;
    return {
      twinId,
      fromVersionId: from.id,
      toVersionId: to.id,
      fromSeq: from.seq,
      toSeq: to.seq,
      added: count('added'),
      removed: count('removed'),
      modified: count('modified'),
      entries,
      truncated: described.length > entries.length,
    };
  }

  /** Element key → status for the version's elements whose state records one. */
  statuses(twinId: string, versionId?: number): { statuses: Record<string, ElementStatus> } {
    const version = this.options.store.resolveVersion(twinId, versionId);
    const statuses: Record<string, ElementStatus> = {};
    for (const [elementKey, canonical] of this.drafts.statusStates(twinId, version.id)) {
      const parsed = ElementStatus.safeParse(statusOf(JSON.parse(canonical) as ElementState));
      if (parsed.success) statuses[elementKey] = parsed.data;
    }
    return { statuses };
  }

  element(twinId: string, ref: ElementRef): ElementHistory {
    const versions = this.options.store.listVersions(twinId);
    const elementKey = 'elementKey' in ref ? ref.elementKey : elementKeyOf(ref.globalId);
    const states = this.drafts.elementAcrossVersions(twinId, elementKey);
    if (states.size === 0)
      throw new AppError(
        'NOT_FOUND',
        `No version of this twin has element ${'globalId' in ref ? ref.globalId : elementKey}.`,
      );
    const context = this.context(twinId);
    const editsByVersion = new Map<number, string[]>();
    for (const edit of this.drafts.editsOfElement(twinId, elementKey)) {
      const list = editsByVersion.get(edit.versionId) ?? [];
      list.push(edit.authorLabel ? `${edit.summary} (${edit.authorLabel})` : edit.summary);
      editsByVersion.set(edit.versionId, list);
    }
    const entries: ElementHistoryEntry[] = [];
    for (const v of versions) {
      const now = states.get(v.id) ?? null;
      const before = v.baseVersionId === null ? null : (states.get(v.baseVersionId) ?? null);
      if (now === before) continue;
      const change: ElementHistoryEntry['change'] =
        before === null ? 'added' : now === null ? 'removed' : 'modified';
      let fields: string[] = [];
      let diffs: FieldDiff[] = [];
      if (change === 'modified')
        ({ fields, diffs } = fieldDiffs(this.drafts.canonical(before!)!, this.drafts.canonical(now!)!));
      const chain = context.chainVersionOf(v);
      const item = context.itemOf(v.id);
      entries.push({
        versionId: v.id,
        seq: v.seq,
        status: v.status,
        change,
        stateHash: now,
        fields,
        diffs,
        author: chain ? this.person(chain.author) : item ? this.person(item.signer) : null,
        time: chain ? chain.committedAt * 1000 : (v.committedAt ?? v.createdAt),
        txHash: chain?.txHash ?? item?.txHash ?? null,
        blockNumber: chain?.blockNumber ?? item?.blockNumber ?? null,
        edits: editsByVersion.get(v.id) ?? [],
      });
    }
    const latest = [...states.values()].pop()!;
    const about = this.drafts.stateLabels([latest]).get(latest);
    return {
      twinId,
      elementKey,
      globalId: about?.globalId ?? null,
      name: about?.name ?? null,
      ifcClass: about?.ifcClass ?? null,
      entries: entries.reverse(),
    };
  }

  /** Geometry of some elements of a version, for ghosts (see ghosts.ts). */
  ghosts(twinId: string, versionId: number, elementKeys: readonly string[]): GhostGeometry {
    const version = this.options.store.resolveVersion(twinId, versionId);
    return ghostGeometry(this.drafts, version.id, elementKeys);
  }

  // ---- internals -------------------------------------------------------------------------------

  private context(twinId: string) {
    const index = this.options.index();
    const chainTwinId = index?.chainTwinOf(twinId) ?? null;
    const byRoot = new Map<string, ChainVersion>();
    if (index && chainTwinId)
      for (const cv of index.versions(chainTwinId)) byRoot.set(cv.modelRoot.toLowerCase(), cv);
    const items = new Map<number, OutboxItemRow>();
    for (const item of this.outbox.items({ storeTwinId: twinId }).reverse()) {
      if (item.kind === 'commitVersion' && item.versionId !== null && !items.has(item.versionId))
        items.set(item.versionId, item);
    }
    return {
      /** The chain version a store version is, by its root (drafts never are). */
      chainVersionOf: (v: VersionSummary): ChainVersion | null =>
        v.status === 'draft' ? null : (byRoot.get(v.merkleRoot.toLowerCase()) ?? null),
      itemOf: (versionId: number): OutboxItemRow | null => items.get(versionId) ?? null,
    };
  }

  private person(address: string): Person {
    return { address, label: this.options.labelOf(address) ?? `${address.slice(0, 6)}…${address.slice(-4)}` };
  }

  private seqOf(versions: VersionSummary[], id: number | null): number | null {
    return versions.find((v) => v.id === id)?.seq ?? null;
  }
}

/** The changed fields of one element and each finer path's values before and after, in words. */
export function fieldDiffs(beforeJson: string, afterJson: string): { fields: string[]; diffs: FieldDiff[] } {
  const { fields, details } = diffStates(beforeJson, afterJson);
  const before = JSON.parse(beforeJson) as ElementState;
  const after = JSON.parse(afterJson) as ElementState;
  return {
    fields,
    diffs: details.map((path) => ({
      path,
      before: valueText(before, path, after),
      after: valueText(after, path, before),
    })),
  };
}

/**
 * A changeset path's value in a state as short text; null when the state has nothing there.
 * `other` (the other state of the diff) tells property paths' `[Qto]` markers apart exactly.
 */
export function valueText(state: ElementState, path: string, other?: ElementState): string | null {
  const sets = (
    list: ElementState['propertySets'] | undefined,
    rest: string,
    others: ElementState['propertySets'] | undefined,
  ): string | null => {
    if (!list) return null;
    const found = propertyAtPath(list, rest, others);
    if (!found) return null;
    const { set, property } = found;
    if (!property) return `${set.properties.length} properties`;
    return show(property.value) + (property.unit ? ` ${property.unit}` : '');
  };
  if (path.startsWith('propertySets.'))
    return sets(state.propertySets, path.slice('propertySets.'.length), other?.propertySets);
  if (path.startsWith('type.propertySets.'))
    return sets(state.type?.propertySets, path.slice('type.propertySets.'.length), other?.type?.propertySets);
  const value = (state as Record<string, unknown>)[path];
  if (value === undefined || value === null) return null;
  if (path === 'placement' && Array.isArray(value) && value.length === 16) {
    const [x, y, z] = [value[12], value[13], value[14]].map((n) => Number(n).toFixed(3));
    return `at (${x}, ${y}, ${z}) m`;
  }
  if (path === 'geometry' && typeof value === 'string') return `shape ${value.slice(0, 10)}…`;
  if (path === 'type' && typeof value === 'object') {
    const t = value as { name: string | null; ifcClass: string };
    return t.name ?? t.ifcClass;
  }
  if (Array.isArray(value)) return `${value.length} item${value.length === 1 ? '' : 's'}`;
  return show(value);
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '(empty)';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 197)}…` : value;
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}
