// Where readings come from: the embedded aedes broker (default; 127.0.0.1 unless opened to the
// network, and then every client must log in with its own sensor credentials), or an external
// broker the gateway subscribes to with MQTT.js. Both hand each message to one callback.
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';

export type MessageHandler = (topic: string, payload: Buffer) => void;

export interface ReadingSource {
  readonly mode: 'embedded' | 'external';
  /** Where sensors connect (credentials removed). */
  readonly url: string;
  readonly port: number | null;
  connected(): boolean;
  clients(): number;
  /** Subscribes to more topics (external brokers: mapped topics outside the filter). */
  setTopics?(topics: string[]): void;
  close(): Promise<void>;
}

export interface CredentialCheck {
  /** Answers whether the username and password are right (constant-time compare of scrypt hashes). */
  authenticate(username: string, password: Buffer): Promise<boolean>;
  /** Whether that username may publish on the topic. */
  mayPublish(username: string, topic: string): boolean;
}

export interface EmbeddedBrokerOptions {
  port: number;
  /** Listen on every interface (credentials required) instead of 127.0.0.1. */
  openToNetwork: boolean;
  credentials: CredentialCheck;
  onMessage: MessageHandler;
  /** A client published where its credentials do not allow (counted as 'unauthorized'). */
  onUnauthorized?: (topic: string, detail: string) => void;
  /** A connection with missing or wrong credentials was refused. */
  onLoginRefused?: (username: string | undefined, detail: string) => void;
  onClientsChanged?: () => void;
}

function authError(message: string): AuthenticateError {
  const error = new Error(message) as AuthenticateError;
  error.returnCode = 4; // BAD_USERNAME_OR_PASSWORD
  return error;
}

/** The embedded broker: aedes on a TCP port, messages handed over in-process. */
export class EmbeddedBroker implements ReadingSource {
  readonly mode = 'embedded' as const;
  private constructor(
    private readonly broker: Aedes,
    private readonly server: Server,
    readonly port: number,
    private readonly host: string,
    private readonly sockets: Set<Socket>,
  ) {}

  get url(): string {
    return `mqtt://${this.host === '0.0.0.0' ? '127.0.0.1' : this.host}:${this.port}`;
  }

  static async start(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
    const network = options.openToNetwork;
    const usernames = new WeakMap<Client, string>();
    const broker = await Aedes.createBroker({
      // Each sensor its own login when the broker is reachable from the network.
      authenticate: (client, username, password, done) => {
        if (!network) return done(null, true);
        if (!username || !password) {
          options.onLoginRefused?.(username, 'no username or password');
          return done(authError('This broker requires a sensor username and password.'), false);
        }
        options.credentials.authenticate(username, password).then(
          (ok) => {
            if (!ok) {
              options.onLoginRefused?.(username, 'wrong username or password');
              return done(authError('Wrong sensor username or password.'), false);
            }
            usernames.set(client, username);
            done(null, true);
          },
          () => done(authError('Credentials could not be checked.'), false),
        );
      },
      authorizePublish: (client, packet, done) => {
        if (packet.topic.startsWith('$SYS')) return done(new Error('$SYS topics are reserved'));
        if (network && client) {
          const username = usernames.get(client);
          if (!username || !options.credentials.mayPublish(username, packet.topic)) {
            options.onUnauthorized?.(packet.topic, `${username ?? 'unknown client'} may not publish here`);
            return done(new Error('not authorized to publish on this topic'));
          }
        }
        done(null);
      },
      // Sensors publish; in network mode nobody else may read their readings off the broker.
      authorizeSubscribe: (_client, subscription, done) => {
        if (network) return done(new Error('subscriptions are closed on a network-open gateway broker'));
        done(null, subscription);
      },
    });
    broker.on('publish', (packet, client) => {
      if (!client || packet.topic.startsWith('$SYS')) return;
      options.onMessage(packet.topic, packet.payload as Buffer);
    });
    broker.on('client', () => options.onClientsChanged?.());
    broker.on('clientDisconnect', () => options.onClientsChanged?.());
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      broker.handle(socket);
    });
    const host = network ? '0.0.0.0' : '127.0.0.1';
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'EADDRINUSE'
          ? `Port ${options.port} on ${host} is already in use: choose another port for the sensor broker.`
          : `The sensor broker could not listen on ${host}:${options.port} (${(error as Error).message}).`,
        { cause: error },
      );
    }
    const port = (server.address() as { port: number }).port;
    return new EmbeddedBroker(broker, server, port, host, sockets);
  }

  connected(): boolean {
    return this.server.listening;
  }

  clients(): number {
    return this.broker.connectedClients;
  }

  async close(): Promise<void> {
    // server.close waits for every connection to end: sensors keep theirs open, so drop them.
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
  }
}

/** The URL without user or password (for status and logs). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

export interface ExternalBrokerOptions {
  url: string;
  /** Topic filters to subscribe to besides the mapped topics (e.g. "sensors/#"). */
  filter: string;
  topics: string[];
  onMessage: MessageHandler;
  onState?: (connected: boolean, error: string | null) => void;
}

/** An external broker (mosquitto, a site's broker): MQTT.js subscribes, reconnecting on its own. */
export class ExternalBroker implements ReadingSource {
  readonly mode = 'external' as const;
  readonly port = null;
  readonly url: string;
  private subscribed = new Set<string>();

  private constructor(
    private readonly client: MqttClient,
    private readonly options: ExternalBrokerOptions,
  ) {
    this.url = redactUrl(options.url);
  }

  static start(options: ExternalBrokerOptions): ExternalBroker {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new Error('The broker URL is not a URL (expected mqtt://host:port).');
    }
    if (!['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:'].includes(parsed.protocol)) {
      throw new Error(
        `The broker URL must start with mqtt://, mqtts://, ws:// or wss:// (not ${parsed.protocol}).`,
      );
    }
    const client = mqtt.connect(options.url, {
      clientId: `twinledger-gateway-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      // QoS 0 messages are not queued by MQTT.js while offline; nothing else is published.
      queueQoSZero: false,
    });
    const broker = new ExternalBroker(client, options);
    client.on('message', (topic, payload) => options.onMessage(topic, payload));
    client.on('connect', () => {
      broker.subscribed = new Set();
      broker.subscribeAll();
      options.onState?.(true, null);
    });
    client.on('close', () => options.onState?.(false, null));
    client.on('error', (error) => options.onState?.(client.connected, `Sensor broker: ${error.message}`));
    return broker;
  }

  connected(): boolean {
    return this.client.connected;
  }

  clients(): number {
    return 0;
  }

  setTopics(topics: string[]): void {
    this.options.topics = topics;
    if (this.client.connected) this.subscribeAll();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.client.end(true, {}, () => resolve()));
  }

  private subscribeAll(): void {
    const wanted = [this.options.filter, ...this.options.topics].filter(
      (topic) => topic && !this.subscribed.has(topic),
    );
    if (wanted.length === 0) return;
    for (const topic of wanted) this.subscribed.add(topic);
    this.client.subscribe(wanted, { qos: 0 }, (error) => {
      if (error) {
        for (const topic of wanted) this.subscribed.delete(topic);
        this.options.onState?.(
          this.client.connected,
          `Sensor broker refused a subscription: ${error.message}`,
        );
      }
    });
  }
}
