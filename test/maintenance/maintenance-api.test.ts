// Work orders through the API of a seeded sandbox host (real SQLite, EDR, contracts, vault): an
// admin sets SLA terms and a rule, the crew posts a bond, a signed reading breaches the rule and
// the order shows on the board with its SLA clocks and the provider's bond; permissions are checked
// in main before anything is signed; the sandbox clock passes the response deadline and enforcing it
// moves the penalty and escalates; a crew completes offline (chain stopped): pending until the chain
// is back, then confirmed; the timeline shows work orders, breaches and the pending completion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBytes32String, getAddress, parseEther } from 'ethers';
import type { EventName } from '../../src/shared/api';
import type { ServiceHost } from '../../src/main/services/host';
import { call, seededHost, tempDir } from '../sync/helpers';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { ensureMaintenanceContract, reportReading, tokenCall } from './host-fixture';

let dir: { dir: string; remove: () => void };
let host: ServiceHost;
let contract: string;
let twinId: string;
let chainTwinId: string;
let pump: { globalId: string; elementKey: string; name: string | null };
/** The crew's bond before this suite posted to it (the sandbox may have bonded the crew already). */
let bondBefore = 0n;
const crewBond = async () =>
  BigInt(
    (await call(host, 'maintenance.overview', { twinId })).bonds.find(
      (b) => b.providerLabel === 'Demo maintenance crew',
    )?.balance ?? '0',
  );
const orders = async () =>
  (await call(host, 'maintenance.workOrders', { twinId, elementKey: pump.elementKey })).orders;
const events: { event: EventName; payload: unknown }[] = [];

const as = (role: 'owner' | 'crew' | 'planner' | 'engineer') =>
  call(host, 'vault.setActive', { id: `demo-${role}` });

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected the request to fail');
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

beforeAll(async () => {
  dir = tempDir('maintenance-api');
  host = seededHost(dir.dir);
  host.bus.subscribe((event, payload) => events.push({ event, payload }));
  await host.sync!.seeded();
  await host.sync!.caughtUp();
  contract = await ensureMaintenanceContract(host, dir.dir);
  const [twin] = await call(host, 'twins.list', {});
  twinId = twin!.id;
  chainTwinId = host.sync!.index.chainTwinOf(twinId)!;
  // An element the sandbox's own maintenance seeding leaves alone (it equips the MEP pumps and fan),
  // so the rules and orders here are this suite's only; a door with a vibration sensor will do.
  const element = (await call(host, 'twins.search', { twinId, ifcClass: 'IfcDoor', limit: 1 })).elements[0]!;
  pump = { globalId: element.globalId, elementKey: element.elementKey, name: element.name };
}, 180_000);

afterAll(async () => {
  await host?.close();
  dir?.remove();
});

