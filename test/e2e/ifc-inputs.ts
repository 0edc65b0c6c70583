// The small IFC the import journey uploads through the UI: IfcOpenHouse (113 KB), which imports
// and draws quickly on a software GPU.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');

/** IfcOpenHouse: from ../shared/ifc when present, else rebuilt from the store's schema fixture
 *  (test/fixtures/unknown-schema-ifc5.ifc is IfcOpenHouse with only its schema id changed). */
export function openHouseText(): string {
  const shared = resolve(repo, '../shared/ifc/small/IfcOpenHouse_IFC4.ifc');
  if (existsSync(shared)) return readFileSync(shared, 'latin1');
  const fixture = readFileSync(join(repo, 'test/fixtures/unknown-schema-ifc5.ifc'), 'latin1');
  return fixture.replace("FILE_SCHEMA(('IFC5X9'));", "FILE_SCHEMA(('IFC4'));");
}

/** Writes it under test-results (named as a user would have it) and answers the path. */
export function writeOpenHouseInput(): string {
  const dir = join(repo, 'test-results/e2e-inputs');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'IfcOpenHouse.ifc');
  writeFileSync(path, openHouseText(), 'latin1');
  return path;
}

const ifcBase64 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$';

/**
 * A model large enough that an import takes a while on any machine: the sample Duplex
 * architecture model's entities `copies` times over, each copy's line ids shifted past the last
 * and its GlobalIds made its own (the second character rotated by the copy's number), so every
 * copy's elements, property sets and meshes are really read and stored: with repeated GlobalIds
 * the importer skipped the copies and finished before a user could press Cancel. Written under
 * test-results.
 */
export function writeLargeInput(copies = 8): string {
  const text = readFileSync(join(repo, 'resources/samples/duplex/Duplex_A_20110907.ifc'), 'latin1');
  const start = text.indexOf('DATA;') + 'DATA;'.length;
  const end = text.lastIndexOf('ENDSEC;');
  const data = text.slice(start, end);
  let maxId = 0;
  for (const match of data.matchAll(/#(\d+)/g)) maxId = Math.max(maxId, Number(match[1]));
  const shifted = Array.from({ length: copies - 1 }, (_, k) =>
    data
      .replace(/#(\d+)/g, (_m, id: string) => `#${Number(id) + (k + 1) * maxId}`)
      .replace(/\('([0-9A-Za-z_$]{22})',/g, (_m, id: string) => {
        const rotated = ifcBase64[(ifcBase64.indexOf(id[1]!) + k + 1) % 64]!;
        return `('${id[0]}${rotated}${id.slice(2)}',`;
      }),
  );
  const dir = join(repo, 'test-results/e2e-inputs');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'Duplex_A_large.ifc');
  writeFileSync(path, text.slice(0, end) + shifted.join('') + text.slice(end), 'latin1');
  return path;
}
