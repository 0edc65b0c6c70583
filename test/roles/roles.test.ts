// The roles capability on a real seeded sandbox: the twin's grants with their end dates from the
// chain index, grant with an end date / revoke / end engagement as transactions the active
// identity signs in main, ADMIN checked in main before signing, and clear refusals (a non-admin,
// a past end date, a role not held, the chain stopped) that change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceHost } from '../../src/main/services/host';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { TWIN_ROLES } from '../../src/shared/eip712';
import { call, seededHost, tempDir } from '../sync/helpers';

let dir: { dir: string; remove: () => void };
let host: ServiceHost;
let twinId: string;
const planner = demoWallet('planner').address;
const crew = demoWallet('crew').address;
const engineer = demoWallet('engineer').address;

beforeAll(async () => {
  dir = tempDir('roles');
  host = seededHost(dir.dir);
  await host.sync!.seeded();
  await host.sync!.caughtUp();
  twinId = (await call(host, 'twins.list', {}))[0]!.id;
  await call(host, 'vault.setActive', { id: 'demo-owner' });
}, 120_000);

afterAll(async () => {
  await host?.close();
  dir.remove();
});

const chainGrant = (account: string, role: number) =>
  host.sync!.index.grants(host.sync!.index.chainTwinOf(twinId)!, account).find((g) => g.role === role);

