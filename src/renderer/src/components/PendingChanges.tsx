// Editing in the renderer: what the active identity may do on the open twin (asked of main, pushed
// again on every grant, expiry or identity switch), the twin's draft with its edit stack, the
// actions (edit, undo, redo, move, commit, discard) and their keyboard shortcuts; plus the pending
// changes panel and the draft bar over the viewport. Main checks the EDITOR role again on every
// edit: nothing here decides a permission, it only shows main's answer and its reason.
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { useApi, useEvent } from '../api-context';
import { useWorkspace } from '../workspace';
import type { DraftState, EditOp } from '../../../shared/api/edits';
import type { OutboxItem } from '../../../shared/api/outbox';
import type { TwinPermissions } from '../../../shared/api/sync';
import '../styles/editing.css';
import { isModalOpen } from './modal-keys';

export interface Editing {
  permissions: TwinPermissions | null;
  /** The active identity holds a live EDITOR role on the open twin (main's verdict). */
  canEdit: boolean;
  /** Why not, in words, when it cannot. */
  reason: string | null;
  draft: DraftState | null;
  /** Applies an edit to an element; answers whether main accepted it (errors are toasted). */
  apply(elementKey: string, edit: EditOp): Promise<boolean>;
  undo(): Promise<void>;
  redo(): Promise<void>;
  busy: boolean;
  /** The move gizmo is on the selected element. */
  moving: boolean;
  setMoving(on: boolean): void;
  commit(): Promise<void>;
  discard(): Promise<void>;
  /** The outbox item of the last commit from here, as it goes queued → sent → confirmed. */
  commitItem: OutboxItem | null;
  /** A request to bring a side panel tab forward (the side panel follows `n`). */
  panelRequest: { tab: 'Properties' | 'Changes' | 'History'; n: number } | null;
  showPanel(tab: 'Properties' | 'Changes' | 'History'): void;
}

const EditingContext = createContext<Editing | null>(null);

export function useEditing(): Editing {
  const editing = useContext(EditingContext);
  if (!editing) throw new Error('useEditing outside EditingProvider');
  return editing;
}

const isTyping = (target: EventTarget | null): boolean => {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
};

/** Viewer axes (Y up: x, y, z) to the model's (IFC, Z up): x, -z, y. */
const toModelAxes = ([x, y, z]: readonly [number, number, number]): [number, number, number] => [
  x,
  -z === 0 ? 0 : -z,
  y,
];

