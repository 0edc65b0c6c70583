// Merges a twin's streamed geometry into one vertex buffer per colour, so the scene draws once per
// material instead of once per element. Pure data (typed arrays), no Babylon: unit-tested on its own.
//
// Every instance's world matrix is baked into the merged positions and normals. Each batch keeps,
// per triangle, the element it belongs to (picking resolves `faceId` through it) and, per element,
// the contiguous triangle range it occupies, so visibility changes rebuild only index buffers.
import type { MeshInstance, StreamedMesh } from '../../../shared/geometry-stream';

export type Rgba = readonly [number, number, number, number];

/** What the loader hands over: every placed instance and every distinct mesh, by mesh index. */
export interface SceneGeometry {
  elementCount: number;
  instances: readonly MeshInstance[];
  meshes: ReadonlyMap<number, StreamedMesh>;
}

export interface Batch {
  /** Colour key: the RGBA quantised to 8 bits per channel. */
  key: string;
  color: Rgba;
  positions: Float32Array;
  normals: Float32Array;
  /** Every triangle of the batch, elements contiguous. */
  indices: Uint32Array;
  /** Element index of each triangle in `indices`. */
  triangleElement: Uint32Array;
  /** Per element in this batch: first triangle and triangle count, as [element, first, count]. */
  ranges: Uint32Array;
}

export interface BatchedScene {
  batches: Batch[];
  /** Per element: indices into `batches` where it has triangles. */
  elementBatches: number[][];
  /** Per element: minX, minY, minZ, maxX, maxY, maxZ (Infinity / -Infinity without geometry). */
  elementBounds: Float64Array;
  bounds: Bounds | null;
  triangleCount: number;
}

export interface Bounds {
  min: [number, number, number];
  max: [number, number, number];
}

/** Picks the colour an instance is drawn with; null leaves the instance out. */
export type ColourOf = (instance: MeshInstance) => Rgba | null;

export const materialColour: ColourOf = (instance) => [
  instance.color[0] ?? 0.8,
  instance.color[1] ?? 0.8,
  instance.color[2] ?? 0.8,
  instance.color[3] ?? 1,
];

const q = (v: number) => Math.max(0, Math.min(255, Math.round(v * 255)));
export const colourKey = (c: Rgba): string => `${q(c[0])},${q(c[1])},${q(c[2])},${q(c[3])}`;

interface Plan {
  key: string;
  color: Rgba;
  items: { instance: MeshInstance; mesh: StreamedMesh }[];
  vertices: number;
  indices: number;
}

