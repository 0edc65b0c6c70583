// Packaging cannot run here (electron-builder downloads Electron), so this reads its config and
// checks what a broken package would otherwise only reveal on a user's machine.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

interface PlatformConfig {
  target: (string | { target: string })[];
  icon: string;
}
interface BuilderConfig {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  linux: PlatformConfig;
  win: PlatformConfig;
  mac: PlatformConfig;
}
const config = parse(readFileSync('electron-builder.yml', 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  main: string;
  dependencies?: Record<string, string>;
};

const targets = (platform: 'linux' | 'win' | 'mac'): string[] =>
  config[platform].target.map((t) => (typeof t === 'string' ? t : t.target));

describe('electron-builder.yml', () => {
  it('names the app and packs the build output', () => {
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z0-9-]+)+$/);
    expect(config.productName).toBe('TwinLedger');
    expect(config.files).toContain('out/**');
    expect(pkg.main).toBe('out/main/index.js');
  });

  it('targets AppImage and deb on Linux, nsis on Windows, dmg on macOS', () => {
    expect(targets('linux')).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(targets('win')).toContain('nsis');
    expect(targets('mac')).toContain('dmg');
  });

  it('points every platform at an icon that exists and is large enough to convert', () => {
    for (const platform of ['linux', 'win', 'mac'] as const) {
      const icon = config[platform].icon;
      expect(existsSync(icon), `${platform} icon ${icon}`).toBe(true);
      const png = readFileSync(icon);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(512); // width
      expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(512); // height
    }
  });

  it('unpacks the native addons and the web-ifc wasm from asar', () => {
    const unpack = config.asarUnpack.join('\n');
    expect(unpack).toContain('better-sqlite3');
    expect(unpack).toContain('web-ifc/*.wasm');
    expect(unpack).toContain('@nomicfoundation/edr');
    expect(unpack).toContain('out/main/**'); // the importer process's entry
    expect(existsSync('node_modules/web-ifc/web-ifc-node.wasm')).toBe(true);
  });

  it('keeps every native runtime dependency out of devDependencies', () => {
    for (const native of ['better-sqlite3', 'web-ifc', '@nomicfoundation/edr']) {
      expect(pkg.dependencies?.[native], native).toBeDefined();
    }
    expect(pkg.dependencies?.electron).toBeUndefined();
  });
});
