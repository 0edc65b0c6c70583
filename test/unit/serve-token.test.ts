// The renderer takes serve mode's secret from the URL once, keeps it for reloads, and removes it
// from the address bar.
import { describe, expect, it } from 'vitest';
import { takeServeToken } from '../../src/renderer/src/transport/socket';

const memoryStorage = () => {
  const map = new Map<string, string>();
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
  };
};

describe('serve token', () => {
  it('reads the token from the fragment, stores it and cleans the URL', () => {
    const storage = memoryStorage();
    const replaced: string[] = [];
    const history = {
      replaceState: (_d: unknown, _t: string, url?: string | URL | null) => void replaced.push(String(url)),
    };
    const token = 'a1'.repeat(32);
    expect(takeServeToken({ hash: `#token=${token}`, pathname: '/', search: '' }, storage, history)).toBe(
      token,
    );
    expect(replaced).toEqual(['/']);
    expect(takeServeToken({ hash: '', pathname: '/', search: '' }, storage, history)).toBe(token);
  });

  it('ignores a fragment that is not a hex token', () => {
    const history = { replaceState: () => {} };
    expect(
      takeServeToken({ hash: '#token=<script>', pathname: '/', search: '' }, memoryStorage(), history),
    ).toBeNull();
  });
});
