// The maintenance contract's events in the chain index, on a real EDR chain with the compiled
// contracts: a signed reading that breaches a rule opens a work order assigned to the bonded
// provider; enforcing its passed response deadline moves the penalty from the bond to the owner's
// claimable balance and records the escalation; accepting late, completing and withdrawing follow;
// the derived state equals a fresh index of the same chain, and a reorg leaves what a fresh index of
// the new branch holds.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ZeroAddress } from 'ethers';
import { openDatabase } from '../../src/main/store/database';
import { ChainIndex, diffIndexDumps } from '../../src/main/store/chain-index';
import type { MaintenanceIndex } from '../../src/main/store/maintenance-index';
import { ChainIndexer } from '../../src/main/sync/indexer';
import { decodeRegistryEvent, decodeWithEthers } from '../../src/main/sync/log-decoder';
import { demoWallet } from '../../src/main/vault/demo-identities';
import { BOND, MaintenanceLab, PENALTY, PUMP, VIBRATION } from './fixture';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function freshIndex(): { index: ChainIndex; maintenance: MaintenanceIndex } {
  const dir = mkdtempSync(join(tmpdir(), 'twinledger-maint-index-'));
  const db = openDatabase(join(dir, 'twins.sqlite'));
  cleanups.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => void db.close(),
  );
  const index = new ChainIndex(db);
  return { index, maintenance: index.extension<MaintenanceIndex>('maintenance')! };
}

async function lab(): Promise<MaintenanceLab> {
  const started = await MaintenanceLab.start();
  cleanups.push(() => started.close());
  return started;
}

async function indexed(l: MaintenanceLab) {
  const fresh = freshIndex();
  await new ChainIndexer({ provider: l.chain, index: fresh.index, deployment: l.deployment }).syncOnce();
  return fresh;
}

const crew = demoWallet('crew').address;
const owner = demoWallet('owner').address;
const planner = demoWallet('planner').address;

