// The viewer's toolbar: fit, hide/isolate/show all, X-ray, section, walk, colour mode, storey filter.
import { useCallback, useMemo } from 'react';
import { useWorkspace } from '../workspace';
import { useApi, useEvent } from '../api-context';
import type { StatusKind } from '../viewer/palette';
import { Icon, type IconName } from './icons';
import type { SpatialNode, SpatialTree } from '../../../shared/api/twins';

function ToolButton(props: {
  icon: IconName;
  label: string;
  shortcut?: string;
  active?: boolean;
  disabled?: boolean;
  onClick: () => void;
}) {
  const title = props.shortcut ? `${props.label} (${props.shortcut})` : props.label;
  return (
    <button
      className={props.active ? 'tool active' : 'tool'}
      title={title}
      aria-label={props.label}
      aria-pressed={props.active}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      <Icon name={props.icon} />
    </button>
  );
}

export function storeysOf(tree: SpatialTree | null): { globalId: string; name: string }[] {
  const out: { globalId: string; name: string }[] = [];
  const walk = (node: SpatialNode) => {
    if (node.ifcClass === 'IfcBuildingStorey')
      out.push({ globalId: node.globalId, name: node.name ?? node.globalId });
    if (node.isSpatial) node.children.forEach(walk);
  };
  tree?.models.forEach((m) => m.roots.forEach(walk));
  return out;
}

export function ViewerToolbar({ onShowKeys }: { onShowKeys: () => void }) {
  const { viewer: getViewer, viewState, selection, select, tree, view, toast } = useWorkspace();
  const api = useApi();
  const viewer = getViewer();
  const storeys = useMemo(() => storeysOf(tree), [tree]);
  // Colour by status: the statuses of the version shown, asked again whenever its draft changes.
  const colourByStatus = useCallback(async () => {
    const v = getViewer();
    if (!v || !view) return;
    const result = await api.call('edits.statuses', {
      twinId: view.twinId,
      ...(view.versionId !== undefined ? { versionId: view.versionId } : {}),
    });
    if (!result.ok) {
      toast('error', `Cannot colour by status: ${result.error.message}`);
      return;
    }
    // Another twin opened meanwhile: these statuses are not its.
    if (v.openVersion?.twinId !== view.twinId) return;
    v.setColourMode(
      'status',
      undefined,
      new Map(Object.entries(result.value.statuses) as [string, StatusKind][]),
    );
  }, [api, getViewer, view, toast]);
  useEvent('edits.changed', (draft) => {
    if (getViewer()?.state.colourMode === 'status' && draft.twinId === view?.twinId) void colourByStatus();
  });
  if (!viewer || !viewState) return null;
  const hasSelection = selection.length > 0;
  const loaded = viewState.loaded;
  return (
    <div className="viewer-toolbar" role="toolbar" aria-label="Viewer tools">
      <div className="tool-group">
        <ToolButton icon="fitAll" label="Fit all" disabled={!loaded} onClick={() => viewer.fitAll()} />
        <ToolButton
          icon="fitSelection"
          label="Fit selection"
          shortcut="F"
          disabled={!hasSelection}
          onClick={() => viewer.fit(selection)}
        />
      </div>
      <div className="tool-group">
        <ToolButton
          icon="hide"
          label="Hide selection"
          shortcut="H"
          disabled={!hasSelection}
          onClick={() => {
            viewer.hide(selection);
            select([], 'keyboard');
          }}
        />
        <ToolButton
          icon="isolate"
          label="Isolate selection"
          shortcut="I"
          active={viewState.isolatedCount !== null}
          disabled={!hasSelection}
          onClick={() => viewer.isolate(selection)}
        />
        <ToolButton
          icon="showAll"
          label="Show all"
          shortcut="Shift+H"
          disabled={!viewState.hiddenCount && viewState.isolatedCount === null && !viewState.storey}
          onClick={() => viewer.showAll()}
        />
        <ToolButton
          icon="xray"
          label="X-ray"
          shortcut="X"
          active={viewState.xray}
          disabled={!loaded}
          onClick={() => viewer.setXray(!viewState.xray)}
        />
      </div>
      <div className="tool-group">
        <ToolButton
          icon="section"
          label="Section plane"
          active={viewState.section !== null}
          disabled={!loaded}
          onClick={() => viewer.setSection(viewState.section === null ? 0.5 : null)}
        />
        {viewState.section !== null && (
          <div className="section-panel">
            <span className="muted">Cut at</span>
            <input
              className="section-slider"
              type="range"
              min={0}
              max={100}
              value={Math.round(viewState.section * 100)}
              aria-label="Section height"
              onChange={(e) => viewer.setSection(Number(e.target.value) / 100)}
            />
            <span className="muted">{Math.round(viewState.section * 100)}% of the height</span>
          </div>
        )}
        <ToolButton
          icon={viewState.cameraMode === 'walk' ? 'orbit' : 'walk'}
          label={viewState.cameraMode === 'walk' ? 'Back to orbit' : 'First-person walk'}
          active={viewState.cameraMode === 'walk'}
          disabled={!loaded}
          onClick={() => viewer.setCameraMode(viewState.cameraMode === 'walk' ? 'orbit' : 'walk')}
        />
      </div>
      <div className="tool-group">
        <label className="tool-select" title="Colour the model by">
          <Icon name="palette" />
          <select
            aria-label="Colour by"
            value={viewState.colourMode}
            disabled={!loaded || view?.review}
            onChange={(e) => {
              const mode = e.target.value as 'material' | 'class' | 'status';
              if (mode === 'status') void colourByStatus();
              else viewer.setColourMode(mode);
            }}
          >
            <option value="material">Materials</option>
            <option value="class">IFC class</option>
            {viewState.colourMode === 'changes' && <option value="changes">Changes</option>}
            <option value="status">Status</option>
          </select>
        </label>
        <label className="tool-select" title="Show one storey">
          <Icon name="layers" />
          <select
            aria-label="Storey"
            value={viewState.storey ?? ''}
            disabled={!loaded || storeys.length === 0}
            onChange={(e) => viewer.setStorey(e.target.value || null)}
          >
            <option value="">All storeys</option>
            {storeys.map((s) => (
              <option key={s.globalId} value={s.globalId}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="tool-group">
        <ToolButton icon="keyboard" label="Keyboard shortcuts" shortcut="?" onClick={onShowKeys} />
      </div>
    </div>
  );
}
