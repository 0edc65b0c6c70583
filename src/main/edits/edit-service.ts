// Editing a twin in main: each edit is checked against the active identity's EDITOR role (sync's
// permissions, judged at the chain's time), applied to the twin's draft version in one transaction
// (the element's new state, the draft's Merkle tree and root, its changeset entry and the edit's row
// on the undo stack), then announced. The draft is the same kind of version an import makes, so its
// changeset, root and commit through the outbox work unchanged.
import { canonicalJson, type CanonicalValue } from '../../shared/canonical';
import { elementKeyOf, stateHashOfCanonical, type ElementState } from '../../shared/fingerprint';
import type { DraftState, EditEntry, EditOp, EditResult } from '../../shared/api/edits';
import { AppError } from '../../shared/result';
import { diffStates } from '../ifc/changeset';
import { buildVersionTree } from '../ifc/merkle';
import { searchTextOf } from '../ifc/search-text';
import type { EventBus } from '../services/events';
import { DraftStore, type EditRow } from '../store/drafts';
import { OutboxStore, type PortableState, type VersionInfo } from '../store/outbox';
import type { TwinStore } from '../store/twin-store';
import { applyEdit, translateMatrix } from './operations';

export interface EditServiceOptions {
  store: TwinStore;
  bus: EventBus;
  /** Throws FORBIDDEN, with the reason in words, unless the active identity may edit the twin now. */
  assertEditor: (twinId: string) => Promise<void>;
  /** Who is editing (recorded with each edit); null without an identity. */
  activeIdentity: () => { address: string; label: string } | null;
}

type ElementRef = { globalId: string } | { elementKey: string };
const keyOf = (ref: ElementRef): string =>
  'elementKey' in ref ? ref.elementKey : elementKeyOf(ref.globalId);

