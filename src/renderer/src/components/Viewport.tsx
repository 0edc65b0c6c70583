// The 3D viewport: owns a canvas and the viewer facade for its lifetime, shows the toolbar, load
// progress, the draft-review banner and empty states, and handles the viewer's keyboard shortcuts.
import { useEffect, useMemo, useRef, useState } from 'react';
import { TwinViewer } from '../viewer/twin-viewer';
import type { RenderMode } from '../viewer/model';
import { useWorkspace } from '../workspace';
import { ViewerToolbar } from './ViewerToolbar';
import { ReviewBanner } from './ReviewBanner';
import { DraftBar } from './PendingChanges';
import { installViewerProbe } from '../viewer/probe';
import { classColourCss, rgbaCss, statusColours, type StatusKind } from '../viewer/palette';
import { isModalOpen } from './modal-keys';
import { useTheme } from '../theme';

const phaseLabel = {
  manifest: 'Reading the model',
  geometry: 'Streaming geometry',
  building: 'Preparing the scene',
  done: 'Ready',
  failed: 'Failed',
} as const;

function renderModeFromUrl(): RenderMode {
  return new URLSearchParams(window.location.search).get('render') === 'per-element'
    ? 'per-element'
    : 'batched';
}

export function Viewport() {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [drawn, setDrawn] = useState(false);
  const [showKeys, setShowKeys] = useState(false);
  const workspace = useWorkspace();
  const { attachViewer, view, load, loadSummary, twins, toast } = workspace;
  // The scene's background and grid follow the UI theme: from the start, and live.
  const theme = useTheme();
  const themeNow = useRef(theme);
  const viewerRef = useRef<TwinViewer | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    let viewer: TwinViewer | null = null;
    let removeProbe = () => {};
    try {
      const params = new URLSearchParams(window.location.search);
      viewer = new TwinViewer(canvas, {
        renderMode: renderModeFromUrl(),
        continuous: params.has('continuous'),
        theme: themeNow.current,
      });
      viewerRef.current = viewer;
      viewer.events.on('firstFrame', () => setDrawn(true));
      attachViewer(viewer);
      if (params.has('probe')) removeProbe = installViewerProbe(viewer);
    } catch (error) {
      setFailure(`The 3D view could not start: ${(error as Error).message}`);
    }
    return () => {
      removeProbe();
      attachViewer(null);
      viewerRef.current = null;
      viewer?.dispose();
    };
  }, [attachViewer]);

  useEffect(() => {
    themeNow.current = theme;
    viewerRef.current?.setTheme(theme);
  }, [theme]);

  useKeyboardShortcuts(() => setShowKeys((v) => !v), toast);

  const twin = view ? twins?.find((t) => t.id === view.twinId) : undefined;
  const loading = load && load.phase !== 'done' && load.phase !== 'failed';
  const empty = loadSummary && loadSummary.instances === 0;

  return (
    <section className="viewport" aria-label="3D viewport">
      <canvas
        ref={canvasRef}
        className="viewport-canvas"
        data-testid="viewport-canvas"
        data-drawn={drawn}
        data-loaded={!!loadSummary}
        data-version={loadSummary?.versionId ?? ''}
        data-twin={loadSummary?.twinId ?? ''}
        tabIndex={0}
      />
      {view && <ViewerToolbar onShowKeys={() => setShowKeys((v) => !v)} />}
      {view?.review && <ReviewBanner />}
      {view && !view.review && <DraftBar />}
      {failure && (
        <div className="viewport-message" role="alert">
          {failure}
        </div>
      )}
      {!failure && !view && (
        <div className="viewport-empty" data-testid="viewport-empty">
          <p className="empty-title">No twin open</p>
          <p>
            {twins && twins.length > 0
              ? 'Choose a twin on the left to open its model.'
              : 'Import an IFC model (Import IFC… on the left) to create your first twin.'}
          </p>
        </div>
      )}
      {loading && (
        <div
          className="viewport-progress"
          role="progressbar"
          aria-label="Loading model"
          data-testid="model-progress"
          aria-valuenow={Math.round(load.fraction * 100)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <span>
            {phaseLabel[load.phase]}
            {twin ? ` · ${twin.name}` : ''}
          </span>
          <div className="bar">
            <div style={{ width: `${Math.round(load.fraction * 100)}%` }} />
          </div>
        </div>
      )}
      {load?.phase === 'failed' && (
        <div className="viewport-message" role="alert">
          The model could not be shown: {load.message}
        </div>
      )}
      {empty && <div className="viewport-hint center">This version has no geometry to show.</div>}
      {!failure && (
        <div className="viewport-hint">
          {workspace.viewState?.cameraMode === 'walk'
            ? 'Walk: W A S D / arrows to move · Q E down/up · drag to look · Esc back to orbit'
            : 'Drag to orbit · right-drag to pan · wheel to zoom · click to select · ? for shortcuts'}
        </div>
      )}
      {showKeys && <ShortcutHelp onClose={() => setShowKeys(false)} />}
      <HoverLabel />
      {workspace.viewState?.colourMode === 'class' && <ClassLegend />}
      {workspace.viewState?.colourMode === 'status' && <StatusLegend />}
    </section>
  );
}

