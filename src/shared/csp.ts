// The renderer's Content-Security-Policy, shared by the build (meta tag), the Electron session
// (response header) and the serve host (response header). No remote content, no eval, no plugins;
// the API socket is same-origin in serve mode and absent in Electron.
const directives = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

/** Sent as a response header (Electron session, serve host). */
export const CONTENT_SECURITY_POLICY = [...directives, "frame-ancestors 'none'"].join('; ');

/** Embedded as a <meta> tag in the built page; browsers ignore frame-ancestors there. */
export const META_CONTENT_SECURITY_POLICY = directives.join('; ');
