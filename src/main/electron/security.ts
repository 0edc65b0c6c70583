// The Electron security checklist, applied once for the whole app: no new windows, no navigation
// away from the app, no webviews, every permission request denied, no remote content, and the
// Content-Security-Policy sent with every response.
import { app, session } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';
import type { Logger } from '../services/logger';
import { makeRendererLocation, safeUrl, type RendererLocation } from './sender';

export type { RendererLocation };

export function rendererLocation(builtIndexHtml: string): RendererLocation {
  return makeRendererLocation(builtIndexHtml, app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL);
}

/** Schemes a renderer may fetch from: its own files, Chromium's internal ones, and data/blob. */
const LOCAL_SCHEMES = new Set(['file:', 'devtools:', 'data:', 'blob:', 'chrome-extension:']);

export function applySecurityPolicy(location: RendererLocation, logger: Logger): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback) => {
    logger.warn(`denied permission request: ${permission}`);
    callback(false);
  });
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) => {
    const scheme = safeScheme(details.url);
    const allowed =
      (scheme !== null && LOCAL_SCHEMES.has(scheme)) ||
      (location.devOrigin !== null && safeUrl(details.url)?.origin === location.devOrigin);
    if (!allowed) logger.warn(`blocked remote request to ${scheme ?? 'unknown scheme'}`);
    callback({ cancel: !allowed });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
        'X-Content-Type-Options': ['nosniff'],
      },
    });
  });

  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      logger.warn(`denied window.open to ${safeScheme(url) ?? 'unknown'} URL`);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (!location.isAppUrl(url)) {
        event.preventDefault();
        logger.warn('denied navigation away from the app');
      }
    });
    contents.on('will-redirect', (event, url) => {
      if (!location.isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

function safeScheme(url: string): string | null {
  return safeUrl(url)?.protocol ?? null;
}