export function EditingProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const { view, twins, toast, leaveReview, openTwin, viewer, selection, loadSummary, compare } =
    useWorkspace();
  const twinId = view?.twinId;
  const twin = twinId ? twins?.find((t) => t.id === twinId) : undefined;
  const [permissions, setPermissions] = useState<TwinPermissions | null>(null);
  const [permissionError, setPermissionError] = useState<string | null>(null);
  const [draft, setDraft] = useState<DraftState | null>(null);
  // The workspace's `viewer` getter is a new function on every workspace change: read it through a
  // ref, or effects and callbacks depending on it would run on every viewer state change.
  const viewerRef = useRef(viewer);
  viewerRef.current = viewer;
  const [busy, setBusy] = useState(false);
  const [moving, setMovingState] = useState(false);
  const [commitItem, setCommitItem] = useState<OutboxItem | null>(null);
  const commitRef = useRef<typeof commitItem>(null);
  const commitReads = useRef(0);
  /** The commit item followed, in the ref (read by the event listener) and in state (drawn). */
  const followCommit = useCallback((item: OutboxItem | null) => {
    commitRef.current = item;
    setCommitItem(item);
  }, []);
  const [panelRequest, setPanelRequest] = useState<Editing['panelRequest']>(null);
  const showPanel = useCallback(
    (tab: 'Properties' | 'Changes' | 'History') => setPanelRequest((r) => ({ tab, n: (r?.n ?? 0) + 1 })),
    [],
  );

  // ---- what main says the identity may do ----
  const loadPermissions = useCallback(() => {
    if (!twinId) return;
    void api.call('sync.permissions', { twinId }).then((r) => {
      if (r.ok) {
        setPermissions(r.value);
        setPermissionError(null);
      } else {
        setPermissions(null);
        setPermissionError(r.error.message);
      }
    });
  }, [api, twinId]);
  useEffect(() => {
    setPermissions(null);
    loadPermissions();
  }, [loadPermissions]);
  useEvent('sync.permissionsChanged', (p) => {
    if (p.twinId === twinId) setPermissions(p);
  });
  useEvent('vault.changed', () => loadPermissions());

  // ---- the draft and its stack ----
  const loadDraft = useCallback(() => {
    if (!twinId) {
      setDraft(null);
      return;
    }
    void api.call('edits.draft', { twinId }).then((r) => r.ok && setDraft(r.value));
  }, [api, twinId]);
  useEffect(loadDraft, [loadDraft]);
  useEvent('edits.changed', (d) => {
    if (d.twinId === twinId) setDraft(d);
  });
  useEvent('twins.changed', (e) => {
    if (e.twinId === twinId) loadDraft();
  });

  // A twin reopened with edits pending shows its draft (the edits survive restarts).
  const shownFor = useRef<string | null>(null);
  useEffect(() => {
    if (!twinId || !draft || draft.twinId !== twinId || shownFor.current === twinId) return;
    if (!view || view.review || view.versionId === undefined) return;
    shownFor.current = twinId;
    if (draft.versionId !== null && draft.edits.length > 0 && view.versionId !== draft.versionId && !compare)
      leaveReview(twinId, draft.versionId);
  }, [twinId, draft, view, leaveReview, compare]);

  const canEdit = permissions?.may.edit ?? false;
  const reason = canEdit
    ? null
    : (permissions?.roles.find((r) => r.role === 'EDITOR')?.reason ??
      permissionError ??
      'Checking what you may do on this twin…');

  /** After a change to the draft: show the draft, and redraw when an element moved. */
  const follow = useCallback(
    (next: DraftState, moved: boolean) => {
      setDraft(next);
      if (!view || next.versionId === null) return;
      if (view.versionId !== next.versionId || view.review) leaveReview(next.twinId, next.versionId);
      else if (moved) void viewerRef.current()?.open(api, next.twinId, next.versionId, { keepCamera: true });
    },
    [api, view, leaveReview],
  );

  const apply = useCallback(
    async (elementKey: string, edit: EditOp): Promise<boolean> => {
      if (!twinId) return false;
      setBusy(true);
      const r = await api.call('edits.apply', { twinId, element: { elementKey }, edit });
      setBusy(false);
      if (!r.ok) {
        toast('error', r.error.message);
        return false;
      }
      follow(r.value.draft, edit.kind === 'move');
      return true;
    },
    [api, twinId, toast, follow],
  );

  const step = useCallback(
    async (direction: 'undo' | 'redo') => {
      if (!twinId) return;
      const entry =
        direction === 'undo'
          ? [...(draft?.edits ?? [])].reverse().find((e) => !e.undone)
          : draft?.edits.find((e) => e.undone);
      setBusy(true);
      const r = await api.call(direction === 'undo' ? 'edits.undo' : 'edits.redo', { twinId });
      setBusy(false);
      if (!r.ok) {
        toast(r.error.code === 'CONFLICT' ? 'info' : 'error', r.error.message);
        return;
      }
      follow(r.value.draft, entry?.kind === 'move');
      if (entry) toast('info', `${direction === 'undo' ? 'Undone' : 'Redone'}: ${entry.summary}`);
    },
    [api, twinId, draft, toast, follow],
  );
  const undo = useCallback(() => step('undo'), [step]);
  const redo = useCallback(() => step('redo'), [step]);

  // ---- moving with the gizmo ----
  const target = selection.length === 1 ? selection[0]! : null;
  const setMoving = useCallback(
    (on: boolean) => {
      if (on && !canEdit) {
        toast('error', reason ?? 'You may not edit this twin.');
        return;
      }
      if (on && !target) {
        toast('info', 'Select one element to move it.');
        return;
      }
      setMovingState(on);
    },
    [canEdit, reason, target, toast],
  );
  useEffect(() => {
    const v = viewerRef.current();
    if (!v) return;
    if (moving && target && canEdit && loadSummary) {
      if (v.state.moving === target) return;
      void v.startMove(target).then((started) => {
        // Not started because it was stopped or the model reloaded meanwhile is no news.
        if (!started && v.state.loaded && v.state.moving === null && v.hasGeometry(target) === false) {
          toast('info', 'This element has no geometry to move.');
          setMovingState(false);
        }
      });
    } else {
      // Also when no gizmo is up yet: a start still loading (after a reload) is voided, else it
      // would put the gizmo back after Esc.
      v.stopMove();
    }
  }, [moving, target, canEdit, loadSummary, toast]);
  useEffect(() => {
    if (!target || !canEdit) setMovingState(false);
  }, [target, canEdit]);
  const applyRef = useRef(apply);
  applyRef.current = apply;
  const hasViewer = !!loadSummary;
  useEffect(() => {
    const v = viewerRef.current();
    if (!v) return;
    return v.events.on('moveEnded', ({ key, translation }) => {
      void applyRef.current(key, { kind: 'move', translation: toModelAxes(translation) });
    });
  }, [hasViewer]);

  // The commit's progress: queued → sent → confirmed (or failed, with the reason). The item is
  // also kept in a ref, set as soon as the commit's reply is handled: an event that follows the
  // reply closely (the embedded chain confirms in milliseconds) is handled before React has
  // re-rendered with the item, and reading state there would drop it and leave "queued" showing.
  const refreshCommit = useCallback(() => {
    const item = commitRef.current;
    if (!item) return;
    const read = ++commitReads.current;
    void api.call('outbox.list', { twinId: item.twinId }).then((r) => {
      // Only the latest read counts (an earlier one's answer can come after it).
      if (!r.ok || read !== commitReads.current || commitRef.current?.id !== item.id) return;
      const now = r.value.items.find((i) => i.id === item.id);
      if (!now || now.status === commitRef.current.status) return;
      followCommit(now);
      if (now.status === 'confirmed') toast('ok', `Version confirmed on chain in block ${now.blockNumber}.`);
      if (now.status === 'failed') toast('error', `The commit failed: ${now.reason ?? 'unknown reason'}`);
    });
  }, [api, toast, followCommit]);

  // ---- commit and discard ----
  const commit = useCallback(async () => {
    if (!twinId || !draft?.versionId) return;
    setBusy(true);
    if (twin?.chainTwinId) {
      const r = await api.call('outbox.commitVersion', { twinId, versionId: draft.versionId });
      setBusy(false);
      if (!r.ok) {
        toast('error', `Could not commit: ${r.error.message}`);
        return;
      }
      followCommit(r.value);
      toast('ok', `Signed and queued: ${r.value.summary.split('\n')[0]}`);
      // The relayer may have sent and confirmed it already, its events gone by before this reply.
      refreshCommit();
    } else {
      const r = await api.call('twins.commitDraft', { twinId, versionId: draft.versionId });
      setBusy(false);
      if (!r.ok) {
        toast('error', `Could not commit: ${r.error.message}`);
        return;
      }
      toast('ok', `Committed version ${r.value.seq} (local: this twin is not on a chain).`);
    }
    setMovingState(false);
    loadDraft();
  }, [api, twinId, twin, draft, toast, loadDraft, followCommit, refreshCommit]);

  const discard = useCallback(async () => {
    if (!twinId || !draft?.versionId) return;
    setBusy(true);
    const r = await api.call('twins.discardDraft', { twinId, versionId: draft.versionId });
    setBusy(false);
    if (!r.ok) {
      toast('error', `Could not discard: ${r.error.message}`);
      return;
    }
    toast('info', 'The draft and its edits were discarded.');
    setMovingState(false);
    openTwin(twinId);
  }, [api, twinId, draft, toast, openTwin]);

  useEvent('outbox.changed', ({ itemIds }) => {
    const item = commitRef.current;
    if (item && itemIds.includes(item.id)) refreshCommit();
  });
  useEffect(() => followCommit(null), [twinId, followCommit]);

  // ---- keyboard: Ctrl+Z undo, Ctrl+Shift+Z / Ctrl+Y redo, M move ----
  const latest = useRef({ undo, redo, setMoving, moving, canEdit, draft });
  latest.current = { undo, redo, setMoving, moving, canEdit, draft };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || e.altKey || isModalOpen()) return;
      const ctrl = e.ctrlKey || e.metaKey;
      const now = latest.current;
      const key = e.key.toLowerCase();
      if (ctrl && (key === 'z' || key === 'y')) {
        e.preventDefault();
        if (!now.canEdit) return;
        if (key === 'y' || e.shiftKey) void now.redo();
        else void now.undo();
        return;
      }
      if (!ctrl && key === 'm') {
        e.preventDefault();
        now.setMoving(!now.moving);
      } else if (e.key === 'Escape' && now.moving) {
        // Esc ends moving only; the viewer's own Esc (clear the selection) waits for the next one.
        e.stopPropagation();
        now.setMoving(false);
      }
    };
    // Capture: seen before the viewport's shortcuts (window, bubbling).
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);

  const value = useMemo<Editing>(
    () => ({
      permissions,
      canEdit,
      reason,
      draft,
      apply,
      undo,
      redo,
      busy,
      moving,
      setMoving,
      commit,
      discard,
      commitItem,
      panelRequest,
      showPanel,
    }),
    [
      permissions,
      canEdit,
      reason,
      draft,
      apply,
      undo,
      redo,
      busy,
      moving,
      setMoving,
      commit,
      discard,
      commitItem,
      panelRequest,
      showPanel,
    ],
  );
  return <EditingContext.Provider value={value}>{children}</EditingContext.Provider>;
}

