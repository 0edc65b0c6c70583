// The geometry of a few elements of one version, for the viewer's ghosts (elements a later version
// removed): the same binary records as the full geometry stream (src/shared/geometry-stream.ts), one
// instance chunk and one mesh chunk, so the viewer need not stream the whole older version.
import {
  GEOMETRY_CHUNK_HEADER_BYTES,
  GEOMETRY_STREAM_FORMAT,
  GEOMETRY_STREAM_MAGIC,
  INSTANCE_RECORD_BYTES,
  MESH_RECORD_HEADER_BYTES,
  padTo4,
} from '../../shared/geometry-stream';
import type { DraftStore } from '../store/drafts';

export interface GhostGeometry {
  /** Element keys with geometry, in the order instance records name them (elementIndex). */
  elementKeys: string[];
  instances: Uint8Array<ArrayBuffer>;
  meshes: Uint8Array<ArrayBuffer>;
}

function header(out: Uint8Array, kind: 1 | 2, count: number): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, GEOMETRY_STREAM_MAGIC, true);
  view.setUint16(4, GEOMETRY_STREAM_FORMAT, true);
  view.setUint16(6, kind, true);
  view.setUint32(8, count, true);
  view.setInt32(12, -1, true);
}

export function ghostGeometry(store: DraftStore, versionId: number, keys: readonly string[]): GhostGeometry {
  const placed = store.placedMeshes(versionId, [...new Set(keys)]);
  const elementKeys: string[] = [];
  const elementIndex = new Map<string, number>();
  const meshIndex = new Map<string, number>();
  const instances = new Uint8Array(GEOMETRY_CHUNK_HEADER_BYTES + placed.length * INSTANCE_RECORD_BYTES);
  header(instances, 1, placed.length);
  const iv = new DataView(instances.buffer);
  placed.forEach((p, i) => {
    let e = elementIndex.get(p.elementKey);
    if (e === undefined) {
      elementIndex.set(p.elementKey, (e = elementKeys.length));
      elementKeys.push(p.elementKey);
    }
    let g = meshIndex.get(p.geometryHash);
    if (g === undefined) meshIndex.set(p.geometryHash, (g = meshIndex.size));
    const at = GEOMETRY_CHUNK_HEADER_BYTES + i * INSTANCE_RECORD_BYTES;
    iv.setUint32(at, e, true);
    iv.setUint32(at + 4, g, true);
    const colour = new DataView(p.color.buffer, p.color.byteOffset, p.color.byteLength);
    for (let k = 0; k < 4; k++) iv.setFloat32(at + 8 + k * 4, colour.getFloat32(k * 4, true), true);
    const matrix = new DataView(p.matrix.buffer, p.matrix.byteOffset, p.matrix.byteLength);
    for (let k = 0; k < 16; k++) iv.setFloat32(at + 24 + k * 4, matrix.getFloat64(k * 8, true), true);
  });
  const records: Uint8Array[] = [];
  for (const [hash, index] of meshIndex) {
    const g = store.geometry(hash);
    if (!g) continue;
    const record = new Uint8Array(
      MESH_RECORD_HEADER_BYTES + g.vertices.byteLength + padTo4(g.indices.byteLength),
    );
    const view = new DataView(record.buffer);
    view.setUint32(0, index, true);
    view.setUint32(4, g.vertexCount, true);
    view.setUint32(8, g.indexCount, true);
    view.setUint32(12, g.vertexCount <= 65536 ? 2 : 4, true);
    record.set(g.vertices, MESH_RECORD_HEADER_BYTES);
    record.set(g.indices, MESH_RECORD_HEADER_BYTES + g.vertices.byteLength);
    records.push(record);
  }
  const meshes = new Uint8Array(GEOMETRY_CHUNK_HEADER_BYTES + records.reduce((n, r) => n + r.byteLength, 0));
  header(meshes, 2, records.length);
  let offset = GEOMETRY_CHUNK_HEADER_BYTES;
  for (const r of records) {
    meshes.set(r, offset);
    offset += r.byteLength;
  }
  return { elementKeys, instances, meshes };
}
