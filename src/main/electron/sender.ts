// Pure decisions about where the renderer lives and which frames may call the API. No Electron
// import here, so the rules are unit-tested without an Electron binary.
import { pathToFileURL } from 'node:url';

/** Where the renderer is loaded from: the built file, or the dev server in `npm run dev`. */
export interface RendererLocation {
  /** What BrowserWindow loads. */
  url: string;
  /** Origin of the dev server, when there is one. */
  devOrigin: string | null;
  /** Decides whether a URL is the app's own renderer document. */
  isAppUrl(url: string): boolean;
}

export function makeRendererLocation(builtIndexHtml: string, devUrl: string | undefined): RendererLocation {
  if (devUrl) {
    const origin = new URL(devUrl).origin;
    return { url: devUrl, devOrigin: origin, isAppUrl: (url) => safeUrl(url)?.origin === origin };
  }
  const fileUrl = pathToFileURL(builtIndexHtml).href;
  return {
    url: fileUrl,
    devOrigin: null,
    // A file:// origin is opaque, so compare the exact document (ignoring query and fragment).
    isAppUrl: (url) => {
      const parsed = safeUrl(url);
      return (
        parsed !== null &&
        parsed.protocol === 'file:' &&
        parsed.origin + parsed.pathname === new URL(fileUrl).origin + new URL(fileUrl).pathname
      );
    },
  };
}

export interface SenderFrame {
  url: string;
  parent: unknown;
}

/** A frame may use the API only if it is a top-level frame showing our own renderer. */
export function isTrustedSender(
  frame: SenderFrame | null | undefined,
  location: Pick<RendererLocation, 'isAppUrl'>,
): boolean {
  if (!frame) return false; // the frame navigated away or was destroyed
  if (frame.parent !== null) return false; // sub-frames never talk to main
  return location.isAppUrl(frame.url);
}

export function safeUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
