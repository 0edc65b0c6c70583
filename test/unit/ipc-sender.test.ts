// Which frames may talk to main over Electron IPC: only the top frame showing our own renderer.
import { describe, expect, it } from 'vitest';
import { isTrustedSender, makeRendererLocation } from '../../src/main/electron/sender';

const built = makeRendererLocation('/opt/TwinLedger/resources/app.asar/out/renderer/index.html', undefined);
const dev = makeRendererLocation('/unused', 'http://localhost:5173/');

describe('IPC sender validation', () => {
  it('trusts the top frame of the built renderer', () => {
    expect(isTrustedSender({ url: built.url, parent: null }, built)).toBe(true);
    expect(isTrustedSender({ url: `${built.url}#/twins/1`, parent: null }, built)).toBe(true);
  });

  it('refuses sub-frames, even of our own document', () => {
    expect(isTrustedSender({ url: built.url, parent: {} }, built)).toBe(false);
  });

  it('refuses other files and remote pages', () => {
    expect(isTrustedSender({ url: 'file:///tmp/evil.html', parent: null }, built)).toBe(false);
    expect(isTrustedSender({ url: 'https://example.org/', parent: null }, built)).toBe(false);
    expect(isTrustedSender({ url: 'not a url', parent: null }, built)).toBe(false);
  });

  it('refuses a destroyed frame', () => {
    expect(isTrustedSender(null, built)).toBe(false);
  });

  it('trusts only the dev server origin in development', () => {
    expect(isTrustedSender({ url: 'http://localhost:5173/index.html', parent: null }, dev)).toBe(true);
    expect(isTrustedSender({ url: 'http://localhost:5174/', parent: null }, dev)).toBe(false);
  });
});
