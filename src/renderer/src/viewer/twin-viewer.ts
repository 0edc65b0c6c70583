// The viewer facade the UI talks to: opens a twin version's geometry (streamed in chunks), and
// offers selection, visibility (hide, isolate, storey filter), X-ray, colour modes, fitting, the
// section plane and the camera mode. It speaks element keys and plain data only and announces
// what happens as events; the Babylon parts behind it stay private.
// Side effect: scene.pick (ray casting against the merged meshes).
import '@babylonjs/core/Culling/ray';
import type { ApiClient } from '../../../shared/api';
import type { GeometryManifest } from '../../../shared/api/twins';
import { Emitter } from './events';
import { decodeGeometryChunk } from '../../../shared/geometry-stream';
import { ViewerWorld, type CameraMode, type SceneTheme, type WorldStats } from './world';
import { loadTwinGeometry, type LoadedGeometry } from './geometry-loader';
import {
  buildBatches,
  materialColour,
  unionBounds,
  type BatchedScene,
  type ColourOf,
  type Rgba,
} from './batching';
import { ModelPart, type RenderMode } from './model';
import { Highlighter } from './highlighter';
import { Picker } from './picker';
import { classColour, changeColour, statusColour, type ChangeKind, type StatusKind } from './palette';
import type { MoveGizmo } from './move-gizmo';

export type ColourMode = 'material' | 'class' | 'changes' | 'status';

export interface ViewState {
  loaded: boolean;
  hiddenCount: number;
  isolatedCount: number | null;
  xray: boolean;
  colourMode: ColourMode;
  cameraMode: CameraMode;
  /** Section height as a share of the model's height, or null without a section. */
  section: number | null;
  storey: string | null;
  /** The element the move gizmo is on, or null. */
  moving: string | null;
}

export interface LoadSummary {
  twinId: string;
  versionId: number;
  elements: number;
  instances: number;
  triangles: number;
  materials: number;
  chunks: number;
  /** From open() to the first frame showing the whole model. */
  firstFullFrameMs: number;
  /** Where that time went: streaming (manifest and chunks), merging, building meshes, first frame. */
  phasesMs: { stream: number; merge: number; meshes: number; frame: number };
}

export interface TwinViewerEvents {
  loadProgress: { phase: 'manifest' | 'geometry' | 'building'; fraction: number };
  loaded: LoadSummary;
  loadFailed: { message: string };
  /** The user clicked in 3D: an element (or empty space, key null). */
  picked: { key: string | null; additive: boolean };
  hovered: { key: string | null };
  stateChanged: ViewState;
  firstFrame: undefined;
  /** The user dragged the move gizmo and let go: the translation in viewer axes (metres, Y up). */
  moveEnded: { key: string; translation: [number, number, number] };
}

export interface TwinViewerOptions {
  renderMode?: RenderMode;
  continuous?: boolean;
  /** The UI theme the scene's background, grid and hover tint match (default dark); see setTheme. */
  theme?: SceneTheme;
}

interface OpenModel {
  twinId: string;
  versionId: number;
  loaded: LoadedGeometry;
  manifest: GeometryManifest;
  keyToIndex: Map<string, number>;
  batched: BatchedScene;
  part: ModelPart;
}

export class TwinViewer {
  readonly events = new Emitter<TwinViewerEvents>();
  readonly world: ViewerWorld;
  private readonly highlighter: Highlighter;
  private readonly picker: Picker;
  private model: OpenModel | null = null;
  private loading: AbortController | null = null;
  private selection: number[] = [];
  private hover: number | null = null;
  private readonly hidden = new Set<number>();
  private isolated: Set<number> | null = null;
  private storey: string | null = null;
  private xray = false;
  private colourMode: ColourMode = 'material';
  private changes = new Map<string, ChangeKind>();
  private statuses = new Map<string, StatusKind>();
  private section: number | null = null;
  private lastSummary: LoadSummary | null = null;
  private ghosts: {
    part: ModelPart;
    batched: BatchedScene;
    keyToIndex: Map<string, number>;
    keys: string[];
  } | null = null;
  private mover: { key: string; index: number; gizmo: MoveGizmo } | null = null;
  private moveRequest = 0;
  private dragQuietUntil = 0;
  private ghostLoad: AbortController | null = null;

