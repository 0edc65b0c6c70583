// ApiClient over the serve host's WebSocket: MessagePack frames, requests matched by id, automatic
// reconnection with backoff; calls made while disconnected fail fast with UNAVAILABLE.
import { decode, encode } from '@msgpack/msgpack';
import type { ApiClient, EventName } from '../../../shared/api';
import {
  MAX_FRAME_BYTES,
  ServerFrame,
  WS_AUTH_PREFIX,
  WS_PROTOCOL,
  type RequestFrame,
} from '../../../shared/protocol';
import type { Result } from '../../../shared/result';
import { createListeners } from './listeners';

const TOKEN_KEY = 'twinledger.serveToken';

/** Reads the secret from `#token=...` once, keeps it for reloads, and removes it from the URL. */
export function takeServeToken(
  location: Pick<Location, 'hash' | 'pathname' | 'search'>,
  storage: Pick<Storage, 'getItem' | 'setItem'>,
  history: Pick<History, 'replaceState'>,
): string | null {
  const match = /(?:^#|&)token=([0-9a-f]{16,128})/.exec(location.hash);
  if (match?.[1]) {
    storage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, '', location.pathname + location.search);
    return match[1];
  }
  return storage.getItem(TOKEN_KEY);
}

export interface SocketClientOptions {
  url: string;
  token: string | null;
}

export function createSocketClient({ url, token }: SocketClientOptions): ApiClient & { close(): void } {
  const listeners = createListeners();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let ready: Promise<WebSocket> | null = null;
  let retryMs = 250;
  let closed = false;

  const failAll = (message: string) => {
    for (const [, resolve] of pending) resolve({ ok: false, error: { code: 'UNAVAILABLE', message } });
    pending.clear();
  };

  const connect = (): Promise<WebSocket> => {
    if (ready) return ready;
    ready = new Promise<WebSocket>((resolve, reject) => {
      if (!token) {
        reject(
          new Error(
            'This page was opened without its access token. Open the URL that `npm run serve` printed.',
          ),
        );
        return;
      }
      const ws = new WebSocket(url, [WS_PROTOCOL, WS_AUTH_PREFIX + token]);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        socket = ws;
        retryMs = 250;
        resolve(ws);
      };
      ws.onmessage = (message) => {
        const parsed = ServerFrame.safeParse(decode(new Uint8Array(message.data as ArrayBuffer)));
        if (!parsed.success) return;
        const frame = parsed.data;
        if (frame.type === 'response') {
          pending.get(frame.id)?.(frame.result as Result<unknown>);
          pending.delete(frame.id);
        } else {
          listeners.emit(frame.event as EventName, frame.payload);
        }
      };
      ws.onclose = () => {
        const wasOpen = socket === ws;
        socket = null;
        ready = null;
        failAll('The connection to the TwinLedger host was lost; retrying.');
        if (!wasOpen) reject(new Error('The TwinLedger host refused the connection or is not running.'));
        if (!closed && wasOpen) {
          setTimeout(() => void connect().catch(() => {}), retryMs);
          retryMs = Math.min(retryMs * 2, 10_000);
        }
      };
    });
    return ready;
  };

  return {
    call: async (method, request) => {
      let ws: WebSocket;
      try {
        ws = await connect();
      } catch (error) {
        return { ok: false, error: { code: 'UNAVAILABLE', message: (error as Error).message } } as never;
      }
      const id = nextId++;
      const frame: RequestFrame = { type: 'request', id, method, params: request };
      const bytes = encode(frame, { ignoreUndefined: true });
      // The host closes the socket on an oversized frame; refuse it here with a reason instead.
      if (bytes.byteLength > MAX_FRAME_BYTES) {
        const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
        return {
          ok: false,
          error: {
            code: 'TOO_LARGE',
            message: `This request is ${mb(bytes.byteLength)} MB; the browser host accepts at most ${mb(MAX_FRAME_BYTES)} MB per request. Import large files in the desktop app.`,
          },
        } as never;
      }
      return new Promise((resolve) => {
        pending.set(id, resolve as (r: Result<unknown>) => void);
        ws.send(bytes);
      });
    },
    on: (event, listener) => {
      void connect().catch(() => {});
      return listeners.add(event, listener as (p: unknown) => void);
    },
    close: () => {
      closed = true;
      socket?.close();
    },
  };
}
