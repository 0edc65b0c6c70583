// Permissions of the active identity on the seeded twin, judged from the indexed grants at the
// chain's time: ownership, grants, an expiry reached by moving the sandbox clock, a revoke and an
// ended engagement, each pushed as an event with its reason, and re-checked by assertAllowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEthersProvider } from '../../src/main/chain/ethers';
import { TwinRegistry__factory } from '../../src/main/chain/generated/types';
import type { ServiceHost } from '../../src/main/services/host';
import type { TwinPermissions } from '../../src/shared/api';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { call, seededHost, tempDir } from './helpers';

let dir: { dir: string; remove: () => void };
let host: ServiceHost;
let twinId: string;
const pushed: TwinPermissions[] = [];

beforeAll(async () => {
  dir = tempDir('permissions');
  host = seededHost(dir.dir);
  host.bus.subscribe((event, payload) => {
    if (event === 'sync.permissionsChanged') pushed.push(payload as TwinPermissions);
  });
  await host.sync!.seeded();
  await host.sync!.caughtUp();
  twinId = (await call(host, 'twins.list', {}))[0]!.id;
}, 120_000);

afterAll(async () => {
  await host?.close();
  dir.remove();
});

/** Sends a registry call as the demo owner (admin of the sample twin) and waits for the index. */
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

/** Waits for a pushed permissions event that satisfies `test`. */
async function pushedWhere(
  test: (p: TwinPermissions) => boolean,
  timeoutMs = 10_000,
): Promise<TwinPermissions> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = pushed.find(test);
    if (found) return found;
    if (Date.now() > until)
      throw new Error(`no such permissions event; last: ${JSON.stringify(pushed.at(-1))}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

const role = (p: TwinPermissions, name: string) => p.roles.find((r) => r.role === name)!;

describe('permissions', () => {
  it('the owner administers through ownership and may not edit without the EDITOR role', async () => {
    const p = await call(host, 'sync.permissions', { twinId });
    expect(p.account).toBe(demoWallet('owner').address);
    expect(role(p, 'ADMIN')).toMatchObject({ allowed: true, source: 'owner' });
    expect(role(p, 'EDITOR')).toMatchObject({ allowed: false });
    expect(role(p, 'EDITOR').reason).toMatch(/Demo owner.*has no EDITOR role on this twin/);
    await expect(host.sync!.assertAllowed(twinId, 'EDITOR')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('follows the active identity and pushes its permissions', async () => {
    pushed.length = 0;
    await call(host, 'vault.setActive', { id: 'demo-engineer' });
    const p = await pushedWhere((e) => e.account === demoWallet('engineer').address);
    expect(p.may).toMatchObject({ edit: true, administer: false });
    await host.sync!.assertAllowed(twinId, 'EDITOR');
  });

  it("ends the crew's MAINTAINER role when the chain's clock passes its end date", async () => {
    await call(host, 'vault.setActive', { id: 'demo-crew' });
    const before = await call(host, 'sync.permissions', { twinId });
    expect(role(before, 'MAINTAINER')).toMatchObject({ allowed: true, source: 'grant' });
    const endsAt = role(before, 'MAINTAINER').expiresAt!;
    pushed.length = 0;
    const sandbox = host.chain.sandbox!;
    await sandbox.request({ method: 'evm_increaseTime', params: [91 * 24 * 3600] });
    await sandbox.request({ method: 'evm_mine', params: [] });
    const p = await pushedWhere((e) => !role(e, 'MAINTAINER').allowed);
    const date = new Date(endsAt * 1000).toISOString().slice(0, 10);
    expect(role(p, 'MAINTAINER').reason).toContain(`Your MAINTAINER role on this twin ended on ${date}`);
    expect(p.may.logService).toBe(false);
    await expect(host.sync!.assertAllowed(twinId, 'MAINTAINER')).rejects.toThrow(/ended on/);
  });

  it('says when a role was revoked and when an engagement was ended', async () => {
    const chainTwinId = (await call(host, 'twins.list', {}))[0]!.chainTwinId!;
    await asOwner((r) => r.revokeRole(chainTwinId, 3, demoWallet('planner').address));
    await call(host, 'vault.setActive', { id: 'demo-planner' });
    const planner = await call(host, 'sync.permissions', { twinId });
    expect(role(planner, 'VIEWER').reason).toMatch(/Your VIEWER role on this twin was revoked \(block \d+\)/);
    expect(planner.may.view).toBe(false);

    await call(host, 'vault.setActive', { id: 'demo-engineer' });
    pushed.length = 0;
    await asOwner((r) => r.endEngagement(chainTwinId, demoWallet('engineer').address));
    const engineer = await pushedWhere((e) => e.account === demoWallet('engineer').address && !e.may.edit);
    expect(role(engineer, 'EDITOR').reason).toMatch(/Your engagement on this twin was ended \(block \d+\)/);
    await expect(host.sync!.assertAllowed(twinId, 'EDITOR')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('pushes the end of a grant when its time comes, without any new block', async () => {
    const chainTwinId = (await call(host, 'twins.list', {}))[0]!.chainTwinId!;
    const now = host.sync!.chainTime()!;
    await asOwner((r) => r.grantRole(chainTwinId, 1, demoWallet('engineer').address, now + 3));
    const granted = await call(host, 'sync.permissions', { twinId });
    expect(role(granted, 'EDITOR')).toMatchObject({ allowed: true, expiresAt: now + 3 });
    pushed.length = 0;
    const p = await pushedWhere((e) => !role(e, 'EDITOR').allowed, 8_000);
    expect(role(p, 'EDITOR').reason).toMatch(/Your EDITOR role on this twin ended on/);
  });
});