  constructor(
    canvas: HTMLCanvasElement,
    private readonly options: TwinViewerOptions = {},
  ) {
    this.world = new ViewerWorld(canvas, { continuous: options.continuous, theme: options.theme });
    this.world.events.on('firstFrame', () => this.events.emit('firstFrame', undefined));
    this.world.events.on('cameraModeChanged', () => this.announce());
    this.highlighter = new Highlighter(this.world.scene);
    this.highlighter.setTheme(options.theme ?? 'dark');
    this.picker = new Picker(canvas, (x, y) => this.pickIndex(x, y));
    this.picker.events.on('picked', ({ element, additive }) => {
      // A press on the move gizmo is a drag, not a pick.
      if (performance.now() < this.dragQuietUntil) return;
      this.events.emit('picked', { key: element === null ? null : this.keyOf(element), additive });
    });
    this.picker.events.on('hovered', (element) => {
      this.hover = element;
      this.highlighter.set('hover', element === null || this.selection.includes(element) ? [] : [element]);
      this.world.requestRender();
      this.events.emit('hovered', { key: element === null ? null : this.keyOf(element) });
    });
  }

  get state(): ViewState {
    return {
      loaded: !!this.model,
      hiddenCount: this.hidden.size,
      isolatedCount: this.isolated ? this.isolated.size : null,
      xray: this.xray,
      colourMode: this.colourMode,
      cameraMode: this.world.cameraMode,
      section: this.section,
      storey: this.storey,
      moving: this.mover?.key ?? null,
    };
  }

  /** What the last completed open() loaded and how long it took. */
  get lastLoad(): LoadSummary | null {
    return this.lastSummary;
  }

  get openVersion(): { twinId: string; versionId: number } | null {
    return this.model ? { twinId: this.model.twinId, versionId: this.model.versionId } : null;
  }

  /**
   * Streams and shows a twin version (the head when omitted); a newer call cancels an older one.
   * `keepCamera` reloads in place (the same twin after an edit) without framing the model again.
   */
  async open(
    api: ApiClient,
    twinId: string,
    versionId?: number,
    options: { keepCamera?: boolean } = {},
  ): Promise<LoadSummary | null> {
    // Another twin: the one shown goes now (not pickable while the next streams in), and with it
    // what was hidden, isolated, filtered, selected and coloured by status in it.
    if (this.model && this.model.twinId !== twinId) this.close();
    this.loading?.abort();
    const controller = new AbortController();
    this.loading = controller;
    const started = performance.now();
    try {
      this.events.emit('loadProgress', { phase: 'manifest', fraction: 0 });
      const loaded = await loadTwinGeometry(api, twinId, versionId, {
        signal: controller.signal,
        onProgress: (p) => this.events.emit('loadProgress', { phase: 'geometry', fraction: p.fraction }),
      });
      if (controller.signal.aborted) return null;
      this.events.emit('loadProgress', { phase: 'building', fraction: 1 });
      // Let the progress paint before the (synchronous) merge.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (controller.signal.aborted) return null;
      const streamed = performance.now();
      // Another version of the same twin: what was hidden, isolated and selected follows the
      // elements (by key), not their places in the old version's list.
      const keysOf = (indices: Iterable<number>) => [...indices].flatMap((i) => this.keyOf(i) ?? []);
      const hiddenKeys = keysOf(this.hidden);
      const isolatedKeys = this.isolated ? keysOf(this.isolated) : null;
      const selectedKeys = keysOf(this.selection);
      this.closeModel();
      const keyToIndex = new Map(loaded.manifest.elements.map((e, i) => [e.elementKey, i]));
      const batched = buildBatches(loaded.geometry, this.colourFunction(loaded.manifest));
      const merged = performance.now();
      const part = new ModelPart(this.world.scene, batched, this.options.renderMode);
      this.model = {
        twinId,
        versionId: loaded.manifest.versionId,
        loaded,
        manifest: loaded.manifest,
        keyToIndex,
        batched,
        part,
      };
      this.hidden.clear();
      for (const i of this.indicesOf(hiddenKeys)) this.hidden.add(i);
      // None of what was isolated is in this version: everything is shown (not nothing).
      const isolated = isolatedKeys && this.indicesOf(isolatedKeys);
      this.isolated = isolated?.length ? new Set(isolated) : null;
      this.selection = this.indicesOf(selectedKeys);
      this.hover = null;
      this.highlighter.setData(batched);
      this.highlighter.set('selection', this.selection);
      if (this.xray) part.setXray(true);
      this.applyVisibility();
      this.world.setModelBounds(batched.bounds);
      if (batched.bounds && !options.keepCamera) this.world.fit(batched.bounds);
      this.applySection();
      const built = performance.now();
      await this.nextFrame();
      if (controller.signal.aborted) return null;
      const drawn = performance.now();
      const summary: LoadSummary = {
        twinId,
        versionId: loaded.manifest.versionId,
        elements: loaded.manifest.elements.length,
        instances: loaded.geometry.instances.length,
        triangles: batched.triangleCount,
        materials: part.materialCount,
        chunks: loaded.chunks,
        firstFullFrameMs: Math.round(drawn - started),
        phasesMs: {
          stream: Math.round(streamed - started),
          merge: Math.round(merged - streamed),
          meshes: Math.round(built - merged),
          frame: Math.round(drawn - built),
        },
      };
      this.lastSummary = summary;
      this.announce();
      this.events.emit('loaded', summary);
      return summary;
    } catch (error) {
      if (controller.signal.aborted) return null;
      const message = error instanceof Error ? error.message : String(error);
      this.events.emit('loadFailed', { message });
      return null;
    } finally {
      if (this.loading === controller) this.loading = null;
    }
  }