export function buildBatches(geometry: SceneGeometry, colourOf: ColourOf = materialColour): BatchedScene {
  const plans = new Map<string, Plan>();
  for (const instance of geometry.instances) {
    const mesh = geometry.meshes.get(instance.meshIndex);
    if (!mesh || mesh.indices.length === 0) continue;
    const colour = colourOf(instance);
    if (!colour) continue;
    const quantised: Rgba = [q(colour[0]) / 255, q(colour[1]) / 255, q(colour[2]) / 255, q(colour[3]) / 255];
    const key = colourKey(quantised);
    let plan = plans.get(key);
    if (!plan) plans.set(key, (plan = { key, color: quantised, items: [], vertices: 0, indices: 0 }));
    plan.items.push({ instance, mesh });
    plan.vertices += mesh.vertices.length / 6;
    plan.indices += mesh.indices.length - (mesh.indices.length % 3);
  }

  const elementBatches: number[][] = Array.from({ length: geometry.elementCount }, () => []);
  const elementBounds = new Float64Array(geometry.elementCount * 6);
  for (let e = 0; e < geometry.elementCount; e++) {
    elementBounds.set([Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity], e * 6);
  }
  // Opaque batches first, then translucent ones: the order they are drawn in.
  const ordered = [...plans.values()].sort((a, b) => b.color[3] - a.color[3] || a.key.localeCompare(b.key));
  const batches: Batch[] = [];
  let triangleCount = 0;
  for (const plan of ordered) {
    // Elements contiguous inside the batch, so each has one triangle range.
    plan.items.sort((a, b) => a.instance.elementIndex - b.instance.elementIndex);
    const positions = new Float32Array(plan.vertices * 3);
    const normals = new Float32Array(plan.vertices * 3);
    const indices = new Uint32Array(plan.indices);
    const triangleElement = new Uint32Array(plan.indices / 3);
    const ranges: number[] = [];
    const batchIndex = batches.length;
    let v = 0;
    let t = 0;
    let current = -1;
    let rangeStart = 0;
    for (const { instance, mesh } of plan.items) {
      const element = instance.elementIndex;
      if (element !== current) {
        if (current >= 0) ranges.push(current, rangeStart, t - rangeStart);
        current = element;
        rangeStart = t;
        if (element < geometry.elementCount) elementBatches[element]!.push(batchIndex);
      }
      const baseVertex = v;
      v = bakeVertices(mesh.vertices, instance.matrix, positions, normals, v, elementBounds, element);
      const src = mesh.indices;
      const usable = src.length - (src.length % 3);
      for (let i = 0; i < usable; i += 3) {
        indices[t * 3] = src[i]! + baseVertex;
        indices[t * 3 + 1] = src[i + 1]! + baseVertex;
        indices[t * 3 + 2] = src[i + 2]! + baseVertex;
        triangleElement[t] = element;
        t++;
      }
    }
    if (current >= 0) ranges.push(current, rangeStart, t - rangeStart);
    triangleCount += t;
    batches.push({
      key: plan.key,
      color: plan.color,
      positions,
      normals,
      indices,
      triangleElement,
      ranges: Uint32Array.from(ranges),
    });
  }
  return { batches, elementBatches, elementBounds, bounds: unionBounds(elementBounds), triangleCount };
}

/** Transforms x,y,z,nx,ny,nz vertices by a column-major matrix into the batch; returns the next vertex. */
function bakeVertices(
  vertices: Float32Array,
  m: Float32Array,
  positions: Float32Array,
  normals: Float32Array,
  start: number,
  bounds: Float64Array,
  element: number,
): number {
  const m0 = m[0]!,
    m1 = m[1]!,
    m2 = m[2]!,
    m4 = m[4]!,
    m5 = m[5]!,
    m6 = m[6]!;
  const m8 = m[8]!,
    m9 = m[9]!,
    m10 = m[10]!,
    m12 = m[12]!,
    m13 = m[13]!,
    m14 = m[14]!;
  const b = element * 6;
  const hasBounds = b + 5 < bounds.length;
  let minX = Infinity,
    minY = Infinity,
    minZ = Infinity,
    maxX = -Infinity,
    maxY = -Infinity,
    maxZ = -Infinity;
  let o = start * 3;
  for (let i = 0; i + 5 < vertices.length; i += 6) {
    const x = vertices[i]!,
      y = vertices[i + 1]!,
      z = vertices[i + 2]!;
    const px = m0 * x + m4 * y + m8 * z + m12;
    const py = m1 * x + m5 * y + m9 * z + m13;
    const pz = m2 * x + m6 * y + m10 * z + m14;
    positions[o] = px;
    positions[o + 1] = py;
    positions[o + 2] = pz;
    if (px < minX) minX = px;
    if (py < minY) minY = py;
    if (pz < minZ) minZ = pz;
    if (px > maxX) maxX = px;
    if (py > maxY) maxY = py;
    if (pz > maxZ) maxZ = pz;
    const nx = vertices[i + 3]!,
      ny = vertices[i + 4]!,
      nz = vertices[i + 5]!;
    // Rotation part only; renormalised, which is exact for the rigid and uniformly scaled
    // placements IFC uses.
    let tx = m0 * nx + m4 * ny + m8 * nz;
    let ty = m1 * nx + m5 * ny + m9 * nz;
    let tz = m2 * nx + m6 * ny + m10 * nz;
    const len = Math.hypot(tx, ty, tz) || 1;
    tx /= len;
    ty /= len;
    tz /= len;
    normals[o] = tx;
    normals[o + 1] = ty;
    normals[o + 2] = tz;
    o += 3;
  }
  if (hasBounds) {
    if (minX < bounds[b]!) bounds[b] = minX;
    if (minY < bounds[b + 1]!) bounds[b + 1] = minY;
    if (minZ < bounds[b + 2]!) bounds[b + 2] = minZ;
    if (maxX > bounds[b + 3]!) bounds[b + 3] = maxX;
    if (maxY > bounds[b + 4]!) bounds[b + 4] = maxY;
    if (maxZ > bounds[b + 5]!) bounds[b + 5] = maxZ;
  }
  return o / 3;
}

