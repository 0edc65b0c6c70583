// Streams a twin version's geometry from the store in binary chunks (cursor walk, see
// shared/geometry-stream.ts), reporting progress and stopping when its signal aborts.
import type { ApiClient } from '../../../shared/api';
import type { GeometryManifest } from '../../../shared/api/twins';
import {
  decodeGeometryChunk,
  GEOMETRY_CHUNK_HEADER_BYTES,
  INSTANCE_RECORD_BYTES,
  MESH_RECORD_HEADER_BYTES,
  type MeshInstance,
  type StreamedMesh,
} from '../../../shared/geometry-stream';
import type { SceneGeometry } from './batching';

export interface GeometryLoadProgress {
  receivedBytes: number;
  totalBytes: number;
  /** 0..1 */
  fraction: number;
}

export interface LoadedGeometry {
  manifest: GeometryManifest;
  geometry: SceneGeometry;
  chunks: number;
}

export class GeometryLoadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const CHUNK_BYTES = 4 * 1024 * 1024;

export async function loadTwinGeometry(
  api: ApiClient,
  twinId: string,
  versionId: number | undefined,
  options: { signal?: AbortSignal; onProgress?: (progress: GeometryLoadProgress) => void } = {},
): Promise<LoadedGeometry> {
  const { signal, onProgress } = options;
  const manifestResult = await api.call(
    'twins.geometryManifest',
    versionId ? { twinId, versionId } : { twinId },
  );
  if (!manifestResult.ok)
    throw new GeometryLoadError(manifestResult.error.code, manifestResult.error.message);
  const manifest = manifestResult.value;
  signal?.throwIfAborted();
  const totalBytes =
    manifest.instanceCount * INSTANCE_RECORD_BYTES +
    manifest.meshBytes +
    manifest.meshCount * MESH_RECORD_HEADER_BYTES;
  const instances: MeshInstance[] = [];
  const meshes = new Map<number, StreamedMesh>();
  let receivedBytes = 0;
  let chunks = 0;
  const fetchChunk = (cursor: number) =>
    api.call('twins.geometryChunk', { twinId, versionId: manifest.versionId, cursor, maxBytes: CHUNK_BYTES });
  onProgress?.({ receivedBytes, totalBytes, fraction: 0 });
  let pending: ReturnType<typeof fetchChunk> | null =
    manifest.instanceCount + manifest.meshCount > 0 ? fetchChunk(0) : null;
  while (pending) {
    const result = await pending;
    signal?.throwIfAborted();
    if (!result.ok) throw new GeometryLoadError(result.error.code, result.error.message);
    const bytes = result.value;
    // Ask for the next chunk before decoding this one, so the host works while we decode.
    const next =
      bytes.byteLength >= GEOMETRY_CHUNK_HEADER_BYTES
        ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(12, true)
        : -1;
    pending = next >= 0 ? fetchChunk(next) : null;
    const chunk = decodeGeometryChunk(bytes);
    if (chunk.kind === 'instances') for (const instance of chunk.instances) instances.push(instance);
    else for (const mesh of chunk.meshes) meshes.set(mesh.meshIndex, mesh);
    chunks++;
    receivedBytes += bytes.byteLength - GEOMETRY_CHUNK_HEADER_BYTES;
    onProgress?.({
      receivedBytes,
      totalBytes,
      fraction: totalBytes ? Math.min(1, receivedBytes / totalBytes) : 1,
    });
  }
  return { manifest, geometry: { elementCount: manifest.elements.length, instances, meshes }, chunks };
}