  /**
   * Shows elements that exist only in another version (those a draft removes) as translucent red
   * ghosts, streamed from that version; they are not pickable. An empty list removes the ghosts.
   */
  async showGhosts(
    api: ApiClient,
    twinId: string,
    versionId: number,
    keys: readonly string[],
  ): Promise<void> {
    this.clearGhosts();
    if (keys.length === 0) return;
    const controller = new AbortController();
    this.ghostLoad = controller;
    try {
      // Only those elements' meshes, not the whole older version.
      const result = await api.call('history.ghosts', { twinId, versionId, elementKeys: [...keys] });
      if (controller.signal.aborted || !result.ok) return;
      const { elementKeys, instances, meshes } = result.value;
      const decodedInstances = decodeGeometryChunk(instances);
      const decodedMeshes = decodeGeometryChunk(meshes);
      const geometry = {
        elementCount: elementKeys.length,
        instances: decodedInstances.kind === 'instances' ? decodedInstances.instances : [],
        meshes: new Map(
          (decodedMeshes.kind === 'meshes' ? decodedMeshes.meshes : []).map((m) => [m.meshIndex, m]),
        ),
      };
      const batched = buildBatches(geometry, () => changeColour('removed'));
      const part = new ModelPart(this.world.scene, batched, 'batched', { pickable: false });
      this.ghosts = {
        part,
        batched,
        keyToIndex: new Map(elementKeys.map((key, i) => [key, i])),
        keys: elementKeys,
      };
      this.world.requestRender();
    } catch {
      // Ghosts are an aid to review; the changes list still names what was removed.
    } finally {
      if (this.ghostLoad === controller) this.ghostLoad = null;
    }
  }

  clearGhosts(): void {
    this.ghostLoad?.abort();
    this.ghostLoad = null;
    this.ghosts?.part.dispose();
    this.ghosts = null;
    this.world.requestRender();
  }

  /** Element keys drawn as ghosts (removed elements), for tests and the legend. */
  ghostKeys(): string[] {
    return [...(this.ghosts?.keys ?? [])];
  }

  /** The status colouring in force (element key → status, only those not in service). */
  statusKinds(): Record<string, StatusKind> {
    return this.colourMode === 'status' ? Object.fromEntries(this.statuses) : {};
  }

