// A Node-side API client for end-to-end tests, speaking the serve host's real socket protocol.
import WebSocket from 'ws';
import { decode, encode } from '@msgpack/msgpack';
import type { ServeProcess } from './fixtures';

export async function openClient(serve: ServeProcess) {
  const ws = new WebSocket(
    serve.origin.replace('http', 'ws') + '/api',
    ['twinledger.v1', `auth.${serve.token}`],
    {
      origin: serve.origin,
    },
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let nextId = 1;
  return {
    call(method: string, params: unknown): Promise<unknown> {
      const id = nextId++;
      return new Promise((resolve) => {
        const onMessage = (data: Buffer) => {
          const frame = decode(data) as { type: string; id?: number; result?: unknown };
          if (frame.type === 'response' && frame.id === id) {
            ws.off('message', onMessage);
            resolve(frame.result);
          }
        };
        ws.on('message', onMessage);
        ws.send(encode({ type: 'request', id, method, params }));
      });
    },
    close: () => ws.close(),
  };
}
