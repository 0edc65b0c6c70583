// A JSON-RPC endpoint over HTTP on 127.0.0.1 for an EIP-1193 provider (single and batch
// requests). It can stop and start again on the same port, which is how tests take a chain
// "offline" and bring it back.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Eip1193Provider } from './embedded-chain';
import { rpcErrorCodes } from './rpc-errors';

export interface RpcServerOptions {
  /** 0 picks a free port (kept across stop/start). */
  port?: number;
  /** Largest request body accepted (default 16 MiB). */
  maxBodyBytes?: number;
  /** Most requests in one batch (default 1,000). */
  maxBatch?: number;
}

interface JsonRpcRequest {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost'];

export class ChainRpcServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private boundPort: number;

  private constructor(
    private readonly provider: Eip1193Provider,
    private readonly options: RpcServerOptions,
  ) {
    this.boundPort = options.port ?? 0;
  }

  static async start(provider: Eip1193Provider, options: RpcServerOptions = {}): Promise<ChainRpcServer> {
    const server = new ChainRpcServer(provider, options);
    await server.start();
    return server;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get listening(): boolean {
    return this.server !== null;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Stops listening and drops every open connection, like a node that went away. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    // Loopback only, and never from a web page: a page could otherwise reach this node through
    // DNS rebinding or a simple cross-origin POST.
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!LOOPBACK_HOSTS.includes(host) || req.headers.origin !== undefined) {
      reply(
        403,
        rpcError(null, rpcErrorCodes.invalidRequest, 'Requests must come from this machine, not a web page.'),
      );
      return;
    }
    if (req.method !== 'POST') {
      reply(405, rpcError(null, rpcErrorCodes.invalidRequest, 'Send JSON-RPC requests with POST.'));
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req, this.options.maxBodyBytes ?? 16 * 1024 * 1024));
    } catch (error) {
      reply(400, rpcError(null, -32700, `Parse error: ${(error as Error).message}`));
      return;
    }
    if (Array.isArray(body)) {
      const maxBatch = this.options.maxBatch ?? 1000;
      if (body.length === 0 || body.length > maxBatch) {
        reply(400, rpcError(null, rpcErrorCodes.invalidRequest, `A batch holds 1 to ${maxBatch} requests.`));
        return;
      }
      // In order, one after another: a batch of sends must reach the chain in the order given.
      const answers: unknown[] = [];
      for (const item of body) answers.push(await this.answer(item as JsonRpcRequest));
      reply(200, answers);
      return;
    }
    reply(200, await this.answer(body as JsonRpcRequest));
  }

  private async answer(request: JsonRpcRequest): Promise<unknown> {
    const id = typeof request?.id === 'number' || typeof request?.id === 'string' ? request.id : null;
    if (typeof request?.method !== 'string') {
      return rpcError(id, rpcErrorCodes.invalidRequest, 'A request needs a method.');
    }
    const params = request.params === undefined ? [] : request.params;
    if (!Array.isArray(params)) return rpcError(id, rpcErrorCodes.invalidParams, 'params must be an array.');
    try {
      const result = await this.provider.request({ method: request.method, params });
      return { jsonrpc: '2.0', id, result: result ?? null };
    } catch (error) {
      const e = error as { code?: unknown; message?: unknown; data?: unknown };
      const code = typeof e.code === 'number' ? e.code : rpcErrorCodes.internal;
      const message = typeof e.message === 'string' ? e.message : 'Internal error';
      return e.data === undefined
        ? rpcError(id, code, message)
        : { jsonrpc: '2.0', id, error: { code, message, data: e.data } };
    }
  }
}

function rpcError(id: unknown, code: number, message: string) {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error(`body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
