// Test helpers for the serve host: start the real services and host on a free port, and open API
// sockets the way a browser would (or deliberately not).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { decode } from '@msgpack/msgpack';
import { createServiceHost, type ServiceHost } from '../../src/main/services/host';
import { startServeHost, type ServeHandle } from '../../src/main/serve/server';
import type { Logger } from '../../src/main/services/logger';
import { WS_AUTH_PREFIX, WS_PATH, WS_PROTOCOL } from '../../src/shared/protocol';

export const quietLogger: Logger & { lines: string[] } = {
  lines: [],
  info(m) {
    this.lines.push(m);
  },
  warn(m) {
    this.lines.push(m);
  },
  error(m) {
    this.lines.push(m);
  },
};

export interface TestHost {
  dataDir: string;
  services: ServiceHost;
  serve: ServeHandle;
  close(): Promise<void>;
}

export async function startTestHost(): Promise<TestHost> {
  const dataDir = mkdtempSync(join(tmpdir(), 'twinledger-test-'));
  const rendererDir = join(dataDir, 'renderer');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>TwinLedger test</title>');
  const services = createServiceHost({
    dataDir: join(dataDir, 'data'),
    host: 'serve',
    appVersion: '0.0.0-test',
    logger: quietLogger,
  });
  const serve = await startServeHost({ services, rendererDir, port: 0, logger: quietLogger });
  return {
    dataDir,
    services,
    serve,
    close: async () => {
      await serve.close();
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SocketOptions {
  origin?: string;
  protocols?: string[];
  host?: string;
}

/** Opens an API socket; resolves with the socket once open, rejects with the HTTP status if refused. */
export function openSocket(host: TestHost, options: SocketOptions = {}): Promise<WebSocket> {
  const protocols = options.protocols ?? [WS_PROTOCOL, WS_AUTH_PREFIX + host.serve.secret];
  const ws = new WebSocket(`ws://127.0.0.1:${host.serve.port}${WS_PATH}`, protocols, {
    origin: options.origin ?? host.serve.origin,
    headers: options.host ? { host: options.host } : {},
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', (error) => reject(error));
  });
}

export { request } from './socket-request';

/** Waits for the next event frame of a given name. */
export function nextEvent(ws: WebSocket, event: string): Promise<unknown> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const frame = decode(data) as { type: string; event?: string; payload?: unknown };
      if (frame.type === 'event' && frame.event === event) {
        ws.off('message', onMessage);
        resolve(frame.payload);
      }
    };
    ws.on('message', onMessage);
  });
}