const when = (ms: number) => new Date(ms).toLocaleTimeString();

/** The draft's edits with undo/redo, commit and discard (the Changes tab outside an import review). */
export function PendingChangesPanel() {
  const { draft, canEdit, reason, undo, redo, busy, commit, discard, commitItem } = useEditing();
  const { select, selection } = useWorkspace();
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const applied = draft?.edits.filter((e) => !e.undone) ?? [];
  const undone = draft?.edits.filter((e) => e.undone) ?? [];
  const changed = draft?.changes ? draft.changes.added + draft.changes.modified + draft.changes.removed : 0;
  return (
    <div className="pending-changes" data-testid="pending-changes">
      {!canEdit && reason && (
        <p className="readonly-note" data-testid="edit-disabled-reason">
          Read-only: {reason}
        </p>
      )}
      {commitItem && <CommitProgress item={commitItem} />}
      {!draft?.versionId || draft.edits.length === 0 ? (
        <div className="empty-state">
          <p className="empty-title">No pending changes</p>
          <p>
            {canEdit
              ? 'Select an element and edit its properties, its status or its position (M, or Move in the properties). Edits collect here as a draft until you commit them.'
              : 'Edits need a live EDITOR role on this twin. Switch identity from the status bar to one that has it.'}
          </p>
        </div>
      ) : (
        <>
          <div className="pending-head">
            <span>
              <strong data-testid="pending-count">{applied.length}</strong> edit
              {applied.length === 1 ? '' : 's'} · {changed} element{changed === 1 ? '' : 's'} changed
            </span>
            <span className="pending-actions">
              <button
                className="button small"
                onClick={() => void undo()}
                disabled={!canEdit || busy || !draft.canUndo}
                title={canEdit ? (draft.undoLabel ?? 'Nothing to undo') + ' (Ctrl+Z)' : (reason ?? '')}
                data-testid="undo"
              >
                ↶ Undo
              </button>
              <button
                className="button small"
                onClick={() => void redo()}
                disabled={!canEdit || busy || !draft.canRedo}
                title={canEdit ? (draft.redoLabel ?? 'Nothing to redo') + ' (Ctrl+Shift+Z)' : (reason ?? '')}
                data-testid="redo"
              >
                ↷ Redo
              </button>
            </span>
          </div>
          <ol className="edit-list">
            {applied.map((e) => (
              <li
                key={e.id}
                className={`edit-entry${selection.includes(e.elementKey) ? ' selected' : ''}`}
                data-testid="pending-edit"
              >
                <button className="edit-row" onClick={() => select([e.elementKey], 'changes', { fit: true })}>
                  <span className="edit-element">{e.elementName ?? e.globalId}</span>
                  <span className="edit-summary">{e.summary}</span>
                  <span className="muted small">
                    {e.author?.label ?? 'unknown'} · {when(e.createdAt)}
                  </span>
                </button>
              </li>
            ))}
            {[...undone].reverse().map((e) => (
              <li
                key={e.id}
                className="edit-entry undone"
                data-testid="undone-edit"
                title="Undone: Redo applies it again"
              >
                <span className="edit-element">{e.elementName ?? e.globalId}</span>
                <span className="edit-summary">{e.summary}</span>
              </li>
            ))}
          </ol>
          <footer className="changes-footer">
            {confirmDiscard ? (
              <>
                <span className="muted">Discard all {draft.edits.length} edits?</span>
                <button className="button" onClick={() => setConfirmDiscard(false)}>
                  Keep
                </button>
                <button
                  className="button danger"
                  data-testid="confirm-discard"
                  onClick={() => {
                    setConfirmDiscard(false);
                    void discard();
                  }}
                >
                  Discard
                </button>
              </>
            ) : (
              <>
                <button className="button" disabled={busy} onClick={() => setConfirmDiscard(true)}>
                  Discard draft
                </button>
                <button
                  className="button primary"
                  disabled={busy || !canEdit || changed === 0}
                  title={
                    !canEdit
                      ? (reason ?? '')
                      : changed === 0
                        ? 'Every edit was undone: nothing to commit'
                        : 'Sign the draft with your identity and queue it for the chain'
                  }
                  onClick={() => void commit()}
                  data-testid="commit-edits"
                >
                  Commit version
                </button>
              </>
            )}
          </footer>
        </>
      )}
    </div>
  );
}

