// Condition-based maintenance end to end, once through a real mosquitto broker and once through the
// app's embedded broker: a seeded sandbox has the pump's sensor, a vibration rule, SLA terms and a
// bonded provider on chain; `npm run simulate-sensors` drives pump 1 past its threshold; within 10 s
// of the breach a work order exists on chain, is indexed, and shows on the board and in the
// maintenance timeline; the sandbox clock passes the response deadline, enforcing it moves the
// penalty (the provider's bond goes down, the owner's claimable balance up) and shows the escalation;
// (embedded run) the crew completes the order offline: pending, then done once the node is back.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatEther, parseEther } from 'ethers';
import { test as base, expect, type Page } from '@playwright/test';
import { startServe, stopServe, type ServeProcess } from './fixtures';
import { openClient } from './client';
import { mosquittoMissing, startMosquitto, type Mosquitto } from '../gateway/brokers';

const repo = resolve(import.meta.dirname, '../..');
const screenshots = resolve(repo, 'test-results/screenshots');
mkdirSync(screenshots, { recursive: true });

type Client = Awaited<ReturnType<typeof openClient>>;
type Answer<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

const test = base.extend<{ seeded: ServeProcess; client: Client }>({
  seeded: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const serve = await startServe({ seed: true });
      await use(serve);
      await stopServe(serve);
    },
    { timeout: 120_000 },
  ],
  client: async ({ seeded }, use) => {
    const client = await openClient(seeded);
    await use(client);
    client.close();
  },
});

test.use({ viewport: { width: 1440, height: 900 } });

async function api<T>(client: Client, method: string, params: unknown): Promise<T> {
  const answer = (await client.call(method, params)) as Answer<T>;
  if (!answer.ok) throw new Error(`${method}: ${answer.error.message}`);
  return answer.value;
}

/** An amount as the board shows it ("4.5 ETH"). */
const eth = (wei: bigint) => `${formatEther(wei).replace(/\.0$/, '')} ETH`;

interface Overview {
  unavailable: string | null;
  terms: { penalty: string } | null;
  bonds: { providerLabel: string | null; balance: string }[];
  claimable: { accountLabel: string | null; balance: string }[];
}

async function poll<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

interface Mapping {
  id: number;
  topic: string;
  twinId: string;
  elementKey: string;
  globalId: string | null;
  metric: string;
}

/**
 * Waits for the seeded sandbox, then makes sure the chain has what the loop needs (the sandbox
 * seeds it; anything missing is set up through the app's own API, as an admin and a provider would).
 */
async function prepare(client: Client): Promise<{ twinId: string; pump: Mapping }> {
  await poll('sandbox seeding', async () => {
    const status = await api<{ seeding: { state: string }; lag: number | null }>(client, 'sync.status', {});
    return status.seeding.state === 'done' && status.lag === 0;
  });
  const [twin] = await api<{ id: string }[]>(client, 'twins.list', {});
  const twinId = twin!.id;
  const pump = await poll('the pump sensor mapping', async () => {
    const { mappings } = await api<{ mappings: Mapping[] }>(client, 'sensors.listMappings', { twinId });
    return mappings.find((m) => m.topic.includes('pump-1') && m.metric.startsWith('vibration'));
  });
  const overview = await poll('the maintenance contract', async () => {
    const o = await api<Overview>(client, 'maintenance.overview', { twinId });
    return o.unavailable === null ? o : null;
  });
  const setActive = (role: string) => api(client, 'vault.setActive', { id: `demo-${role}` });
  await setActive('owner');
  if (!overview.terms) {
    const identities = await api<{ address: string; demoRole: string | null }[]>(client, 'vault.list', {});
    const address = (role: string) => identities.find((i) => i.demoRole === role)!.address;
    await api(client, 'maintenance.setSlaTerms', {
      twinId,
      provider: address('crew'),
      penalty: parseEther('0.1').toString(),
      responseSeconds: 4 * 3600,
      resolutionSeconds: 48 * 3600,
      escalationContact: address('planner'),
    });
  }
  const { rules, sensors } = await api<{
    rules: { metric: string }[];
    sensors: { metric: string; active: boolean }[];
  }>(client, 'maintenance.rules', { twinId, elementKey: pump.elementKey });
  if (!sensors.some((s) => s.metric === pump.metric && s.active)) {
    const identities = await api<{ address: string; demoRole: string | null }[]>(client, 'vault.list', {});
    await api(client, 'maintenance.registerSensor', {
      twinId,
      element: { elementKey: pump.elementKey },
      metric: pump.metric,
      sensor: identities.find((i) => i.demoRole === 'sensor')!.address,
      minValue: 0,
      maxValue: 100,
    });
  }
  if (!rules.some((r) => r.metric === pump.metric)) {
    await api(client, 'maintenance.addRule', {
      twinId,
      element: { elementKey: pump.elementKey },
      metric: pump.metric,
      kind: 'condition',
      comparator: '>',
      threshold: 7.1,
      action: 'workOrder',
      actionRef: 'inspect pump',
    });
  }
  if (overview.bonds.length === 0) {
    await setActive('crew');
    await api(client, 'maintenance.postBond', { twinId, amount: parseEther('1').toString() });
    await setActive('owner');
  }
  return { twinId, pump };
}

