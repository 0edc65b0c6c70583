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
