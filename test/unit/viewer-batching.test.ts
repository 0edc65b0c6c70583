// The viewer's batching: instances merged into one buffer per colour with world matrices baked in,
// a triangle-to-element map for picking, per-element ranges for visibility and highlight overlays.
import { describe, expect, it } from 'vitest';
import {
  buildBatches,
  colourKey,
  elementSoup,
  unionBounds,
  visibleTriangles,
  type SceneGeometry,
} from '../../src/renderer/src/viewer/batching';
import { classColour, changeColour } from '../../src/renderer/src/viewer/palette';
import type { MeshInstance, StreamedMesh } from '../../src/shared/geometry-stream';

/** A unit right triangle in the XY plane, normal +Z. */
const triangle: StreamedMesh = {
  meshIndex: 0,
  vertices: Float32Array.of(0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1),
  indices: Uint16Array.of(0, 1, 2),
};
/** A unit quad in the XZ plane (two triangles), normal +Y. */
const quad: StreamedMesh = {
  meshIndex: 1,
  vertices: Float32Array.of(0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0),
  indices: Uint32Array.of(0, 1, 2, 0, 2, 3),
};

const translate = (x: number, y: number, z: number) =>
  Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, x, y, z, 1);
/** 90 degrees about Y, column-major: x -> -z, z -> x. */
const rotateY90 = Float32Array.of(0, 0, -1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1);
const red = Float32Array.of(1, 0, 0, 1);
const glass = Float32Array.of(0.5, 0.7, 0.9, 0.4);

const instance = (
  elementIndex: number,
  meshIndex: number,
  color: Float32Array,
  matrix: Float32Array,
): MeshInstance => ({
  elementIndex,
  meshIndex,
  color,
  matrix,
});

const geometry: SceneGeometry = {
  elementCount: 4,
  instances: [
    instance(2, 1, red, translate(10, 0, 0)),
    instance(0, 0, red, translate(0, 0, 0)),
    instance(1, 0, glass, rotateY90),
    instance(0, 1, red, translate(0, 5, 0)),
  ],
  meshes: new Map([
    [0, triangle],
    [1, quad],
  ]),
};

describe('buildBatches', () => {
  const scene = buildBatches(geometry);

  it('merges instances into one batch per colour, opaque first', () => {
    expect(scene.batches.map((b) => b.key)).toEqual([
      colourKey([1, 0, 0, 1]),
      colourKey([glass[0]!, glass[1]!, glass[2]!, glass[3]!]),
    ]);
    const [opaque, translucent] = scene.batches;
    expect(opaque!.indices.length / 3).toBe(1 + 2 + 2);
    expect(translucent!.indices.length / 3).toBe(1);
    expect(scene.triangleCount).toBe(6);
  });

  it('keeps each element contiguous and maps every triangle to its element', () => {
    const opaque = scene.batches[0]!;
    expect(Array.from(opaque.triangleElement)).toEqual([0, 0, 0, 2, 2]);
    expect(Array.from(opaque.ranges)).toEqual([0, 0, 3, 2, 3, 2]);
    expect(scene.elementBatches).toEqual([[0], [1], [0], []]);
  });

  it('bakes world matrices into positions and rotates normals', () => {
    const opaque = scene.batches[0]!;
    // Element 2's quad was translated by x + 10: its first vertex sits at (10, 0, 0).
    const firstOfElement2 = opaque.indices[3 * 3]!;
    expect(Array.from(opaque.positions.subarray(firstOfElement2 * 3, firstOfElement2 * 3 + 3))).toEqual([
      10, 0, 0,
    ]);
    const translucent = scene.batches[1]!;
    // Rotated 90 degrees about Y: vertex (1, 0, 0) goes to (0, 0, -1); normal +Z goes to +X.
    expect(Array.from(translucent.positions.subarray(3, 6)).map((v) => Math.round(v))).toEqual([0, 0, -1]);
    expect(Array.from(translucent.normals.subarray(0, 3)).map((v) => Math.round(v))).toEqual([1, 0, 0]);
  });

  it('records per-element bounds and the model bounds', () => {
    const b = scene.elementBounds;
    expect(Array.from(b.subarray(12, 18))).toEqual([10, 0, 0, 11, 0, 1]);
    expect(Array.from(b.subarray(18, 24))).toEqual([
      Infinity,
      Infinity,
      Infinity,
      -Infinity,
      -Infinity,
      -Infinity,
    ]);
    expect(scene.bounds).toEqual({ min: [0, 0, -1], max: [11, 5, 1] });
    expect(unionBounds(b, [3])).toBeNull();
    expect(unionBounds(b, [0])).toEqual({ min: [0, 0, 0], max: [1, 5, 1] });
  });

  it('can colour by a function and leave instances out', () => {
    const byClass = buildBatches(geometry, (i) => (i.elementIndex === 1 ? null : [0, 1, 0, 1]));
    expect(byClass.batches).toHaveLength(1);
    expect(byClass.triangleCount).toBe(5);
  });
});

describe('visibility and overlays', () => {
  const scene = buildBatches(geometry);

  it('rebuilds an index buffer with only the visible elements, keeping the triangle map aligned', () => {
    const opaque = scene.batches[0]!;
    const { indices, triangleElement } = visibleTriangles(opaque, (e) => e !== 0);
    expect(Array.from(triangleElement)).toEqual([2, 2]);
    expect(Array.from(indices)).toEqual(Array.from(opaque.indices.subarray(9, 15)));
    // All visible: the original buffers, no copy.
    expect(visibleTriangles(opaque, () => true).indices).toBe(opaque.indices);
    expect(visibleTriangles(opaque, () => false).indices.length).toBe(0);
  });

  it('builds a triangle soup of chosen elements across batches', () => {
    const soup = elementSoup(scene, [1, 2]);
    expect(soup!.indices.length).toBe(3 * 3);
    expect(soup!.positions.length).toBe(9 * 3);
    expect(elementSoup(scene, [3])).toBeNull();
  });
});

describe('palette', () => {
  it('gives known classes fixed colours and others a stable one', () => {
    expect(classColour('IfcDoor')).toEqual(classColour('IfcDoor'));
    expect(classColour('IfcSomethingNew')).toEqual(classColour('IfcSomethingNew'));
    expect(classColour('IfcSomethingNew')).not.toEqual(classColour('IfcOtherNew'));
    expect(changeColour('added')).not.toEqual(changeColour(undefined));
  });
});
