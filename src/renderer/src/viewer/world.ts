// The viewer's world: engine, scene, cameras (orbit and first-person walk), light, a reference grid,
// the section plane and the render loop. One small disposable part in the style of That Open's
// components: the UI creates it with a canvas, listens to its events and disposes it; React never
// holds Babylon objects.
//
// Frames are drawn on demand (after input, camera inertia or a change), not 60 times a second:
// a software-rendered GPU on a two-core machine has better things to do than redraw a still model.
import { Engine } from '@babylonjs/core/Engines/engine';
import { Scene } from '@babylonjs/core/scene';
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera';
import { UniversalCamera } from '@babylonjs/core/Cameras/universalCamera';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight';
import { DirectionalLight } from '@babylonjs/core/Lights/directionalLight';
import { Vector3 } from '@babylonjs/core/Maths/math.vector';
import { Plane } from '@babylonjs/core/Maths/math.plane';
import { Color3, Color4 } from '@babylonjs/core/Maths/math.color';
import { CreateLineSystem } from '@babylonjs/core/Meshes/Builders/linesBuilder';
import { CreateGround } from '@babylonjs/core/Meshes/Builders/groundBuilder';
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial';
import { SceneInstrumentation } from '@babylonjs/core/Instrumentation/sceneInstrumentation';
import type { Mesh } from '@babylonjs/core/Meshes/mesh';
// Side effects: pointer, wheel and keyboard inputs of the cameras.
import '@babylonjs/core/Cameras/Inputs/arcRotateCameraPointersInput';
import '@babylonjs/core/Cameras/Inputs/arcRotateCameraMouseWheelInput';
import '@babylonjs/core/Cameras/Inputs/freeCameraKeyboardMoveInput';
import '@babylonjs/core/Cameras/Inputs/freeCameraMouseInput';
import { Emitter } from './events';
import type { Bounds } from './batching';

export interface WorldEvents {
  /** The first frame has been drawn. */
  firstFrame: undefined;
  /** A frame was drawn (not every animation tick: frames are drawn on demand). */
  frame: undefined;
  cameraModeChanged: CameraMode;
}

export type CameraMode = 'orbit' | 'walk';

export interface WorldStats {
  fps: number;
  drawCalls: number;
  /** JavaScript time of the last frames, averaged, in milliseconds. */
  frameMs: number;
  meshes: number;
}

export interface WorldOptions {
  /** Keep drawing every tick (benchmarks); default: draw on demand. */
  continuous?: boolean;
  /** The UI theme the background and grid match (default dark). */
  theme?: SceneTheme;
}

export type SceneTheme = 'light' | 'dark';

/** The scene's chrome in each UI theme: background, ground and grid lines (never the model's colours). */
const sceneColours: Record<SceneTheme, { clear: Color4; ground: Color3; grid: Color3 }> = {
  dark: {
    clear: new Color4(0.09, 0.1, 0.12, 1),
    ground: new Color3(0.16, 0.18, 0.21),
    grid: new Color3(0.3, 0.33, 0.38),
  },
  light: {
    clear: new Color4(0.87, 0.89, 0.92, 1),
    ground: new Color3(0.7, 0.72, 0.75),
    grid: new Color3(0.62, 0.65, 0.7),
  },
};