export class EditService {
  readonly drafts: DraftStore;
  private readonly versions: OutboxStore;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EditServiceOptions) {
    this.drafts = new DraftStore(options.store.db);
    this.versions = new OutboxStore(options.store.db);
  }

  /** Applies one edit to the twin's draft (made from the head when there is none). */
  apply(twinId: string, element: ElementRef, op: EditOp): Promise<EditResult> {
    return this.exclusive(async () => {
      this.options.store.getTwin(twinId);
      await this.options.assertEditor(twinId);
      const elementKey = keyOf(element);
      const author = this.options.activeIdentity();
      const { draft, stateHash } = this.versions.transaction(() => {
        const { draft } = this.draftFor(twinId);
        const leaf = this.drafts.leaf(draft.id, elementKey);
        if (!leaf) {
          throw new AppError(
            'NOT_FOUND',
            `The draft of this twin has no element ${'globalId' in element ? element.globalId : elementKey}.`,
          );
        }
        const before = this.versions.exportStates([leaf.stateHash]).states[0];
        if (!before) throw new Error(`State ${leaf.stateHash} is missing from the store.`);
        const state = JSON.parse(before.canonical) as ElementState;
        const outcome = applyEdit(state, op);
        const canonical = canonicalJson(outcome.state as unknown as CanonicalValue);
        const stateHash = stateHashOfCanonical(canonical);
        if (stateHash === leaf.stateHash)
          throw new AppError('BAD_REQUEST', `That changes nothing on ${state.name ?? state.globalId}.`);
        const translation = outcome.meshTranslation;
        const after: PortableState = {
          ...before,
          stateHash,
          canonical,
          name: outcome.state.name,
          searchText: searchTextOf(outcome.state),
          meshes: translation
            ? before.meshes.map((m) => ({ ...m, matrix: translateMatrix(m.matrix, translation) }))
            : before.meshes,
        };
        this.versions.importStates([after], []);
        this.writeElement(draft, elementKey, stateHash);
        this.drafts.pushEdit({
          twinId,
          versionId: draft.id,
          elementKey,
          globalId: state.globalId,
          ifcClass: state.ifcClass,
          elementName: state.name,
          kind: op.kind,
          op: JSON.stringify(op),
          summary: outcome.summary,
          beforeState: leaf.stateHash,
          afterState: stateHash,
          beforeRow: before,
          afterRow: after,
          author: author?.address ?? null,
          authorLabel: author?.label ?? null,
        });
        return { draft, stateHash };
      });
      return this.announce(twinId, draft.id, elementKey, stateHash);
    });
  }

  /** Reverts the draft's latest edit. */
  undo(twinId: string): Promise<EditResult> {
    return this.step(twinId, 'undo');
  }

  /** Applies the latest undone edit again. */
  redo(twinId: string): Promise<EditResult> {
    return this.step(twinId, 'redo');
  }

  /** The twin's draft with its edit stack. */
  draft(twinId: string): DraftState {
    const twin = this.options.store.getTwin(twinId);
    const draft = this.versions.draftOf(twinId);
    if (!draft) {
      return {
        twinId,
        versionId: null,
        seq: null,
        baseVersionId: null,
        merkleRoot: null,
        changes: null,
        edits: [],
        canUndo: false,
        canRedo: false,
        undoLabel: null,
        redoLabel: null,
      };
    }
    const edits = this.drafts.editList(draft.id);
    const summary = twin.draft;
    const lastApplied = [...edits].reverse().find((e) => !e.undone) ?? null;
    const firstUndone = edits.find((e) => e.undone) ?? null;
    return {
      twinId,
      versionId: draft.id,
      seq: draft.seq,
      baseVersionId: draft.baseVersionId,
      merkleRoot: draft.merkleRoot as `0x${string}`,
      changes: summary?.changeset
        ? {
            added: summary.changeset.added,
            removed: summary.changeset.removed,
            modified: summary.changeset.modified,
          }
        : { added: 0, removed: 0, modified: 0 },
      edits: edits.map(toEntry),
      canUndo: lastApplied !== null,
      canRedo: firstUndone !== null,
      undoLabel: lastApplied ? `Undo: ${lastApplied.summary} on ${nameOf(lastApplied)}` : null,
      redoLabel: firstUndone ? `Redo: ${firstUndone.summary} on ${nameOf(firstUndone)}` : null,
    };
  }

  // ---- internals -------------------------------------------------------------------------------

  private step(twinId: string, direction: 'undo' | 'redo'): Promise<EditResult> {
    return this.exclusive(async () => {
      this.options.store.getTwin(twinId);
      await this.options.assertEditor(twinId);
      const { draft, edit } = this.versions.transaction(() => {
        const draft = this.versions.draftOf(twinId);
        const edit = draft
          ? direction === 'undo'
            ? this.drafts.lastApplied(draft.id)
            : this.drafts.firstUndone(draft.id)
          : null;
        if (!draft || !edit)
          throw new AppError(
            'CONFLICT',
            direction === 'undo' ? 'There is nothing to undo.' : 'There is nothing to redo.',
          );
        const expected = direction === 'undo' ? edit.afterState : edit.beforeState;
        const current = this.drafts.leaf(draft.id, edit.elementKey);
        if (current?.stateHash !== expected) {
          throw new AppError(
            'CONFLICT',
            `${nameOf(edit)} changed in the draft since that edit (an import?), so it cannot be ${direction === 'undo' ? 'undone' : 'redone'}.`,
          );
        }
        const row = direction === 'undo' ? edit.beforeRow : edit.afterRow;
        this.versions.importStates([row], []);
        this.writeElement(draft, edit.elementKey, row.stateHash);
        this.drafts.setUndone(edit.id, direction === 'undo');
        return { draft, edit };
      });
      const stateHash = direction === 'undo' ? edit.beforeState : edit.afterState;
      return this.announce(twinId, draft.id, edit.elementKey, stateHash);
    });
  }

  /** The twin's draft, or a new one copying its head (inside the caller's transaction). */
  private draftFor(twinId: string): { draft: VersionInfo; created: boolean } {
    const existing = this.versions.draftOf(twinId);
    if (existing) return { draft: existing, created: false };
    const headId = this.versions.twinHead(twinId);
    if (headId === null) throw new AppError('NOT_FOUND', 'This twin has no version to edit yet.');
    const head = this.versions.version(headId)!;
    const leaves = this.versions.leaves(headId);
    const tree = buildVersionTree(leaves.map((l) => [l.elementKey, l.stateHash] as const));
    const id = this.versions.createVersion({
      twinId,
      baseVersionId: head.id,
      status: 'draft',
      merkleRoot: tree.root,
      treeNodes: tree.nodes,
      leaves: leaves.map((l) => ({ ...l, leafIndex: tree.leafIndex.get(l.elementKey)! })),
      changeset: { entries: [] },
    });
    return { draft: this.versions.version(id)!, created: true };
  }

  /** Points the draft's leaf at a state, then rebuilds its tree and the element's changeset entry. */
  private writeElement(draft: VersionInfo, elementKey: string, stateHash: string): void {
    this.drafts.setLeafState(draft.id, elementKey, stateHash);
    const leaves = this.drafts.leafIndexes(draft.id);
    const tree = buildVersionTree(leaves.map((l) => [l.elementKey, l.stateHash] as const));
    // Leaves are ordered by hash: one changed leaf shifts those between its old and new place.
    const moved = new Map<string, number>();
    for (const l of leaves) {
      const index = tree.leafIndex.get(l.elementKey)!;
      if (index !== l.leafIndex) moved.set(l.elementKey, index);
    }
    this.drafts.writeTree(draft.id, tree.root, tree.nodes, moved);
    const changeset = this.drafts.changesetOf(draft.twinId, draft.id, draft.baseVersionId);
    const base = draft.baseVersionId === null ? null : this.drafts.leaf(draft.baseVersionId, elementKey);
    const canonical = this.drafts.canonical(stateHash)!;
    const state = JSON.parse(canonical) as ElementState;
    const about = { globalId: state.globalId, ifcClass: state.ifcClass, name: state.name };
    if (!base) {
      this.drafts.setChangesetEntry(changeset, elementKey, {
        ...about,
        change: 'added',
        fields: [],
        details: [],
        oldStateHash: null,
        newStateHash: stateHash,
      });
    } else if (base.stateHash === stateHash) {
      this.drafts.setChangesetEntry(changeset, elementKey, null);
    } else {
      const diff = diffStates(this.drafts.canonical(base.stateHash)!, canonical);
      this.drafts.setChangesetEntry(changeset, elementKey, {
        ...about,
        change: 'modified',
        fields: diff.fields,
        details: diff.details,
        oldStateHash: base.stateHash,
        newStateHash: stateHash,
      });
    }
  }

  private announce(twinId: string, versionId: number, elementKey: string, stateHash: string): EditResult {
    this.options.store.forgetGeometryPlan(versionId);
    const draft = this.draft(twinId);
    this.options.bus.emit('edits.changed', draft);
    // The twin's list entry carries its draft (created, or its counts changed).
    this.options.bus.emit('twins.changed', { twinId });
    return { draft, elementKey: elementKey as `0x${string}`, stateHash: stateHash as `0x${string}` };
  }

  /** One edit at a time: each reads the draft the previous one wrote. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

type EditListRow = Omit<EditRow, 'beforeRow' | 'afterRow'>;
const nameOf = (edit: EditListRow): string => edit.elementName ?? edit.globalId;

function toEntry(edit: EditListRow): EditEntry {
  return {
    id: edit.id,
    seq: edit.seq,
    kind: edit.kind as EditEntry['kind'],
    elementKey: edit.elementKey as `0x${string}`,
    globalId: edit.globalId,
    ifcClass: edit.ifcClass,
    elementName: edit.elementName,
    summary: edit.summary,
    author: edit.author ? { address: edit.author, label: edit.authorLabel ?? edit.author } : null,
    createdAt: edit.createdAt,
    undone: edit.undone,
  };
}