describe('maintenance API', () => {
  it('refuses actions the identity may not take, with the reason, before signing', async () => {
    await as('planner');
    const denied = await failure(
      call(host, 'maintenance.setSlaTerms', {
        twinId,
        provider: demoWallet('crew').address,
        penalty: parseEther('0.1').toString(),
        responseSeconds: 3600,
        resolutionSeconds: 86_400,
        escalationContact: demoWallet('planner').address,
      }),
    );
    expect(denied.code).toBe('FORBIDDEN');
    const open = await failure(
      call(host, 'maintenance.openWorkOrder', {
        twinId,
        element: { globalId: pump.globalId },
        kind: 'inspection',
      }),
    );
    expect(open.code).toBe('FORBIDDEN');
    expect(open.message).toMatch(/admins and maintainers/);
    // Bad input never reaches a service.
    const bad = await failure(
      call(host, 'maintenance.addRule', {
        twinId,
        element: { globalId: pump.globalId },
        metric: 'vibration_mm_s',
        kind: 'condition',
        threshold: 7.1,
        action: 'workOrder',
        actionRef: 'inspect',
      }),
    );
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/comparator/);
  });

  it('sets SLA terms, a sensor and a rule; a bonded provider; a breaching reading opens an order on the board', async () => {
    await as('owner');
    const terms = await call(host, 'maintenance.setSlaTerms', {
      twinId,
      provider: demoWallet('crew').address,
      penalty: parseEther('0.1').toString(),
      responseSeconds: 3600,
      resolutionSeconds: 86_400,
      escalationContact: demoWallet('planner').address,
    });
    expect(terms.summary).toMatch(/respond within 1 h, resolve within 1 d, 0.1 ETH per breach/);
    await call(host, 'maintenance.registerSensor', {
      twinId,
      element: { globalId: pump.globalId },
      metric: 'vibration_mm_s',
      sensor: demoWallet('sensor').address,
      minValue: 0,
      maxValue: 100,
    });
    const rule = await call(host, 'maintenance.addRule', {
      twinId,
      element: { globalId: pump.globalId },
      metric: 'vibration_mm_s',
      kind: 'condition',
      comparator: '>',
      threshold: 7.1,
      action: 'workOrder',
      actionRef: 'inspect pump',
    });
    expect(rule.ruleId).not.toBeNull();
    const rules = await call(host, 'maintenance.rules', { twinId, elementKey: pump.elementKey });
    expect(rules.rules).toMatchObject([
      { metric: 'vibration_mm_s', comparator: '>', threshold: 7.1, action: 'workOrder' },
    ]);
    expect(rules.sensors).toMatchObject([
      { metric: 'vibration_mm_s', minValue: 0, maxValue: 100, active: true },
    ]);

    await as('crew');
    bondBefore = await crewBond();
    await call(host, 'maintenance.postBond', { twinId, amount: parseEther('1').toString() });
    const overview = await call(host, 'maintenance.overview', { twinId });
    expect(overview).toMatchObject({
      contract,
      unavailable: null,
      sandbox: true,
      may: { administer: false, openOrders: true, complete: true },
      terms: {
        responseSeconds: 3600,
        providerLabel: 'Demo maintenance crew',
        escalationContactLabel: 'Demo planner',
      },
    });
    const bond = bondBefore + parseEther('1');
    expect(overview.bonds.find((b) => b.providerLabel === 'Demo maintenance crew')).toMatchObject({
      balance: bond.toString(),
      coversPenalties: Number(bond / parseEther('0.1')),
    });

    events.length = 0;
    await reportReading(host, contract, {
      twinId: chainTwinId,
      elementKey: pump.elementKey,
      metric: encodeBytes32String('vibration_mm_s'),
      value: 7_400n,
    });
    await host.sync!.caughtUp();
    const board = await until('the work order on the board', async () => {
      const list = await orders();
      return list.length ? list : null;
    });
    const [order] = board;
    expect(order).toMatchObject({
      globalId: pump.globalId,
      origin: 'rule',
      kind: 'inspect pump',
      status: 'assigned',
      column: 'open',
      trigger: { metric: 'vibration_mm_s', value: 7.4, comparator: '>', threshold: 7.1 },
      providerLabel: 'Demo maintenance crew',
      providerBond: (bondBefore + parseEther('1')).toString(),
      escalationContactLabel: 'Demo planner',
      may: { accept: true, complete: true, cancel: true, enforce: false },
    });
    const response = order!.clocks.find((c) => c.breach === 'response')!;
    expect(response.remaining).toBeGreaterThan(3500);
    expect(response.remaining).toBeLessThanOrEqual(3600);
    expect(events.some((e) => e.event === 'maintenance.changed')).toBe(true);
  });

  it('refuses to enforce a deadline that has not passed, then enforces it once it has', async () => {
    await as('planner');
    const [order] = await orders();
    const early = await failure(
      call(host, 'maintenance.enforce', { twinId, orderId: order!.orderId, breach: 'response' }),
    );
    expect(early.code).toBe('CONFLICT');
    expect(early.message).toMatch(/passes on .* nothing to enforce yet/);
    const accept = await failure(
      call(host, 'maintenance.acceptWorkOrder', { twinId, orderId: order!.orderId }),
    );
    expect(accept.code).toBe('FORBIDDEN');

    await call(host, 'maintenance.advanceSandboxClock', { seconds: 2 * 3600 });
    const overdue = (await orders())[0]!;
    expect(overdue.column).toBe('overdue');
    expect(overdue.may.enforce).toBe(true);
    const tx = await call(host, 'maintenance.enforce', {
      twinId,
      orderId: order!.orderId,
      breach: 'response',
    });
    expect(tx.summary).toMatch(new RegExp(`response breach of work order ${order!.number} enforced`));
    const after = (await orders())[0]!;
    expect(after.providerBond).toBe((bondBefore + parseEther('0.9')).toString());
    expect(after.clocks.find((c) => c.breach === 'response')).toMatchObject({
      enforced: true,
      enforceable: false,
      penaltyPaid: parseEther('0.1').toString(),
      escalatedToLabel: 'Demo planner',
    });
    const again = await failure(
      call(host, 'maintenance.enforce', { twinId, orderId: order!.orderId, breach: 'response' }),
    );
    expect(again.message).toMatch(/already penalised/);
    const overview = await call(host, 'maintenance.overview', { twinId });
    expect(overview.claimable).toMatchObject([
      { account: demoWallet('owner').address, balance: parseEther('0.1').toString() },
    ]);

    const timeline = await call(host, 'timeline.list', { twinId, kinds: ['workOrder', 'sla'] });
    const titles = timeline.entries.map((e) => e.title);
    expect(titles).toContain(`Work order WO-${order!.number} opened: inspect pump`);
    // Its deadlines in UTC, and saying so (the board shows local time).
    const opened = timeline.entries.find(
      (e) => e.title === `Work order WO-${order!.number} opened: inspect pump`,
    )!;
    const facts = Object.fromEntries(opened.facts ?? []);
    expect(facts['Respond by']).toMatch(/^\d{4}-\d\d-\d\d( \d\d:\d\d UTC)?$/);
    expect(facts['Resolve by']).toMatch(/^\d{4}-\d\d-\d\d( \d\d:\d\d UTC)?$/);
    expect(titles).toContain(`SLA response breach of WO-${order!.number} penalised: 0.1 ETH`);
    expect(timeline.entries.find((e) => e.kind === 'sla' && /penalised/.test(e.title))!.detail).toMatch(
      /escalated to Demo planner/,
    );
  });

  it('lets a crew complete offline: pending while the chain is stopped, confirmed once it is back', async () => {
    await as('crew');
    const [order] = await orders();
    await call(host, 'chain.setSandboxRunning', { running: false });
    const empty = await failure(
      call(host, 'maintenance.completeWorkOrder', { twinId, orderId: order!.orderId, notes: '   ' }),
    );
    expect(empty.code).toBe('BAD_REQUEST');
    const pending = await call(host, 'maintenance.completeWorkOrder', {
      twinId,
      orderId: order!.orderId,
      notes: 'Bearing replaced; vibration back to 2.0 mm/s.',
      attachments: [{ name: 'after.jpg', sha256: 'c'.repeat(64) }],
    });
    expect(pending).toMatchObject({ status: 'queued', signerLabel: 'Demo maintenance crew' });
    const offline = (await orders())[0]!;
    expect(offline.status).toBe('assigned');
    expect(offline.pendingCompletion).toMatchObject({ intentId: pending.intentId, status: 'queued' });
    expect(offline.may.complete).toBe(false);
    const timeline = await call(host, 'timeline.list', { twinId, kinds: ['workOrder'] });
    expect(timeline.entries.find((e) => e.status === 'pending')?.title).toMatch(
      `Work order WO-${order!.number} completed (waiting for the chain)`,
    );

    await call(host, 'chain.setSandboxRunning', { running: true });
    const done = await until(
      'the completion confirmed and indexed',
      async () => {
        await host.sync!.caughtUp().catch(() => undefined);
        const o = (await orders())[0]!;
        return o.status === 'completed' ? o : null;
      },
      60_000,
    );
    expect(done).toMatchObject({
      column: 'done',
      closedByLabel: 'Demo maintenance crew',
      pendingCompletion: null,
    });
    expect(done.reportHash).toBe(pending.reportHash);
    // Completing settled the resolution breach too? Not due yet (1 d): only the response was penalised.
    expect(done.clocks.find((c) => c.breach === 'resolution')!.enforced).toBe(false);
    const overview = await call(host, 'maintenance.overview', { twinId });
    expect(overview.bonds.find((b) => b.providerLabel === 'Demo maintenance crew')!.openOrders).toBe(0);
  }, 120_000);
  it('replaces an edited rule, locks a bond while an order depends on it, and pays penalties out once', async () => {
    await as('owner');
    const [rule] = (await call(host, 'maintenance.rules', { twinId, elementKey: pump.elementKey })).rules;
    const edited = await call(host, 'maintenance.editRule', {
      twinId,
      ruleId: rule!.ruleId,
      element: { elementKey: pump.elementKey },
      metric: 'vibration_mm_s',
      kind: 'condition',
      comparator: '>=',
      threshold: 8,
      action: 'workOrder',
      actionRef: 'inspect pump',
    });
    expect(edited.summary).toMatch(
      new RegExp(`^Rule ${BigInt(rule!.ruleId) & 0xffffffffffffffffn} replaced\\.`),
    );
    const rules = await call(host, 'maintenance.rules', {
      twinId,
      elementKey: pump.elementKey,
      includeRemoved: true,
    });
    expect(rules.rules.map((r) => [r.comparator, r.threshold, r.active])).toEqual([
      ['>', 7.1, false],
      ['>=', 8, true],
    ]);

    const opened = await call(host, 'maintenance.openWorkOrder', {
      twinId,
      element: { globalId: pump.globalId },
      kind: 'clean filter',
    });
    expect(opened.orderId).not.toBeNull();
    await as('crew');
    const locked = await failure(
      call(host, 'maintenance.withdrawBond', { twinId, amount: parseEther('0.1').toString() }),
    );
    expect(locked.code).toBe('CONFLICT');
    expect(locked.message).toMatch(/while 1 open work order depends on it/);
    await call(host, 'maintenance.cancelWorkOrder', {
      twinId,
      orderId: opened.orderId!,
      reason: 'duplicate',
    });
    const cancelled = (await orders()).find((o) => o.orderId === opened.orderId)!;
    expect(cancelled).toMatchObject({ status: 'cancelled', column: 'done', cancelReason: 'duplicate' });
    const onlyCancelled = await call(host, 'maintenance.workOrders', { twinId, statuses: ['cancelled'] });
    expect(onlyCancelled.orders.map((o) => o.orderId)).toEqual([opened.orderId]);
    const doneColumn = await call(host, 'maintenance.workOrders', {
      twinId,
      elementKey: pump.elementKey,
      columns: ['done'],
    });
    expect(doneColumn.orders.map((o) => o.status).sort()).toEqual(['cancelled', 'completed']);
    await call(host, 'maintenance.withdrawBond', { twinId, amount: parseEther('0.4').toString() });
    expect(await crewBond()).toBe(bondBefore + parseEther('0.5'));

    await as('owner');
    const paid = await call(host, 'maintenance.withdrawClaimable', { twinId });
    expect(paid.summary).toBe('Penalties withdrawn: 0.1 ETH');
    const twice = await failure(call(host, 'maintenance.withdrawClaimable', { twinId }));
    expect(twice.code).toBe('CONFLICT');
  });

  it('takes SLA terms and bonds in an ERC-20: its symbol read from the token, the balance checked, the exact amount approved, then posted', async () => {
    const crew = demoWallet('crew').address;
    await as('owner');
    // The sandbox's own test token, deployed beside the maintenance contract, 100 TLC given to the crew.
    const { sandboxCredit } = await call(host, 'maintenance.overview', { twinId });
    expect(sandboxCredit).toMatchObject({ symbol: 'TLC', decimals: 18 });
    const token = getAddress(sandboxCredit!.address);
    expect(await tokenCall(host, token, 'balanceOf', [crew])).toBe(parseEther('100'));
    const notToken = await failure(
      call(host, 'maintenance.setSlaTerms', {
        twinId,
        provider: crew,
        asset: host.sync!.deployment.get()!.registry,
        penalty: parseEther('0.5').toString(),
        responseSeconds: 3600,
        resolutionSeconds: 86_400,
        escalationContact: demoWallet('planner').address,
      }),
    );
    expect(notToken.code).toBe('BAD_REQUEST');
    expect(notToken.message).toMatch(/is not an ERC-20 token on this chain/);
    const terms = await call(host, 'maintenance.setSlaTerms', {
      twinId,
      provider: crew,
      asset: token,
      penalty: parseEther('0.5').toString(),
      responseSeconds: 3600,
      resolutionSeconds: 86_400,
      escalationContact: demoWallet('planner').address,
    });
    expect(terms.summary).toMatch(/0.5 TLC per breach/);

    await as('crew');
    const short = await failure(
      call(host, 'maintenance.postBond', { twinId, asset: token, amount: parseEther('200').toString() }),
    );
    expect(short.code).toBe('BAD_REQUEST');
    expect(short.message).toBe('You hold 100 TLC: a bond of 200 TLC needs more TLC.');
    const posted = await call(host, 'maintenance.postBond', {
      twinId,
      asset: token,
      amount: parseEther('4').toString(),
    });
    expect(posted.summary).toBe('Bond topped up by 4 TLC');
    // Approved for exactly the bond, and all of it spent by the transfer.
    expect(await tokenCall(host, token, 'allowance', [crew, contract])).toBe(0n);
    expect(await tokenCall(host, token, 'balanceOf', [crew])).toBe(parseEther('96'));
    await call(host, 'maintenance.postBond', { twinId, asset: token, amount: parseEther('1').toString() });
    const overview = await call(host, 'maintenance.overview', { twinId });
    expect(overview.terms).toMatchObject({ asset: { address: token, symbol: 'TLC', decimals: 18 } });
    expect(
      overview.bonds.find((b) => b.providerLabel === 'Demo maintenance crew' && b.asset.symbol === 'TLC'),
    ).toMatchObject({ balance: parseEther('5').toString(), coversPenalties: 10 });
    // The ETH bond is still there, beside it, covering no penalty in the new terms' asset.
    expect(
      overview.bonds.find((b) => b.providerLabel === 'Demo maintenance crew' && b.asset.symbol === 'ETH'),
    ).toMatchObject({ coversPenalties: null });
    await call(host, 'maintenance.withdrawBond', {
      twinId,
      asset: token,
      amount: parseEther('2').toString(),
    });
    expect(await tokenCall(host, token, 'balanceOf', [crew])).toBe(parseEther('97'));
  });

  it("a crew's two completions in a row, the first pending on a chain that mines on demand, both reach the chain", async () => {
    await as('owner');
    for (const kind of ['inspect hinges', 'oil hinges'])
      await call(host, 'maintenance.openWorkOrder', { twinId, element: { globalId: pump.globalId }, kind });
    await as('crew');
    const assigned = await until('two orders assigned to the crew', async () => {
      await host.sync!.caughtUp().catch(() => undefined);
      const open = (await orders()).filter((o) => o.status === 'assigned' && !o.pendingCompletion);
      return open.length >= 2 ? open : null;
    });
    const sandbox = host.chain.sandbox!;
    const pendingOf = async (orderId: string) =>
      (await orders()).find((o) => o.orderId === orderId)?.pendingCompletion ?? null;
    // Blocks only when asked: the first completion stays pending once sent.
    await sandbox.request({ method: 'evm_setAutomine', params: [false] });
    try {
      const [a, b] = [assigned[0]!, assigned[1]!];
      await call(host, 'maintenance.completeWorkOrder', {
        twinId,
        orderId: a.orderId,
        notes: 'Hinges inspected.',
      });
      await until('the first completion sent', async () => (await pendingOf(a.orderId))?.status === 'sent');
      await call(host, 'maintenance.completeWorkOrder', {
        twinId,
        orderId: b.orderId,
        notes: 'Hinges oiled.',
      });
      // While the first waits for its block, the second stays queued behind it. (The lane's skip of
      // a pending completion, completion-queue.ts, is for a wait cut short by a lost connection,
      // which this chain cannot stage: here the queue is still waiting on the first's receipt.)
      await new Promise((done) => setTimeout(done, 3000));
      expect(await pendingOf(b.orderId)).toMatchObject({ status: 'queued' });
      await sandbox.request({ method: 'evm_mine', params: [] });
    } finally {
      await sandbox.request({ method: 'evm_setAutomine', params: [true] });
    }
    // Both reach the chain: the second was never signed with the first's nonce (it would revert).
    const done = await until(
      'both completions confirmed and indexed',
      async () => {
        await host.sync!.caughtUp().catch(() => undefined);
        const all = await orders();
        const mine = assigned.slice(0, 2).map((o) => all.find((x) => x.orderId === o.orderId)!);
        return mine.every((o) => o.status === 'completed') ? mine : null;
      },
      60_000,
    );
    expect(done.map((o) => o.pendingCompletion)).toEqual([null, null]);
  }, 120_000);
});
