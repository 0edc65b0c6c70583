// The sandbox's federated Duplex twin through the API: two discipline models in one twin, the
// spatial tree per model, search, elements with properties, proofs that verify the way the
// contracts verify them, and the geometry stream the viewer reads.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { apiMethods } from '../../src/shared/api';
import { decodeGeometryChunk } from '../../src/shared/geometry-stream';
import {
  MERKLE_LEAF_ENCODING,
  elementKeyOf,
  stateHashOfCanonical,
  verifyElementProof,
} from '../../src/shared/fingerprint';
import { importSampleTwin } from '../../src/main/ifc/samples';
import { EventBus } from '../../src/main/services/events';
import { createRouter, type Handlers, type Router } from '../../src/main/services/router';
import { createTwinServices, type TwinServices } from '../../src/main/services/twin-handlers';
import { FIXTURES, SAMPLES } from './helpers';

let dir: string;
let twins: TwinServices;
let router: Router;
let twinId: string;
const events: { event: string; payload: unknown }[] = [];

const call = async <T>(method: string, params: unknown): Promise<T> => {
  const result = await router.dispatch(method, params);
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.value as T;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'twinledger-federated-'));
  const bus = new EventBus();
  bus.subscribe((event, payload) => events.push({ event, payload }));
  twins = createTwinServices({ dataDir: dir, bus, maxImportMegabytes: () => 512 });
  router = createRouter(twins.handlers as Handlers);
  const sample = await importSampleTwin(twins.importer!, SAMPLES);
  twinId = sample.twinId;
}, 90_000);

afterAll(async () => {
  await twins.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the sample twin has both discipline models in its head version', async () => {
  const list = await call<
    {
      id: string;
      models: { name: string; discipline: string; file: { fileName: string } | null }[];
      head: { seq: number; elementCount: number };
    }[]
  >('twins.list', {});
  expect(list).toHaveLength(1);
  const twin = list[0]!;
  expect(twin.id).toBe(twinId);
  expect(twin.models.map((m) => [m.name, m.discipline, m.file?.fileName])).toEqual([
    ['Duplex architecture', 'ARCH', 'Duplex_A_20110907.ifc'],
    ['Duplex electrical', 'MEP', 'Duplex_Electrical_20121207.ifc'],
  ]);
  expect(twin.head).toMatchObject({ seq: 2, elementCount: 296 + 110 });
  const versions = await call<{ seq: number; changeset: { added: number } }[]>('twins.versions', { twinId });
  expect(versions.map((v) => [v.seq, v.changeset.added])).toEqual([
    [1, 296],
    [2, 110],
  ]);
  const tree = await call<{ models: { name: string; roots: { ifcClass: string }[] }[] }>(
    'twins.spatialTree',
    { twinId },
  );
  expect(tree.models.map((m) => [m.name, m.roots.map((r) => r.ifcClass)])).toEqual([
    ['Duplex architecture', ['IfcProject']],
    ['Duplex electrical', ['IfcProject']],
  ]);
});

test('search finds elements by name, class and property value across both models', async () => {
  const pumps = await call<{ total: number; elements: { globalId: string; ifcClass: string }[] }>(
    'twins.search',
    {
      twinId,
      ifcClass: 'IfcFlowMovingDevice',
    },
  );
  expect(pumps.total).toBe(4);
  const doors = await call<{ total: number }>('twins.search', {
    twinId,
    text: 'single-flush',
    ifcClass: 'IfcDoor',
  });
  expect(doors.total).toBeGreaterThan(0);
  const external = await call<{ total: number }>('twins.search', {
    twinId,
    property: { name: 'IsExternal', value: 'true' },
  });
  expect(external.total).toBeGreaterThan(0);
  const bad = await router.dispatch('twins.search', { twinId, limit: 0 });
  expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
});

test('an element reads with its property sets, units and type, by GlobalId or key', async () => {
  const door = await call<{
    globalId: string;
    elementKey: string;
    propertySets: { name: string; properties: { name: string; value: unknown }[] }[];
    type: { ifcClass: string } | null;
    storey: string | null;
  }>('twins.element', { twinId, element: { globalId: '1hOSvn6df7F8_7GcBWlRH8' } });
  expect(door.elementKey).toBe(elementKeyOf('1hOSvn6df7F8_7GcBWlRH8'));
  const common = door.propertySets.find((s) => s.name === 'Pset_DoorCommon');
  expect(common?.properties.find((p) => p.name === 'FireRating')?.value).toBe('Fire Rating');
  expect(common?.properties.find((p) => p.name === 'IsExternal')?.value).toBe(true);
  expect(door.type?.ifcClass).toBe('IfcDoorStyle');
  expect(door.storey).not.toBeNull();
  const byKey = await call<{ globalId: string }>('twins.element', {
    twinId,
    element: { elementKey: door.elementKey },
  });
  expect(byKey.globalId).toBe(door.globalId);
  await expect(call('twins.element', { twinId, element: { globalId: 'nope' } })).rejects.toMatchObject({
    code: 'NOT_FOUND',
  });
});