  /** The change colouring in force (element key → kind) while colouring by changes. */
  changeKinds(): Record<string, ChangeKind> {
    return this.colourMode === 'changes' ? Object.fromEntries(this.changes) : {};
  }

  /**
   * Puts the move gizmo on one element (lifted out of the merged model); answers whether it could
   * (an element with geometry in the open version). `moveEnded` reports each drag. The gizmo's code
   * (Babylon's gizmos, ~130 KB) loads on first use.
   */
  async startMove(key: string): Promise<boolean> {
    this.stopMove();
    const request = ++this.moveRequest;
    const model = this.model;
    const index = model?.keyToIndex.get(key);
    if (!model || index === undefined) return false;
    const instances = model.loaded.geometry.instances.filter((i) => i.elementIndex === index);
    const bounds = unionBounds(model.batched.elementBounds, [index]);
    if (instances.length === 0 || !bounds) return false;
    const centre = [0, 1, 2].map((k) => (bounds.min[k]! + bounds.max[k]!) / 2) as [number, number, number];
    const { MoveGizmo } = await import('./move-gizmo');
    // Stopped, restarted or reloaded meanwhile: this request is void.
    if (request !== this.moveRequest || this.model !== model) return false;
    const gizmo = new MoveGizmo(this.world.scene, { ...model.loaded.geometry, instances }, centre);
    gizmo.events.on('dragging', (on) => {
      this.dragQuietUntil = performance.now() + (on ? 60_000 : 300);
      this.world.requestRender(on ? 2000 : 300);
    });
    gizmo.events.on('moved', ({ translation }) => this.events.emit('moveEnded', { key, translation }));
    this.mover = { key, index, gizmo };
    this.world.handleGrabbed = () => gizmo.grabbed;
    this.applyVisibility();
    return true;
  }

  /** Removes the move gizmo and shows the element in the model again. */
  stopMove(): void {
    this.moveRequest++;
    if (!this.mover) return;
    this.mover.gizmo.dispose();
    this.mover = null;
    this.world.handleGrabbed = () => false;
    this.dragQuietUntil = 0;
    this.applyVisibility();
  }

  /** Moves the gizmo's element by a translation (viewer axes), as a drag would; for tests. */
  nudgeMove(by: readonly [number, number, number]): boolean {
    if (!this.mover) return false;
    this.mover.gizmo.nudge(by);
    this.world.requestRender();
    return true;
  }

  /** Where the move gizmo's axis arrow is on screen (see MoveGizmo.handlePoint); for tests. */
  moveHandle(axis: 'x' | 'y' | 'z'): { x: number; y: number; dx: number; dy: number } | null {
    return this.mover?.gizmo.handlePoint(axis) ?? null;
  }

  /** Fits a ghost (a removed element); answers whether there was one to fit. */
  fitGhost(key: string): boolean {
    const ghosts = this.ghosts;
    const index = ghosts?.keyToIndex.get(key);
    if (!ghosts || index === undefined) return false;
    const bounds = unionBounds(ghosts.batched.elementBounds, [index]);
    if (bounds) this.world.fit(bounds);
    return !!bounds;
  }

  /** Cancels a load in progress; keeps what is shown. */
  cancelLoad(): void {
    this.loading?.abort();
    this.loading = null;
  }

  /** Removes the model (the twin closed); the world stays for the next one. */
  close(): void {
    this.cancelLoad();
    this.closeModel();
    this.lastSummary = null;
    this.hidden.clear();
    this.isolated = null;
    this.storey = null;
    this.selection = [];
    this.hover = null;
    this.changes.clear();
    this.statuses.clear();
    this.colourMode =
      this.colourMode === 'changes' || this.colourMode === 'status' ? 'material' : this.colourMode;
    this.world.setModelBounds(null);
    this.world.setSection(null);
    this.section = null;
    this.announce();
  }

  /** Follows the UI theme: the background, grid and hover tint (the model keeps its colours). */
  setTheme(theme: SceneTheme): void {
    this.highlighter.setTheme(theme);
    this.world.setTheme(theme);
  }