/** The bounds of the given elements (all when omitted); null when none has geometry. */
export function unionBounds(elementBounds: Float64Array, elements?: Iterable<number>): Bounds | null {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  const count = elementBounds.length / 6;
  const list = elements ?? Array.from({ length: count }, (_, i) => i);
  for (const e of list) {
    if (e < 0 || e >= count) continue;
    const b = e * 6;
    if (!(elementBounds[b]! <= elementBounds[b + 3]!)) continue;
    for (let k = 0; k < 3; k++) {
      min[k] = Math.min(min[k]!, elementBounds[b + k]!);
      max[k] = Math.max(max[k]!, elementBounds[b + 3 + k]!);
    }
  }
  return min[0] <= max[0] ? { min, max } : null;
}

/** The index buffer of a batch with only the triangles of visible elements, and their elements. */
export function visibleTriangles(
  batch: Batch,
  isVisible: (element: number) => boolean,
): { indices: Uint32Array; triangleElement: Uint32Array } {
  const { ranges } = batch;
  let total = 0;
  for (let r = 0; r < ranges.length; r += 3) if (isVisible(ranges[r]!)) total += ranges[r + 2]!;
  if (total === batch.triangleElement.length) {
    return { indices: batch.indices, triangleElement: batch.triangleElement };
  }
  const indices = new Uint32Array(total * 3);
  const triangleElement = new Uint32Array(total);
  let t = 0;
  for (let r = 0; r < ranges.length; r += 3) {
    const element = ranges[r]!;
    if (!isVisible(element)) continue;
    const first = ranges[r + 1]!;
    const count = ranges[r + 2]!;
    indices.set(batch.indices.subarray(first * 3, (first + count) * 3), t * 3);
    triangleElement.fill(element, t, t + count);
    t += count;
  }
  return { indices, triangleElement };
}

/** A self-contained triangle soup of some elements (for highlight overlays); null if none drawn. */
export function elementSoup(
  scene: BatchedScene,
  elements: Iterable<number>,
): { positions: Float32Array; normals: Float32Array; indices: Uint32Array } | null {
  const wanted = new Set(elements);
  const parts: { batch: Batch; first: number; count: number }[] = [];
  let triangles = 0;
  const seenBatches = new Set<number>();
  for (const element of wanted) {
    for (const b of scene.elementBatches[element] ?? []) seenBatches.add(b);
  }
  for (const b of seenBatches) {
    const batch = scene.batches[b]!;
    for (let r = 0; r < batch.ranges.length; r += 3) {
      if (!wanted.has(batch.ranges[r]!)) continue;
      parts.push({ batch, first: batch.ranges[r + 1]!, count: batch.ranges[r + 2]! });
      triangles += batch.ranges[r + 2]!;
    }
  }
  if (triangles === 0) return null;
  // Unshared vertices: simple, and overlays are small.
  const positions = new Float32Array(triangles * 9);
  const normals = new Float32Array(triangles * 9);
  const indices = new Uint32Array(triangles * 3);
  let v = 0;
  for (const { batch, first, count } of parts) {
    for (let i = first * 3; i < (first + count) * 3; i++) {
      const src = batch.indices[i]! * 3;
      positions[v * 3] = batch.positions[src]!;
      positions[v * 3 + 1] = batch.positions[src + 1]!;
      positions[v * 3 + 2] = batch.positions[src + 2]!;
      normals[v * 3] = batch.normals[src]!;
      normals[v * 3 + 1] = batch.normals[src + 1]!;
      normals[v * 3 + 2] = batch.normals[src + 2]!;
      indices[v] = v;
      v++;
    }
  }
  return { positions, normals, indices };
}
