// Electron IPC transport of the API contract. Like VS Code's validatedIpcMain, every message's
// sender is checked first: it must be the top frame of one of our windows showing our own
// renderer. Then the router validates the payload against the contract.
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../../shared/ipc-channels';
import type { Result } from '../../shared/result';
import type { ServiceHost } from '../services/host';
import type { Logger } from '../services/logger';
import { isTrustedSender, type RendererLocation } from './sender';

export function registerIpc(services: ServiceHost, location: RendererLocation, logger: Logger): void {
  ipcMain.handle(
    IPC_INVOKE_CHANNEL,
    async (event: IpcMainInvokeEvent, method: unknown, params: unknown): Promise<Result<unknown>> => {
      if (!isTrustedSender(event.senderFrame, location)) {
        logger.warn('refused IPC from an untrusted frame');
        return {
          ok: false,
          error: { code: 'FORBIDDEN', message: 'This window may not use the TwinLedger API.' },
        };
      }
      return services.router.dispatch(method, params);
    },
  );
  services.bus.subscribe((event, payload) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed() && location.isAppUrl(win.webContents.getURL())) {
        win.webContents.send(IPC_EVENT_CHANNEL, event, payload);
      }
    }
  });
}