function CommitProgress({ item }: { item: OutboxItem }) {
  const steps = ['queued', 'sent', 'confirmed'] as const;
  const at = steps.indexOf(item.status as (typeof steps)[number]);
  return (
    <div className={`commit-progress ${item.status}`} data-testid="commit-progress" data-status={item.status}>
      <div className="commit-steps">
        {steps.map((s, i) => (
          <span key={s} className={at >= i ? 'done' : ''}>
            {s}
          </span>
        ))}
      </div>
      <div className="muted small">
        {item.status === 'confirmed'
          ? `On chain in block ${item.blockNumber}, transaction ${item.txHash?.slice(0, 10)}…`
          : item.status === 'failed' || item.status === 'conflict'
            ? (item.reason ?? item.status)
            : item.status === 'sent'
              ? `Sent in transaction ${item.txHash?.slice(0, 10)}…`
              : 'Signed and waiting for the relayer (works offline; sent when the chain is reachable).'}
      </div>
    </div>
  );
}

/** A slim bar over the viewport while the twin has pending edits: counts, undo/redo, review. */
export function DraftBar() {
  const { draft, canEdit, reason, undo, redo, busy, moving, showPanel } = useEditing();
  if (!draft?.versionId || draft.edits.length === 0) return null;
  const applied = draft.edits.filter((e) => !e.undone).length;
  return (
    <div className="draft-bar" data-testid="draft-bar">
      <span>
        <strong>Draft</strong> · {applied} pending edit{applied === 1 ? '' : 's'}
        {moving ? ' · drag an arrow to move, Esc to stop' : ''}
      </span>
      <button
        className="tool-text"
        onClick={() => void undo()}
        disabled={!canEdit || busy || !draft.canUndo}
        title={canEdit ? `${draft.undoLabel ?? 'Nothing to undo'} (Ctrl+Z)` : (reason ?? '')}
        aria-label="Undo"
      >
        ↶
      </button>
      <button
        className="tool-text"
        onClick={() => void redo()}
        disabled={!canEdit || busy || !draft.canRedo}
        title={canEdit ? `${draft.redoLabel ?? 'Nothing to redo'} (Ctrl+Shift+Z)` : (reason ?? '')}
        aria-label="Redo"
      >
        ↷
      </button>
      <button className="link" onClick={() => showPanel('Changes')} data-testid="review-edits">
        Review & commit
      </button>
    </div>
  );
}
