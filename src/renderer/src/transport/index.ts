// Chooses the transport at start-up: the Electron preload bridge when present, otherwise the
// serve host's WebSocket on the page's own origin with the secret from the URL.
import type { ApiClient } from '../../../shared/api';
import { createIpcClient } from './ipc';
import { createSocketClient, takeServeToken } from './socket';

export function createApiClient(): ApiClient {
  if (window.twinledger) return createIpcClient(window.twinledger);
  const token = takeServeToken(window.location, window.sessionStorage, window.history);
  const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/api`;
  return createSocketClient({ url, token });
}
