// A Node-side API client for end-to-end tests, speaking the serve host's real socket protocol.
import WebSocket from 'ws';
import { request } from '../support/socket-request';
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
  return {
    call: (method: string, params: unknown): Promise<unknown> => request(ws, method, params),
    close: () => ws.close(),
  };
}
