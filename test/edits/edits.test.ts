// Editing the seeded sample twin through the API of a real host (real SQLite store, real embedded
// chain with the registry, real sample IFC files): every edit lands in the draft with its changeset,
// Merkle root and proof; undo/redo work and survive a restart; main refuses edits without a live
// EDITOR role with the reason, writing nothing; the draft is committed through the outbox and
// confirmed on chain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEthersProvider } from '../../src/main/chain/ethers';
import { TwinRegistry__factory } from '../../src/main/chain/generated/types';
import type { ServiceHost } from '../../src/main/services/host';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { TWIN_ROLES } from '../../src/shared/eip712';
import { elementKeyOf, verifyElementProof } from '../../src/shared/fingerprint';
import {
  decodeGeometryChunk,
  GEOMETRY_CHUNK_HEADER_BYTES,
  INSTANCE_RECORD_BYTES,
  type MeshInstance,
} from '../../src/shared/geometry-stream';
import { call, seededHost, tempDir } from '../sync/helpers';

// A door of the Duplex architecture model (Revit export), with Pset_DoorCommon.
const DOOR = '1aj$VJZFn2TxepZUBcKpac';
const DOOR_KEY = elementKeyOf(DOOR);

let dir: { dir: string; remove: () => void };
let host: ServiceHost;
let twinId: string;
let headId: number;

async function start(): Promise<void> {
  host = seededHost(dir.dir);
  await host.sync!.seeded();
  await host.sync!.caughtUp();
}

beforeAll(async () => {
  dir = tempDir('edits');
  await start();
  const twin = (await call(host, 'twins.list', {}))[0]!;
  twinId = twin.id;
  headId = twin.head!.id;
}, 120_000);

afterAll(async () => {
  await host?.close();
  dir.remove();
});

const door = (versionId?: number) =>
  call(host, 'twins.element', { twinId, ...(versionId ? { versionId } : {}), element: { globalId: DOOR } });
const property = (e: Awaited<ReturnType<typeof door>>, set: string, name: string) =>
  e.propertySets.find((s) => s.name === set)?.properties.find((p) => p.name === name);

async function asOwner(
  send: (registry: ReturnType<typeof TwinRegistry__factory.connect>) => Promise<{ wait(): Promise<unknown> }>,
) {
  const sandbox = host.chain.sandbox!;
  const provider = createEthersProvider(sandbox, sandbox.chainId);
  const owner = host.vault.connectedSigner('demo-owner', provider, sandbox.chainId);
  const registry = TwinRegistry__factory.connect(host.sync!.deployment.get()!.registry, owner);
  await (await send(registry)).wait();
  provider.destroy();
  await host.sync!.caughtUp();
}

describe('permission-gated editing', () => {
  it('refuses an edit from the owner (ADMIN, no EDITOR) with the reason, and writes nothing', async () => {
    await call(host, 'vault.setActive', { id: 'demo-owner' });
    await expect(
      call(host, 'edits.apply', {
        twinId,
        element: { globalId: DOOR },
        edit: { kind: 'setStatus', status: 'out of service' },
      }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/Demo owner.*has no EDITOR role/),
    });
    expect((await call(host, 'twins.get', { twinId })).draft).toBeNull();
    expect((await call(host, 'edits.draft', { twinId })).versionId).toBeNull();
  });

  it('refuses the planner (VIEWER) the same way, undo and redo included', async () => {
    await call(host, 'vault.setActive', { id: 'demo-planner' });
    for (const attempt of [
      call(host, 'edits.apply', {
        twinId,
        element: { globalId: DOOR },
        edit: { kind: 'move', translation: [1, 0, 0] },
      }),
      call(host, 'edits.undo', { twinId }),
      call(host, 'edits.redo', { twinId }),
    ]) {
      await expect(attempt).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: expect.stringMatching(/no EDITOR role/),
      });
    }
    expect((await call(host, 'twins.get', { twinId })).draft).toBeNull();
  });
});

