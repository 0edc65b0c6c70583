// The model part: turns batched geometry into Babylon meshes (one per colour, or one per element
// and colour in the naive mode kept for benchmarks), applies visibility by rebuilding index
// buffers, switches X-ray, and maps a picked triangle back to its element.
import { Mesh } from '@babylonjs/core/Meshes/mesh';
import { VertexData } from '@babylonjs/core/Meshes/mesh.vertexData';
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial';
import { Color3 } from '@babylonjs/core/Maths/math.color';
import type { Scene } from '@babylonjs/core/scene';
import type { AbstractMesh } from '@babylonjs/core/Meshes/abstractMesh';
import { visibleTriangles, type Batch, type BatchedScene } from './batching';

export type RenderMode = 'batched' | 'per-element';

interface DrawnPart {
  mesh: Mesh;
  material: StandardMaterial;
  /** Batched: the whole batch; per-element: a batch narrowed to one element. */
  batch: Batch;
  /** Element of each triangle currently in the index buffer. */
  triangleElement: Uint32Array;
  baseAlpha: number;
}

const XRAY_ALPHA = 0.1;

export class ModelPart {
  private readonly parts: DrawnPart[] = [];
  private readonly byMesh = new Map<AbstractMesh, DrawnPart>();
  private readonly materials = new Map<string, StandardMaterial>();
  private xray = false;

  private readonly pickable: boolean;

  constructor(
    private readonly scene: Scene,
    readonly data: BatchedScene,
    readonly mode: RenderMode = 'batched',
    options: { pickable?: boolean } = {},
  ) {
    this.pickable = options.pickable ?? true;
    if (mode === 'batched') {
      data.batches.forEach((batch, i) => this.addPart(`batch-${i}`, batch));
    } else {
      data.batches.forEach((batch, i) => {
        for (let r = 0; r < batch.ranges.length; r += 3) {
          const element = batch.ranges[r]!;
          const first = batch.ranges[r + 1]!;
          const count = batch.ranges[r + 2]!;
          this.addPart(`element-${element}-${i}`, narrow(batch, element, first, count));
        }
      });
    }
  }

  /** The meshes the picker may hit. */
  get meshes(): Mesh[] {
    return this.parts.map((p) => p.mesh);
  }

  get materialCount(): number {
    return this.materials.size;
  }

  owns(mesh: AbstractMesh | null | undefined): boolean {
    return !!mesh && this.byMesh.has(mesh);
  }

  /** The element a picked triangle belongs to, or null. */
  elementAt(mesh: AbstractMesh | null | undefined, faceId: number): number | null {
    const part = mesh ? this.byMesh.get(mesh) : undefined;
    if (!part || faceId < 0 || faceId >= part.triangleElement.length) return null;
    return part.triangleElement[faceId]!;
  }

  /** Rebuilds every index buffer to hold only the visible elements' triangles. */
  applyVisibility(isVisible: (element: number) => boolean): void {
    for (const part of this.parts) {
      const { indices, triangleElement } = visibleTriangles(part.batch, isVisible);
      part.triangleElement = triangleElement;
      if (indices.length === 0) {
        part.mesh.setEnabled(false);
        continue;
      }
      part.mesh.setIndices(indices, part.batch.positions.length / 3);
      part.mesh.setEnabled(true);
    }
  }

  setXray(on: boolean): void {
    this.xray = on;
    for (const part of this.parts) {
      const m = part.material;
      m.unfreeze();
      m.alpha = on ? Math.min(part.baseAlpha, XRAY_ALPHA) : part.baseAlpha;
      m.disableDepthWrite = on;
      m.freeze();
    }
  }

  get isXray(): boolean {
    return this.xray;
  }

  dispose(): void {
    for (const part of this.parts) part.mesh.dispose(false, false);
    for (const material of this.materials.values()) material.dispose();
    this.parts.length = 0;
    this.byMesh.clear();
    this.materials.clear();
  }

  private addPart(name: string, batch: Batch): void {
    const mesh = new Mesh(name, this.scene);
    const vertexData = new VertexData();
    vertexData.positions = batch.positions;
    vertexData.normals = batch.normals;
    vertexData.indices = batch.indices;
    vertexData.applyToMesh(mesh, false);
    const material = this.materialFor(batch);
    mesh.material = material;
    mesh.isPickable = this.pickable;
    mesh.freezeWorldMatrix();
    mesh.doNotSyncBoundingInfo = true;
    if (this.mode === 'batched') mesh.alwaysSelectAsActiveMesh = true;
    const part: DrawnPart = {
      mesh,
      material,
      batch,
      triangleElement: batch.triangleElement,
      baseAlpha: batch.color[3],
    };
    this.parts.push(part);
    this.byMesh.set(mesh, part);
  }

  private materialFor(batch: Batch): StandardMaterial {
    let material = this.materials.get(batch.key);
    if (material) return material;
    material = new StandardMaterial(`material-${batch.key}`, this.scene);
    const [r, g, b, a] = batch.color;
    material.diffuseColor = new Color3(r, g, b);
    material.specularColor = new Color3(0.05, 0.05, 0.05);
    material.ambientColor = new Color3(r * 0.2, g * 0.2, b * 0.2);
    // IFC exports do not agree on winding: draw both faces, lit from both sides.
    material.backFaceCulling = false;
    material.twoSidedLighting = true;
    material.alpha = a;
    if (a < 0.999) material.disableDepthWrite = false;
    material.freeze();
    this.materials.set(batch.key, material);
    return material;
  }
}

/** A batch reduced to one element's triangle range (for the per-element mode). */
function narrow(batch: Batch, element: number, first: number, count: number): Batch {
  const indices = batch.indices.subarray(first * 3, (first + count) * 3);
  let lo = Infinity;
  let hi = -1;
  for (const i of indices) {
    if (i < lo) lo = i;
    if (i > hi) hi = i;
  }
  const positions = batch.positions.slice(lo * 3, (hi + 1) * 3);
  const normals = batch.normals.slice(lo * 3, (hi + 1) * 3);
  const local = new Uint32Array(indices.length);
  for (let i = 0; i < indices.length; i++) local[i] = indices[i]! - lo;
  return {
    key: batch.key,
    color: batch.color,
    positions,
    normals,
    indices: local,
    triangleElement: new Uint32Array(count).fill(element),
    ranges: Uint32Array.of(element, 0, count),
  };
}
