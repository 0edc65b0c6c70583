// `npm run simulate-sensors`: publishes realistic readings over MQTT for the sample Duplex twin's
// pumps and fan (see demo-channels.ts): vibration and bearing temperature start near their normal
// values and drift toward and past the rule threshold, with noise, so a first start shows the whole
// loop (chart, breach, work order on chain). `--flood N` publishes N readings as fast as possible
// (the ingest benchmark's publisher).
import { connect as netConnect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { DEMO_CHANNELS, type DemoChannel } from './demo-channels';

export interface SimulatorOptions {
  broker: string;
  /** Readings per second per channel. */
  rate: number;
  /** Seconds to run (0: until stopped). */
  duration: number;
  /** Seconds a channel takes to drift from its normal value to its threshold. */
  ramp: number;
  /** Which channels (topic substrings: "pump-1", "fan"); empty: pump 1's. */
  elements: string[];
  username?: string;
  password?: string;
  /** Flood mode: publish this many readings as fast as possible over `floodTopics` topics. */
  flood?: number;
  floodTopics?: number;
  floodPrefix?: string;
  quiet?: boolean;
}

const HELP = `Publishes simulated sensor readings over MQTT.

  npm run simulate-sensors -- [--broker mqtt://127.0.0.1:1883] [--rate 2] [--duration 0]
                              [--ramp 60] [--elements pump-1,pump-2,fan-1 | all]
                              [--username NAME --password SECRET]
  npm run simulate-sensors -- --flood 100000 [--topics 100] [--prefix bench/sensor]

  --rate      readings per second per channel (default 2)
  --duration  seconds to run, 0 = until Ctrl-C (default 0)
  --ramp      seconds for a value to drift from normal to its threshold (default 60)
  --elements  which channels: topic parts such as pump-1 or fan-1, or all (default pump-1)
  --flood N   publish N readings as fast as the broker takes them, then exit`;

export function parseArgs(argv: string[]): SimulatorOptions {
  const options: SimulatorOptions = {
    broker: 'mqtt://127.0.0.1:1883',
    rate: 2,
    duration: 0,
    ramp: 60,
    elements: ['pump-1'],
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    const number = (min: number) => {
      const n = Number(value());
      if (!Number.isFinite(n) || n < min) throw new Error(`${flag} must be a number of at least ${min}`);
      return n;
    };
    switch (flag) {
      case '--broker':
        options.broker = value();
        break;
      case '--rate':
        options.rate = number(0.001);
        break;
      case '--duration':
        options.duration = number(0);
        break;
      case '--ramp':
        options.ramp = number(1);
        break;
      case '--elements': {
        const list = value();
        options.elements = list === 'all' ? [] : list.split(',').map((s) => s.trim());
        if (list === 'all') options.elements = DEMO_CHANNELS.map((c) => c.topic);
        break;
      }
      case '--username':
        options.username = value();
        break;
      case '--password':
        options.password = value();
        break;
      case '--flood':
        options.flood = Math.floor(number(1));
        break;
      case '--topics':
        options.floodTopics = Math.floor(number(1));
        break;
      case '--prefix':
        options.floodPrefix = value();
        break;
      case '--quiet':
        options.quiet = true;
        break;
      case '--help':
      case '-h':
        console.log(HELP);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${flag} (see --help)`);
    }
  }
  return options;
}

/** Standard normal noise (Box-Muller). */
function gaussian(): number {
  const u = 1 - Math.random();
  const v = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * The simulated value of a channel `t` seconds in: normal until a tenth of the ramp, then drifting
 * (accelerating, as a failing bearing does) to 20% past the threshold at 1.2 × ramp, then holding.
 */
export function simulatedValue(channel: DemoChannel, t: number, ramp: number, noise = gaussian()): number {
  const progress = Math.min(1.2, Math.max(0, (t - ramp * 0.1) / (ramp * 0.9)));
  const drift = (channel.threshold - channel.baseline) * progress ** 1.6;
  const value = channel.baseline + drift + channel.noise * noise;
  return Math.round(Math.min(channel.maxValue, Math.max(channel.minValue, value)) * 1000) / 1000;
}

function connect(options: SimulatorOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(options.broker, {
      clientId: `twinledger-simulator-${process.pid}`,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
    });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(new Error(`Cannot connect to ${options.broker}: ${error.message}`));
    });
  });
}

/** Runs the realistic simulation; resolves when the duration is over (or never, with 0). */
export async function simulate(options: SimulatorOptions, signal?: AbortSignal): Promise<number> {
  const channels = DEMO_CHANNELS.filter((c) => options.elements.some((e) => c.topic.includes(e)));
  if (channels.length === 0) throw new Error(`no simulated channel matches ${options.elements.join(', ')}`);
  const client = await connect(options);
  const started = Date.now();
  // Sequences start from the clock, so a restarted simulator never replays an earlier run's numbers.
  let seq = started * 1000;
  let published = 0;
  const log = (line: string) => {
    if (!options.quiet) console.log(line);
  };
  log(`publishing ${channels.length} channel(s) at ${options.rate}/s each to ${options.broker}`);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = Date.now();
      const t = (now - started) / 1000;
      for (const channel of channels) {
        const value = simulatedValue(channel, t, options.ramp);
        client.publish(channel.topic, JSON.stringify({ value, ts: now, seq: ++seq }), { qos: 1 });
        published++;
        if (
          published % Math.max(1, Math.round(options.rate * channels.length * 5)) === 0 ||
          value > channel.threshold
        )
          log(
            `${new Date(now).toISOString()} ${channel.topic} ${value} ${channel.unit}${value > channel.threshold ? '  (past the threshold)' : ''}`,
          );
      }
      if ((options.duration > 0 && t >= options.duration) || signal?.aborted) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1000 / options.rate);
    signal?.addEventListener('abort', () => {
      clearInterval(timer);
      resolve();
    });
  });
  await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
  return published;
}

/** MQTT 3.1.1 remaining-length encoding. */
function remainingLength(n: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return bytes;
}

const utf8Field = (text: string): Buffer => {
  const bytes = Buffer.from(text);
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
};

/**
 * Flood mode: N valid readings round-robin over K topics, QoS 0, as fast as the broker takes them.
 * The packets are written straight onto the socket, thousands per write, so the publisher is not
 * what limits the benchmark (MQTT.js publishes ~20k messages/s on one core here).
 */
export async function flood(options: SimulatorOptions): Promise<{ published: number; ms: number }> {
  const total = options.flood ?? 0;
  const url = new URL(options.broker);
  if (url.protocol !== 'mqtt:' && url.protocol !== 'tcp:')
    throw new Error('--flood needs an mqtt:// broker URL');
  const topics = Array.from({ length: options.floodTopics ?? 100 }, (_, i) =>
    utf8Field(`${options.floodPrefix ?? 'bench/sensor'}/${i}`),
  );
  const socket = netConnect(Number(url.port || 1883), url.hostname);
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const flags = 0x02 | (options.username ? 0x80 : 0) | (options.password ? 0x40 : 0);
  const body = Buffer.concat([
    utf8Field('MQTT'),
    Buffer.from([4, flags, 0, 60]),
    utf8Field(`twinledger-flood-${process.pid}`),
    ...(options.username ? [utf8Field(options.username)] : []),
    ...(options.password ? [utf8Field(options.password)] : []),
  ]);
  socket.write(Buffer.concat([Buffer.from([0x10, ...remainingLength(body.length)]), body]));
  await new Promise<void>((resolve, reject) => {
    socket.once('data', (ack) =>
      ack[0] === 0x20 && ack[3] === 0
        ? resolve()
        : reject(new Error(`the broker refused the connection (${ack[3]})`)),
    );
    socket.once('error', reject);
  });
  const started = performance.now();
  const seqBase = Date.now() * 1000;
  let sent = 0;
  while (sent < total) {
    const chunk = Math.min(1000, total - sent);
    const packets: Buffer[] = [];
    const ts = Date.now();
    for (let i = 0; i < chunk; i++, sent++) {
      const topic = topics[sent % topics.length]!;
      const payload = Buffer.from(
        `{"value":${(20 + (sent % 50) / 10).toFixed(1)},"ts":${ts},"seq":${seqBase + sent}}`,
      );
      packets.push(Buffer.from([0x30, ...remainingLength(topic.length + payload.length)]), topic, payload);
    }
    if (!socket.write(Buffer.concat(packets))) await new Promise((resolve) => socket.once('drain', resolve));
  }
  const ms = performance.now() - started;
  await new Promise<void>((resolve) => socket.end(Buffer.from([0xe0, 0x00]), () => resolve()));
  return { published: sent, ms };
}

async function main(): Promise<void> {
  let options: SimulatorOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  try {
    if (options.flood) {
      const { published, ms } = await flood(options);
      console.log(JSON.stringify({ published, ms }));
      return;
    }
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    process.once('SIGTERM', () => controller.abort());
    const published = await simulate(options, controller.signal);
    if (!options.quiet) console.log(`published ${published} readings`);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

const entry = process.argv[1] ?? '';
if (/simulator\.(ts|js|mjs)$/.test(entry) || /simulate-sensors/.test(entry)) void main();