describe('edits land in the draft', () => {
  it("the engineer's property edit makes a draft from the head with a changeset, root and proof", async () => {
    await call(host, 'vault.setActive', { id: 'demo-engineer' });
    const before = await door();
    const result = await call(host, 'edits.apply', {
      twinId,
      element: { globalId: DOOR },
      edit: { kind: 'setProperty', set: 'Pset_DoorCommon', property: 'FireRating', value: 'EI 60' },
    });
    const draft = result.draft;
    expect(draft).toMatchObject({
      baseVersionId: headId,
      canUndo: true,
      canRedo: false,
      changes: { modified: 1 },
    });
    expect(draft.edits).toHaveLength(1);
    expect(draft.edits[0]).toMatchObject({
      kind: 'setProperty',
      globalId: DOOR,
      summary: 'Pset_DoorCommon.FireRating: "Fire Rating" → "EI 60"',
      author: { address: demoWallet('engineer').address, label: expect.stringMatching(/engineer/i) },
    });
    const twin = await call(host, 'twins.get', { twinId });
    expect(twin.draft?.id).toBe(draft.versionId);
    expect(twin.head?.id).toBe(headId);
    expect(draft.merkleRoot).not.toBe(twin.head!.merkleRoot);

    const after = await door(draft.versionId!);
    expect(property(after, 'Pset_DoorCommon', 'FireRating')).toMatchObject({
      value: 'EI 60',
      type: 'IFCLABEL',
    });
    expect(after.stateHash).toBe(result.stateHash);
    expect(after.stateHash).not.toBe(before.stateHash);
    // The head is untouched.
    expect(property(await door(headId), 'Pset_DoorCommon', 'FireRating')?.value).toBe('Fire Rating');

    const changeset = await call(host, 'twins.changeset', { twinId, versionId: draft.versionId! });
    expect(changeset.entries).toEqual([
      expect.objectContaining({
        elementKey: DOOR_KEY,
        change: 'modified',
        fields: ['propertySets'],
        details: ['propertySets.Pset_DoorCommon.FireRating'],
        oldStateHash: before.stateHash,
        newStateHash: after.stateHash,
      }),
    ]);
    // The draft's proof checks against its new root, as the contract would.
    const proof = await call(host, 'twins.elementProof', {
      twinId,
      versionId: draft.versionId!,
      element: { globalId: DOOR },
    });
    expect(proof.merkleRoot).toBe(draft.merkleRoot);
    expect(verifyElementProof(proof.merkleRoot, proof.elementKey, proof.stateHash, proof.proof)).toBe(true);
    // Search reads the new value.
    const search = async (versionId: number) =>
      (await call(host, 'twins.search', { twinId, versionId, text: 'EI 60', limit: 1000 })).elements.map(
        (e) => e.globalId,
      );
    expect(await search(draft.versionId!)).toContain(DOOR);
    expect(await search(headId)).not.toContain(DOOR);
  });

  it('adds a property in a new set, removes one, sets the status and moves the element', async () => {
    const apply = (edit: Parameters<typeof call<'edits.apply'>>[2]['edit']) =>
      call(host, 'edits.apply', { twinId, element: { globalId: DOOR }, edit });
    await apply({ kind: 'addProperty', set: 'Pset_Inspection', property: 'Inspector', value: 'J. Smith' });
    await apply({ kind: 'addProperty', set: 'Pset_Inspection', property: 'Load', value: 12.5, unit: 'kN' });
    await apply({ kind: 'removeProperty', set: 'PSet_Revit_Other', property: 'BarCode' });
    await apply({ kind: 'setStatus', status: 'out of service' });
    const headGeometry = await call(host, 'twins.geometryManifest', { twinId });
    const placedBefore = (await door()).placement!;
    const moved = await apply({ kind: 'move', translation: [0.5, -0.25, 0] });
    const draftId = moved.draft.versionId!;
    const e = await door(draftId);
    expect(property(e, 'Pset_Inspection', 'Inspector')).toMatchObject({
      value: 'J. Smith',
      type: 'IFCLABEL',
      unit: null,
    });
    expect(property(e, 'Pset_Inspection', 'Load')).toMatchObject({
      value: 12.5,
      type: 'IFCREAL',
      unit: 'kN',
    });
    expect(property(e, 'PSet_Revit_Other', 'BarCode')).toBeUndefined();
    expect(property(e, 'TwinLedger_Status', 'Status')).toMatchObject({ value: 'out of service' });
    // Colour by status reads it back for the draft; the head knows no status for the door.
    expect((await call(host, 'edits.statuses', { twinId, versionId: draftId })).statuses[DOOR_KEY]).toBe(
      'out of service',
    );
    const headStatuses = await call(host, 'edits.statuses', { twinId, versionId: headGeometry.versionId });
    expect(headStatuses.statuses[DOOR_KEY]).toBeUndefined();
    await expect(call(host, 'edits.statuses', { twinId, versionId: 999_999 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(e.placement![12]).toBeCloseTo(placedBefore[12]! + 0.5, 6);
    expect(e.placement![13]).toBeCloseTo(placedBefore[13]! - 0.25, 6);
    expect(e.placement![14]).toBeCloseTo(placedBefore[14]!, 6);
    expect(e.geometry).toBe((await door()).geometry); // moving changes the placement, not the shape

    // The draft's geometry stream places the door's meshes where it moved (viewer axes: x, z, -y).
    const meshX = async (versionId: number) => {
      const manifest = await call(host, 'twins.geometryManifest', { twinId, versionId });
      const index = manifest.elements.findIndex((el) => el.globalId === DOOR);
      const chunk = await call(host, 'twins.geometryChunk', {
        twinId,
        versionId,
        cursor: 0,
        maxBytes: 64 << 20,
      });
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (let i = 0; ; i++) {
        const at = GEOMETRY_CHUNK_HEADER_BYTES + i * INSTANCE_RECORD_BYTES;
        if (view.getUint32(at, true) === index)
          return [12, 13, 14].map((k) => view.getFloat32(at + 24 + k * 4, true));
      }
    };
    const [hx, hy, hz] = await meshX(headGeometry.versionId);
    const [dx, dy, dz] = await meshX(draftId);
    expect(dx! - hx!).toBeCloseTo(0.5, 4);
    expect(dy! - hy!).toBeCloseTo(0, 4);
    expect(dz! - hz!).toBeCloseTo(0.25, 4);

    const draft = moved.draft;
    expect(draft.edits.map((x) => x.kind)).toEqual([
      'setProperty',
      'addProperty',
      'addProperty',
      'removeProperty',
      'setStatus',
      'move',
    ]);
    expect(draft.undoLabel).toMatch(/^Undo: Moved by \(0\.5, -0\.25, 0\) m on /);
    const changeset = await call(host, 'twins.changeset', { twinId, versionId: draftId });
    expect(changeset.entries).toHaveLength(1);
    expect(changeset.entries[0]!.fields.sort()).toEqual(['placement', 'propertySets']);
  });

  it('refuses bad edits with the reason and leaves the draft as it was', async () => {
    const before = await call(host, 'edits.draft', { twinId });
    const attempts: [Parameters<typeof call<'edits.apply'>>[2]['edit'], string, RegExp][] = [
      [
        { kind: 'setProperty', set: 'Pset_DoorCommon', property: 'IsExternal', value: 'maybe' },
        'BAD_REQUEST',
        /IsExternal takes yes or no/,
      ],
      [
        { kind: 'setProperty', set: 'Pset_DoorCommon', property: 'NoSuch', value: 1 },
        'NOT_FOUND',
        /has no property NoSuch/,
      ],
      [
        { kind: 'setProperty', set: 'Pset_Nope', property: 'X', value: 1 },
        'NOT_FOUND',
        /has no property set Pset_Nope/,
      ],
      [
        { kind: 'addProperty', set: 'Pset_DoorCommon', property: 'FireRating', value: 'x' },
        'CONFLICT',
        /already has a property FireRating/,
      ],
      [{ kind: 'setStatus', status: 'out of service' }, 'BAD_REQUEST', /changes nothing/],
      [{ kind: 'move', translation: [0, 0, 0] }, 'BAD_REQUEST', /shorter than a micrometre/],
    ];
    for (const [edit, code, message] of attempts) {
      await expect(
        call(host, 'edits.apply', { twinId, element: { globalId: DOOR }, edit }),
      ).rejects.toMatchObject({
        code,
        message: expect.stringMatching(message),
      });
    }
    // Schema: unknown fields and values out of range never reach the service.
    const strict = await host.router.dispatch('edits.apply', {
      twinId,
      element: { globalId: DOOR },
      edit: { kind: 'setStatus', status: 'in service', extra: 1 },
    });
    expect(strict).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const far = await host.router.dispatch('edits.apply', {
      twinId,
      element: { globalId: DOOR },
      edit: { kind: 'move', translation: [1e9, 0, 0] },
    });
    expect(far).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    await expect(
      call(host, 'edits.apply', {
        twinId,
        element: { globalId: 'NOT_AN_ELEMENT_0000000' },
        edit: { kind: 'setStatus', status: 'replaced' },
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await call(host, 'edits.draft', { twinId })).toEqual(before);
  });
});

describe('undo and redo', () => {
  it('walk the stack back to the head and forward again, root by root', async () => {
    const start = await call(host, 'edits.draft', { twinId });
    const head = (await call(host, 'twins.get', { twinId })).head!;
    const roots = [start.merkleRoot];
    let state = start;
    while (state.canUndo) {
      state = (await call(host, 'edits.undo', { twinId })).draft;
      roots.push(state.merkleRoot);
    }
    expect(roots).toHaveLength(start.edits.length + 1);
    // Every edit undone: the draft holds the head's elements again, and nothing is changed.
    expect(state.merkleRoot).toBe(head.merkleRoot);
    expect(state.changes).toEqual({ added: 0, removed: 0, modified: 0 });
    expect(state.edits.every((e) => e.undone)).toBe(true);
    await expect(call(host, 'edits.undo', { twinId })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'There is nothing to undo.',
    });
    // Redo replays them in order, reaching every root again.
    for (let i = roots.length - 2; i >= 0; i--) {
      state = (await call(host, 'edits.redo', { twinId })).draft;
      expect(state.merkleRoot).toBe(roots[i]);
    }
    expect(state.canRedo).toBe(false);
  });

  it('a new edit after an undo drops the redo stack', async () => {
    const undone = (await call(host, 'edits.undo', { twinId })).draft; // the move
    expect(undone.canRedo).toBe(true);
    const next = await call(host, 'edits.apply', {
      twinId,
      element: { globalId: DOOR },
      edit: { kind: 'move', translation: [0, 0, 0.1] },
    });
    expect(next.draft.canRedo).toBe(false);
    expect(next.draft.edits.filter((e) => e.kind === 'move')).toHaveLength(1);
    expect(next.draft.edits.some((e) => e.undone)).toBe(false);
  });

  it('survives a restart: the stack is in the database', async () => {
    const before = await call(host, 'edits.draft', { twinId });
    await host.close();
    await start();
    await call(host, 'vault.setActive', { id: 'demo-engineer' });
    expect(await call(host, 'edits.draft', { twinId })).toEqual(before);
    const undone = await call(host, 'edits.undo', { twinId });
    expect(undone.draft.redoLabel).toMatch(/^Redo: Moved by \(0, 0, 0\.1\) m/);
    const redone = await call(host, 'edits.redo', { twinId });
    expect(redone.draft.merkleRoot).toBe(before.merkleRoot);
  }, 120_000);
});

describe('an EDITOR role that ends', () => {
  it('allows the planner while a short EDITOR grant lasts and refuses with its end date after', async () => {
    const chainTwinId = (await call(host, 'twins.get', { twinId })).chainTwinId!;
    const block = (await host.chain.sandbox!.request({
      method: 'eth_getBlockByNumber',
      params: ['latest', false],
    })) as {
      timestamp: string;
    };
    const ends = Number(block.timestamp) + 3600;
    await asOwner((r) => r.grantRole(chainTwinId, TWIN_ROLES.Editor, demoWallet('planner').address, ends));
    await call(host, 'vault.setActive', { id: 'demo-planner' });
    const ok = await call(host, 'edits.apply', {
      twinId,
      element: { globalId: DOOR },
      edit: { kind: 'setProperty', set: 'Pset_Inspection', property: 'Inspector', value: 'P. Lanner' },
    });
    expect(ok.draft.edits.at(-1)!.author?.address).toBe(demoWallet('planner').address);
    const sandbox = host.chain.sandbox!;
    await sandbox.request({ method: 'evm_increaseTime', params: [7200] });
    await sandbox.request({ method: 'evm_mine', params: [] });
    const date = new Date(ends * 1000).toISOString();
    await expect(call(host, 'edits.undo', { twinId })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining(`Your EDITOR role on this twin ended on ${date.slice(0, 10)}`),
    });
    const draft = await call(host, 'edits.draft', { twinId });
    expect(draft.edits.at(-1)!.undone).toBe(false);
  });
});

describe('commit and history', () => {
  let committedId: number;

  it('commits the draft through the outbox; the timeline shows it confirmed with author, tx and block', async () => {
    await call(host, 'vault.setActive', { id: 'demo-engineer' });
    const draft = await call(host, 'edits.draft', { twinId });
    const item = await call(host, 'outbox.commitVersion', { twinId });
    expect(item).toMatchObject({ status: 'queued', versionId: draft.versionId });
    committedId = draft.versionId!;
    const pending = await call(host, 'history.timeline', { twinId });
    expect(pending[0]).toMatchObject({ versionId: committedId, origin: 'edits', isHead: true });
    expect(pending[0]!.pending?.itemId).toBe(item.id);
    expect(pending[0]!.title).toBe(`${draft.edits.filter((e) => !e.undone).length} edits`);
    // Relayed, mined, indexed.
    const until = Date.now() + 30_000;
    for (;;) {
      const { items } = await call(host, 'outbox.list', {});
      const now = items.find((i) => i.id === item.id)!;
      if (now.status === 'confirmed') break;
      if (now.status === 'failed' || Date.now() > until)
        throw new Error(`commit ${now.status}: ${now.reason}`);
      await new Promise((done) => setTimeout(done, 50));
    }
    await host.sync!.caughtUp();
    const timeline = await call(host, 'history.timeline', { twinId });
    const top = timeline[0]!;
    expect(top).toMatchObject({
      versionId: committedId,
      status: 'confirmed',
      author: { address: demoWallet('engineer').address, label: expect.stringMatching(/engineer/i) },
      chain: {
        version: 2,
        txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
        blockNumber: expect.any(Number),
      },
      pending: null,
      changes: { added: 0, removed: 0, modified: 1 },
    });
    const chainVersions = host.sync!.index.versions((await call(host, 'twins.get', { twinId })).chainTwinId!);
    expect(chainVersions.at(-1)).toMatchObject({
      txHash: top.chain!.txHash,
      blockNumber: top.chain!.blockNumber,
    });
    // The seeded version 1 on chain, imported by the engineer.
    expect(timeline.find((v) => v.versionId === headId)).toMatchObject({
      origin: 'import',
      chain: { version: 1 },
      title: expect.stringMatching(/^Imported .*\.ifc/),
    });
    // After the commit there is no draft; the next edit starts a new one on the new head.
    expect((await call(host, 'edits.draft', { twinId })).versionId).toBeNull();
  }, 60_000);

  it('diffs any two versions, either way, with field values', async () => {
    const versions = await call(host, 'twins.versions', { twinId });
    const first = versions[0]!; // the architecture model alone (local)
    const forward = await call(host, 'history.diff', {
      twinId,
      fromVersionId: headId,
      toVersionId: committedId,
    });
    expect(forward).toMatchObject({ added: 0, removed: 0, modified: 1, truncated: false });
    const entry = forward.entries[0]!;
    expect(entry).toMatchObject({ globalId: DOOR, change: 'modified' });
    expect(entry.diffs).toEqual(
      expect.arrayContaining([
        { path: 'propertySets.Pset_DoorCommon.FireRating', before: 'Fire Rating', after: 'EI 60' },
        { path: 'propertySets.TwinLedger_Status.Status', before: null, after: 'out of service' },
        { path: 'propertySets.Pset_Inspection.Load', before: null, after: '12.5 kN' },
        { path: 'propertySets.PSet_Revit_Other.BarCode', before: 'BarCode', after: null },
        expect.objectContaining({ path: 'placement', before: expect.stringMatching(/^at \(/) }),
      ]),
    );
    const backward = await call(host, 'history.diff', {
      twinId,
      fromVersionId: committedId,
      toVersionId: headId,
    });
    expect(backward.entries[0]!.diffs.find((d) => d.path.endsWith('FireRating'))).toEqual({
      path: 'propertySets.Pset_DoorCommon.FireRating',
      before: 'EI 60',
      after: 'Fire Rating',
    });
    // Not adjacent: version 1 (architecture only) to the committed edits: the electrical model was
    // added in between, and the door changed.
    const wide = await call(host, 'history.diff', {
      twinId,
      fromVersionId: first.id,
      toVersionId: committedId,
      limit: 5,
    });
    expect(wide.added).toBeGreaterThan(50);
    expect(wide.modified).toBe(1);
    expect(wide.entries).toHaveLength(5);
    expect(wide.truncated).toBe(true);
    expect(wide.entries[0]!.change).toBe('modified');
    const back = await call(host, 'history.diff', {
      twinId,
      fromVersionId: committedId,
      toVersionId: first.id,
    });
    expect(back.removed).toBe(wide.added);
    await expect(
      call(host, 'history.diff', { twinId, fromVersionId: 99_999, toVersionId: committedId }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("tells an element's own history: where it appeared and where it changed, with the edits", async () => {
    const history = await call(host, 'history.element', { twinId, element: { globalId: DOOR } });
    expect(history).toMatchObject({ globalId: DOOR, ifcClass: 'IfcDoor' });
    expect(history.entries.map((e) => [e.versionId, e.change])).toEqual([
      [committedId, 'modified'],
      [(await call(host, 'twins.versions', { twinId }))[0]!.id, 'added'],
    ]);
    const edited = history.entries[0]!;
    expect(edited.author?.address).toBe(demoWallet('engineer').address);
    expect(edited.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(edited.edits).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Pset_DoorCommon\.FireRating: "Fire Rating" → "EI 60"/),
        expect.stringMatching(/^Status: \(not set\) → out of service/),
      ]),
    );
    expect(edited.fields.sort()).toEqual(['placement', 'propertySets']);
    // An element no version has.
    await expect(
      call(host, 'history.element', { twinId, element: { globalId: '0000000000000000000000' } }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('streams the geometry of just the elements asked for (ghosts), placed as the full stream places them', async () => {
    const versions = await call(host, 'twins.versions', { twinId });
    const [first, second] = versions; // architecture alone; then with the electrical model
    // Going back from the second version to the first removes the electrical elements.
    const diff = await call(host, 'history.diff', {
      twinId,
      fromVersionId: second!.id,
      toVersionId: first!.id,
    });
    const manifest = await call(host, 'twins.geometryManifest', { twinId, versionId: second!.id });
    const withGeometry = new Set(manifest.elements.map((e) => e.elementKey));
    const removed = diff.entries
      .filter((e) => e.change === 'removed' && withGeometry.has(e.elementKey))
      .slice(0, 6)
      .map((e) => e.elementKey);
    expect(removed.length).toBeGreaterThan(3);
    const absent = elementKeyOf('NOT_IN_THIS_VERSION_00');
    const ghosts = await call(host, 'history.ghosts', {
      twinId,
      versionId: second!.id,
      elementKeys: [...removed, absent],
    });
    expect(ghosts.elementKeys).toEqual(removed);
    const instances = decodeGeometryChunk(ghosts.instances);
    const meshes = decodeGeometryChunk(ghosts.meshes);
    if (instances.kind !== 'instances' || meshes.kind !== 'meshes') throw new Error('wrong chunk kinds');
    // The full stream of the version, for comparison.
    const full: MeshInstance[] = [];
    for (let cursor: number | null = 0; cursor !== null && cursor < manifest.instanceCount;) {
      const chunk = decodeGeometryChunk(
        await call(host, 'twins.geometryChunk', { twinId, versionId: second!.id, cursor }),
      );
      if (chunk.kind !== 'instances') break;
      full.push(...chunk.instances);
      cursor = chunk.nextCursor;
    }
    for (const [i, key] of removed.entries()) {
      const index = manifest.elements.findIndex((e) => e.elementKey === key);
      const expected = full.filter((x) => x.elementIndex === index).map((x) => Array.from(x.matrix));
      const got = instances.instances.filter((x) => x.elementIndex === i).map((x) => Array.from(x.matrix));
      expect(got).toEqual(expected);
    }
    const used = new Set(instances.instances.map((x) => x.meshIndex));
    expect(new Set(meshes.meshes.map((m) => m.meshIndex))).toEqual(used);
    expect(meshes.meshes.every((m) => m.indices.length > 0 && m.vertices.length > 0)).toBe(true);
    // A few elements' bytes, not the version's.
    expect(ghosts.instances.byteLength + ghosts.meshes.byteLength).toBeLessThan(manifest.meshBytes / 4);
  });
});
