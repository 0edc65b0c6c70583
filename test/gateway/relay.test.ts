// Relaying on a real EDR chain with the compiled maintenance contract: the gateway reads the rules
// from the chain, a reading that starts breaching one is signed by the sensor key in the vault
// (EIP-712, verified here and by the contract), sent in a batch, recorded on chain and opens a work
// order there; readings that breach nothing never reach the chain; a dropped chain leaves the breach
// queued durably until it comes back; a reading the contract refuses is marked failed with the
// reason in words. Readings arrive over MQTT, through the embedded broker and through mosquitto.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBytes32String, verifyTypedData } from 'ethers';
import type { MqttClient } from 'mqtt';
import { openDatabase } from '../../src/main/store/database';
import { Vault } from '../../src/main/vault/vault';
import { passphraseOnly } from '../../src/main/vault/secret-protector';
import { demoWallet } from '../../src/main/vault/demo-identities';
import type { Eip1193Provider } from '../../src/main/chain/embedded-chain';
import { GatewayService } from '../../src/main/gateway/gateway-service';
import { ChainRules } from '../../src/main/gateway/chain-rules';
import { ReadingRelay } from '../../src/main/gateway/relay';
import { StaticRules } from '../../src/main/gateway/rules';
import {
  READING_TYPES,
  maintenanceDomain,
  maintenanceInterface,
} from '../../src/main/gateway/maintenance-abi';
import { MaintenanceLab, PUMP, PUMP_GLOBAL_ID } from '../maintenance/fixture';
import { connectClient, endClient, mosquittoMissing, publish, startMosquitto, until } from './brokers';
import { payload, quietLogger } from './fixture';

const TOPIC = 'sensors/duplex/pump-1/vibration';
const TEMPERATURE_TOPIC = 'sensors/duplex/pump-1/temperature';

interface World {
  lab: MaintenanceLab;
  dbPath: string;
  provider: Eip1193Provider;
  target: () => { chainId: number; maintenance: string };
  gateway: GatewayService;
  relay: ReadingRelay;
  rules: ChainRules;
  vault: Vault;
  client: MqttClient;
  chainOnline: { value: boolean };
  close(): Promise<void>;
}