describe('maintenance index', () => {
  it('follows a breach from the reading to the work order, the penalty and the escalation', async () => {
    const l = await lab();
    await l.configure();
    const { index, maintenance } = freshIndex();
    const indexer = new ChainIndexer({ provider: l.chain, index, deployment: l.deployment });
    const notified: string[][] = [];
    maintenance.onChange((twins) => notified.push([...twins]));

    // A normal reading changes nothing but the reading log; a breaching one opens an order.
    await l.report(2_200);
    await l.report(7_400);
    await indexer.syncOnce();
    expect(notified.flat()).toContain('1');
    const [order] = maintenance.workOrders('1');
    expect(order).toMatchObject({
      twinId: '1',
      elementKey: PUMP,
      status: 'assigned',
      provider: crew,
      penalty: PENALTY.toString(),
      triggerValue: '7400',
      escalationContact: planner,
      responseEnforced: false,
    });
    expect(order!.resolveBy! - order!.respondBy!).toBe(86_400 - 3600);
    expect(maintenance.rules('1')[0]!.openOrderId).toBe(order!.orderId);
    expect(maintenance.alerts('1')).toHaveLength(1);
    expect(maintenance.chainReadings('1').map((r) => r.value)).toEqual(['7400', '2200']);
    expect(maintenance.bonds('1')).toEqual([
      { twinId: '1', provider: crew, asset: ZeroAddress, balance: BOND.toString(), openOrders: 1 },
    ]);

    // Two hours later nobody accepted: anyone may enforce the response breach.
    await l.advance(2 * 3600);
    await l.call('planner', 'enforce', [BigInt(order!.orderId), 0]);
    await indexer.syncOnce();
    const [enforcement] = maintenance.enforcements('1');
    expect(enforcement).toMatchObject({
      orderId: order!.orderId,
      breach: 0,
      provider: crew,
      beneficiary: owner,
      amount: PENALTY.toString(),
      actor: planner,
      escalationContact: planner,
    });
    expect(maintenance.bondOf('1', crew, ZeroAddress)).toBe((BOND - PENALTY).toString());
    expect(maintenance.claimable(owner)).toEqual([
      { account: owner, asset: ZeroAddress, balance: PENALTY.toString() },
    ]);
    // The contract agrees with the index.
    const [bond] = await l.view<[bigint, bigint]>('bondOf', [l.twinId, crew, ZeroAddress]).then((b) => [b]);
    expect(bond).toBe(BOND - PENALTY);

    // Accepted late, then completed: the rule is free to open a new order.
    await l.call('crew', 'acceptWorkOrder', [BigInt(order!.orderId)]);
    await l.call('crew', 'completeWorkOrder', [
      BigInt(order!.orderId),
      `0x${'ab'.repeat(32)}`,
      'twinledger:report/x',
    ]);
    await l.call('owner', 'withdraw', [ZeroAddress]);
    await indexer.syncOnce();
    expect(maintenance.workOrder(order!.orderId)).toMatchObject({
      status: 'completed',
      acceptedLate: true,
      closedBy: crew,
      reportHash: `0x${'ab'.repeat(32)}`,
      reportUri: 'twinledger:report/x',
    });
    expect(maintenance.rules('1')[0]!.openOrderId).toBeNull();
    expect(maintenance.claimable(owner)[0]!.balance).toBe('0');
    expect(maintenance.bonds('1')[0]!.openOrders).toBe(0);

    // Everything the index derived equals a fresh index of the same chain.
    expect(diffIndexDumps(index.dump(), (await indexed(l)).index.dump())).toEqual([]);
    expect(index.dump().extensions.maint_work_orders).toHaveLength(1);
  });

  it('decodes every maintenance event like ethers does', async () => {
    const l = await lab();
    await l.configure();
    await l.report(7_400);
    const { maintenance, index } = await indexed(l);
    const orderId = maintenance.workOrders('1')[0]!.orderId;
    await l.advance(2 * 86_400);
    await l.call('engineer', 'enforce', [BigInt(orderId), 0]);
    await l.call('owner', 'cancelWorkOrder', [BigInt(orderId), `0x${'11'.repeat(32)}`]);
    await l.call('owner', 'withdraw', [ZeroAddress]);
    await l.call('crew', 'withdrawBond', [l.twinId, ZeroAddress, PENALTY]);
    await l.call('owner', 'removeRule', [BigInt(maintenance.rules('1')[0]!.ruleId)]);
    await l.call('owner', 'revokeSensor', [l.twinId, PUMP, VIBRATION]);
    const logs = (await l.chain.request({
      method: 'eth_getLogs',
      params: [{ address: l.maintenance, fromBlock: '0x0', toBlock: 'latest' }],
    })) as { topics: string[]; data: string }[];
    const names = new Set<string>();
    for (const log of logs) {
      const fast = decodeRegistryEvent(log.topics, log.data);
      expect(fast).toEqual(decodeWithEthers(log.topics, log.data));
      names.add(fast!.name);
    }
    expect([...names].sort()).toEqual(
      [
        'BondPosted',
        'BondWithdrawn',
        'PaymentWithdrawn',
        'ReadingRecorded',
        'RuleAdded',
        'RuleRemoved',
        'RuleTriggered',
        'SensorRegistered',
        'SensorRevoked',
        'SlaBreachEnforced',
        'SlaEscalated',
        'SlaTermsSet',
        'WorkOrderAssigned',
        'WorkOrderCancelled',
        'WorkOrderOpened',
      ].sort(),
    );
    // The index derives the same closing state the contract holds.
    await new ChainIndexer({ provider: l.chain, index, deployment: l.deployment }).syncOnce();
    expect(maintenance.workOrder(orderId)).toMatchObject({
      status: 'cancelled',
      responseEnforced: true,
      resolutionEnforced: true,
    });
    expect(maintenance.enforcements('1').map((e) => e.breach)).toEqual([0, 1]);
    expect(maintenance.sensors('1')[0]!.active).toBe(false);
    expect(maintenance.rules('1')).toEqual([]);
    expect(maintenance.bondOf('1', crew, ZeroAddress)).toBe((BOND - 3n * PENALTY).toString());
    expect(index.eventCount()).toBeGreaterThan(logs.length); // the registry's events are indexed too
  });

  it('forgets what orphaned blocks wrote: after a reorg the index equals a fresh index of the new branch', async () => {
    const l = await lab();
    await l.configure();
    const { index, maintenance } = freshIndex();
    const indexer = new ChainIndexer({ provider: l.chain, index, deployment: l.deployment });
    await indexer.syncOnce();
    const snapshot = (await l.chain.request({ method: 'evm_snapshot', params: [] })) as string;
    // Branch A: a breach opens an order and its response breach is penalised.
    await l.report(9_000);
    await l.advance(2 * 3600);
    await l.call('planner', 'enforce', [(l.twinId << 64n) | 1n, 0]);
    await indexer.syncOnce();
    expect(maintenance.enforcements('1')).toHaveLength(1);
    // Branch B replaces it: a bond top-up, and more blocks than branch A had.
    await l.chain.request({ method: 'evm_revert', params: [snapshot] });
    l.resetNonces();
    await l.call('crew', 'postBond', [l.twinId, ZeroAddress, BOND], BOND);
    for (let i = 0; i < 4; i++) await l.chain.request({ method: 'evm_mine', params: [] });
    const outcome = await indexer.syncOnce();
    expect(outcome.reorgs).toBe(1);
    expect(maintenance.workOrders('1')).toEqual([]);
    expect(maintenance.enforcements('1')).toEqual([]);
    expect(maintenance.claimable(owner)).toEqual([]);
    expect(maintenance.bondOf('1', crew, ZeroAddress)).toBe((2n * BOND).toString());
    expect(diffIndexDumps(index.dump(), (await indexed(l)).index.dump())).toEqual([]);
  });
});
