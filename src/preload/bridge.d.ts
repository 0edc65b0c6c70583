// The shape of window.twinledger, the only thing the preload exposes. The renderer wraps it in a
// typed ApiClient; it never sees ipcRenderer.
import type { Result } from '../shared/result';

export interface TwinLedgerBridge {
  invoke(method: string, params: unknown): Promise<Result<unknown>>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    twinledger?: TwinLedgerBridge;
  }
}
