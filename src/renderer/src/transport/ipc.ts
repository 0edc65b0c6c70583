// ApiClient over the Electron preload bridge (structured clone carries binary data as is).
import type { ApiClient, EventName } from '../../../shared/api';
import type { TwinLedgerBridge } from '../../../preload/bridge';
import { createListeners } from './listeners';

export function createIpcClient(bridge: TwinLedgerBridge): ApiClient {
  const listeners = createListeners();
  bridge.subscribe((event, payload) => listeners.emit(event as EventName, payload));
  return {
    call: async (method, request) => {
      try {
        return (await bridge.invoke(method, request)) as never;
      } catch (error) {
        return {
          ok: false,
          error: {
            code: 'UNAVAILABLE',
            message: `The app's services did not answer: ${(error as Error).message}`,
          },
        };
      }
    },
    on: (event, listener) => listeners.add(event, listener as (p: unknown) => void),
  };
}
