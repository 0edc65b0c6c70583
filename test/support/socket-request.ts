// One request over an API socket, the way the renderer's transport frames it: MessagePack, matched
// by id. Shared by the vitest host tests and the Playwright journeys' Node-side client.
import type WebSocket from 'ws';
import { decode, encode } from '@msgpack/msgpack';

let nextId = 1;

/** Sends one request frame and waits for its response frame. */
export function request(ws: WebSocket, method: string, params: unknown): Promise<unknown> {
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
}
