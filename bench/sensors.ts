// `npm run bench:sensors`: the gateway's ingest rate from MQTT into SQLite (validated, stored with
// rollups, rules evaluated) against the broker's own delivery rate to a plain subscriber that only
// counts messages (the ceiling), on Debian's mosquitto and on the embedded aedes broker. The
// publisher is the simulator's flood mode in its own process. Bound: at least 20,000 readings/s.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { EmbeddedBroker } from '../src/main/gateway/broker';
import { GatewayService } from '../src/main/gateway/gateway-service';
import { StaticRules, type LocalRule } from '../src/main/gateway/rules';
import { elementKeyOf } from '../src/shared/fingerprint';
import { mosquittoMissing, startMosquitto } from '../test/gateway/brokers';

const COUNT = Number(process.env.SENSOR_BENCH_COUNT ?? 100_000);
const TOPICS = 100;
const ROUNDS = Number(process.env.SENSOR_BENCH_ROUNDS ?? 2);
const BOUND = 20_000;
const quiet = { info: () => {}, warn: () => {}, error: (m: string, e?: unknown) => console.error(m, e) };

/** Runs the flood publisher in its own process; resolves with what it printed. */
function publishFlood(url: string, prefix: string): Promise<{ published: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join('node_modules', '.bin', 'tsx'),
      [
        'src/main/gateway/simulator.ts',
        '--broker',
        url,
        '--flood',
        String(COUNT),
        '--topics',
        String(TOPICS),
        '--prefix',
        prefix,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk) => (out += String(chunk)));
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)!))
        : reject(new Error(`publisher exited ${code}`)),
    );
  });
}

