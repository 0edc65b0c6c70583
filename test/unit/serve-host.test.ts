// Serve mode carries the API over a WebSocket on 127.0.0.1: only with the per-run secret, only from
// the page it served, only well-formed frames; requests round-trip and events reach the client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { encode } from '@msgpack/msgpack';
import { nextEvent, openSocket, request, startTestHost, type TestHost } from '../support/serve';
import { WS_AUTH_PREFIX, WS_PROTOCOL } from '../../src/shared/protocol';

let host: TestHost;
beforeAll(async () => {
  host = await startTestHost();
});
afterAll(async () => {
  await host.close();
});

function httpGet(path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: host.serve.port, path }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve host', () => {
  it('listens on 127.0.0.1 only and prints a URL carrying the secret', () => {
    expect(host.serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/);
  });

  it('round-trips a request over the socket', async () => {
    const ws = await openSocket(host);
    expect(await request(ws, 'app.info', {})).toMatchObject({
      ok: true,
      value: { name: 'TwinLedger', host: 'serve' },
    });
    ws.close();
  });

  it('refuses a socket without the secret', async () => {
    await expect(openSocket(host, { protocols: [WS_PROTOCOL] })).rejects.toThrow('HTTP 401');
  });

  it('refuses a socket with a wrong secret', async () => {
    await expect(
      openSocket(host, { protocols: [WS_PROTOCOL, WS_AUTH_PREFIX + 'ab'.repeat(32)] }),
    ).rejects.toThrow('HTTP 401');
  });

  it('refuses a socket from another origin, even with the secret', async () => {
    await expect(openSocket(host, { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(openSocket(host, { origin: 'null' })).rejects.toThrow('HTTP 403');
  });

  it('refuses a socket whose Host header is not loopback (DNS rebinding)', async () => {
    await expect(openSocket(host, { host: `attacker.example:${host.serve.port}` })).rejects.toThrow(
      'HTTP 403',
    );
  });

  it('answers a bad payload with BAD_REQUEST and keeps the socket open', async () => {
    const ws = await openSocket(host);
    const result = await request(ws, 'settings.update', { theme: 'neon' });
    expect(result).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect((result as { error: { message: string } }).error.message).toContain('theme');
    expect(await request(ws, 'app.health', {})).toMatchObject({ ok: true });
    ws.close();
  });

  it('accepts frames larger than a megabyte (IFC files travel as one request)', async () => {
    const ws = await openSocket(host);
    const result = await request(ws, 'settings.update', { theme: 'x'.repeat(3 * 1024 * 1024) });
    expect(result).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect((result as { error: { message: string } }).error.message.length).toBeLessThan(500);
    ws.close();
  });

  it('closes the socket on a frame that is not a request envelope', async () => {
    const ws = await openSocket(host);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(encode({ hello: 'world' }));
    expect(await closed).toBe(1008);
  });

  it('closes the socket on a text frame', async () => {
    const ws = await openSocket(host);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('{"type":"request","id":1,"method":"app.info","params":{}}');
    expect(await closed).toBe(1008);
  });

  it('pushes events to connected clients', async () => {
    const ws = await openSocket(host);
    const event = nextEvent(ws, 'settings.changed');
    expect(await request(ws, 'settings.update', { theme: 'dark' })).toMatchObject({ ok: true });
    expect(await event).toMatchObject({ theme: 'dark' });
    ws.close();
  });

  it('serves the renderer with a strict Content-Security-Policy', async () => {
    const res = await httpGet('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("object-src 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('never serves files outside the renderer folder', async () => {
    const res = await httpGet('/..%2f..%2fdata%2fsettings.json');
    expect(res.status).toBe(403);
  });
});
