// The workspace's shared state: which twin and version are open, the selection (element keys),
// the viewer's plain view state, the spatial tree, draft review and toasts. The viewer facade is
// kept in a ref and driven from here; React state only ever holds ids and plain data.
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
import { useApi, useEvent } from './api-context';
import type { SpatialTree, TwinSummary, Changeset } from '../../shared/api/twins';
import type { VersionDiff } from '../../shared/api/history';
import type { TwinViewer, ViewState, LoadSummary } from './viewer/twin-viewer';
import type { ChangeKind } from './viewer/palette';

export type SelectionOrigin = '3d' | 'tree' | 'search' | 'changes' | 'keyboard';

export interface OpenView {
  twinId: string;
  /** The version shown; undefined until the twin's summary is known. */
  versionId: number | undefined;
  /** Reviewing the twin's draft (an imported iteration not yet committed). */
  review: boolean;
}

export interface LoadState {
  phase: 'manifest' | 'geometry' | 'building' | 'done' | 'failed';
  fraction: number;
  message?: string;
}

export interface Toast {
  id: number;
  kind: 'ok' | 'error' | 'info';
  text: string;
}

export interface Workspace {
  twins: TwinSummary[] | null;
  twinsError: string | null;
  refreshTwins(): void;
  view: OpenView | null;
  openTwin(twinId: string | null): void;
  reviewDraft(twinId: string, versionId: number): void;
  /** Whether `twinId` is the twin open now (for answers that come after a wait). */
  isOpen(twinId: string): boolean;
  /** Shows `versionId` of `twinId` out of review; nothing if another twin is open by now. */
  leaveReview(twinId: string, versionId?: number): void;
  selection: string[];
  selectionOrigin: SelectionOrigin;
  /** `highlight`: what the 3D view should show for it (a storey's elements), default `keys`. */
  select(keys: string[], origin: SelectionOrigin, options?: { fit?: boolean; highlight?: string[] }): void;
  hovered: string | null;
  viewState: ViewState | null;
  load: LoadState | null;
  loadSummary: LoadSummary | null;
  tree: SpatialTree | null;
  /** Why the spatial tree of the version shown could not be read (then `retryTree`). */
  treeError: string | null;
  retryTree(): void;
  changeset: Changeset | null;
  /** Two versions compared (History): the view shows `toVersionId` coloured by the difference. */
  compare: VersionDiff | null;
  setCompare(diff: VersionDiff | null): void;
  viewer: () => TwinViewer | null;
  attachViewer(viewer: TwinViewer | null): void;
  toasts: Toast[];
  toast(kind: Toast['kind'], text: string): void;
  dismissToast(id: number): void;
}

const WorkspaceContext = createContext<Workspace | null>(null);
const LAST_TWIN_KEY = 'twinledger.lastTwin';

export function useWorkspace(): Workspace {
  const workspace = useContext(WorkspaceContext);
  if (!workspace) throw new Error('useWorkspace outside WorkspaceProvider');
  return workspace;
}