  dispose(): void {
    this.cancelLoad();
    this.closeModel();
    this.picker.dispose();
    this.highlighter.dispose();
    this.events.clear();
    this.world.dispose();
  }

  /** Name and class of an element of the open version (from its manifest), or null. */
  describe(key: string): { name: string | null; ifcClass: string } | null {
    const index = this.model?.keyToIndex.get(key);
    const element = index === undefined ? undefined : this.model?.manifest.elements[index];
    return element ? { name: element.name, ifcClass: element.ifcClass } : null;
  }

  /** The IFC classes drawn, with how many elements each, most frequent first. */
  classesShown(): { ifcClass: string; count: number }[] {
    const model = this.model;
    if (!model) return [];
    const counts = new Map<string, number>();
    model.manifest.elements.forEach((e, i) => {
      if ((model.batched.elementBatches[i]?.length ?? 0) > 0 || this.colourMode !== 'material') {
        counts.set(e.ifcClass, (counts.get(e.ifcClass) ?? 0) + 1);
      }
    });
    return [...counts].map(([ifcClass, count]) => ({ ifcClass, count })).sort((a, b) => b.count - a.count);
  }

  /** Element keys of the whole model (those with geometry), in manifest order. */
  hasGeometry(key: string): boolean {
    const index = this.model?.keyToIndex.get(key);
    return index !== undefined && (this.model?.batched.elementBatches[index]?.length ?? 0) > 0;
  }

  setSelection(keys: readonly string[]): void {
    this.selection = this.indicesOf(keys);
    this.highlighter.set('selection', this.selection);
    if (this.hover !== null && this.selection.includes(this.hover)) this.highlighter.set('hover', []);
    this.world.requestRender();
  }

  hide(keys: readonly string[]): void {
    for (const i of this.indicesOf(keys)) this.hidden.add(i);
    this.applyVisibility();
  }

  isolate(keys: readonly string[]): void {
    const indices = this.indicesOf(keys);
    if (indices.length === 0) return;
    this.isolated = new Set(indices);
    this.hidden.clear();
    this.applyVisibility();
    this.fit(keys);
  }

  showAll(): void {
    this.hidden.clear();
    this.isolated = null;
    this.storey = null;
    this.applyVisibility();
  }

  setStorey(storeyGlobalId: string | null): void {
    this.storey = storeyGlobalId;
    this.applyVisibility();
  }

  setXray(on: boolean): void {
    this.xray = on;
    this.model?.part.setXray(on);
    this.world.requestRender();
    this.announce();
  }

  /**
   * Colours by material (as authored), by IFC class, by change against the base version, or by
   * element status (`statuses`: element key → status; elements not named are in service).
   */
  setColourMode(
    mode: ColourMode,
    changes?: ReadonlyMap<string, ChangeKind>,
    statuses?: ReadonlyMap<string, StatusKind>,
  ): void {
    this.colourMode = mode;
    if (changes) this.changes = new Map(changes);
    if (statuses) this.statuses = new Map(statuses);
    const model = this.model;
    if (model) {
      model.part.dispose();
      model.batched = buildBatches(model.loaded.geometry, this.colourFunction(model.manifest));
      model.part = new ModelPart(this.world.scene, model.batched, this.options.renderMode);
      if (this.xray) model.part.setXray(true);
      this.highlighter.setData(model.batched);
      this.highlighter.set('selection', this.selection);
      this.applyVisibility();
    }
    this.announce();
  }

  fitAll(): void {
    const model = this.model;
    if (!model) return;
    const visible = [...model.keyToIndex.values()].filter((i) => this.isVisible(i));
    const bounds = unionBounds(model.batched.elementBounds, visible) ?? model.batched.bounds;
    if (bounds) this.world.fit(bounds);
  }

