// IFC files the workspace journeys upload through the UI. The serve host takes at most 1 MB per
// request, so the journeys use IfcOpenHouse (113 KB) and a next design iteration of it made here:
// the footing renamed and moved 0.5 m, and one window removed (its panes lose their parent).
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

export const FOOTING_GLOBAL_ID = '2W4bl$KK1Brv_UEOkAThqU';
export const REMOVED_WINDOW_GLOBAL_ID = '2hoO8_fkD7T9eJPdlaToJT';

export function openHouseIteration(text: string): string {
  const lines = text.split(/\r?\n/);
  const dropped = new Set(['#2740', '#2741', '#2812']);
  const out = lines
    .filter((line) => !dropped.has(line.split('=')[0] ?? ''))
    .map((line) => {
      if (line.startsWith('#72=IFCFOOTING(')) return line.replace("'Footing'", "'Strip footing'");
      if (line.startsWith('#91=IFCCARTESIANPOINT(')) return '#91=IFCCARTESIANPOINT((500.,2500.,-2000.));';
      return line;
    });
  return out.join('\n');
}

/** Writes both files under test-results and answers their paths. */
export function writeOpenHouseInputs(): { original: string; iteration: string } {
  const dir = join(repo, 'test-results/e2e-inputs');
  mkdirSync(dir, { recursive: true });
  const text = openHouseText();
  const original = join(dir, 'IfcOpenHouse.ifc');
  const iteration = join(dir, 'IfcOpenHouse_iteration2.ifc');
  writeFileSync(original, text, 'latin1');
  writeFileSync(iteration, openHouseIteration(text), 'latin1');
  return { original, iteration };
}
