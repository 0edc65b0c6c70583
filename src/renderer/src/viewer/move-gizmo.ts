// The move part: lifts one element out of the merged model into its own mesh, puts Babylon's
// position gizmo (three axis arrows, three plane handles) on it, and reports the translation when a
// drag ends (viewer axes, metres). The twin viewer hides the element in the merged model meanwhile
// and turns the reported move into a placement edit; the model reloads from the draft afterwards.
import { TransformNode } from '@babylonjs/core/Meshes/transformNode';
import { Matrix, Vector3 } from '@babylonjs/core/Maths/math.vector';
import { PositionGizmo } from '@babylonjs/core/Gizmos/positionGizmo';
import { UtilityLayerRenderer } from '@babylonjs/core/Rendering/utilityLayerRenderer';
import type { Scene } from '@babylonjs/core/scene';
import { Emitter } from './events';
import { buildBatches, type SceneGeometry } from './batching';
import { ModelPart } from './model';

export interface MoveGizmoEvents {
  /** The drag ended: how far the element moved (viewer axes: x, y up, z), in metres. */
  moved: { translation: [number, number, number] };
  /** Something is being dragged (for continuous rendering and to ignore clicks meanwhile). */
  dragging: boolean;
}

const HIGHLIGHT: [number, number, number, number] = [0.35, 0.7, 1, 1];

export class MoveGizmo {
  readonly events = new Emitter<MoveGizmoEvents>();
  private readonly layer: UtilityLayerRenderer;
  private readonly gizmo: PositionGizmo;
  private readonly node: TransformNode;
  private readonly part: ModelPart;
  private readonly start: Vector3;
  /** A handle is held (between drag start and end). */
  grabbed = false;

  /** `geometry` holds only the element's instances; `centre` is where the handles sit. */
  constructor(scene: Scene, geometry: SceneGeometry, centre: readonly [number, number, number]) {
    this.start = Vector3.FromArray(centre);
    this.node = new TransformNode('move-handle', scene);
    this.node.position.copyFrom(this.start);
    this.part = new ModelPart(
      scene,
      buildBatches(geometry, () => HIGHLIGHT),
      'batched',
      { pickable: false },
    );
    for (const mesh of this.part.meshes) {
      mesh.unfreezeWorldMatrix();
      mesh.parent = this.node;
      mesh.position.copyFrom(this.start.negate());
    }
    this.layer = new UtilityLayerRenderer(scene);
    this.gizmo = new PositionGizmo(this.layer);
    this.gizmo.updateGizmoRotationToMatchAttachedMesh = false;
    this.gizmo.scaleRatio = 1.1;
    this.gizmo.attachedNode = this.node;
    this.gizmo.onDragStartObservable.add(() => {
      this.grabbed = true;
      this.events.emit('dragging', true);
    });
    this.gizmo.onDragObservable.add(() => this.events.emit('dragging', true));
    this.gizmo.onDragEndObservable.add(() => {
      this.grabbed = false;
      this.events.emit('dragging', false);
      const moved = this.node.position.subtract(this.start);
      if (moved.length() < 1e-4) return;
      this.events.emit('moved', { translation: [moved.x, moved.y, moved.z] });
    });
  }

  /** Where the handle is now, relative to where it started (viewer axes). */
  get offset(): [number, number, number] {
    const d = this.node.position.subtract(this.start);
    return [d.x, d.y, d.z];
  }

  /**
   * Where to grab an axis arrow in the canvas (CSS pixels: the middle of the arrow as drawn), and
   * which way one metre along that axis goes on screen; null before the handles were drawn.
   */
  handlePoint(axis: 'x' | 'y' | 'z'): { x: number; y: number; dx: number; dy: number } | null {
    const arrow = { x: this.gizmo.xGizmo, y: this.gizmo.yGizmo, z: this.gizmo.zGizmo }[axis];
    const meshes = arrow._rootMesh
      .getChildMeshes(false)
      .filter((m) => m.isVisible && m.getTotalVertices() > 0);
    if (meshes.length === 0) return null;
    const min = new Vector3(Infinity, Infinity, Infinity);
    const max = new Vector3(-Infinity, -Infinity, -Infinity);
    for (const mesh of meshes) {
      mesh.computeWorldMatrix(true);
      const box = mesh.getBoundingInfo().boundingBox;
      min.minimizeInPlace(box.minimumWorld);
      max.maximizeInPlace(box.maximumWorld);
    }
    const camera = this.layer.getRenderCamera();
    const engine = this.layer.utilityLayerScene.getEngine();
    const canvas = engine.getRenderingCanvas();
    if (!canvas) return null;
    const width = engine.getRenderWidth();
    const height = engine.getRenderHeight();
    const transform = camera.getViewMatrix().multiply(camera.getProjectionMatrix());
    const viewport = camera.viewport.toGlobal(width, height);
    const toCss = (world: Vector3) => {
      const p = Vector3.Project(world, Matrix.IdentityReadOnly, transform, viewport);
      return { x: (p.x * canvas.clientWidth) / width, y: (p.y * canvas.clientHeight) / height };
    };
    const centre = min.add(max).scaleInPlace(0.5);
    const at = toCss(centre);
    const unit = { x: Vector3.Right(), y: Vector3.Up(), z: Vector3.Forward() }[axis];
    const ahead = toCss(centre.add(unit));
    return { x: at.x, y: at.y, dx: ahead.x - at.x, dy: ahead.y - at.y };
  }

  /** Moves the handle programmatically (keyboard nudges, tests), as a drag would. */
  nudge(by: readonly [number, number, number]): void {
    this.node.position.addInPlace(Vector3.FromArray(by));
    this.events.emit('moved', { translation: this.offset });
  }

  dispose(): void {
    this.gizmo.attachedNode = null;
    this.gizmo.dispose();
    this.layer.dispose();
    this.part.dispose();
    this.node.dispose();
    this.events.clear();
  }
}