export function WorkspaceProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const viewerRef = useRef<TwinViewer | null>(null);
  const [viewerEpoch, setViewerEpoch] = useState(0);
  const [twins, setTwins] = useState<TwinSummary[] | null>(null);
  const [twinsError, setTwinsError] = useState<string | null>(null);
  const [view, setView] = useState<OpenView | null>(null);
  const [selection, setSelection] = useState<string[]>([]);
  const [selectionOrigin, setSelectionOrigin] = useState<SelectionOrigin>('3d');
  const [hovered, setHovered] = useState<string | null>(null);
  const [viewState, setViewState] = useState<ViewState | null>(null);
  const [load, setLoad] = useState<LoadState | null>(null);
  const [loadSummary, setLoadSummary] = useState<LoadSummary | null>(null);
  const [tree, setTree] = useState<SpatialTree | null>(null);
  const [treeError, setTreeError] = useState<string | null>(null);
  const [treeAttempt, setTreeAttempt] = useState(0);
  const retryTree = useCallback(() => setTreeAttempt((n) => n + 1), []);
  const [changeset, setChangeset] = useState<Changeset | null>(null);
  const [compare, setCompareState] = useState<VersionDiff | null>(null);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextToast = useRef(1);

  const toast = useCallback((kind: Toast['kind'], text: string) => {
    const id = nextToast.current++;
    setToasts((list) => [...list.slice(-3), { id, kind, text }]);
    setTimeout(() => setToasts((list) => list.filter((t) => t.id !== id)), kind === 'error' ? 9000 : 5000);
  }, []);
  const dismissToast = useCallback((id: number) => setToasts((list) => list.filter((t) => t.id !== id)), []);

  const refreshTwins = useCallback(() => {
    void api.call('twins.list', {}).then((r) => {
      if (r.ok) {
        setTwins(r.value);
        setTwinsError(null);
      } else setTwinsError(r.error.message);
    });
  }, [api]);
  useEffect(refreshTwins, [refreshTwins]);
  useEvent('twins.changed', refreshTwins);

  const openTwin = useCallback((twinId: string | null) => {
    setSelection([]);
    setChangeset(null);
    setCompareState(null);
    setView(twinId ? { twinId, versionId: undefined, review: false } : null);
    try {
      if (twinId) window.localStorage.setItem(LAST_TWIN_KEY, twinId);
      else window.localStorage.removeItem(LAST_TWIN_KEY);
    } catch {
      // storage unavailable: nothing to remember
    }
  }, []);

  // At start, reopen the twin last open (or the first one, e.g. the sandbox sample).
  const started = useRef(false);
  useEffect(() => {
    if (started.current || !twins) return;
    started.current = true;
    if (view || twins.length === 0) return;
    let last: string | null = null;
    try {
      last = window.localStorage.getItem(LAST_TWIN_KEY);
    } catch {
      last = null;
    }
    openTwin(twins.find((t) => t.id === last)?.id ?? twins[0]!.id);
  }, [twins, view, openTwin]);

  const reviewDraft = useCallback((twinId: string, versionId: number) => {
    setSelection([]);
    setCompareState(null);
    setView({ twinId, versionId, review: true });
  }, []);

  // The open view, for answers that come after the user may have opened another twin.
  const viewNow = useRef(view);
  viewNow.current = view;

  const isOpen = useCallback((twinId: string) => viewNow.current?.twinId === twinId, []);

  const leaveReview = useCallback((twinId: string, versionId?: number) => {
    if (viewNow.current?.twinId !== twinId) return;
    setChangeset(null);
    setView((v) => (v && v.twinId === twinId ? { twinId, versionId, review: false } : v));
  }, []);

  // Resolve the version to show once the twin's summary is known: the head, else its draft.
  useEffect(() => {
    if (!view || view.versionId !== undefined || !twins) return;
    const twin = twins.find((t) => t.id === view.twinId);
    if (!twin) return;
    const versionId = twin.head?.id ?? twin.draft?.id;
    if (versionId !== undefined) setView({ ...view, versionId, review: !twin.head });
  }, [view, twins]);

  /** Reads the spatial tree of a version into `tree`, or says why it could not. */
  const loadTree = useCallback(
    (twinId: string, versionId: number, live: () => boolean) => {
      setTreeError(null);
      void api.call('twins.spatialTree', { twinId, versionId }).then((r) => {
        // Not if another twin or version is shown by now (a retry's answer outlives its effect).
        const shown = viewNow.current;
        if (!live() || shown?.twinId !== twinId || shown.versionId !== versionId) return;
        if (r.ok) setTree(r.value);
        else setTreeError(r.error.message);
      });
    },
    [api],
  );
  // Open the version in the viewer and fetch its spatial tree.
  const twinId = view?.twinId;
  const versionId = view?.versionId;
  useEffect(() => {
    const viewer = viewerRef.current;
    setTree(null);
    setTreeError(null);
    setLoadSummary(null);
    if (!twinId || versionId === undefined) {
      viewer?.close();
      setLoad(null);
      return;
    }
    let live = true;
    setLoad({ phase: 'manifest', fraction: 0 });
    // The geometry first: the host answers one request at a time, and the model on screen is
    // what the user waits for; the tree follows straight after.
    // Another version of the twin already shown (a draft, a comparison) keeps the camera where it is.
    const keepCamera = viewer?.openVersion?.twinId === twinId;
    const opened = viewer ? viewer.open(api, twinId, versionId, { keepCamera }) : Promise.resolve(null);
    void opened.then(() => {
      if (live) loadTree(twinId, versionId, () => live);
    });
    return () => {
      live = false;
    };
  }, [api, twinId, versionId, viewerEpoch, loadTree]);

  // Retry (the user asked): the tree alone, not the geometry.
  useEffect(() => {
    if (treeAttempt === 0 || !twinId || versionId === undefined) return;
    let live = true;
    loadTree(twinId, versionId, () => live);
    return () => {
      live = false;
    };
    // Only when asked again: the version's own load reads it otherwise.
  }, [treeAttempt]);

  // In review, fetch the draft's changeset and colour the model by change.
  const review = view?.review ?? false;
  useEffect(() => {
    if (!twinId || versionId === undefined || !review) {
      setChangeset(null);
      return;
    }
    let live = true;
    void api.call('twins.changeset', { twinId, versionId }).then((r) => {
      if (!live) return;
      if (r.ok) setChangeset(r.value);
      else toast('error', `Could not read the changeset: ${r.error.message}`);
    });
    return () => {
      live = false;
    };
  }, [api, twinId, versionId, review, toast]);

  // Comparing two versions shows the later one ("to"); leaving it goes back to the head.
  const setCompare = useCallback((diff: VersionDiff | null) => {
    // A comparison that comes once another twin is open is not shown over it.
    if (diff && viewNow.current?.twinId !== diff.twinId) return;
    setCompareState(diff);
    setChangeset(null);
    setView((v) =>
      v && (!diff || v.twinId === diff.twinId)
        ? { twinId: v.twinId, versionId: diff?.toVersionId, review: false }
        : v,
    );
  }, []);

  useEffect(() => {
    const viewer = viewerRef.current;
    if (!viewer) return;
    const comparing = compare && !review && compare.toVersionId === versionId ? compare : null;
    if (changeset && review && loadSummary) {
      const kinds = new Map<string, ChangeKind>(changeset.entries.map((e) => [e.elementKey, e.change]));
      viewer.setColourMode('changes', kinds);
      const removed = changeset.entries.filter((e) => e.change === 'removed').map((e) => e.elementKey);
      if (changeset.baseVersionId !== null && twinId) {
        void viewer.showGhosts(api, twinId, changeset.baseVersionId, removed);
      }
    } else if (comparing && loadSummary && twinId) {
      const kinds = new Map<string, ChangeKind>(comparing.entries.map((e) => [e.elementKey, e.change]));
      viewer.setColourMode('changes', kinds);
      const removed = comparing.entries.filter((e) => e.change === 'removed').map((e) => e.elementKey);
      void viewer.showGhosts(api, twinId, comparing.fromVersionId, removed);
    } else {
      viewer.clearGhosts();
      if (viewer.state.colourMode === 'changes') viewer.setColourMode('material');
    }
  }, [api, twinId, versionId, changeset, compare, review, loadSummary]);

  const select = useCallback(
    (keys: string[], origin: SelectionOrigin, options?: { fit?: boolean; highlight?: string[] }) => {
      setSelection(keys);
      setSelectionOrigin(origin);
      const viewer = viewerRef.current;
      const shown = options?.highlight ?? keys;
      viewer?.setSelection(shown);
      if (options?.fit && shown.length) viewer?.fit(shown);
    },
    [],
  );

  const attachViewer = useCallback((viewer: TwinViewer | null) => {
    viewerRef.current = viewer;
    setViewerEpoch((n) => n + 1);
    if (!viewer) return;
    viewer.events.on('stateChanged', setViewState);
    viewer.events.on('loadProgress', ({ phase, fraction }) => setLoad({ phase, fraction }));
    viewer.events.on('loaded', (summary) => {
      setLoad({ phase: 'done', fraction: 1 });
      setLoadSummary(summary);
    });
    viewer.events.on('loadFailed', ({ message }) => setLoad({ phase: 'failed', fraction: 0, message }));
    viewer.events.on('hovered', ({ key }) => setHovered(key));
    viewer.events.on('picked', ({ key, additive }) => {
      setSelectionOrigin('3d');
      setSelection((current) => {
        let next: string[];
        if (!key) next = additive ? current : [];
        else if (additive)
          next = current.includes(key) ? current.filter((k) => k !== key) : [...current, key];
        else next = [key];
        viewer.setSelection(next);
        return next;
      });
    });
    setViewState(viewer.state);
  }, []);

  // Re-apply the selection after a (re)load.
  useEffect(() => {
    if (loadSummary) viewerRef.current?.setSelection(selection);
    // Only on load: selection changes go through select().
  }, [loadSummary]);

  const value = useMemo<Workspace>(
    () => ({
      twins,
      twinsError,
      refreshTwins,
      view,
      openTwin,
      reviewDraft,
      isOpen,
      leaveReview,
      selection,
      selectionOrigin,
      select,
      hovered,
      viewState,
      load,
      loadSummary,
      tree,
      treeError,
      retryTree,
      changeset,
      compare,
      setCompare,
      viewer: () => viewerRef.current,
      attachViewer,
      toasts,
      toast,
      dismissToast,
    }),
    [
      twins,
      twinsError,
      refreshTwins,
      view,
      openTwin,
      reviewDraft,
      isOpen,
      leaveReview,
      selection,
      selectionOrigin,
      select,
      hovered,
      viewState,
      load,
      loadSummary,
      tree,
      treeError,
      retryTree,
      changeset,
      compare,
      setCompare,
      attachViewer,
      toasts,
      toast,
      dismissToast,
    ],
  );
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}