/** Polls `count()` until it reaches COUNT; answers the rate from the first message to the last. */
async function measure(
  count: () => number,
  firstAt: () => number | null,
  timeoutMs = 120_000,
): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (count() < COUNT) {
    if (Date.now() > until) throw new Error(`only ${count()} of ${COUNT} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
  const end = performance.now();
  return COUNT / ((end - firstAt()!) / 1000);
}

/** The ceiling: a plain MQTT.js subscriber on the external broker that counts messages. */
async function plainSubscriber(url: string, prefix: string): Promise<number> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  let received = 0;
  let first: number | null = null;
  client.on('message', () => {
    first ??= performance.now();
    received++;
  });
  await client.subscribeAsync(`${prefix}/#`, { qos: 0 });
  const publishing = publishFlood(url, prefix);
  const rate = await measure(
    () => received,
    () => first,
  );
  await publishing;
  await client.endAsync();
  return rate;
}

/** The ceiling of the embedded broker: aedes handing each message over in-process, counted only. */
async function plainEmbedded(prefix: string): Promise<number> {
  let received = 0;
  let first: number | null = null;
  const broker = await EmbeddedBroker.start({
    port: 0,
    openToNetwork: false,
    credentials: { authenticate: async () => true, mayPublish: () => true },
    onMessage: () => {
      first ??= performance.now();
      received++;
    },
  });
  const publishing = publishFlood(broker.url, prefix);
  const rate = await measure(
    () => received,
    () => first,
  );
  await publishing;
  await broker.close();
  return rate;
}

/** The gateway: every reading parsed, checked, stored with rollups, its rules evaluated. */
async function gatewayRun(
  mode: 'embedded' | 'external',
  url: string | null,
  prefix: string,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'twinledger-bench-sensors-'));
  const rules: LocalRule[] = [];
  const ruleSource = new StaticRules();
  const service = new GatewayService({
    dbPath: join(dir, 'twins.sqlite'),
    rules: ruleSource,
    logger: quiet,
    configOverride:
      mode === 'embedded'
        ? { brokerMode: 'embedded', port: 0, relay: true }
        : { brokerMode: 'external', brokerUrl: url, topicFilter: `${prefix}/#`, relay: true },
  });
  for (let i = 0; i < TOPICS; i++) {
    const globalId = `bench-element-${i}`;
    service.addMapping({
      twinId: 'bench-twin',
      element: { globalId },
      topic: `${prefix}/${i}`,
      metric: 'temperature_c',
      unit: '°C',
      minValue: -40,
      maxValue: 200,
    });
    // A rule per channel that these readings never breach: evaluated on every reading, never relayed.
    rules.push({
      id: String(i + 1),
      twinId: 'bench-twin',
      elementKey: elementKeyOf(globalId),
      metric: 'temperature_c',
      comparator: '>',
      threshold: 150,
      action: 'work order',
      label: '> 150',
      active: true,
    });
  }
  ruleSource.set(rules);
  await service.start();
  const status = service.status();
  const brokerUrl = mode === 'embedded' ? status.broker.url! : url!;
  if (mode === 'external') {
    const until = Date.now() + 10_000;
    while (!service.status().broker.connected && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
  }
  let first: number | null = null;
  const publishing = publishFlood(brokerUrl, prefix);
  const rate = await measure(
    () => {
      const s = service.counts();
      if (s.received > 0) first ??= performance.now();
      return s.stored;
    },
    () => first,
  );
  await publishing;
  const final = service.status();
  const stored = final.counts.stored;
  const rejected = final.counts.rejectedTotal;
  await service.close();
  rmSync(dir, { recursive: true, force: true });
  if (stored !== COUNT || rejected !== 0)
    throw new Error(`stored ${stored}, rejected ${rejected} of ${COUNT}`);
  if (final.counts.relayQueued !== 0)
    throw new Error('a reading that breaches nothing was queued for the chain');
  return rate;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  console.log(`sensor ingest: ${fmt(COUNT)} readings over ${TOPICS} topics, QoS 0, best of ${ROUNDS} rounds`);
  const load = () => `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`;
  console.log(`machine: ${load()} at start`);
  const rows: { broker: string; ceiling: number; gateway: number }[] = [];
  let round = 0;
  const best = async (run: () => Promise<number>) => {
    let top = 0;
    for (let i = 0; i < ROUNDS; i++) top = Math.max(top, await run());
    return top;
  };
  if (mosquittoMissing) console.log(`mosquitto: skipped (${mosquittoMissing})`);
  else {
    const mosquitto = await startMosquitto();
    try {
      const ceiling = await best(() => plainSubscriber(mosquitto.url, `bench${++round}`));
      const gateway = await best(() => gatewayRun('external', mosquitto.url, `bench${++round}`));
      rows.push({ broker: 'mosquitto 2 (external)', ceiling, gateway });
    } finally {
      await mosquitto.stop();
    }
  }
  const ceiling = await best(() => plainEmbedded(`bench${++round}`));
  const gateway = await best(() => gatewayRun('embedded', null, `bench${++round}`));
  rows.push({ broker: 'aedes (embedded)', ceiling, gateway });

  console.log('');
  console.log('broker                    ceiling (msg/s)   gateway (readings/s)   gateway / ceiling   bound');
  let failed = false;
  for (const row of rows) {
    const ok = row.gateway >= BOUND;
    failed ||= !ok;
    console.log(
      `${row.broker.padEnd(24)}  ${fmt(row.ceiling).padStart(15)}   ${fmt(row.gateway).padStart(20)}   ${(row.gateway / row.ceiling).toFixed(2).padStart(17)}   ${ok ? 'ok' : 'FAIL'} (>= ${fmt(BOUND)}/s)`,
    );
  }
  console.log(`machine: ${load()} at the end`);
  for (const row of rows)
    if (row.ceiling < BOUND)
      console.log(
        `note: ${row.broker} delivers only ${fmt(row.ceiling)} msg/s to a plain MQTT.js subscriber here, ` +
          'below the bound itself: the machine is too busy to judge that row.',
      );
  if (failed) {
    console.log(`\nFAIL: the gateway ingested fewer than ${fmt(BOUND)} readings/s`);
    process.exitCode = 1;
  }
}

await main();