test('element proofs verify against the version root, as OpenZeppelin MerkleProof does', async () => {
  const version = twins.store!.resolveVersion(twinId);
  const leaves = twins.store!.versionLeaves(version.id);
  const reference = StandardMerkleTree.of(leaves, [...MERKLE_LEAF_ENCODING]);
  expect(version.merkle_root).toBe(reference.root);
  for (const [key, stateHash] of leaves.filter((_, i) => i % 37 === 0)) {
    const proof = await call<{ merkleRoot: string; elementKey: string; stateHash: string; proof: string[] }>(
      'twins.elementProof',
      {
        twinId,
        element: { elementKey: key },
      },
    );
    expect(proof.stateHash).toBe(stateHash);
    expect(proof.proof).toEqual(reference.getProof([key, stateHash]));
    expect(
      StandardMerkleTree.verify(proof.merkleRoot, [...MERKLE_LEAF_ENCODING], [key, stateHash], proof.proof),
    ).toBe(true);
    expect(verifyElementProof(proof.merkleRoot, key, stateHash, proof.proof)).toBe(true);
    expect(verifyElementProof(proof.merkleRoot, key, `0x${'00'.repeat(32)}`, proof.proof)).toBe(false);
  }
  // The state hash is the hash of the element's canonical state as stored.
  const canonical = twins
    .store!.db.prepare('SELECT canonical FROM element_states WHERE state_hash = ?')
    .pluck()
    .get(leaves[0]![1]) as string;
  expect(stateHashOfCanonical(canonical)).toBe(leaves[0]![1]);
});

test('the geometry streams as binary chunks that decode into every instance and mesh', async () => {
  const manifest = await call<{
    versionId: number;
    instanceCount: number;
    meshCount: number;
    meshBytes: number;
    elements: unknown[];
    firstMeshCursor: number;
  }>('twins.geometryManifest', { twinId });
  expect(manifest.instanceCount).toBeGreaterThan(0);
  let cursor: number | null = 0;
  let instances = 0;
  const meshes = new Set<number>();
  let bytes = 0;
  let chunks = 0;
  while (cursor !== null) {
    const chunk = await call<Uint8Array>('twins.geometryChunk', {
      twinId,
      versionId: manifest.versionId,
      cursor,
      maxBytes: 256 * 1024,
    });
    expect(chunk).toBeInstanceOf(Uint8Array);
    chunks++;
    const decoded = decodeGeometryChunk(chunk);
    if (decoded.kind === 'instances') {
      for (const instance of decoded.instances) {
        expect(instance.elementIndex).toBeLessThan(manifest.elements.length);
        expect(instance.meshIndex).toBeLessThan(manifest.meshCount);
        expect(instance.matrix[15]).toBe(1);
      }
      instances += decoded.instances.length;
    } else {
      for (const mesh of decoded.meshes) {
        meshes.add(mesh.meshIndex);
        bytes += mesh.vertices.byteLength + mesh.indices.byteLength;
        const vertexCount = mesh.vertices.length / 6;
        for (const index of mesh.indices) expect(index).toBeLessThan(vertexCount);
      }
    }
    cursor = decoded.nextCursor;
  }
  expect(chunks).toBeGreaterThan(2);
  expect(instances).toBe(manifest.instanceCount);
  expect(meshes.size).toBe(manifest.meshCount);
  expect(bytes).toBe(manifest.meshBytes);
  // The contract declares the chunk as bytes, not JSON numbers.
  expect(apiMethods['twins.geometryChunk'].response.safeParse(new Uint8Array(4)).success).toBe(true);
  expect(apiMethods['twins.geometryChunk'].response.safeParse([1, 2, 3]).success).toBe(false);
});

test('import progress and twin changes reach the event bus', () => {
  expect(events.some((e) => e.event === 'twins.importProgress')).toBe(true);
  expect(events.filter((e) => e.event === 'twins.changed').length).toBeGreaterThanOrEqual(0);
});

test('twins.import takes the file as bytes too (serve mode), and answers the contract', async () => {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'mep-ports-systems.ifc')));
  const result = await call<Record<string, unknown>>('twins.import', {
    jobId: 'bytes-import',
    source: { kind: 'bytes', fileName: 'mep-ports-systems.ifc', bytes },
    target: { kind: 'newTwin', twinName: 'From bytes' },
  });
  expect(apiMethods['twins.import'].response.safeParse(result).success).toBe(true);
  expect(result).toMatchObject({
    jobId: 'bytes-import',
    status: 'local',
    fileName: 'mep-ports-systems.ifc',
    schema: 'IFC4',
  });
  expect(
    events.some(
      (e) => e.event === 'twins.changed' && (e.payload as { twinId: string }).twinId === result.twinId,
    ),
  ).toBe(true);
  expect(await call('twins.cancelImport', { jobId: 'not-running' })).toEqual({ cancelled: false });
  const refused = await router.dispatch('twins.import', {
    jobId: 'x',
    source: { kind: 'path', path: '' },
    target: { kind: 'newTwin', twinName: 'x' },
  });
  expect(refused).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
}, 60_000);

test('a database written by a newer TwinLedger makes twins requests UNAVAILABLE, saying why; nothing else breaks', async () => {
  const newer = mkdtempSync(join(tmpdir(), 'twinledger-newer-'));
  const Database = (await import('better-sqlite3')).default;
  const raw = new Database(join(newer, 'twins.sqlite'));
  raw.pragma('user_version = 42');
  raw.close();
  const services = createTwinServices({ dataDir: newer, bus: new EventBus(), maxImportMegabytes: () => 512 });
  expect(services.unavailable).toMatch(/newer TwinLedger \(schema 42/);
  const answer = await createRouter(services.handlers as Handlers).dispatch('twins.list', {});
  expect(answer).toMatchObject({
    ok: false,
    error: { code: 'UNAVAILABLE', message: expect.stringMatching(/Update TwinLedger/) },
  });
  await services.close();
  rmSync(newer, { recursive: true, force: true });
});