export class ViewerWorld {
  readonly events = new Emitter<WorldEvents>();
  readonly engine: Engine;
  readonly scene: Scene;
  readonly camera: ArcRotateCamera;
  private walkCamera: UniversalCamera | null = null;
  private readonly instrumentation: SceneInstrumentation;
  private readonly resizeObserver: ResizeObserver;
  private readonly gridParts: Mesh[] = [];
  private readonly sun: DirectionalLight;
  private firstFrameSeen = false;
  private settleStep = 0;
  private renderUntil = 0;
  private lastFrameMs = 0;
  private lastDrawCalls = 0;
  private renderedSize: [number, number] = [0, 0];
  private mode: CameraMode = 'orbit';
  private modelBounds: Bounds | null = null;
  private theme: SceneTheme;
  private readonly inputListener = (event: Event) => {
    // A press that grabbed a handle (Babylon's listeners ran first and started its drag) works on
    // the element in view: the walls stay clipped.
    if (event.type === 'pointerdown' && this.handleGrabbed()) {
      this.requestRender(1200);
      return;
    }
    if (this.occludersClipped && (event.type === 'pointerdown' || event.type === 'wheel')) {
      this.occludersClipped = false;
      this.camera.minZ = Math.max(0.02, this.camera.radius / 2000);
    }
    this.requestRender(1200);
  };
  private occludersClipped = false;
  /** Whether a gizmo handle is being dragged (set by whoever puts one in the scene). */
  handleGrabbed: () => boolean = () => false;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly options: WorldOptions = {},
  ) {
    this.engine = new Engine(canvas, true, {
      preserveDrawingBuffer: true, // lets screenshots and tests read the pixels back
      stencil: true,
      antialias: true,
    });
    this.scene = new Scene(this.engine);
    // web-ifc delivers right-handed, Y-up coordinates.
    this.scene.useRightHandedSystem = true;
    this.theme = options.theme ?? 'dark';
    this.scene.clearColor = sceneColours[this.theme].clear.clone();
    // Picking is ours (throttled, on the merged meshes); Babylon need not pick on every move.
    this.scene.skipPointerMovePicking = true;
    this.scene.autoClear = true;

    this.camera = new ArcRotateCamera('orbit', -Math.PI / 4, Math.PI / 3, 40, Vector3.Zero(), this.scene);
    this.camera.lowerRadiusLimit = 0.3;
    this.camera.upperRadiusLimit = 20000;
    this.camera.wheelDeltaPercentage = 0.03;
    this.camera.panningSensibility = 60;
    this.camera.minZ = 0.05;
    this.camera.maxZ = 20000;
    this.camera.attachControl(canvas, true);

    const sky = new HemisphericLight('sky', new Vector3(0.3, 1, 0.2), this.scene);
    sky.intensity = 0.7;
    sky.groundColor = new Color3(0.3, 0.3, 0.34);
    // A headlight: a directional light along the view (tilted down a little), so whatever the
    // user looks at is lit, as in most BIM viewers.
    this.sun = new DirectionalLight('headlight', new Vector3(-0.4, -1, -0.6), this.scene);
    this.sun.intensity = 0.55;
    this.sun.specular = new Color3(0.15, 0.15, 0.15);
    this.scene.onBeforeRenderObservable.add(() => {
      const camera = this.scene.activeCamera as ArcRotateCamera | UniversalCamera | null;
      if (!camera) return;
      camera.getTarget().subtractToRef(camera.position, this.sun.direction);
      this.sun.direction.normalize();
      this.sun.direction.y -= 0.35;
    });

    this.instrumentation = new SceneInstrumentation(this.scene);
    this.instrumentation.captureFrameTime = true;

    this.buildGrid(null);

    for (const type of ['pointerdown', 'pointermove', 'wheel', 'keydown']) {
      canvas.addEventListener(type, this.inputListener, { passive: true });
    }

    // Draw for the first second regardless: shaders compile and the layout settles meanwhile.
    this.requestRender(1000);
    this.engine.runRenderLoop(() => {
      // A canvas whose size changed was cleared by the browser: resize and draw again.
      if (canvas.clientWidth !== this.renderedSize[0] || canvas.clientHeight !== this.renderedSize[1]) {
        this.renderedSize = [canvas.clientWidth, canvas.clientHeight];
        this.engine.resize();
        this.requestRender();
      }
      const now = performance.now();
      if (!this.options.continuous && now > this.renderUntil && this.firstFrameSeen) {
        // Settling frames after the view went still (0.5, 1, 2 and 4 s later): a software GPU
        // finishing shader work late otherwise left the last frame without the grid, or blank, at
        // a fresh start, until the next input.
        if (this.settleStep >= 4 || now < this.renderUntil + 500 * 2 ** this.settleStep) return;
        this.settleStep++;
      } else if (now <= this.renderUntil) {
        this.settleStep = 0;
      }
      this.renderFrame();
    });
    this.resizeObserver = new ResizeObserver(() => {
      this.engine.resize();
      this.requestRender();
    });
    this.resizeObserver.observe(canvas);
  }

  /** Draws frames for the next `ms` milliseconds (covers camera inertia after input). */
  requestRender(ms = 150): void {
    this.renderUntil = Math.max(this.renderUntil, performance.now() + ms);
  }

  /** Draws one frame now; answers its JavaScript time in milliseconds. */
  renderFrame(): number {
    // Shaders compile in parallel: a frame drawn while any is pending misses meshes. Ask for
    // more frames until one starts with the scene complete (checked before, not after, drawing).
    const complete = this.scene.isReady();
    const started = performance.now();
    this.scene.render();
    this.lastFrameMs = performance.now() - started;
    this.lastDrawCalls = this.instrumentation.drawCallsCounter.current;
    if (!complete) this.requestRender(100);
    if (!this.firstFrameSeen) {
      this.firstFrameSeen = true;
      this.events.emit('firstFrame', undefined);
    }
    this.events.emit('frame', undefined);
    return this.lastFrameMs;
  }

  get cameraMode(): CameraMode {
    return this.mode;
  }

  stats(): WorldStats {
    return {
      fps: Math.round(this.engine.getFps()),
      drawCalls: this.lastDrawCalls,
      frameMs: this.instrumentation.frameTimeCounter.lastSecAverage || this.lastFrameMs,
      meshes: this.scene.getActiveMeshes().length,
    };
  }

  /**
   * Frames the camera on a box, keeping the viewing direction unless `from` gives one. With
   * `clipOccluders`, the near plane moves up to just before the box, so walls between the camera
   * and a selection do not hide it; the next drag or wheel turn brings the near plane back.
   */
  fit(bounds: Bounds, options: { from?: [number, number, number]; clipOccluders?: boolean } = {}): void {
    const min = Vector3.FromArray(bounds.min);
    const max = Vector3.FromArray(bounds.max);
    const centre = min.add(max).scale(0.5);
    // A selection keeps a little context around it: never closer than for a 3 m box.
    const radius = Math.max(options.clipOccluders ? 1.5 : 0.25, max.subtract(min).length() / 2);
    const distance = (radius / Math.sin(this.camera.fov / 2)) * 1.15;
    if (this.mode === 'walk') this.setCameraMode('orbit');
    this.camera.setTarget(centre);
    if (options.from) {
      // Look from a given side (outside the building, for a selection), 25 degrees above the horizon.
      const [dx, , dz] = options.from;
      if (Math.hypot(dx, dz) > 1e-6) this.camera.alpha = Math.atan2(dz, dx);
      this.camera.beta = Math.PI / 2 - (25 * Math.PI) / 180;
    }
    this.camera.radius = distance;
    this.camera.minZ = options.clipOccluders
      ? Math.max(0.02, distance - radius * 1.2)
      : Math.max(0.02, distance / 2000);
    this.occludersClipped = !!options.clipOccluders;
    this.requestRender(400);
  }

  /** Sets the ground grid and camera limits to the model's extent (null: the empty grid). */
  setModelBounds(bounds: Bounds | null): void {
    const same = JSON.stringify(bounds) === JSON.stringify(this.modelBounds);
    this.modelBounds = bounds;
    if (!same) this.buildGrid(bounds);
    if (bounds) {
      const size = Math.max(...bounds.max.map((v, i) => v - bounds.min[i]!));
      this.camera.upperRadiusLimit = Math.max(200, size * 20);
      this.camera.maxZ = Math.max(2000, size * 40);
      this.camera.wheelDeltaPercentage = 0.03;
    }
    this.requestRender();
  }

  /** Matches the background and grid to the UI theme. */
  setTheme(theme: SceneTheme): void {
    if (theme === this.theme) return;
    this.theme = theme;
    this.scene.clearColor = sceneColours[theme].clear.clone();
    this.buildGrid(this.modelBounds);
    this.requestRender();
  }

  /** A horizontal section: everything above `height` (metres, Y) is cut away; null removes it. */
  setSection(height: number | null): void {
    this.scene.clipPlane = height === null ? null : new Plane(0, 1, 0, -height);
    this.requestRender();
  }

  setCameraMode(mode: CameraMode): void {
    if (mode === this.mode) return;
    const canvas = this.canvas;
    if (mode === 'walk') {
      const walk = (this.walkCamera ??= this.createWalkCamera());
      // Stand where the orbit camera is, at eye height above its target's level if that is lower.
      walk.position.copyFrom(this.camera.position);
      walk.setTarget(this.camera.target);
      this.camera.detachControl();
      walk.attachControl(true);
      this.scene.activeCamera = walk;
    } else {
      const walk = this.walkCamera;
      if (walk) {
        walk.detachControl();
        const forward = walk.getForwardRay(Math.max(2, this.camera.radius * 0.3)).direction;
        const target = walk.position.add(forward.scale(Math.max(2, this.camera.radius * 0.3)));
        this.camera.setPosition(walk.position.clone());
        this.camera.setTarget(target);
      }
      this.camera.attachControl(canvas, true);
      this.scene.activeCamera = this.camera;
    }
    this.mode = mode;
    this.events.emit('cameraModeChanged', mode);
    this.requestRender(300);
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    for (const type of ['pointerdown', 'pointermove', 'wheel', 'keydown']) {
      this.canvas.removeEventListener(type, this.inputListener);
    }
    this.events.clear();
    this.engine.stopRenderLoop();
    this.instrumentation.dispose();
    this.scene.dispose();
    this.engine.dispose();
  }

  private createWalkCamera(): UniversalCamera {
    const walk = new UniversalCamera('walk', this.camera.position.clone(), this.scene);
    walk.minZ = 0.05;
    walk.maxZ = this.camera.maxZ;
    walk.fov = this.camera.fov;
    const bounds = this.modelBounds;
    const size = bounds ? Math.max(...bounds.max.map((v, i) => v - bounds.min[i]!)) : 20;
    walk.speed = Math.max(0.05, size / 300);
    walk.angularSensibility = 3000;
    // WASD as well as the arrows.
    walk.keysUp.push(87);
    walk.keysDown.push(83);
    walk.keysLeft.push(65);
    walk.keysRight.push(68);
    walk.keysUpward.push(69);
    walk.keysDownward.push(81);
    walk.inertia = 0.6;
    walk.onViewMatrixChangedObservable.add(() => this.requestRender(200));
    return walk;
  }

  /** A ground plane with a grid and the X (red), Y (green) and Z (blue) axes, sized to the model. */
  private buildGrid(bounds: Bounds | null): void {
    for (const part of this.gridParts.splice(0)) {
      part.material?.dispose();
      part.dispose();
    }
    const extent = bounds ? Math.max(bounds.max[0] - bounds.min[0], bounds.max[2] - bounds.min[2]) : 60;
    const step = extent > 400 ? 10 : extent > 80 ? 5 : extent > 30 ? 2 : 1;
    const size = Math.ceil((extent * 1.6 + step * 4) / step / 2) * step * 2;
    const cx = bounds ? Math.round((bounds.min[0] + bounds.max[0]) / 2 / step) * step : 0;
    const cz = bounds ? Math.round((bounds.min[2] + bounds.max[2]) / 2 / step) * step : 0;
    const y = bounds ? bounds.min[1] : 0;

    const ground = CreateGround('grid-ground', { width: size, height: size }, this.scene);
    const groundMaterial = new StandardMaterial('grid-ground-material', this.scene);
    const colours = sceneColours[this.theme];
    groundMaterial.diffuseColor = colours.ground.clone();
    groundMaterial.specularColor = Color3.Black();
    groundMaterial.zOffset = 2;
    ground.material = groundMaterial;
    ground.position.set(cx, y - 0.02, cz);
    ground.isPickable = false;

    const half = size / 2;
    const lines: Vector3[][] = [];
    for (let v = -half; v <= half; v += step) {
      lines.push([new Vector3(cx + v, y, cz - half), new Vector3(cx + v, y, cz + half)]);
      lines.push([new Vector3(cx - half, y, cz + v), new Vector3(cx + half, y, cz + v)]);
    }
    const grid = CreateLineSystem('grid', { lines }, this.scene);
    grid.color = colours.grid.clone();
    grid.isPickable = false;

    const axis = (name: string, to: Vector3, color: Color3) => {
      const line = CreateLineSystem(name, { lines: [[new Vector3(0, y, 0), to]] }, this.scene);
      line.color = color;
      line.isPickable = false;
      return line;
    };
    const reach = Math.max(6, half * 0.5);
    this.gridParts.push(
      ground,
      grid,
      axis('axis-x', new Vector3(reach, y, 0), new Color3(0.85, 0.3, 0.3)),
      axis('axis-z', new Vector3(0, y, reach), new Color3(0.3, 0.5, 0.9)),
      axis('axis-y', new Vector3(0, y + Math.min(reach, 6), 0), new Color3(0.35, 0.8, 0.4)),
    );
    for (const part of this.gridParts) {
      part.freezeWorldMatrix();
      part.doNotSyncBoundingInfo = true;
    }
  }
}