  /** Fits the given elements, or the selection when none are given; answers whether it could. */
  fit(keys?: readonly string[]): boolean {
    const model = this.model;
    if (!model) return false;
    const indices = keys ? this.indicesOf(keys) : this.selection;
    const bounds = unionBounds(model.batched.elementBounds, indices);
    if (!bounds) return false;
    // Seen from the outside of the model, where walls are least likely to hide it.
    const all = model.batched.bounds;
    const from: [number, number, number] | undefined = all
      ? ([0, 1, 2].map((k) => (bounds.min[k]! + bounds.max[k]!) / 2 - (all.min[k]! + all.max[k]!) / 2) as [
          number,
          number,
          number,
        ])
      : undefined;
    this.world.fit(bounds, { ...(from ? { from } : {}), clipOccluders: true });
    return true;
  }

  /** A horizontal cut at a share (0..1) of the model's height; null removes it. */
  setSection(share: number | null): void {
    this.section = share === null ? null : Math.max(0, Math.min(1, share));
    this.applySection();
    this.announce();
  }

  setCameraMode(mode: CameraMode): void {
    this.world.setCameraMode(mode);
  }

  stats(): WorldStats & { materials: number } {
    return { ...this.world.stats(), materials: this.model?.part.materialCount ?? 0 };
  }

  /** The element key under a canvas point (CSS pixels), or null. */
  keyAt(x: number, y: number): string | null {
    const index = this.pickIndex(x, y);
    return index === null ? null : this.keyOf(index);
  }

  private pickIndex(x: number, y: number): number | null {
    const model = this.model;
    if (!model) return null;
    const pick = this.world.scene.pick(x, y, (mesh) => model.part.owns(mesh) && mesh.isEnabled());
    if (!pick?.hit) return null;
    return model.part.elementAt(pick.pickedMesh, pick.faceId);
  }

  private keyOf(index: number): string | null {
    return this.model?.manifest.elements[index]?.elementKey ?? null;
  }

  private indicesOf(keys: readonly string[]): number[] {
    const map = this.model?.keyToIndex;
    if (!map) return [];
    const out: number[] = [];
    for (const key of keys) {
      const index = map.get(key);
      if (index !== undefined) out.push(index);
    }
    return out;
  }

  private isVisible(index: number): boolean {
    if (this.mover?.index === index) return false;
    if (this.hidden.has(index)) return false;
    if (this.isolated && !this.isolated.has(index)) return false;
    if (this.storey && this.model?.manifest.elements[index]?.storey !== this.storey) return false;
    return true;
  }

  private applyVisibility(): void {
    this.model?.part.applyVisibility((i) => this.isVisible(i));
    this.world.requestRender();
    this.announce();
  }

  private applySection(): void {
    const bounds = this.model?.batched.bounds;
    if (this.section === null || !bounds) {
      this.world.setSection(null);
      return;
    }
    const height = bounds.min[1] + (bounds.max[1] - bounds.min[1]) * this.section;
    this.world.setSection(height);
  }

  private colourFunction(manifest: GeometryManifest): ColourOf {
    if (this.colourMode === 'class') {
      return (instance) => classColour(manifest.elements[instance.elementIndex]?.ifcClass ?? '');
    }
    if (this.colourMode === 'status') {
      const statuses = this.statuses;
      return (instance): Rgba => {
        const key = manifest.elements[instance.elementIndex]?.elementKey;
        return statusColour(key ? statuses.get(key) : undefined);
      };
    }
    if (this.colourMode === 'changes') {
      const changes = this.changes;
      return (instance): Rgba => {
        const key = manifest.elements[instance.elementIndex]?.elementKey;
        return changeColour(key ? changes.get(key) : undefined);
      };
    }
    return materialColour;
  }

  private closeModel(): void {
    this.moveRequest++;
    this.mover?.gizmo.dispose();
    this.mover = null;
    this.clearGhosts();
    this.highlighter.setData(null);
    this.model?.part.dispose();
    this.model = null;
    this.world.requestRender();
  }

  private announce(): void {
    this.events.emit('stateChanged', this.state);
  }

  private nextFrame(): Promise<void> {
    return new Promise((resolve) => {
      const off = this.world.events.on('frame', () => {
        off();
        resolve();
      });
      this.world.requestRender();
    });
  }
}
