// The binary layout of geometry chunks streamed to the viewer (all little-endian). A stream is a
// cursor walk: first every placed mesh instance, then every distinct mesh; each chunk holds records
// of one kind and says where the next chunk starts (-1 at the end).
//
// header (16 bytes): u32 magic 'TLGS' | u16 format (1) | u16 kind (1 instances, 2 meshes)
//                    | u32 recordCount | i32 nextCursor
// instance record (88 bytes): u32 elementIndex (into the manifest's elements) | u32 meshIndex
//                    | f32 r, g, b, a | f32 x 16 world matrix, column-major, Y up, metres
// mesh record:       u32 meshIndex | u32 vertexCount | u32 indexCount | u32 indexBytes (2 or 4)
//                    | f32 x 6 per vertex (x, y, z, nx, ny, nz) | indices (u16 or u32), padded to 4 bytes

export const GEOMETRY_STREAM_MAGIC = 0x53474c54; // 'TLGS'
export const GEOMETRY_STREAM_FORMAT = 1;
export const GEOMETRY_CHUNK_HEADER_BYTES = 16;
export const INSTANCE_RECORD_BYTES = 88;
export const MESH_RECORD_HEADER_BYTES = 16;

export interface MeshInstance {
  elementIndex: number;
  meshIndex: number;
  color: Float32Array;
  matrix: Float32Array;
}

export interface StreamedMesh {
  meshIndex: number;
  /** x, y, z, nx, ny, nz per vertex */
  vertices: Float32Array;
  indices: Uint16Array | Uint32Array;
}

export type GeometryChunk =
  | { kind: 'instances'; nextCursor: number | null; instances: MeshInstance[] }
  | { kind: 'meshes'; nextCursor: number | null; meshes: StreamedMesh[] };

export const padTo4 = (n: number): number => (n + 3) & ~3;

/** Decodes one chunk; typed arrays are copies aligned for WebGL, independent of the input. */
export function decodeGeometryChunk(bytes: Uint8Array): GeometryChunk {
  if (bytes.byteLength < GEOMETRY_CHUNK_HEADER_BYTES) throw new Error('Geometry chunk too short.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== GEOMETRY_STREAM_MAGIC) throw new Error('Not a TwinLedger geometry chunk.');
  const format = view.getUint16(4, true);
  if (format !== GEOMETRY_STREAM_FORMAT) throw new Error(`Unknown geometry chunk format ${format}.`);
  const kind = view.getUint16(6, true);
  const count = view.getUint32(8, true);
  const next = view.getInt32(12, true);
  const nextCursor = next < 0 ? null : next;
  let offset = GEOMETRY_CHUNK_HEADER_BYTES;
  const floats = (at: number, n: number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(at + i * 4, true);
    return out;
  };
  if (kind === 1) {
    const instances: MeshInstance[] = [];
    for (let i = 0; i < count; i++) {
      instances.push({
        elementIndex: view.getUint32(offset, true),
        meshIndex: view.getUint32(offset + 4, true),
        color: floats(offset + 8, 4),
        matrix: floats(offset + 24, 16),
      });
      offset += INSTANCE_RECORD_BYTES;
    }
    return { kind: 'instances', nextCursor, instances };
  }
  if (kind === 2) {
    const meshes: StreamedMesh[] = [];
    for (let i = 0; i < count; i++) {
      const meshIndex = view.getUint32(offset, true);
      const vertexCount = view.getUint32(offset + 4, true);
      const indexCount = view.getUint32(offset + 8, true);
      const indexBytes = view.getUint32(offset + 12, true);
      offset += MESH_RECORD_HEADER_BYTES;
      const vertexBytes = vertexCount * 24;
      const vertices = new Float32Array(vertexCount * 6);
      new Uint8Array(vertices.buffer).set(bytes.subarray(offset, offset + vertexBytes));
      offset += vertexBytes;
      const indices = indexBytes === 2 ? new Uint16Array(indexCount) : new Uint32Array(indexCount);
      new Uint8Array(indices.buffer).set(bytes.subarray(offset, offset + indexCount * indexBytes));
      offset += padTo4(indexCount * indexBytes);
      meshes.push({ meshIndex, vertices, indices });
    }
    return { kind: 'meshes', nextCursor, meshes };
  }
  throw new Error(`Unknown geometry chunk kind ${kind}.`);
}
