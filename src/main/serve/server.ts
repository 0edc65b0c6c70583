// The headless serve host: the main services under plain Node, the built renderer over HTTP and the
// API over a WebSocket. Bound to 127.0.0.1 only; a socket must present the per-run secret and come
// from the page this host served (Origin and Host checked, so other sites and DNS rebinding fail).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { decode, encode } from '@msgpack/msgpack';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';
import {
  MAX_FRAME_BYTES,
  RequestFrame,
  WS_AUTH_PREFIX,
  WS_PATH,
  WS_PROTOCOL,
  type EventFrame,
  type ResponseFrame,
} from '../../shared/protocol';
import type { ServiceHost } from '../services/host';
import type { Logger } from '../services/logger';

export interface ServeOptions {
  services: ServiceHost;
  /** Folder of the built renderer (out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** Hex secret; a random 32-byte one when absent. */
  secret?: string;
}

export interface ServeHandle {
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly secret: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export async function startServeHost(options: ServeOptions): Promise<ServeHandle> {
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const rendererDir = resolve(options.rendererDir);
  const server = createServer((req, res) => {
    serveStatic(rendererDir, req, res).catch((error: unknown) => {
      options.logger.error('static file failed', error);
      if (!res.headersSent) res.writeHead(500, SECURITY_HEADERS);
      res.end();
    });
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, '127.0.0.1', () => done());
  });
  const port = (server.address() as { port: number }).port;
  const origin = `http://127.0.0.1:${port}`;
  const allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = new Set([origin, `http://localhost:${port}`]);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = checkUpgrade(req, secret, allowedHosts, allowedOrigins);
    if (refusal) {
      options.logger.warn(`refused API socket: ${refusal.reason}`);
      socket.end(`HTTP/1.1 ${refusal.status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attachClient(ws, options.services, options.logger));
  });

  return {
    url: `${origin}/#token=${secret}`,
    origin,
    port,
    secret,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** Decides whether an upgrade request may open an API socket; answers the refusal, if any. */
export function checkUpgrade(
  req: IncomingMessage,
  secret: string,
  allowedHosts: Set<string>,
  allowedOrigins: Set<string>,
): { status: string; reason: string } | null {
  const path = (req.url ?? '').split('?')[0];
  if (path !== WS_PATH) return { status: '404 Not Found', reason: `path ${path}` };
  if (!allowedHosts.has(req.headers.host ?? '')) {
    return { status: '403 Forbidden', reason: `host ${req.headers.host ?? '(none)'}` };
  }
  if (!allowedOrigins.has(req.headers.origin ?? '')) {
    return { status: '403 Forbidden', reason: `origin ${req.headers.origin ?? '(none)'}` };
  }
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const token = offered.find((p) => p.startsWith(WS_AUTH_PREFIX))?.slice(WS_AUTH_PREFIX.length);
  if (!token || !offered.includes(WS_PROTOCOL) || !secretsEqual(token, secret)) {
    return { status: '401 Unauthorized', reason: 'missing or wrong secret' };
  }
  return null;
}

function secretsEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function attachClient(ws: WebSocket, services: ServiceHost, logger: Logger): void {
  const send = (frame: ResponseFrame | EventFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(encode(frame, { ignoreUndefined: true }));
  };
  const unsubscribe = services.bus.subscribe((event, payload) => send({ type: 'event', event, payload }));
  ws.on('close', unsubscribe);
  ws.on('error', (error) => logger.warn(`API socket error: ${error.message}`));
  ws.on('message', (data, isBinary) => {
    let frame: RequestFrame;
    try {
      if (!isBinary) throw new Error('text frames are not part of the protocol');
      const parsed = RequestFrame.safeParse(decode(data as Buffer));
      if (!parsed.success) throw new Error('not a request frame');
      frame = parsed.data;
    } catch (error) {
      // Without a valid envelope there is no id to answer to: close with "policy violation".
      ws.close(1008, `Malformed frame: ${(error as Error).message}`.slice(0, 120));
      return;
    }
    void services.router
      .dispatch(frame.method, frame.params)
      .then((result) => send({ type: 'response', id: frame.id, result }));
  });
}

async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD' });
    res.end();
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    res.writeHead(400, SECURITY_HEADERS);
    res.end();
    return;
  }
  let file = normalize(join(root, pathname));
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403, SECURITY_HEADERS);
    res.end();
    return;
  }
  const info = await stat(file).catch(() => null);
  if (!info || info.isDirectory()) file = join(root, 'index.html');
  const body = await readFile(file).catch(() => null);
  if (!body) {
    res.writeHead(404, SECURITY_HEADERS);
    res.end('Not found: build the renderer first (npm run build).');
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': file.endsWith('index.html') ? 'no-cache' : 'public, max-age=3600',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
