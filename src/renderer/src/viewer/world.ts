// The viewer's world: engine, scene, camera, light and a reference grid. One small disposable part
// in the style of That Open's components: the UI creates it with a canvas, listens to its events
// and disposes it; React never holds Babylon objects.
import { Engine } from '@babylonjs/core/Engines/engine';
import { Scene } from '@babylonjs/core/scene';
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight';
import { Vector3 } from '@babylonjs/core/Maths/math.vector';
import { Color3, Color4 } from '@babylonjs/core/Maths/math.color';
import { CreateLineSystem } from '@babylonjs/core/Meshes/Builders/linesBuilder';
import { CreateGround } from '@babylonjs/core/Meshes/Builders/groundBuilder';
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial';
// Side effects: pointer inputs of the arc-rotate camera.
import '@babylonjs/core/Cameras/Inputs/arcRotateCameraPointersInput';

export interface WorldEvents {
  /** Fired once the first frame has been drawn. */
  firstFrame: () => void;
  /** Fired when WebGL could not start; the message is shown in the viewport. */
  failed: (message: string) => void;
}

export interface WorldStats {
  fps: number;
  drawCalls: number;
}

export class ViewerWorld {
  readonly engine: Engine;
  readonly scene: Scene;
  readonly camera: ArcRotateCamera;
  private readonly resizeObserver: ResizeObserver;
  private firstFrameSeen = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: Partial<WorldEvents> = {},
  ) {
    this.engine = new Engine(canvas, true, {
      preserveDrawingBuffer: true, // lets screenshots and tests read the pixels back
      stencil: true,
      antialias: true,
    });
    this.scene = new Scene(this.engine);
    // web-ifc delivers right-handed, Y-up coordinates.
    this.scene.useRightHandedSystem = true;
    this.scene.clearColor = new Color4(0.09, 0.1, 0.12, 1);

    this.camera = new ArcRotateCamera('camera', -Math.PI / 4, Math.PI / 3, 40, Vector3.Zero(), this.scene);
    this.camera.lowerRadiusLimit = 0.5;
    this.camera.upperRadiusLimit = 5000;
    this.camera.wheelDeltaPercentage = 0.02;
    this.camera.minZ = 0.05;
    this.camera.attachControl(canvas, true);

    const light = new HemisphericLight('sky', new Vector3(0.3, 1, 0.2), this.scene);
    light.groundColor = new Color3(0.25, 0.25, 0.3);

    this.buildGrid(60, 2);

    this.engine.runRenderLoop(() => {
      this.scene.render();
      if (!this.firstFrameSeen) {
        this.firstFrameSeen = true;
        this.events.firstFrame?.();
      }
    });
    this.resizeObserver = new ResizeObserver(() => this.engine.resize());
    this.resizeObserver.observe(canvas);
  }

  stats(): WorldStats {
    return { fps: Math.round(this.engine.getFps()), drawCalls: this.engine._drawCalls?.current ?? 0 };
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.engine.stopRenderLoop();
    this.scene.dispose();
    this.engine.dispose();
  }

  /** A ground plane with a metre grid and the X (red) and Z (blue) axes, for orientation. */
  private buildGrid(size: number, step: number): void {
    const ground = CreateGround('grid-ground', { width: size, height: size }, this.scene);
    const groundMaterial = new StandardMaterial('grid-ground-material', this.scene);
    groundMaterial.diffuseColor = new Color3(0.16, 0.18, 0.21);
    groundMaterial.specularColor = Color3.Black();
    ground.material = groundMaterial;
    ground.position.y = -0.01;
    ground.isPickable = false;

    const half = size / 2;
    const lines: Vector3[][] = [];
    for (let v = -half; v <= half; v += step) {
      lines.push([new Vector3(v, 0, -half), new Vector3(v, 0, half)]);
      lines.push([new Vector3(-half, 0, v), new Vector3(half, 0, v)]);
    }
    const grid = CreateLineSystem('grid', { lines }, this.scene);
    grid.color = new Color3(0.32, 0.35, 0.4);
    grid.isPickable = false;

    const xAxis = CreateLineSystem(
      'axis-x',
      { lines: [[Vector3.Zero(), new Vector3(half, 0, 0)]] },
      this.scene,
    );
    xAxis.color = new Color3(0.85, 0.3, 0.3);
    const zAxis = CreateLineSystem(
      'axis-z',
      { lines: [[Vector3.Zero(), new Vector3(0, 0, half)]] },
      this.scene,
    );
    zAxis.color = new Color3(0.3, 0.5, 0.9);
    const yAxis = CreateLineSystem('axis-y', { lines: [[Vector3.Zero(), new Vector3(0, 6, 0)]] }, this.scene);
    yAxis.color = new Color3(0.35, 0.8, 0.4);
  }
}