const shortcuts: [string, string][] = [
  ['F', 'Fit the selection (or everything)'],
  ['H', 'Hide the selection'],
  ['Shift+H', 'Show all'],
  ['I', 'Isolate the selection'],
  ['X', 'X-ray on / off'],
  ['Esc', 'Clear the selection; leave walk mode'],
  ['Ctrl+click', 'Add to / remove from the selection'],
  ['M', 'Move the selected element (gizmo; needs EDITOR)'],
  ['Ctrl+Z', 'Undo the last edit'],
  ['Ctrl+Shift+Z / Ctrl+Y', 'Redo'],
  ['N', 'New work order on the selected element (Orders tab)'],
  ['Ctrl+Shift+O', 'Open the outbox'],
  ['Ctrl+,', 'Settings'],
  ['?', 'This list'],
];

function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <div className="shortcut-help" role="dialog" aria-label="Keyboard shortcuts">
      <header>
        <strong>Keyboard shortcuts</strong>
        <button className="icon-button" onClick={onClose} aria-label="Close">
          ×
        </button>
      </header>
      <table>
        <tbody>
          {shortcuts.map(([key, what]) => (
            <tr key={key}>
              <td>
                <kbd>{key}</kbd>
              </td>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What the pointer is over, named, so a click is never a guess. */
function HoverLabel() {
  const { hovered, viewer } = useWorkspace();
  const described = hovered ? viewer()?.describe(hovered) : null;
  if (!described) return null;
  return (
    <div className="hover-label" data-testid="hover-label">
      <i className="swatch" style={{ background: classColourCss(described.ifcClass) }} />
      <span>{described.name ?? described.ifcClass.replace(/^Ifc/, '')}</span>
      <span className="muted">{described.ifcClass}</span>
    </div>
  );
}

function StatusLegend() {
  const { viewer, viewState } = useWorkspace();
  const counts = useMemo(() => {
    const c: Record<StatusKind, number> = { 'in service': 0, 'out of service': 0, replaced: 0 };
    for (const s of Object.values(viewer()?.statusKinds() ?? {})) c[s]++;
    return c;
  }, [viewer, viewState]);
  return (
    <div className="class-legend" aria-label="Status legend" data-testid="status-legend">
      {(Object.keys(statusColours) as StatusKind[]).map((s) => (
        <div key={s}>
          <i className="swatch" style={{ background: rgbaCss(statusColours[s]) }} />
          <span>{s}</span>
          <span className="muted">{s === 'in service' ? 'others' : counts[s]}</span>
        </div>
      ))}
    </div>
  );
}

function ClassLegend() {
  const { viewer, loadSummary } = useWorkspace();
  const classes = useMemo(() => viewer()?.classesShown() ?? [], [viewer, loadSummary]);
  return (
    <div className="class-legend" aria-label="Colour legend">
      {classes.slice(0, 14).map((c) => (
        <div key={c.ifcClass}>
          <i className="swatch" style={{ background: classColourCss(c.ifcClass) }} />
          <span>{c.ifcClass.replace(/^Ifc/, '')}</span>
          <span className="muted">{c.count}</span>
        </div>
      ))}
      {classes.length > 14 && <div className="muted">+{classes.length - 14} more classes</div>}
    </div>
  );
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

function useKeyboardShortcuts(toggleHelp: () => void, toast: (kind: 'info', text: string) => void) {
  const workspace = useWorkspace();
  const latest = useRef(workspace);
  latest.current = workspace;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || e.altKey || isModalOpen()) return;
      const { viewer: getViewer, selection, select, view, viewState } = latest.current;
      const viewer = getViewer();
      const ctrl = e.ctrlKey || e.metaKey;
      if (ctrl || !viewer || !view) return;
      if (viewState?.cameraMode === 'walk' && e.key !== 'Escape') return; // keys move the walker
      switch (e.key) {
        case 'f':
        case 'F':
          if (!viewer.fit(selection)) viewer.fitAll();
          break;
        case 'h':
          if (selection.length) {
            viewer.hide(selection);
            select([], 'keyboard');
          }
          break;
        case 'H':
          viewer.showAll();
          break;
        case 'i':
        case 'I':
          if (selection.length) viewer.isolate(selection);
          break;
        case 'x':
        case 'X':
          viewer.setXray(!viewer.state.xray);
          break;
        case 'Escape':
          if (viewer.state.cameraMode === 'walk') viewer.setCameraMode('orbit');
          else select([], 'keyboard');
          break;
        case '?':
          toggleHelp();
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [toggleHelp, toast]);
}