function simulate(broker: string): ChildProcess {
  // Pump 1's vibration drifts from 2.2 mm/s past 7.1 mm/s in about 4 s.
  const child = spawn(
    join(repo, 'node_modules/.bin/tsx'),
    [
      'src/main/gateway/simulator.ts',
      '--broker',
      broker,
      '--rate',
      '5',
      '--ramp',
      '4',
      '--elements',
      'pump-1',
    ],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return child;
}

async function openOrders(page: Page, seeded: ServeProcess): Promise<void> {
  await page.goto(seeded.url);
  await expect(page.getByTestId('twin-item').first()).toBeVisible({ timeout: 60_000 });
  await page.getByTestId('twin-item').first().click();
  await page.getByRole('tab', { name: 'Orders' }).click();
  await expect(page.getByTestId('work-order-board')).toBeVisible({ timeout: 30_000 });
}

async function journey(
  page: Page,
  seeded: ServeProcess,
  client: Client,
  broker: { mode: 'external'; url: string } | { mode: 'embedded' },
  label: string,
): Promise<void> {
  const { twinId, pump } = await prepare(client);
  const before = await api<Overview>(client, 'maintenance.overview', { twinId });
  const penalty = BigInt(before.terms!.penalty);
  const bond = BigInt(before.bonds.find((b) => b.providerLabel === 'Demo maintenance crew')!.balance);
  const status = await api<{ broker: { url: string | null; connected: boolean } }>(
    client,
    'sensors.configure',
    broker.mode === 'external'
      ? { enabled: true, brokerMode: 'external', brokerUrl: broker.url, relay: true }
      : { enabled: true, brokerMode: 'embedded', port: 0, relay: true },
  );
  const url = broker.mode === 'external' ? broker.url : status.broker.url;
  expect(url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
  await poll(
    'the gateway connected to its broker',
    async () => {
      const s = await api<{ broker: { connected: boolean } }>(client, 'sensors.status', {});
      return s.broker.connected;
    },
    20_000,
  );

  await openOrders(page, seeded);
  await expect(page.getByTestId('work-order-card')).toHaveCount(0);

  const simulator = simulate(url!);
  let breachAt = 0;
  try {
    // The first reading above the threshold arrives at the gateway: the 10 s clock starts there.
    await poll(
      'a breaching reading stored',
      async () => {
        const series = await api<{ points: { max: number }[] }>(client, 'sensors.series', {
          mappingId: pump.id,
          from: Date.now() - 120_000,
          to: Date.now() + 1000,
          points: 500,
        });
        if (series.points.some((p) => p.max > 7.1)) breachAt = Date.now();
        return breachAt > 0;
      },
      30_000,
    );
    // Within 10 s the vibration rule's order is on chain, indexed (the API answers from the index)
    // and on the board.
    const onChain = await poll(
      'the vibration work order indexed',
      async () => {
        const { orders } = await api<{ orders: { orderId: string; trigger: { metric: string } | null }[] }>(
          client,
          'maintenance.workOrders',
          { twinId },
        );
        return orders.find((o) => o.trigger?.metric === pump.metric);
      },
      10_000,
    );
    const indexedAfter = Date.now() - breachAt;
    await expect(
      page.locator(`[data-testid="work-order-card"][data-order-id="${onChain.orderId}"]`),
    ).toBeVisible({
      timeout: Math.max(1, 10_000 - indexedAfter),
    });
    const shownAfter = Date.now() - breachAt;
    console.log(
      `[${label}] breaching reading stored -> work order indexed in ${indexedAfter} ms, on the board in ${shownAfter} ms`,
    );
    expect(shownAfter).toBeLessThan(10_000);
  } finally {
    simulator.kill('SIGTERM');
  }

  // On chain and indexed: the API answers from the index. (Pump 1's temperature drifts too and may
  // open its own order: the journey follows the vibration order.)
  const { orders } = await api<{
    orders: { orderId: string; number: number; column: string; trigger: { metric: string } | null }[];
  }>(client, 'maintenance.workOrders', { twinId });
  const order = orders.find((o) => o.trigger?.metric === pump.metric)!;
  expect(order).toBeDefined();
  expect(order.column).toBe('open');
  const card = page.locator(`[data-testid="work-order-card"][data-order-id="${order.orderId}"]`);
  await expect(card).toHaveAttribute('data-column', 'open');
  await expect(card.getByTestId('wo-trigger')).toContainText(/vibration_mm_s 7\.\d+ > 7\.1/);
  await expect(card.getByTestId('provider-bond')).toHaveText(eth(bond));
  await expect(card.getByTestId('clock-response')).toContainText(/left/);
  await page.screenshot({ path: `${screenshots}/maintenance-${label}-board.png` });

  // The maintenance timeline shows it too.
  await page.getByRole('tab', { name: 'Maintenance' }).click();
  await expect(page.getByText(`Work order WO-${order.number} opened`).first()).toBeVisible({
    timeout: 10_000,
  });
  await page.screenshot({ path: `${screenshots}/maintenance-${label}-timeline.png` });

  // A day later the response deadline has passed: the order is overdue and anyone may enforce.
  await page.getByRole('tab', { name: 'Orders' }).click();
  await page.getByTestId('advance-clock-day').click();
  await expect(card).toHaveAttribute('data-column', 'overdue', { timeout: 10_000 });
  await card.getByTestId('enforce-response').click();
  await expect(card.getByTestId('escalation')).toContainText('escalated to Demo planner', {
    timeout: 10_000,
  });
  await expect(card.getByTestId('provider-bond')).toHaveText(eth(bond - penalty));
  await expect(card.getByTestId('clock-response')).toContainText(`${eth(penalty)} penalty paid`);
  await page.getByRole('tab', { name: 'SLA & bonds' }).click();
  await expect(
    page.getByTestId('claimable').getByRole('row').filter({ hasText: 'Demo owner' }),
  ).toContainText(eth(penalty));
  await expect(
    page.getByTestId('bonds').getByRole('row').filter({ hasText: 'Demo maintenance crew' }),
  ).toContainText(eth(bond - penalty));
  await page.screenshot({ path: `${screenshots}/maintenance-${label}-enforced.png` });

  // The chain agrees: the bond lost exactly one penalty, the owner can claim it.
  const after = await api<Overview>(client, 'maintenance.overview', { twinId });
  expect(BigInt(after.bonds.find((b) => b.providerLabel === 'Demo maintenance crew')!.balance)).toBe(
    bond - penalty,
  );
  expect(BigInt(after.claimable.find((c) => c.accountLabel === 'Demo owner')!.balance)).toBe(penalty);
  await page.getByRole('tab', { name: 'Maintenance' }).click();
  await expect(page.getByText(`SLA response breach of WO-${order.number} penalised`).first()).toBeVisible({
    timeout: 10_000,
  });
  if (label !== 'embedded') return;

  // The crew closes the order on site without a network: signed now, pending until the chain is back.
  await page.getByTestId('identity').click();
  await page.getByRole('menuitemradio', { name: /Demo maintenance crew/ }).click();
  await expect(page.getByTestId('identity')).toContainText('Demo maintenance crew');
  await page.getByTestId('sandbox-node-toggle').click();
  await expect(page.getByTestId('sandbox-node-toggle')).toHaveText('Go online', { timeout: 10_000 });
  await page.getByRole('tab', { name: 'Orders' }).click();
  await page.getByRole('tab', { name: 'Board' }).click();
  await expect(page.getByTestId('board-offline')).toBeVisible();
  await expect(card.getByTestId('accept-work-order')).toBeDisabled();
  await card.getByTestId('complete-work-order').click();
  await page
    .getByTestId('complete-notes')
    .fill('Bearing replaced and pump realigned; vibration back to 2.1 mm/s.');
  await page.getByTestId('complete-dialog-submit').click();
  await expect(card.getByTestId('pending-completion')).toContainText('waiting for the chain', {
    timeout: 10_000,
  });
  await expect(card).toHaveAttribute('data-status', 'assigned');
  await page.screenshot({ path: `${screenshots}/maintenance-${label}-offline-completion.png` });
  await page.getByTestId('sandbox-node-toggle').click();
  await expect(card).toHaveAttribute('data-column', 'done', { timeout: 30_000 });
  await expect(card).toHaveAttribute('data-status', 'completed');
  await expect(card.getByTestId('pending-completion')).toHaveCount(0);
  await expect(card).toContainText('Completed by Demo maintenance crew');
  await page.screenshot({ path: `${screenshots}/maintenance-${label}-completed.png` });

  // Terms in an ERC-20: the owner picks the sandbox's test token; the crew bonds in it (approved,
  // then posted), beside its ETH bond.
  await page.getByTestId('identity').click();
  await page.getByRole('menuitemradio', { name: /Demo owner/ }).click();
  await expect(page.getByTestId('identity')).toContainText('Demo owner');
  await page.getByRole('tab', { name: 'SLA & bonds' }).click();
  await page.getByTestId('edit-sla').click();
  await page.getByTestId('use-sandbox-credit').click();
  await page.getByLabel(/Penalty per breach/).fill('1');
  await page.getByRole('button', { name: 'Set terms' }).click();
  await expect(page.getByTestId('sla-terms')).toContainText('1 TLC', { timeout: 15_000 });
  await page.getByTestId('identity').click();
  await page.getByRole('menuitemradio', { name: /Demo maintenance crew/ }).click();
  await expect(page.getByTestId('identity')).toContainText('Demo maintenance crew');
  await page.getByLabel('Bond amount in TLC').fill('5');
  await page.getByTestId('post-bond').click();
  await expect(page.getByTestId('bonds').getByRole('row').filter({ hasText: 'TLC' })).toContainText('5 TLC', {
    timeout: 15_000,
  });
  await expect(page.getByTestId('bonds').getByRole('row').filter({ hasText: 'TLC' })).toContainText(
    '5 penalties',
  );
  await page.screenshot({ path: `${screenshots}/maintenance-${label}-token-bond.png` });

  // A breach under the token terms pays its penalty in TLC, beside the ETH one: the owner's panel
  // offers a withdrawal per asset, and the TLC one withdraws TLC.
  await page.getByTestId('identity').click();
  await page.getByRole('menuitemradio', { name: /Demo owner/ }).click();
  await expect(page.getByTestId('identity')).toContainText('Demo owner');
  const tokenOrder = await api<{ orderId: string | null }>(client, 'maintenance.openWorkOrder', {
    twinId,
    element: { elementKey: pump.elementKey },
    kind: 'inspect seal',
  });
  await page.getByRole('tab', { name: 'Orders' }).click();
  await page.getByRole('tab', { name: 'Board' }).click();
  await page.getByTestId('advance-clock-day').click();
  await poll('the token order enforceable', async () => {
    const r = (await client.call('maintenance.enforce', {
      twinId,
      orderId: tokenOrder.orderId,
      breach: 'response',
    })) as { ok: boolean };
    return r.ok;
  });
  await page.getByRole('tab', { name: 'SLA & bonds' }).click();
  await expect(page.getByRole('button', { name: 'Withdraw 1 TLC' })).toBeVisible({ timeout: 15_000 });
  const ethWithdrawal = page.getByRole('button', { name: /^Withdraw [0-9.]+ ETH$/ });
  await expect(ethWithdrawal).toBeVisible();
  await page.getByRole('button', { name: 'Withdraw 1 TLC' }).click();
  await expect(page.getByRole('button', { name: 'Withdraw 1 TLC' })).toHaveCount(0, { timeout: 15_000 });
  // The ETH penalties are still there to withdraw: only the TLC one went.
  await expect(ethWithdrawal).toBeVisible();
}

test.describe('maintenance and SLA', () => {
  test('through a real mosquitto broker: breach, work order, deadline, penalty, escalation', async ({
    page,
    seeded,
    client,
  }) => {
    test.skip(mosquittoMissing !== null, mosquittoMissing ?? '');
    test.setTimeout(240_000);
    let broker: Mosquitto | null = null;
    try {
      broker = await startMosquitto();
      await journey(page, seeded, client, { mode: 'external', url: broker.url }, 'mosquitto');
    } finally {
      await broker?.stop();
    }
  });

  test('through the embedded broker: breach, work order, deadline, penalty, escalation', async ({
    page,
    seeded,
    client,
  }) => {
    test.setTimeout(240_000);
    await journey(page, seeded, client, { mode: 'embedded' }, 'embedded');
  });
});
