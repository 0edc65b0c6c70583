// Small JSON files written durably: a write that fails leaves the old content and no temporary file.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { writeFileDurably } from '../../src/main/services/durable-file';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'durable-file-'));
  dirs.push(dir);
  return dir;
};

it('replaces the content, leaving nothing beside it', () => {
  const dir = folder();
  const path = join(dir, 'settings.json');
  writeFileSync(path, '{"a":1}');
  writeFileDurably(path, '{"a":2}');
  expect(readFileSync(path, 'utf8')).toBe('{"a":2}');
  expect(readdirSync(dir)).toEqual(['settings.json']);
});

it('removes its temporary copy when the rename fails, and says why', () => {
  const dir = folder();
  const path = join(dir, 'settings.json');
  mkdirSync(path); // a folder where the file should be: the rename over it fails
  expect(() => writeFileDurably(path, '{"a":2}')).toThrow(/EISDIR|EEXIST|ENOTEMPTY|EPERM/);
  expect(readdirSync(dir)).toEqual(['settings.json']);
});
