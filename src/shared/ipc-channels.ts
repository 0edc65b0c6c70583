// Electron IPC channel names. Kept free of imports: the sandboxed preload bundles this file alone.
export const IPC_INVOKE_CHANNEL = 'twinledger:invoke';
export const IPC_EVENT_CHANNEL = 'twinledger:event';