async function world(brokerMode: 'embedded' | 'external'): Promise<World> {
  const lab = await MaintenanceLab.start();
  await lab.configure();
  const dir = mkdtempSync(join(tmpdir(), 'twinledger-gateway-relay-'));
  const dbPath = join(dir, 'twins.sqlite');
  const db = openDatabase(dbPath);
  db.prepare('INSERT INTO twins (id, name, created_at, chain_twin_id) VALUES (?, ?, ?, ?)').run(
    'twin-1',
    'Duplex',
    Date.now(),
    lab.twinId.toString(),
  );
  db.close();
  const vault = new Vault({
    dataDir: dir,
    protector: passphraseOnly('test'),
    idleLockMinutes: () => 0,
    demoChainIds: [lab.chainId],
  });
  await vault.addDemoIdentities();
  const chainOnline = { value: true };
  // The chain as the gateway sees it: unreachable while `chainOnline` is false.
  const provider: Eip1193Provider = {
    request: async (args) => {
      if (!chainOnline.value)
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8545'), { code: -32603 });
      return lab.chain.request(args);
    },
  };
  const target = () => ({ chainId: lab.chainId, maintenance: lab.maintenance });
  let gateway: GatewayService | null = null;
  const rules = new ChainRules({
    provider: () => provider,
    target,
    chainTwinId: (twinId) => gateway?.store.chainTwinIdOf(twinId) ?? null,
    channels: () => gateway?.store.listMappings() ?? [],
    logger: quietLogger,
  });
  let relay!: ReadingRelay;
  const mosquitto = brokerMode === 'external' ? await startMosquitto() : null;
  gateway = new GatewayService({
    dbPath,
    rules,
    logger: quietLogger,
    flushIntervalMs: 10,
    configOverride: mosquitto
      ? { brokerMode: 'external', brokerUrl: mosquitto.url }
      : { brokerMode: 'embedded', port: 0 },
    relay: (store, hooks) =>
      (relay = new ReadingRelay(
        store,
        {
          provider: () => provider,
          target,
          chainTwinId: (twinId) => store.chainTwinIdOf(twinId),
          signTypedData: (request) => vault.signTypedData(request),
          transactionSigner: (identityId, ethersProvider, chainId) =>
            vault.connectedSigner(identityId, ethersProvider, chainId),
          onBatchLanded: () => void rules.refresh(),
          logger: quietLogger,
          retryMs: 50,
        },
        hooks,
      )),
  });
  for (const [topic, metric] of [
    [TOPIC, 'vibration_mm_s'],
    [TEMPERATURE_TOPIC, 'temperature_c'],
  ] as const)
    gateway.addMapping({
      twinId: 'twin-1',
      element: { globalId: PUMP_GLOBAL_ID },
      topic,
      metric,
      minValue: -40,
      maxValue: 200,
      signerIdentityId: 'demo-sensor',
    });
  await gateway.start();
  await rules.refresh();
  if (mosquitto) await until(() => gateway.status().broker.connected, 5000, 'the gateway to connect');
  await new Promise((r) => setTimeout(r, 150));
  const client = await connectClient(mosquitto?.url ?? gateway.status().broker.url!);
  const service = gateway;
  return {
    lab,
    dbPath,
    provider,
    target,
    gateway: service,
    relay,
    rules,
    vault,
    client,
    chainOnline,
    close: async () => {
      await endClient(client);
      await service.close();
      vault.close();
      await mosquitto?.stop();
      await lab.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** ReadingRecorded logs of the maintenance contract so far. */
async function recordedOnChain(lab: MaintenanceLab): Promise<bigint[]> {
  const event = maintenanceInterface.getEvent('ReadingRecorded')!;
  const logs = (await lab.chain.request({
    method: 'eth_getLogs',
    params: [{ address: lab.maintenance, fromBlock: '0x0', toBlock: 'latest', topics: [event.topicHash] }],
  })) as { topics: string[]; data: string }[];
  return logs.map((log) => maintenanceInterface.parseLog(log)!.args.value as bigint);
}

const cases = [
  { name: 'embedded broker', mode: 'embedded' as const, skip: null },
  { name: 'mosquitto', mode: 'external' as const, skip: mosquittoMissing },
];

describe.each(cases)('relaying through the $name', ({ mode, skip }) => {
  let w: World;
  let seq = 0;
  const send = (topic: string, value: number) => publish(w.client, topic, payload(value, ++seq, Date.now()));

  beforeAll(async () => {
    if (!skip) w = await world(mode);
  }, 60_000);
  afterAll(async () => {
    if (!skip) await w.close();
  });

  it.skipIf(skip)('mirrors the contract’s rule and draws it as a threshold', () => {
    const [rule] = w.rules.rulesFor('twin-1', PUMP, 'vibration_mm_s');
    expect(rule).toMatchObject({ comparator: '>', threshold: 7.1, action: 'work order' });
    expect(rule!.label).toContain('inspect pump');
  });

  it.skipIf(skip)(
    'sends only the breaching reading, signed by the sensor key, and it opens a work order',
    async () => {
      const { gateway, lab } = w;
      for (const value of [3.1, 4.2, 6.9]) await send(TOPIC, value);
      await send(TOPIC, 7.6);
      await send(TOPIC, 7.9);
      await until(
        () => gateway.listRelayed({ status: ['confirmed'] }).length === 1,
        10_000,
        'a confirmed reading',
      );
      await until(() => gateway.status().counts.stored >= 5, 5000, 'five stored readings');
      const [item] = gateway.listRelayed({});
      expect(item).toMatchObject({
        value: 7.6,
        status: 'confirmed',
        reason: 'breach',
        signer: demoWallet('sensor').address,
      });
      expect(item!.txHash).toMatch(/^0x[0-9a-f]{64}$/);

      // The stored signature recovers to the sensor key, and the contract computes the same digest.
      const stored = gateway.store.listRelay({}).find((r) => r.id === item!.id)!;
      const message = JSON.parse(stored.message!) as Record<string, string>;
      const domain = maintenanceDomain(lab.chainId, lab.maintenance);
      expect(verifyTypedData(domain, READING_TYPES, message, stored.signature!)).toBe(
        demoWallet('sensor').address,
      );
      expect(message).toMatchObject({
        twinId: '1',
        elementKey: PUMP,
        metric: encodeBytes32String('vibration_mm_s'),
        value: '7600',
      });

      // On chain: exactly that one reading, and the rule opened a work order for the pump.
      expect(await recordedOnChain(lab)).toEqual([7600n]);
      expect(await lab.view<bigint>('workOrderCount', [lab.twinId])).toBe(1n);
      const orderId = (lab.twinId << 64n) | 1n;
      const order = await lab.view<{ elementKey: string; ruleId: bigint; status: bigint }>('workOrder', [
        orderId,
      ]);
      expect(order.elementKey).toBe(PUMP);
      expect(order.ruleId.toString()).toBe(item!.ruleId);
      expect(gateway.status().counts).toMatchObject({ relayed: 1, relayFailed: 0 });
    },
  );

  it.skipIf(skip)(
    'keeps a breach queued while the chain is unreachable and sends it when it is back',
    async () => {
      const { gateway, lab, chainOnline } = w;
      await send(TOPIC, 5.0); // back to normal: the next breach is a new one
      chainOnline.value = false;
      await send(TOPIC, 8.4);
      await until(
        () => gateway.listRelayed({}).some((r) => r.value === 8.4 && r.attempts > 0 && r.status === 'queued'),
        10_000,
        'a failed attempt',
      );
      const waiting = gateway.listRelayed({}).find((r) => r.value === 8.4)!;
      expect(waiting.error).toMatch(/ECONNREFUSED|not reachable|not answering|prepare/);
      expect(gateway.status().relay.waiting).not.toBeNull();
      expect(gateway.status().relay.pending).toBe(1);
      expect(await recordedOnChain(lab)).toEqual([7600n]);
      chainOnline.value = true;
      await until(
        () => gateway.listRelayed({ status: ['confirmed'] }).length === 2,
        15_000,
        'the queued breach sent',
      );
      expect(await recordedOnChain(lab)).toEqual([7600n, 8400n]);
      // The rule already has an open order: the contract records the reading, opens no second one.
      expect(await lab.view<bigint>('workOrderCount', [lab.twinId])).toBe(1n);
      expect(gateway.status().relay).toMatchObject({ waiting: null, pending: 0 });
    },
  );

  it.skipIf(skip)('marks a reading the contract refuses as failed, with the reason in words', async () => {
    const { gateway, lab } = w;
    // The chain's temperature channel names another key (rotated there): the contract refuses
    // the readings this gateway signs with the demo sensor key.
    const temperature = encodeBytes32String('temperature_c');
    await lab.call('owner', 'registerSensor', [
      lab.twinId,
      PUMP,
      temperature,
      demoWallet('engineer').address,
      -40_000,
      200_000,
    ]);
    await lab.call('owner', 'addConditionRule', [
      lab.twinId,
      PUMP,
      temperature,
      0,
      80_000,
      2,
      encodeBytes32String('hot'),
    ]);
    await w.rules.refresh();
    expect(w.rules.rulesFor('twin-1', PUMP, 'temperature_c')).toEqual([
      expect.objectContaining({ comparator: '>', threshold: 80, action: 'alert' }),
    ]);
    await send(TEMPERATURE_TOPIC, 85);
    await until(() => gateway.listRelayed({ status: ['failed'] }).length === 1, 10_000, 'a refused reading');
    const [failed] = gateway.listRelayed({ status: ['failed'] });
    expect(failed!.error).toContain('the signature is not the registered sensor key');
    expect(failed!.error).toContain('MaintenanceReadingInvalidSignature');
    expect(await recordedOnChain(lab)).toEqual([7600n, 8400n]);
    expect(gateway.status().counts.relayFailed).toBe(1);
  });

  it.skipIf(skip)('sends a breach queued before a restart once the gateway runs again', async () => {
    const { lab, chainOnline } = w;
    const before = await recordedOnChain(lab);
    await send(TOPIC, 5.0);
    chainOnline.value = false;
    await send(TOPIC, 9.0);
    await until(
      () => w.gateway.listRelayed({}).some((r) => r.value === 9 && r.attempts > 0),
      10_000,
      'a failed attempt',
    );
    await w.gateway.close();
    chainOnline.value = true;
    // A new process: same database, no broker, the relay picks up what the old one left.
    const reopened = new GatewayService({
      dbPath: w.dbPath,
      rules: new StaticRules(),
      logger: quietLogger,
      configOverride: { enabled: false },
      relay: (store, hooks) =>
        new ReadingRelay(
          store,
          {
            provider: () => w.provider,
            target: w.target,
            chainTwinId: (twinId) => store.chainTwinIdOf(twinId),
            signTypedData: (request) => w.vault.signTypedData(request),
            transactionSigner: (identityId, ethersProvider, chainId) =>
              w.vault.connectedSigner(identityId, ethersProvider, chainId),
            logger: quietLogger,
            retryMs: 50,
          },
          hooks,
        ),
    });
    try {
      await until(
        () => reopened.listRelayed({}).some((r) => r.value === 9 && r.status === 'confirmed'),
        10_000,
        'the queued breach confirmed after the restart',
      );
      expect(await recordedOnChain(lab)).toEqual([...before, 9000n]);
    } finally {
      await reopened.close();
    }
  });
});