describe('roles', () => {
  it("lists the twin's grants with their end dates, and the owner may administer", async () => {
    const roles = await call(host, 'roles.list', { twinId });
    expect(roles.mayAdminister).toBe(true);
    expect(roles.reason).toBeNull();
    expect(roles.owner).toBe(demoWallet('owner').address);
    expect(roles.ownerLabel).toBe('Demo owner');
    const crewGrant = roles.grants.find((g) => g.account === crew && g.role === 'MAINTAINER');
    expect(crewGrant).toMatchObject({ label: 'Demo maintenance crew', live: true });
    // The crew's engagement ends 90 days after seeding.
    expect(crewGrant!.expiresAt! - roles.chainTime!).toBeGreaterThan(89 * 24 * 3600);
    expect(roles.grants.find((g) => g.account === planner)).toMatchObject({ role: 'VIEWER' });
  });

  it('grants a role with an end date, then revokes it, each one transaction seen in the index', async () => {
    const now = host.sync!.chainTime()!;
    const until = now + 30 * 24 * 3600;
    const granted = await call(host, 'roles.grant', {
      twinId,
      role: 'EDITOR',
      account: planner,
      expiresAt: until,
    });
    expect(granted.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(granted.summary).toMatch(/^EDITOR granted to Demo planner until \d{4}-\d{2}-\d{2}/);
    expect(chainGrant(planner, TWIN_ROLES.Editor)?.expiresAt).toBe(until);
    const listed = await call(host, 'roles.list', { twinId });
    expect(listed.grants.find((g) => g.account === planner && g.role === 'EDITOR')).toMatchObject({
      expiresAt: until,
      live: true,
      txHash: granted.txHash,
    });
    // The timeline's audit shows it, naming who did it.
    const audit = await call(host, 'timeline.list', { twinId, kinds: ['role'] });
    expect(audit.entries[0]).toMatchObject({
      title: 'EDITOR granted to Demo planner',
      txHash: granted.txHash,
    });

    const revoked = await call(host, 'roles.revoke', { twinId, role: 'EDITOR', account: planner });
    expect(revoked.summary).toBe('EDITOR revoked from Demo planner');
    expect(chainGrant(planner, TWIN_ROLES.Editor)).toBeUndefined();
    expect(chainGrant(planner, TWIN_ROLES.Viewer)).toBeDefined();
    const after = await call(host, 'timeline.list', { twinId, kinds: ['role'] });
    expect(after.entries[0]).toMatchObject({
      title: 'EDITOR revoked from Demo planner',
      txHash: revoked.txHash,
    });
  });

  it('a grant with no end date stays live', async () => {
    await call(host, 'roles.grant', { twinId, role: 'SENSOR', account: engineer, expiresAt: null });
    const listed = await call(host, 'roles.list', { twinId });
    expect(listed.grants.find((g) => g.account === engineer && g.role === 'SENSOR')).toMatchObject({
      expiresAt: null,
      live: true,
    });
  });

  it('ends an engagement: every role of the account goes in one transaction', async () => {
    expect(chainGrant(crew, TWIN_ROLES.Maintainer)).toBeDefined();
    const ended = await call(host, 'roles.endEngagement', { twinId, account: crew });
    expect(ended.summary).toMatch(/Engagement of Demo maintenance crew ended/);
    const listed = await call(host, 'roles.list', { twinId });
    expect(listed.grants.some((g) => g.account === crew)).toBe(false);
    // The crew's permission follows at once, with the reason.
    await call(host, 'vault.setActive', { id: 'demo-crew' });
    const permissions = await call(host, 'sync.permissions', { twinId });
    expect(permissions.may.logService).toBe(false);
    expect(permissions.roles.find((r) => r.role === 'MAINTAINER')!.reason).toMatch(
      /engagement on this twin was ended/,
    );
    await call(host, 'vault.setActive', { id: 'demo-owner' });
  });

  it('refuses a non-admin before signing, and shows them the list read-only with the reason', async () => {
    await call(host, 'vault.setActive', { id: 'demo-planner' });
    try {
      const roles = await call(host, 'roles.list', { twinId });
      expect(roles.mayAdminister).toBe(false);
      expect(roles.reason).toMatch(/Only admins manage roles\. Demo planner.*has no ADMIN role on this twin/);
      expect(roles.grants.length).toBeGreaterThan(0);
      const before = host.sync!.index.eventCount();
      const refused = await host.router.call('roles.grant', {
        twinId,
        role: 'ADMIN',
        account: planner,
        expiresAt: null,
      });
      expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(host.sync!.index.eventCount()).toBe(before);
      expect(chainGrant(planner, TWIN_ROLES.Admin)).toBeUndefined();
    } finally {
      await call(host, 'vault.setActive', { id: 'demo-owner' });
    }
  });

  it('refuses an end date in the past, a role not held and a malformed account, changing nothing', async () => {
    const now = host.sync!.chainTime()!;
    const past = await host.router.call('roles.grant', {
      twinId,
      role: 'EDITOR',
      account: planner,
      expiresAt: now - 3600,
    });
    expect(past).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(!past.ok && past.error.message).toMatch(/is not in the future/);
    const notHeld = await host.router.call('roles.revoke', { twinId, role: 'ADMIN', account: planner });
    expect(notHeld).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(!notHeld.ok && notHeld.error.message).toMatch(/holds no ADMIN role on this twin to revoke/);
    const bad = await host.router.call('roles.grant', {
      twinId,
      role: 'EDITOR',
      account: '0x1234',
      expiresAt: null,
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(!bad.ok && bad.error.message).toMatch(/account: expected an address/);
  });

  it('decodes a revert from the registry into words', async () => {
    // Past main's check (the chain's clock moved on after main read it): the contract refuses.
    const { roleError } = await import('../../src/main/roles/role-service');
    const { registryInterface } = await import('../../src/main/sync/intents');
    const data = registryInterface.encodeErrorResult('TwinRoleExpiryInPast', [1_700_000_000]);
    const error = roleError({ data: { data } });
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toBe(
      'The registry refused it: the end date 2023-11-14 22:13 UTC has already passed on chain.',
    );
  });

  it('refuses while the chain node is stopped, with the reason, and works again once it is back', async () => {
    await call(host, 'chain.setSandboxRunning', { running: false });
    try {
      const offline = await host.router.call('roles.grant', {
        twinId,
        role: 'VIEWER',
        account: crew,
        expiresAt: null,
      });
      expect(offline).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
      expect(!offline.ok && offline.error.message).toMatch(/chain is offline: roles change by a transaction/);
      // Reading still works from the index.
      expect((await call(host, 'roles.list', { twinId })).grants.length).toBeGreaterThan(0);
    } finally {
      await call(host, 'chain.setSandboxRunning', { running: true });
    }
    await host.sync!.caughtUp();
    await call(host, 'roles.grant', { twinId, role: 'VIEWER', account: crew, expiresAt: null });
    expect(chainGrant(crew, TWIN_ROLES.Viewer)).toBeDefined();
  });
});
