// Sandbox seeding: a first start deploys the registry, imports and mints the sample twin, grants a
// role to every demo identity (the crew's with an end date), commits version 1 with the store's
// Merkle root and links the store twin; a restart replays the journal and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { ServiceHost } from '../../src/main/services/host';
import { sandboxManifestPath } from '../../src/main/sync/deployment';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { join } from 'node:path';
import { createServiceHost } from '../../src/main/services/host';
import { diffIndexDumps } from '../../src/main/store/chain-index';
import { call, quietLogger, seededHost, tempDir } from './helpers';

let dir: { dir: string; remove: () => void };
let host: ServiceHost;

beforeAll(async () => {
  dir = tempDir('seed');
  host = seededHost(dir.dir);
  await host.sync!.seeded();
  await host.sync!.caughtUp();
}, 120_000);

afterAll(async () => {
  await host?.close();
  dir.remove();
});

describe('sandbox seeding', () => {
  it('deploys the registry and keeps the manifest in the data folder', () => {
    const path = sandboxManifestPath(dir.dir);
    expect(existsSync(path)).toBe(true);
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    expect(manifest).toMatchObject({ format: 1, chainId: 31337, deployer: demoWallet('owner').address });
    expect(manifest.contracts.TwinRegistry.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(host.sync!.status().deployment?.registry).toBe(manifest.contracts.TwinRegistry.address);
  });

  it('shows the sample twin linked to its chain twin with version 1 confirmed', async () => {
    const twins = await call(host, 'twins.list', {});
    expect(twins).toHaveLength(1);
    const twin = twins[0]!;
    expect(twin.name).toBe('Duplex apartment');
    expect(twin.chainTwinId).toBe('1');
    expect(twin.head?.status).toBe('confirmed');
    const versions = host.sync!.index.versions('1');
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({
      version: 1,
      author: demoWallet('engineer').address,
      modelRoot: twin.head!.merkleRoot,
    });
    expect(versions[0]!.packageUri).toMatch(/^twinledger:package\/sha256\/[0-9a-f]{64}$/);
  });

  it('grants every demo role, the crew with an end date, and makes the owner active', async () => {
    const grants = host.sync!.index.grants('1');
    const byAccount = Object.fromEntries(grants.map((g) => [g.account, g]));
    expect(byAccount[demoWallet('engineer').address]).toMatchObject({ role: 1, expiresAt: null });
    expect(byAccount[demoWallet('crew').address]?.role).toBe(2);
    expect(byAccount[demoWallet('crew').address]?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 80 * 86400);
    expect(byAccount[demoWallet('planner').address]).toMatchObject({ role: 3, expiresAt: null });
    expect(byAccount[demoWallet('sensor').address]).toMatchObject({ role: 4, expiresAt: null });
    const status = await call(host, 'vault.status', {});
    expect(status.active?.address).toBe(demoWallet('owner').address);
    const twinId = (await call(host, 'twins.list', {}))[0]!.id;
    const permissions = await call(host, 'sync.permissions', { twinId });
    expect(permissions.may).toMatchObject({ administer: true, edit: false });
    expect(permissions.roles.find((r) => r.role === 'ADMIN')).toMatchObject({
      allowed: true,
      source: 'owner',
    });
  });

  it('reports a caught-up sync status', async () => {
    const status = await call(host, 'sync.status', {});
    expect(status).toMatchObject({ online: true, mode: 'sandbox', seeding: { state: 'done' }, lag: 0 });
    expect(status.indexedEvents).toBeGreaterThanOrEqual(7);
    // A settings change that is not about the chain leaves sync as it was.
    await call(host, 'settings.update', { theme: 'dark' });
    expect(host.sync!.status().deployment).toEqual(status.deployment);
    await host.sync!.caughtUp();
  });

  it('changes nothing on a restart (journal replay, store link kept), and finds a lost manifest again', async () => {
    const before = host.sync!.index.dump();
    const head = (await call(host, 'chain.status', {})).head;
    const manifestPath = sandboxManifestPath(dir.dir);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    await host.close();
    rmSync(manifestPath);
    host = seededHost(dir.dir);
    const twinsAtOnce = await call(host, 'twins.list', {});
    expect(twinsAtOnce).toHaveLength(1);
    await host.sync!.seeded();
    await host.sync!.caughtUp();
    expect((await call(host, 'chain.status', {})).head).toEqual(head);
    expect(host.sync!.index.dump()).toEqual(before);
    expect(await call(host, 'twins.list', {})).toHaveLength(1);
    // Rebuilt from the chain: the same deployment (only its date differs).
    const rebuilt = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect({ ...rebuilt, deployedAt: null }).toEqual({ ...manifest, deployedAt: null });
  });

  it('rebuilds the index from scratch through the API to the same state', async () => {
    const before = host.sync!.index.dump();
    expect(await call(host, 'sync.rebuildIndex', {})).toEqual({ started: true });
    await host.sync!.caughtUp();
    expect(diffIndexDumps(host.sync!.index.dump(), before)).toEqual([]);
    expect((await call(host, 'twins.list', {}))[0]!.head?.status).toBe('confirmed');
  });
});

describe('sandbox seeding without the sample files', () => {
  it('still deploys the registry and reports the missing samples', async () => {
    const empty = tempDir('seed-empty');
    const bare = createServiceHost({
      dataDir: empty.dir,
      host: 'serve',
      appVersion: '0.0.0-test',
      logger: quietLogger,
      seedSandbox: true,
      samplesDir: join(empty.dir, 'no-samples'),
    });
    try {
      await expect(bare.sync!.seeded()).rejects.toThrow(/sample twin files .* are missing/);
      await bare.sync!.deployment.ready();
      expect(bare.sync!.status()).toMatchObject({ seeding: { state: 'failed' } });
      expect(bare.sync!.status().lastError).toMatch(/Sandbox seeding failed/);
    } finally {
      await bare.close();
      empty.remove();
    }
  });
});
