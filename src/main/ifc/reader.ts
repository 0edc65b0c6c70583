// Reads one open web-ifc model into TwinLedger's element records: spatial structure and containment,
// every product with its attributes, property and quantity sets (with units), type object,
// classifications, systems and ports, its placement, and its meshes (identical meshes once).
// Every line is read once and shallowly (GetLine without flattening), which is what keeps the
// importer close to the speed of web-ifc itself.
/* eslint-disable @typescript-eslint/no-explicit-any -- web-ifc's GetLine returns untyped line
   objects; the small helpers below (text, num, ref, refs, valueOf) narrow them at run time. */
import { createHash, hash as oneShotHash } from 'node:crypto';
import * as WebIFC from 'web-ifc';
import { canonicalJson, roundTo, type CanonicalValue } from '../../shared/canonical';
import {
  COLOR_DECIMALS,
  ELEMENT_STATE_FORMAT,
  Y_UP,
  canonicalNumber,
  roundBody,
  roundPlacement,
  sortPropertySets,
  sortPropertyValues,
  type ClassificationState,
  type ElementState,
  type Hex32,
  type PlacedMeshFingerprint,
  type PortState,
  type PropertySetState,
  type PropertyValue,
  type TypeObjectState,
} from '../../shared/fingerprint';
import { identity, invertAffine, invertAffineOrNull, multiply, type Matrix } from './matrix';
import { searchTextOf } from './search-text';

export interface PlacedMesh {
  geometryHash: string;
  /** r, g, b, a in 0..1 */
  color: [number, number, number, number];
  /** column-major 4x4, Y up, metres: web-ifc's flatTransformation */
  matrix: number[];
}

export interface ReadGeometry {
  hash: string;
  vertexCount: number;
  indexCount: number;
  vertices: Uint8Array;
  indices: Uint8Array;
}

export interface ReadElement {
  expressId: number;
  state: ElementState;
  isSpatial: boolean;
  parentGlobalId: string | null;
  storeyGlobalId: string | null;
  meshes: PlacedMesh[];
  searchText: string;
}

export interface ReadModel {
  schema: string;
  projectGlobalId: string | null;
  projectName: string | null;
  elements: ReadElement[];
  geometries: ReadGeometry[];
  warnings: string[];
  stats: {
    lines: number;
    products: number;
    /** IfcPropertySet, IfcElementQuantity and predefined sets (door lining...) read, each once. */
    propertySets: number;
    quantitySets: number;
    predefinedSets: number;
    properties: number;
    meshes: number;
    distinctGeometries: number;
  };
}

export interface ReadHooks {
  /** Fraction of the reading done (0..1) within the current step. */
  progress(step: 'properties' | 'geometry', fraction: number): void;
  /** Throws (a cancellation) when the user asked to stop. */
  checkpoint(): void;
  /**
   * Property windows shared with another thread reading its own copy of the model (the geometry
   * worker): `claim` is the Int32 next-window counter both take from; `take` hands over a window
   * the other thread claimed, waiting for it a while, or undefined if it does not come (this
   * thread then reads it itself).
   */
  sharedProperties?: { claim: Int32Array; take(index: number): PropertyWindow | undefined };
}

// web-ifc line objects are loosely typed; these are the shapes the reader relies on.
type Ref = { value: number; type: 5 };
type Line = Record<string, any> & { expressID: number; type: number };

const SPATIAL_ROOTS = new Set(['IFCPROJECT']);

const MEASURE_UNIT: Record<string, string> = {
  IFCLENGTHMEASURE: 'LENGTHUNIT',
  IFCPOSITIVELENGTHMEASURE: 'LENGTHUNIT',
  IFCNONNEGATIVELENGTHMEASURE: 'LENGTHUNIT',
  IFCAREAMEASURE: 'AREAUNIT',
  IFCVOLUMEMEASURE: 'VOLUMEUNIT',
  IFCPLANEANGLEMEASURE: 'PLANEANGLEUNIT',
  IFCPOSITIVEPLANEANGLEMEASURE: 'PLANEANGLEUNIT',
  IFCMASSMEASURE: 'MASSUNIT',
  IFCTIMEMEASURE: 'TIMEUNIT',
  IFCTHERMODYNAMICTEMPERATUREMEASURE: 'THERMODYNAMICTEMPERATUREUNIT',
  IFCPOWERMEASURE: 'POWERUNIT',
  IFCELECTRICCURRENTMEASURE: 'ELECTRICCURRENTUNIT',
  IFCELECTRICVOLTAGEMEASURE: 'ELECTRICVOLTAGEUNIT',
  IFCFREQUENCYMEASURE: 'FREQUENCYUNIT',
  IFCPRESSUREMEASURE: 'PRESSUREUNIT',
  IFCENERGYMEASURE: 'ENERGYUNIT',
  IFCFORCEMEASURE: 'FORCEUNIT',
  IFCLUMINOUSFLUXMEASURE: 'LUMINOUSFLUXUNIT',
  IFCILLUMINANCEMEASURE: 'ILLUMINANCEUNIT',
  IFCVOLUMETRICFLOWRATEMEASURE: 'VOLUMETRICFLOWRATEUNIT',
  IFCELECTRICRESISTANCEMEASURE: 'ELECTRICRESISTANCEUNIT',
};

const QUANTITY_UNIT: Record<string, string> = {
  IFCQUANTITYLENGTH: 'LENGTHUNIT',
  IFCQUANTITYAREA: 'AREAUNIT',
  IFCQUANTITYVOLUME: 'VOLUMEUNIT',
  IFCQUANTITYWEIGHT: 'MASSUNIT',
  IFCQUANTITYTIME: 'TIMEUNIT',
};

const SI_PREFIX: Record<string, [string, number]> = {
  EXA: ['E', 1e18],
  PETA: ['P', 1e15],
  TERA: ['T', 1e12],
  GIGA: ['G', 1e9],
  MEGA: ['M', 1e6],
  KILO: ['k', 1e3],
  HECTO: ['h', 1e2],
  DECA: ['da', 1e1],
  DECI: ['d', 1e-1],
  CENTI: ['c', 1e-2],
  MILLI: ['m', 1e-3],
  MICRO: ['µ', 1e-6],
  NANO: ['n', 1e-9],
  PICO: ['p', 1e-12],
};

const SI_SYMBOL: Record<string, string> = {
  METRE: 'm',
  SQUARE_METRE: 'm2',
  CUBIC_METRE: 'm3',
  GRAM: 'g',
  SECOND: 's',
  RADIAN: 'rad',
  DEGREE_CELSIUS: '°C',
  KELVIN: 'K',
  WATT: 'W',
  AMPERE: 'A',
  VOLT: 'V',
  HERTZ: 'Hz',
  PASCAL: 'Pa',
  JOULE: 'J',
  NEWTON: 'N',
  LUMEN: 'lm',
  LUX: 'lx',
  OHM: 'Ω',
  STERADIAN: 'sr',
  CANDELA: 'cd',
  MOLE: 'mol',
};

const text = (attribute: any): string | null => {
  const value = attribute?.value;
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : String(value);
};

const num = (attribute: any): number => {
  if (typeof attribute === 'number') return attribute;
  const value = attribute?.value;
  return typeof value === 'number' ? value : Number(value);
};

const refs = (attribute: any): number[] => {
  if (!Array.isArray(attribute))
    return attribute?.value !== undefined && attribute?.type === 5 ? [attribute.value] : [];
  const out: number[] = [];
  for (const item of attribute) if (item && item.type === 5) out.push(item.value);
  return out;
};

const ref = (attribute: any): number | null =>
  attribute && attribute.type === 5 ? (attribute as Ref).value : null;

/** An IFC value (typed select, enum, boolean, list) as a canonical JSON value. */
function valueOf(attribute: any): { type: string | null; value: CanonicalValue } {
  if (attribute === null || attribute === undefined) return { type: null, value: null };
  if (Array.isArray(attribute)) {
    const items = attribute.map((a) => valueOf(a));
    return { type: items[0]?.type ?? null, value: items.map((i) => i.value) };
  }
  const type: string | null = attribute.name ?? null;
  const raw = attribute.value;
  if (type === 'IFCBOOLEAN' || type === 'IFCLOGICAL' || typeof raw === 'boolean') {
    if (raw === true || raw === 'T' || raw === '.T.') return { type, value: true };
    if (raw === false || raw === 'F' || raw === '.F.') return { type, value: false };
    return { type, value: 'UNKNOWN' };
  }
  if (typeof raw === 'number') return { type, value: canonicalNumber(raw) };
  if (raw === null || raw === undefined) return { type, value: null };
  const nonFinite = stepNonFinite(raw);
  if (nonFinite !== null) return { type, value: canonicalNumber(nonFinite) };
  if (typeof raw === 'object') return { type, value: String(raw.value ?? '') };
  return { type, value: String(raw) };
}

/**
 * Rethrows what web-ifc threw from inside its wasm (a trap or an abort: out of memory, out of
 * bounds): its state is not safe to read on after that, so the import fails and its process is
 * replaced (worker.ts), rather than the rest of the file being read as missing lines. Anything
 * else thrown for a line is that line being unreadable.
 */
function failedInsideWasm(error: unknown): void {
  if (isWasmFault(error)) throw error;
}
/** WebAssembly.RuntimeError (the main process's TypeScript lib has no WebAssembly types). */
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: typeof Error } })
  .WebAssembly.RuntimeError;
export const isWasmFault = (error: unknown): boolean => error instanceof WasmRuntimeError;

/** Relationships whose sets and properties are fetched ahead together (bounds what is held at once). */
const FETCH_AHEAD_WINDOW = 256;

/**
 * The JSON text of a property, property set or type object, written once per object and shared by
 * the sorts here (which compare the same objects many times) and the importer's state text. These
 * objects are built with their members in canonical order and numbers made finite, so the native
 * serialiser writes their RFC 8785 text (test/ifc/import-samples.test.ts checks stored states
 * against the canonicalize package); they do not change once built.
 */
const textMemo = new WeakMap<object, string>();
export function memoizedText(value: object): string {
  let text = textMemo.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    textMemo.set(value, text);
  }
  return text;
}

const sortProperties = (props: PropertyValue[]): PropertyValue[] => sortPropertyValues(props, memoizedText);

/**
 * Line access on one open model: class names, the ids of a class's lines (`idsOf`, its subclasses'
 * too where `inherited`), lines read through a cache (`get`) or once (`read`), and a count of the
 * lines read. `onMissing` hears of each line that cannot be read
 * (`cached`: asked for through `get`); a null reference (-1) is not a missing line.
 */
function lineAccess(api: WebIFC.IfcAPI, modelId: number, onMissing: (id: number, cached: boolean) => void) {
  const counts = { lines: 0 };
  const typeNames = new Map<number, string>();
  const className = (code: number): string => {
    let name = typeNames.get(code);
    if (name === undefined) {
      name = api.GetNameFromTypeCode(code) || `#${code}`;
      typeNames.set(code, name);
    }
    return name;
  };
  const lineCache = new Map<number, Line | null>();
  const get = (id: number): Line | null => {
    let line = lineCache.get(id);
    if (line === undefined) {
      try {
        line = api.GetLine(modelId, id, false) as Line;
        counts.lines++;
      } catch (error) {
        failedInsideWasm(error);
        line = null;
      }
      if (!line && id >= 0) onMissing(id, true);
      lineCache.set(id, line ?? null);
    }
    return line ?? null;
  };
  /** Read without caching: lines used once (properties, relationships). */
  const read = (id: number): Line | null => {
    try {
      const line = api.GetLine(modelId, id, false) as Line;
      counts.lines++;
      if (!line && id >= 0) onMissing(id, false);
      return line ?? null;
    } catch (error) {
      failedInsideWasm(error);
      if (id >= 0) onMissing(id, false);
      return null;
    }
  };
  const idsOf = (type: number, inherited = false): number[] => {
    const vector = api.GetLineIDsWithType(modelId, type, inherited);
    const out = new Array<number>(vector.size());
    for (let i = 0; i < out.length; i++) out[i] = vector.get(i);
    return out;
  };
  return { counts, className, lineCache, get, read, idsOf };
}

/** Relationships to property definitions (IfcRelDefinesByProperties) read as one claim. */
export const PROPERTY_WINDOW = 64;

/** A property definition as one thread read it: its set and what reading it counted. */
export interface DefinitionRead {
  set: PropertySetState | null;
  kind: 'pset' | 'qto' | 'predefined' | null;
  /** Properties read for it, each use of a property line counted (as a single read counts them). */
  properties: number;
  /** Kinds of property skipped in it, one entry each time. */
  skipped: string[];
}

/**
 * One window of IfcRelDefinesByProperties read: each relationship's definition and objects, in
 * file order, and the definitions this thread read first in it. `missing`: lines the thread could
 * not read so far (warned once each by readModel, in id order, whoever read them).
 */
export interface PropertyWindow {
  index: number;
  entries: [definition: number, objects: number[]][];
  definitions: [number, DefinitionRead][];
  missing: number[];
}

/** How many windows propertyReading has (without its set-up: the geometry worker asks first). */
export function propertyWindowCount(api: WebIFC.IfcAPI, modelId: number): number {
  return windowsFor(api.GetLineIDsWithType(modelId, WebIFC.IFCRELDEFINESBYPROPERTIES).size());
}

const windowsFor = (relationships: number): number => Math.ceil(relationships / PROPERTY_WINDOW);

/**
 * Property and quantity sets with their units, read from one open model by windows of
 * relationships (PROPERTY_WINDOW each). Each thread that reads a model's properties has its own:
 * the import thread's readModel, and the geometry worker after its plan's long products; windows
 * are claimed from a shared counter, and readModel merges all of them in file order, counting each
 * definition once, so that what is stored does not depend on who read which window.
 */
export function propertyReading(api: WebIFC.IfcAPI, modelId: number) {
  /** Lines that cannot be read. */
  const missing = new Set<number>();
  const { counts, className, get, read, idsOf } = lineAccess(api, modelId, (id) => missing.add(id));

  // ---- units -------------------------------------------------------------------------------
  const unitSymbols = new Map<string, string>();
  let lengthScale = 1;
  const unitLabel = (id: number): { type: string | null; symbol: string; scale: number } | null => {
    const unit = get(id);
    if (!unit) return null;
    const kind = className(unit.type).toUpperCase();
    const unitType = text(unit.UnitType);
    if (kind === 'IFCSIUNIT') {
      const prefix = text(unit.Prefix);
      const name = text(unit.Name) ?? '';
      const [p, factor] = prefix ? (SI_PREFIX[prefix] ?? ['', 1]) : ['', 1];
      const base = SI_SYMBOL[name] ?? name.toLowerCase();
      const power = name === 'SQUARE_METRE' ? 2 : name === 'CUBIC_METRE' ? 3 : 1;
      return { type: unitType, symbol: `${p}${base}`, scale: factor ** power };
    }
    if (kind === 'IFCCONVERSIONBASEDUNIT') {
      const measure = unit.ConversionFactor ? get(ref(unit.ConversionFactor) ?? -1) : null;
      let scale = 1;
      if (measure) {
        const inner = ref(measure.UnitComponent);
        const innerUnit = inner !== null ? unitLabel(inner) : null;
        scale = num(measure.ValueComponent) * (innerUnit?.scale ?? 1);
      }
      return { type: unitType, symbol: (text(unit.Name) ?? 'unit').toLowerCase(), scale };
    }
    if (kind === 'IFCDERIVEDUNIT') {
      const parts: string[] = [];
      for (const elementId of refs(unit.Elements)) {
        const element = get(elementId);
        if (!element) continue;
        const inner = ref(element.Unit);
        const label = inner !== null ? unitLabel(inner) : null;
        const exp = num(element.Exponent);
        parts.push(`${label?.symbol ?? '?'}${exp === 1 ? '' : exp}`);
      }
      return { type: unitType ?? text(unit.UserDefinedType), symbol: parts.join('·'), scale: 1 };
    }
    if (kind === 'IFCMONETARYUNIT') {
      return { type: 'MONETARYUNIT', symbol: text(unit.Currency) ?? 'currency', scale: 1 };
    }
    return null;
  };

  // The project's units (IfcProject.UnitsInContext).
  const projectIds = idsOf(WebIFC.IFCPROJECT);
  const project = projectIds.length > 0 ? get(projectIds[0]!) : null;
  if (project?.UnitsInContext) {
    const assignment = get(ref(project.UnitsInContext) ?? -1);
    for (const unitId of refs(assignment?.Units)) {
      const label = unitLabel(unitId);
      if (!label?.type) continue;
      unitSymbols.set(label.type, label.symbol);
      if (label.type === 'LENGTHUNIT') lengthScale = label.scale;
    }
  }
  const unitFor = (measureType: string | null, explicitUnit: any): string | null => {
    const explicit = ref(explicitUnit);
    if (explicit !== null) return unitLabel(explicit)?.symbol ?? null;
    if (!measureType) return null;
    const unitType = MEASURE_UNIT[measureType];
    return unitType ? (unitSymbols.get(unitType) ?? null) : null;
  };

  // ---- property and quantity sets ----------------------------------------------------------
  let propertyCount = 0;
  /** Kinds skipped while reading the current definition (its DefinitionRead lists them). */
  let definitionSkips: string[] = [];
  // Properties are the bulk of a model's lines: they are read raw (GetRawLineData, no object
  // construction), by attribute position, which is the same in IFC2X3, IFC4 and IFC4X3.
  const rawCache = new Map<number, string>();
  const typeName = (code: number): string => {
    let name = rawCache.get(code);
    if (name === undefined) {
      name = (api.GetNameFromTypeCode(code) || `#${code}`).toUpperCase();
      rawCache.set(code, name);
    }
    return name;
  };
  // Lines fetched ahead in batches (one GetRawLinesData call for many lines costs ~20% less than
  // one call each); each is handed out once by readRaw.
  const fetchedAhead = new Map<number, { type: number; arguments: any[] }>();
  const fetchAhead = (ids: number[]): void => {
    if (ids.length === 0) return;
    let lines: any[];
    try {
      lines = api.GetRawLinesData(modelId, ids);
    } catch (error) {
      failedInsideWasm(error);
      return; // each is read on its own then, with its own warning
    }
    for (let i = 0; i < ids.length; i++) {
      const line = lines[i];
      if (line && line.ID === ids[i] && Array.isArray(line.arguments)) fetchedAhead.set(ids[i]!, line);
    }
  };
  const readRaw = (id: number): { type: number; arguments: any[] } | null => {
    const ahead = fetchedAhead.get(id);
    if (ahead) {
      fetchedAhead.delete(id);
      counts.lines++;
      return ahead;
    }
    try {
      const line = api.GetRawLineData(modelId, id);
      counts.lines++;
      if (line && Array.isArray(line.arguments)) return line;
      missing.add(id); // web-ifc answers {} for a line the file does not have
      return null;
    } catch (error) {
      failedInsideWasm(error);
      missing.add(id);
      return null;
    }
  };
  const rawText = (arg: any): string | null => (arg && typeof arg.value === 'string' ? arg.value : null);
  const rawRefs = (arg: any): number[] =>
    Array.isArray(arg) ? arg.filter((a) => a && a.type === 5).map((a) => a.value as number) : [];
  /** A raw value (typed select, real, integer, enum, boolean, list) as type name and canonical value. */
  const rawValue = (arg: any): { type: string | null; value: CanonicalValue } => {
    if (arg === null || arg === undefined) return { type: null, value: null };
    if (Array.isArray(arg)) {
      const items = arg.map(rawValue);
      return { type: items[0]?.type ?? null, value: items.map((i) => i.value) };
    }
    const type =
      arg.type === 2 && typeof arg.typecode === 'number'
        ? typeName(arg.typecode)
        : arg.type === 4
          ? 'REAL'
          : null;
    const raw = arg.value;
    if (type === 'IFCBOOLEAN' || type === 'IFCLOGICAL' || typeof raw === 'boolean') {
      if (raw === true || raw === 'T') return { type, value: true };
      if (raw === false || raw === 'F') return { type, value: false };
      return { type, value: 'UNKNOWN' };
    }
    if (raw === undefined || raw === null) return { type, value: null };
    if (typeof raw === 'number') return { type, value: canonicalNumber(raw) };
    const nonFinite = stepNonFinite(raw);
    if (nonFinite !== null) return { type, value: canonicalNumber(nonFinite) };
    if (typeof raw === 'string' && (arg.type === 4 || (type !== null && isNumericType(type)))) {
      return { type, value: canonicalNumber(Number(raw)) };
    }
    return { type, value: typeof raw === 'string' ? raw : String(raw) };
  };
  const propertyValue = (
    name: string,
    type: string | null,
    value: CanonicalValue,
    unit: string | null,
  ): PropertyValue =>
    // Members in canonical (sorted) order, so that JSON.stringify writes canonical JSON.
    ({ name, type, unit, value });
  // A property line is often named by several sets (an exporter writes a value once and lists it in
  // every set that has it): read once, its value object is shared (it never changes once built).
  // Each use counts as the first read did (a complex property's parts too, an unreadable line not).
  const propertyCache = new Map<
    number,
    { values: PropertyValue[]; counted: number; skipped: readonly string[] }
  >();
  /** Kinds skipped while reading the current top-level property (replayed on each later use). */
  const skipLog: string[] = [];
  const countSkip = (kind: string): void => {
    definitionSkips.push(kind);
  };
  const skip = (kind: string): void => {
    countSkip(kind);
    skipLog.push(kind);
  };
  const propertyOf = (id: number, prefix: string, out: PropertyValue[], depth = 0): void => {
    if (prefix === '') {
      let cached = propertyCache.get(id);
      if (cached === undefined) {
        const before = propertyCount;
        skipLog.length = 0; // top-level reads do not nest: the log is this property's alone
        const values: PropertyValue[] = [];
        propertyRead(id, prefix, values, depth);
        cached = { values, counted: propertyCount - before, skipped: [...skipLog] };
        propertyCache.set(id, cached);
      } else {
        propertyCount += cached.counted;
        cached.skipped.forEach(countSkip);
      }
      for (const value of cached.values) out.push(value);
      return;
    }
    propertyRead(id, prefix, out, depth);
  };
  const propertyRead = (id: number, prefix: string, out: PropertyValue[], depth: number): void => {
    const line = readRaw(id);
    if (!line || depth > 8) return;
    propertyCount++;
    const kind = typeName(line.type);
    const args = line.arguments;
    const name = prefix + (rawText(args[0]) ?? `#${id}`);
    switch (kind) {
      case 'IFCPROPERTYSINGLEVALUE': {
        const v = rawValue(args[2]);
        out.push(propertyValue(name, v.type, v.value, unitFor(v.type, args[3])));
        return;
      }
      case 'IFCPROPERTYENUMERATEDVALUE':
        out.push(propertyValue(name, 'ENUMERATION', rawValue(args[2] ?? []).value, null));
        return;
      case 'IFCPROPERTYBOUNDEDVALUE': {
        const upper = rawValue(args[2]);
        const lower = rawValue(args[3]);
        const setPoint = rawValue(args[5]);
        out.push(
          propertyValue(
            name,
            'BOUNDED',
            { lower: lower.value, setPoint: setPoint.value, upper: upper.value },
            unitFor(upper.type ?? lower.type, args[4]),
          ),
        );
        return;
      }
      case 'IFCPROPERTYLISTVALUE': {
        const v = rawValue(args[2] ?? []);
        out.push(propertyValue(name, 'LIST', v.value, unitFor(v.type, args[3])));
        return;
      }
      case 'IFCPROPERTYTABLEVALUE':
        out.push(
          propertyValue(
            name,
            'TABLE',
            { defined: rawValue(args[3] ?? []).value, defining: rawValue(args[2] ?? []).value },
            null,
          ),
        );
        return;
      case 'IFCPROPERTYREFERENCEVALUE': {
        const target = get(ref(args[3]) ?? -1);
        const label = target ? (text(target.Name) ?? text(target.GlobalId) ?? className(target.type)) : null;
        out.push(propertyValue(name, 'REFERENCE', label, null));
        return;
      }
      case 'IFCCOMPLEXPROPERTY':
        for (const child of rawRefs(args[3])) propertyOf(child, `${name}.`, out, depth + 1);
        return;
      case 'IFCPHYSICALCOMPLEXQUANTITY':
        for (const child of rawRefs(args[2])) propertyOf(child, `${name}.`, out, depth + 1);
        return;
      default:
        if (kind.startsWith('IFCQUANTITY')) {
          // Name, Description, Unit, <X>Value, (Formula): the value is the fourth attribute.
          const v = rawValue(args[3]);
          const unit =
            ref(args[2]) !== null
              ? unitFor(null, args[2])
              : (unitSymbols.get(QUANTITY_UNIT[kind] ?? '') ?? null);
          out.push(propertyValue(name, kind, v.value, unit));
          return;
        }
        skip(kind);
    }
  };
  const definitionCache = new Map<number, DefinitionRead>();
  /** A property definition read (once: later calls answer from the cache). */
  const definitionOf = (id: number): DefinitionRead => {
    const cached = definitionCache.get(id);
    if (cached !== undefined) return cached;
    const before = propertyCount;
    definitionSkips = [];
    const raw = readRaw(id);
    let result: PropertySetState | null = null;
    let kind: DefinitionRead['kind'] = null;
    if (raw) {
      const rawKind = typeName(raw.type);
      const properties: PropertyValue[] = [];
      if (rawKind === 'IFCPROPERTYSET') {
        for (const p of rawRefs(raw.arguments[4])) propertyOf(p, '', properties);
        result = {
          kind: 'pset',
          name: rawText(raw.arguments[2]) ?? rawKind,
          properties: sortProperties(properties),
        };
        kind = 'pset';
      } else if (rawKind === 'IFCELEMENTQUANTITY') {
        for (const q of rawRefs(raw.arguments[5])) propertyOf(q, '', properties);
        result = {
          kind: 'qto',
          name: rawText(raw.arguments[2]) ?? rawKind,
          properties: sortProperties(properties),
        };
        kind = 'qto';
      } else {
        // Predefined property sets (door lining, window panel...): their attributes are the properties.
        const line = read(id);
        if (line) {
          for (const [key, attribute] of Object.entries(line)) {
            if (['expressID', 'type', 'GlobalId', 'OwnerHistory', 'Name', 'Description'].includes(key))
              continue;
            if (attribute === null || attribute === undefined || (attribute as any).type === 5) continue;
            if (Array.isArray(attribute)) continue;
            const v = valueOf(attribute);
            properties.push(propertyValue(key, v.type, v.value, unitFor(v.type, null)));
            propertyCount++;
          }
          result = {
            kind: 'pset',
            name: text(line.Name) ?? className(line.type),
            properties: sortProperties(properties),
          };
          kind = 'predefined';
        }
      }
    }
    const done: DefinitionRead = {
      set: result,
      kind,
      properties: propertyCount - before,
      skipped: definitionSkips,
    };
    definitionCache.set(id, done);
    return done;
  };
  const relIds = idsOf(WebIFC.IFCRELDEFINESBYPROPERTIES);
  /** Fetches a window of relationships ahead, then the sets they name, then those sets' properties. */
  const fetchWindowAhead = (from: number): void => {
    const rels = relIds.slice(from, from + PROPERTY_WINDOW);
    fetchAhead(rels);
    const sets: number[] = [];
    for (const relId of rels) {
      const definitionId = ref(fetchedAhead.get(relId)?.arguments[5]);
      if (definitionId !== null && !definitionCache.has(definitionId) && !fetchedAhead.has(definitionId))
        sets.push(definitionId);
    }
    const uniqueSets = [...new Set(sets)];
    fetchAhead(uniqueSets);
    const properties = new Set<number>();
    const want = (ids: number[]) => {
      for (const id of ids) if (!propertyCache.has(id)) properties.add(id);
    };
    for (const setId of uniqueSets) {
      const set = fetchedAhead.get(setId);
      if (!set) continue;
      const kind = typeName(set.type);
      if (kind === 'IFCPROPERTYSET') want(rawRefs(set.arguments[4]));
      else if (kind === 'IFCELEMENTQUANTITY') want(rawRefs(set.arguments[5]));
    }
    fetchAhead([...properties]);
  };
  /** Window `index` of the relationships, each definition read once per thread. */
  const readWindow = (index: number): PropertyWindow => {
    const from = index * PROPERTY_WINDOW;
    fetchedAhead.clear(); // what the last window fetched but did not use
    fetchWindowAhead(from);
    const entries: PropertyWindow['entries'] = [];
    const definitions: PropertyWindow['definitions'] = [];
    for (const relId of relIds.slice(from, from + PROPERTY_WINDOW)) {
      // GlobalId, OwnerHistory, Name, Description, RelatedObjects, RelatingPropertyDefinition
      const rel = readRaw(relId);
      if (!rel) continue;
      const definitionId = ref(rel.arguments[5]);
      if (definitionId === null) continue;
      entries.push([definitionId, rawRefs(rel.arguments[4])]);
      if (!definitionCache.has(definitionId)) definitions.push([definitionId, definitionOf(definitionId)]);
    }
    fetchedAhead.clear();
    return { index, entries, definitions, missing: [...missing] };
  };
  return {
    lengthScale,
    windows: windowsFor(relIds.length),
    readWindow,
    definition: definitionOf,
    missing,
    linesRead: () => counts.lines,
  };
}

/** A model read but for its geometry; `complete` adds it (streamed inline, or read elsewhere). */
export interface PartialModel {
  /** How many windows of property relationships the model has (PROPERTY_WINDOW each). */
  propertyWindows: number;
  /**
   * Builds every element's state but its geometry fingerprint now (it needs no mesh): the import
   * thread does it while the geometry worker is still streaming. complete() does it otherwise.
   */
  prepare(): ReadElement[];
  /**
   * Gives one product its meshes and geometry fingerprint as soon as they are read (prepare()
   * first): its element, now complete, or undefined when the product is not one of the elements.
   * complete() leaves products attached this way as they are.
   */
  attach(expressId: number, meshes: PlacedMesh[], fingerprint: Hex32 | undefined): ReadElement | undefined;
  complete(geometry?: GeometryRead): ReadModel;
}

export function readModel(api: WebIFC.IfcAPI, modelId: number, hooks: ReadHooks): PartialModel {
  const warnings: string[] = [];
  const warnCounts = new Map<string, number>();
  const warnOnce = (kind: string, message: string) => {
    const n = (warnCounts.get(kind) ?? 0) + 1;
    warnCounts.set(kind, n);
    if (n <= 5) warnings.push(message);
  };

  const { counts, className, lineCache, get, read, idsOf } = lineAccess(api, modelId, (id, cached) =>
    warnOnce(
      'missing-line',
      cached
        ? `Line #${id} is referenced but cannot be read; it was skipped.`
        : `Line #${id} cannot be read; it was skipped.`,
    ),
  );
  /**
   * The lines `ids`, in windows of FETCH_AHEAD_WINDOW read with one GetLines call each (~25% less
   * per line than a GetLine each: IfcOpenHouse's 66 relationship and product lines, 0.25 against
   * 0.33 ms); null for a line web-ifc cannot read (a failed window is read line by line).
   */
  const linesOf = (ids: readonly number[], each: (line: Line | null, id: number) => void): void => {
    for (let from = 0; from < ids.length; from += FETCH_AHEAD_WINDOW) {
      const window = ids.slice(from, from + FETCH_AHEAD_WINDOW);
      let lines: (Line | undefined)[] | null;
      try {
        lines = api.GetLines(modelId, window as number[], false) as Line[];
      } catch (error) {
        failedInsideWasm(error);
        lines = null;
      }
      window.forEach((id, i) => {
        const line = lines?.[i];
        if (line && line.expressID === id) {
          counts.lines++;
          each(line, id);
        } else each(read(id), id);
      });
    }
  };

  // ---- project -----------------------------------------------------------------------------
  const projectIds = idsOf(WebIFC.IFCPROJECT);
  if (projectIds.length === 0) warnings.push('The file has no IfcProject: its spatial tree has no root.');
  if (projectIds.length > 1)
    warnings.push(`The file has ${projectIds.length} IfcProject lines; the first is the root.`);
  const project = projectIds.length > 0 ? get(projectIds[0]!) : null;
  const properties = propertyReading(api, modelId);
  const { lengthScale } = properties;
  // ---- placements (world matrices in metres, IFC axes) ------------------------------------
  const placementCache = new Map<number, Matrix | null>();
  /** Each placed product's world matrix in metres, unrounded (its body is taken relative to it). */
  const worldOf = new Map<number, Matrix>();
  /**
   * The state's geometry: the meshes' fingerprint (relative to the first mesh, read on either
   * thread) with the first mesh's transform relative to the element's own placement (here, where
   * the placement is known): see elementGeometryHashOf.
   */
  const geometryOf = (expressId: number, meshes: readonly PlacedMesh[], fingerprint: Hex32): Hex32 => {
    const world = worldOf.get(expressId);
    // A placement that cannot be inverted (degenerate axes) places no body: as for an unplaced one.
    const inverse = world && invertAffineOrNull(multiply([...Y_UP], world));
    const relative = inverse ? multiply(inverse, meshes[0]!.matrix) : null;
    const body = relative?.every(Number.isFinite) ? roundBody(relative) : null;
    // Its members in order and its numbers finite (-0 made 0): the native serialiser writes the
    // canonical text (elementGeometryHashOf).
    return `0x${oneShotHash('sha256', JSON.stringify({ body, meshes: fingerprint }), 'hex')}` as Hex32;
  };
  const direction = (id: number | null, fallback: [number, number, number]): [number, number, number] => {
    if (id === null) return fallback;
    const line = get(id);
    const ratios = line?.DirectionRatios;
    if (!Array.isArray(ratios)) return fallback;
    return [num(ratios[0]), num(ratios[1]), ratios.length > 2 ? num(ratios[2]) : 0];
  };
  const axisPlacement = (id: number | null): Matrix => {
    if (id === null) return identity();
    const line = get(id);
    if (!line) return identity();
    const location = get(ref(line.Location) ?? -1);
    const coords = Array.isArray(location?.Coordinates) ? location.Coordinates.map(num) : [0, 0, 0];
    let z = direction(ref(line.Axis), [0, 0, 1]);
    let x = direction(ref(line.RefDirection), [1, 0, 0]);
    z = normalize(z);
    const d = x[0] * z[0] + x[1] * z[1] + x[2] * z[2];
    x = normalize([x[0] - d * z[0], x[1] - d * z[1], x[2] - d * z[2]]);
    const y: [number, number, number] = [
      z[1] * x[2] - z[2] * x[1],
      z[2] * x[0] - z[0] * x[2],
      z[0] * x[1] - z[1] * x[0],
    ];
    return [
      x[0],
      x[1],
      x[2],
      0,
      y[0],
      y[1],
      y[2],
      0,
      z[0],
      z[1],
      z[2],
      0,
      coords[0] ?? 0,
      coords[1] ?? 0,
      coords[2] ?? 0,
      1,
    ];
  };
  const worldPlacement = (id: number, depth = 0): Matrix | null => {
    const cached = placementCache.get(id);
    if (cached !== undefined) return cached;
    const line = get(id);
    let result: Matrix | null = null;
    if (line && depth < 64) {
      const kind = className(line.type).toUpperCase();
      if (kind === 'IFCLOCALPLACEMENT') {
        const local = axisPlacement(ref(line.RelativePlacement));
        const parentId = ref(line.PlacementRelTo);
        const parent = parentId !== null ? worldPlacement(parentId, depth + 1) : null;
        result = parent ? multiply(parent, local) : local;
      } else {
        // Grid placements and others: ask web-ifc, which knows them all (already in metres).
        try {
          const m = api.GetWorldTransformMatrix(modelId, id);
          result =
            m && m.length === 16
              ? (m.map((v, i) => (i >= 12 && i < 15 ? v / lengthScale : v)) as Matrix)
              : null;
        } catch (error) {
          failedInsideWasm(error);
          result = null;
        }
      }
    }
    placementCache.set(id, result);
    return result;
  };
  const placementOf = (line: Line): number[] | null => {
    const id = ref(line.ObjectPlacement);
    if (id === null) return null;
    // web-ifc resolves placement chains natively (in file units); the reader's own resolution
    // is the fallback for what it refuses.
    let world: Matrix | null = null;
    try {
      const m = api.GetWorldTransformMatrix(modelId, id);
      if (m && m.length === 16 && m.every(Number.isFinite)) world = Array.from(m);
    } catch (error) {
      failedInsideWasm(error);
      world = null;
    }
    world ??= worldPlacement(id);
    if (!world) {
      warnOnce('placement', `The placement of #${line.expressID} cannot be resolved; it is stored unplaced.`);
      return null;
    }
    const scaled = world.slice();
    scaled[12]! *= lengthScale;
    scaled[13]! *= lengthScale;
    scaled[14]! *= lengthScale;
    worldOf.set(line.expressID, scaled as Matrix);
    return roundPlacement(scaled);
  };

  // ---- property and quantity sets (propertyReading; windows merged below) -----------------
  let propertyCount = 0;
  const setCounts = { pset: 0, qto: 0, predefined: 0 };
  const skippedDefinitionKinds = new Map<string, number>();
  /** Every definition read, by either thread; those counted (each once, in file order). */
  const definitionReads = new Map<number, DefinitionRead>();
  const counted = new Set<number>();
  const propertySetOf = (id: number): PropertySetState | null => {
    let read = definitionReads.get(id);
    if (!read) {
      read = properties.definition(id);
      definitionReads.set(id, read);
    }
    if (!counted.has(id)) {
      counted.add(id);
      if (read.kind) setCounts[read.kind]++;
      propertyCount += read.properties;
      for (const kind of read.skipped)
        skippedDefinitionKinds.set(kind, (skippedDefinitionKinds.get(kind) ?? 0) + 1);
    }
    return read.set;
  };
  const sortSets = (sets: PropertySetState[]): PropertySetState[] => sortPropertySets(sets, memoizedText);

  // ---- products ----------------------------------------------------------------------------
  const productIds = idsOf(WebIFC.IFCPRODUCT, true);
  const spatialIds = new Set<number>([...idsOf(WebIFC.IFCSPATIALSTRUCTUREELEMENT, true)]);
  const spatialElementType = (WebIFC as any).IFCSPATIALELEMENT as number | undefined;
  if (spatialElementType !== undefined) for (const id of idsOf(spatialElementType, true)) spatialIds.add(id);
  const rootIds = project ? [project.expressID] : [];

  interface Draft {
    line: Line;
    ifcClass: string;
    globalId: string;
    isSpatial: boolean;
    container: string | null;
    decomposes: string | null;
    type: TypeObjectState | null;
    propertySets: PropertySetState[];
    classifications: ClassificationState[];
    systems: Map<string, string | null>;
    ports: PortState[];
    meshes: PlacedMesh[];
  }
  const drafts = new Map<number, Draft>();
  const byGlobalId = new Map<string, number>();
  let duplicates = 0;
  // Read ahead in windows (linesOf); get() then finds each line cached.
  const elementIds = [...rootIds, ...productIds];
  linesOf(
    elementIds.filter((id) => !lineCache.has(id)),
    (line, id) => lineCache.set(id, line),
  );
  for (const id of elementIds) {
    const line = get(id);
    if (!line) continue;
    const ifcClass = className(line.type);
    const globalId = text(line.GlobalId);
    if (!globalId) {
      warnOnce('no-guid', `${ifcClass} #${id} has no GlobalId; it was skipped.`);
      continue;
    }
    const first = byGlobalId.get(globalId);
    if (first !== undefined) {
      duplicates++;
      warnOnce(
        'duplicate',
        `GlobalId ${globalId} is used by #${first} and again by ${ifcClass} #${id}; the later one was skipped.`,
      );
      continue;
    }
    byGlobalId.set(globalId, id);
    drafts.set(id, {
      line,
      ifcClass,
      globalId,
      isSpatial: spatialIds.has(id) || SPATIAL_ROOTS.has(ifcClass.toUpperCase()),
      container: null,
      decomposes: null,
      type: null,
      propertySets: [],
      classifications: [],
      systems: new Map(),
      ports: [],
      meshes: [],
    });
  }
  if (duplicates > 5) warnings.push(`${duplicates} elements in all were skipped for a duplicate GlobalId.`);
  const globalIdOf = (id: number | null): string | null => {
    if (id === null) return null;
    const draft = drafts.get(id);
    if (draft) return draft.globalId;
    const line = get(id);
    return line ? text(line.GlobalId) : null;
  };
  hooks.checkpoint();

  // ---- relationships -----------------------------------------------------------------------
  linesOf(idsOf(WebIFC.IFCRELCONTAINEDINSPATIALSTRUCTURE), (rel) => {
    if (!rel) return;
    const structure = globalIdOf(ref(rel.RelatingStructure));
    for (const elementId of refs(rel.RelatedElements)) {
      const draft = drafts.get(elementId);
      if (draft && draft.container === null) draft.container = structure;
    }
  });
  linesOf(idsOf(WebIFC.IFCRELAGGREGATES), (rel) => {
    if (!rel) return;
    const whole = globalIdOf(ref(rel.RelatingObject));
    for (const partId of refs(rel.RelatedObjects)) {
      const draft = drafts.get(partId);
      if (draft && draft.decomposes === null) draft.decomposes = whole;
    }
  });
  linesOf(idsOf(WebIFC.IFCRELVOIDSELEMENT), (rel) => {
    if (!rel) return;
    const host = globalIdOf(ref(rel.RelatingBuildingElement));
    const opening = drafts.get(ref(rel.RelatedOpeningElement) ?? -1);
    if (opening && opening.decomposes === null) opening.decomposes = host;
  });

  // Classification references, by the object (element or type) they are attached to.
  const classificationsByObject = new Map<number, ClassificationState[]>();
  linesOf(idsOf(WebIFC.IFCRELASSOCIATESCLASSIFICATION), (rel) => {
    if (!rel) return;
    const classification = get(ref(rel.RelatingClassification) ?? -1);
    if (!classification) return;
    const kind = className(classification.type).toUpperCase();
    let state: ClassificationState;
    if (kind === 'IFCCLASSIFICATIONNOTATION') {
      const codes = refs(classification.NotationFacets).map((f) => text(get(f)?.NotationValue) ?? '');
      state = { code: codes.join('.') || null, name: null, system: null };
    } else {
      const source = get(ref(classification.ReferencedSource) ?? -1);
      state = {
        code: text(classification.Identification) ?? text(classification.ItemReference) ?? null,
        name: text(classification.Name) ?? null,
        system: source ? (text(source.Name) ?? text(source.Source)) : (text(classification.Location) ?? null),
      };
    }
    for (const objectId of refs(rel.RelatedObjects)) {
      const list = classificationsByObject.get(objectId) ?? [];
      list.push(state);
      classificationsByObject.set(objectId, list);
    }
  });
  const sortClassifications = (list: ClassificationState[]): ClassificationState[] => {
    const unique = new Map(list.map((c) => [canonicalJson(c), c]));
    return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
  };

  // Property sets of occurrences: windows of relationships claimed from a counter shared with the
  // geometry worker (which claims what is left once its meshes are read), then merged in order.
  const windows = new Array<PropertyWindow | undefined>(properties.windows);
  const claim = hooks.sharedProperties?.claim ?? new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const index = Atomics.add(claim, 0, 1);
    if (index >= windows.length) break;
    windows[index] = properties.readWindow(index);
    hooks.checkpoint();
    hooks.progress('properties', ((index + 1) / windows.length) * 0.8);
  }
  /** Lines the other thread could not read (this thread's own are added below). */
  const missingLines = new Set<number>();
  // In file order. A thread reads each definition in the first of its windows that names it, and
  // claims windows in increasing order, so any definition named here is known by now (or is read
  // here: propertySetOf).
  for (let index = 0; index < windows.length; index++) {
    // The worker's windows: as they came, or read here where it did not hand one over in time.
    let window = windows[index] ?? hooks.sharedProperties?.take(index);
    if (!window) {
      hooks.checkpoint();
      window = properties.readWindow(index);
    }
    for (const id of window.missing) missingLines.add(id);
    for (const [id, read] of window.definitions) if (!definitionReads.has(id)) definitionReads.set(id, read);
    for (const [definitionId, objects] of window.entries) {
      const targets = objects.filter((id) => drafts.has(id));
      if (targets.length === 0) continue;
      const set = propertySetOf(definitionId);
      if (!set) continue;
      for (const id of targets) drafts.get(id)!.propertySets.push(set);
    }
  }

  // Type objects with their own property sets and classifications.
  const typeCache = new Map<number, TypeObjectState | null>();
  const typeOf = (id: number): TypeObjectState | null => {
    const cached = typeCache.get(id);
    if (cached !== undefined) return cached;
    const line = get(id);
    let result: TypeObjectState | null = null;
    if (line && text(line.GlobalId)) {
      const sets: PropertySetState[] = [];
      for (const setId of refs(line.HasPropertySets)) {
        const set = propertySetOf(setId);
        if (set) sets.push(set);
      }
      result = {
        classifications: sortClassifications(classificationsByObject.get(id) ?? []),
        globalId: text(line.GlobalId)!,
        ifcClass: className(line.type),
        name: text(line.Name),
        predefinedType: text(line.PredefinedType),
        propertySets: sortSets(sets),
      };
    }
    typeCache.set(id, result);
    return result;
  };
  linesOf(idsOf(WebIFC.IFCRELDEFINESBYTYPE), (rel) => {
    if (!rel) return;
    const typeId = ref(rel.RelatingType);
    if (typeId === null) return;
    const type = typeOf(typeId);
    for (const objectId of refs(rel.RelatedObjects)) {
      const draft = drafts.get(objectId);
      if (draft && draft.type === null) draft.type = type;
    }
  });
  // Lines the property definitions name but that cannot be read, once each, whoever read them.
  for (const id of properties.missing) missingLines.add(id);
  for (const id of [...missingLines].sort((x, y) => x - y))
    warnOnce('missing-line', `Line #${id} cannot be read; it was skipped.`);
  hooks.progress('properties', 0.9);

  // Systems (IfcSystem and its subtypes) the elements are grouped into.
  const systemIds = new Set(idsOf(WebIFC.IFCSYSTEM, true));
  if (systemIds.size > 0) {
    linesOf(idsOf(WebIFC.IFCRELASSIGNSTOGROUP, true), (rel) => {
      const groupId = ref(rel?.RelatingGroup);
      if (!rel || groupId === null || !systemIds.has(groupId)) return;
      const group = get(groupId);
      const groupGlobalId = text(group?.GlobalId);
      if (!groupGlobalId) return;
      for (const objectId of refs(rel.RelatedObjects)) {
        drafts.get(objectId)?.systems.set(groupGlobalId, text(group?.Name));
      }
    });
  }

  // Ports: owned through IfcRelConnectsPortToElement (IFC2x3) or IfcRelNests (IFC4), linked by
  // IfcRelConnectsPorts.
  const portIds = new Set(idsOf(WebIFC.IFCPORT, true));
  if (portIds.size > 0) {
    const portOwner = new Map<number, number>();
    linesOf(idsOf(WebIFC.IFCRELCONNECTSPORTTOELEMENT), (rel) => {
      const port = ref(rel?.RelatingPort);
      const element = ref(rel?.RelatedElement);
      if (port !== null && element !== null) portOwner.set(port, element);
    });
    linesOf(idsOf(WebIFC.IFCRELNESTS), (rel) => {
      const owner = ref(rel?.RelatingObject);
      if (!rel || owner === null) return;
      for (const child of refs(rel.RelatedObjects)) if (portIds.has(child)) portOwner.set(child, owner);
    });
    const links = new Map<number, number[]>();
    linesOf(idsOf(WebIFC.IFCRELCONNECTSPORTS), (rel) => {
      const a = ref(rel?.RelatingPort);
      const b = ref(rel?.RelatedPort);
      if (a === null || b === null) return;
      links.set(a, [...(links.get(a) ?? []), b]);
      links.set(b, [...(links.get(b) ?? []), a]);
    });
    for (const [portId, ownerId] of portOwner) {
      const draft = drafts.get(ownerId);
      const port = get(portId);
      const portGlobalId = text(port?.GlobalId);
      if (!draft || !port || !portGlobalId) continue;
      const connectedTo = (links.get(portId) ?? [])
        .map((other) => ({
          element: globalIdOf(portOwner.get(other) ?? null),
          port: text(get(other)?.GlobalId) ?? `#${other}`,
        }))
        .sort((x, y) => (x.port < y.port ? -1 : x.port > y.port ? 1 : 0));
      draft.ports.push({
        connectedTo,
        flowDirection: text(port.FlowDirection),
        globalId: portGlobalId,
        name: text(port.Name),
      });
    }
  }
  hooks.progress('properties', 1);
  hooks.checkpoint();

  // Everything but geometry is read; the caller completes the model with geometry streamed here
  // (inline) or by the geometry worker from its own copy of the file (in parallel).
  let prepared: ReadElement[] | null = null;
  const prepare = (): ReadElement[] => (prepared ??= prepareElements());
  /** Elements by the express id of their product, and those whose meshes are attached. */
  const elementOf = new Map<number, ReadElement>();
  const attached = new Set<number>();
  return {
    propertyWindows: windows.length,
    prepare,
    attach: (expressId, meshes, fingerprint) => {
      const element = elementOf.get(expressId);
      if (!element || attached.has(expressId)) return undefined;
      attached.add(expressId);
      if (meshes.length > 0) {
        element.meshes.push(...meshes);
        element.state.geometry = geometryOf(
          expressId,
          element.meshes,
          fingerprint ?? geometryFingerprintOf(element.meshes),
        );
      }
      return element;
    },
    complete: (external?: GeometryRead): ReadModel => {
      const geometry = external ?? streamGeometry(api, modelId, hooks);
      hooks.checkpoint();
      const elements = prepare();
      for (const [expressId, meshes] of geometry.placed) {
        if (!attached.has(expressId)) drafts.get(expressId)?.meshes.push(...meshes);
      }
      // Each state's geometry fills the member prepare() left null, in its place among the sorted
      // members: the meshes' fingerprint as the thread that read them wrote it, with the body.
      let i = 0;
      for (const draft of drafts.values()) {
        const element = elements[i++]!;
        if (draft.meshes.length > 0 && !attached.has(draft.line.expressID)) {
          element.state.geometry = geometryOf(
            draft.line.expressID,
            draft.meshes,
            geometry.fingerprints.get(draft.line.expressID) ?? geometryFingerprintOf(draft.meshes),
          );
        }
      }
      return finish(geometry, elements);
    },
  };

  /** Every element's state but its geometry fingerprint: nothing here depends on the meshes. */
  function prepareElements(): ReadElement[] {
    const storeyOf = new Map<string, string | null>();
    const parentByGlobalId = new Map<string, string | null>();
    const classByGlobalId = new Map<string, string>();
    for (const draft of drafts.values()) {
      parentByGlobalId.set(draft.globalId, draft.decomposes ?? draft.container);
      classByGlobalId.set(draft.globalId, draft.ifcClass.toUpperCase());
    }
    const findStorey = (globalId: string): string | null => {
      if (storeyOf.has(globalId)) return storeyOf.get(globalId)!;
      let current: string | null = globalId;
      let found: string | null = null;
      for (let depth = 0; current && depth < 32; depth++) {
        if (classByGlobalId.get(current) === 'IFCBUILDINGSTOREY') {
          found = current;
          break;
        }
        current = parentByGlobalId.get(current) ?? null;
      }
      storeyOf.set(globalId, found);
      return found;
    };

    const elements: ReadElement[] = [];
    for (const draft of drafts.values()) {
      const { line } = draft;
      const ownClassifications = classificationsByObject.get(line.expressID) ?? [];
      // Members in canonical (sorted) order, so that JSON.stringify writes canonical JSON.
      const state: ElementState = {
        classifications: sortClassifications(ownClassifications),
        container: draft.container,
        decomposes: draft.decomposes,
        description: text(line.Description),
        format: ELEMENT_STATE_FORMAT,
        geometry: null, // set by complete() once the meshes are read
        globalId: draft.globalId,
        ifcClass: draft.ifcClass,
        name: text(line.Name),
        objectType: text(line.ObjectType),
        placement: line.ObjectPlacement ? placementOf(line) : null,
        ports: draft.ports.sort((a, b) => (a.globalId < b.globalId ? -1 : 1)),
        predefinedType: text(line.PredefinedType),
        propertySets: sortSets(draft.propertySets),
        systems: [...draft.systems.entries()]
          .map(([globalId, name]) => ({ globalId, name }))
          .sort((a, b) => (a.globalId < b.globalId ? -1 : 1)),
        tag: text(line.Tag),
        type: draft.type,
      };
      const element: ReadElement = {
        expressId: line.expressID,
        state,
        isSpatial: draft.isSpatial,
        parentGlobalId: draft.decomposes ?? draft.container,
        storeyGlobalId: findStorey(draft.globalId),
        meshes: draft.meshes,
        searchText: searchTextOf(state),
      };
      elements.push(element);
      elementOf.set(line.expressID, element);
    }
    return elements;
  }

  function finish(geometry: GeometryRead, elements: ReadElement[]): ReadModel {
    if (geometry.unplaced && geometry.unplaced.length > 0) {
      const products = [...new Set(geometry.unplaced)];
      const named = products
        .slice(0, 5)
        .map((id) => `#${id}${elementOf.get(id) ? ` (${elementOf.get(id)!.state.globalId})` : ''}`)
        .join(', ');
      warnings.push(
        `${geometry.unplaced.length} mesh(es) of ${products.length} element(s) were left out: the IFC reader could not place them (a degenerate axis placement?): ${named}${products.length > 5 ? ', ...' : ''}.`,
      );
    }
    if (skippedDefinitionKinds.size > 0) {
      const list = [...skippedDefinitionKinds.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
      warnings.push(`Properties of kinds TwinLedger does not read were skipped: ${list}.`);
    }
    for (const [kind, n] of warnCounts) {
      if (n > 5 && kind !== 'duplicate') warnings.push(`... and ${n - 5} more like the above (${kind}).`);
    }

    return {
      schema: api.GetModelSchema(modelId),
      projectGlobalId: project ? text(project.GlobalId) : null,
      projectName: project ? (text(project.LongName) ?? text(project.Name)) : null,
      elements,
      geometries: geometry.geometries,
      warnings,
      stats: {
        lines: counts.lines + properties.linesRead(),
        products: productIds.length,
        propertySets: setCounts.pset,
        quantitySets: setCounts.qto,
        predefinedSets: setCounts.predefined,
        properties: propertyCount,
        meshes: geometry.meshCount,
        distinctGeometries: geometry.geometries.length,
      },
    };
  }
}

export interface GeometryRead {
  geometries: ReadGeometry[];
  /** Placed meshes by the express id of their product. */
  placed: Map<number, PlacedMesh[]>;
  /**
   * Each product's geometry fingerprint (geometryFingerprintOf its placed meshes), written by the
   * thread that read them: the geometry worker's share is fingerprinted there, in parallel.
   */
  fingerprints: Map<number, Hex32>;
  meshCount: number;
  /**
   * Products with meshes web-ifc gave no finite transform (a degenerate axis placement): one entry
   * per mesh left out (optional: reads made before it was counted have none).
   */
  unplaced?: number[];
}

/**
 * Meshes one thread has read since it last handed some on: the products it streamed (those that
 * turned out to have no mesh too), the distinct meshes it saw first, each product's placed meshes
 * and geometry fingerprint.
 */
export interface GeometryPart {
  products: number[];
  geometries: ReadGeometry[];
  placed: [number, PlacedMesh[]][];
  fingerprints: [number, Hex32][];
  meshCount: number;
  unplaced?: number[];
}

/** Parts put back together into one read (the geometry worker's, as the import thread gets it). */
export function geometryFromParts(parts: readonly GeometryPart[]): GeometryRead {
  const geometries = new Map<string, ReadGeometry>();
  const placed = new Map<number, PlacedMesh[]>();
  const fingerprints = new Map<number, Hex32>();
  const unplaced: number[] = [];
  let meshCount = 0;
  for (const part of parts) {
    for (const g of part.geometries) if (!geometries.has(g.hash)) geometries.set(g.hash, g);
    for (const [id, meshes] of part.placed) placed.set(id, meshes);
    for (const [id, fingerprint] of part.fingerprints) fingerprints.set(id, fingerprint);
    meshCount += part.meshCount;
    if (part.unplaced) unplaced.push(...part.unplaced);
  }
  return { geometries: [...geometries.values()], placed, fingerprints, meshCount, unplaced };
}

/**
 * An element's geometry fingerprint from its placed meshes, in order: geometryHashOf
 * (shared/fingerprint.ts) on Node's sha256, each mesh's transform taken relative to the first's.
 */
export function geometryFingerprintOf(meshes: readonly PlacedMesh[]): Hex32 {
  const first: Matrix = invertAffine(meshes[0]!.matrix);
  const relative: PlacedMeshFingerprint[] = meshes.map((mesh) => ({
    color: mesh.color.map((c) => roundTo(c, COLOR_DECIMALS)),
    mesh: mesh.geometryHash,
    relative: roundPlacement(multiply(first, mesh.matrix)),
  }));
  return `0x${oneShotHash('sha256', canonicalJson(relative), 'hex')}` as Hex32;
}

/**
 * Collects streamed meshes: each distinct mesh once, each product's placed meshes. A mesh's content
 * is fetched and hashed once per web-ifc geometry id, except for products web-ifc cuts openings out
 * of (`cut`, see meshPlan): their meshes keep the id of the uncut item (IfcOpenHouse's walls #268
 * and #281 both come as #252, each with its own openings cut out), so each is fetched and hashed,
 * and none stands for the uncut item.
 */
function geometryCollector(api: WebIFC.IfcAPI, modelId: number, cut: ReadonlySet<number>) {
  const geometryByExpressId = new Map<number, string>();
  const geometries = new Map<string, ReadGeometry>();
  const placed = new Map<number, PlacedMesh[]>();
  let meshCount = 0;
  /** Products with a mesh left out for its non-finite transform, and how many went out in parts. */
  const unplaced: number[] = [];
  let unplacedHandedOn = 0;
  /** How many distinct meshes went out in parts already. */
  let handedOn = 0;
  const fingerprinted = new Map<number, Hex32>();
  const fingerprintOf = (id: number, meshes: PlacedMesh[]): Hex32 => {
    let fingerprint = fingerprinted.get(id);
    if (fingerprint === undefined) {
      fingerprint = geometryFingerprintOf(meshes);
      fingerprinted.set(id, fingerprint);
    }
    return fingerprint;
  };
  /** The content hash of web-ifc's geometry `geometryExpressID` as it is now, stored once. */
  const read = (geometryExpressID: number): string => {
    const geometry = api.GetGeometry(modelId, geometryExpressID);
    try {
      const vertexData = api.GetVertexArray(geometry.GetVertexData(), geometry.GetVertexDataSize());
      const indexData = api.GetIndexArray(geometry.GetIndexData(), geometry.GetIndexDataSize());
      const vertexCount = vertexData.length / 6;
      // GetVertexArray and GetIndexArray return copies: their buffers are ours to keep.
      const vertices = new Uint8Array(vertexData.buffer, vertexData.byteOffset, vertexData.byteLength);
      const indices =
        vertexCount <= 65536
          ? new Uint8Array(Uint16Array.from(indexData).buffer)
          : new Uint8Array(indexData.buffer, indexData.byteOffset, indexData.byteLength);
      const hash = createHash('sha256').update(vertices).update(indices).digest('hex');
      if (!geometries.has(hash))
        geometries.set(hash, { hash, vertexCount, indexCount: indexData.length, vertices, indices });
      return hash;
    } finally {
      geometry.delete();
    }
  };
  return {
    add(mesh: WebIFC.FlatMesh): void {
      const list: PlacedMesh[] = [];
      const count = mesh.geometries.size();
      const isCut = cut.has(mesh.expressID);
      for (let i = 0; i < count; i++) {
        const p = mesh.geometries.get(i);
        const matrix = Array.from(p.flatTransformation);
        if (!matrix.every(Number.isFinite)) {
          unplaced.push(mesh.expressID);
          continue;
        }
        let hash = isCut ? undefined : geometryByExpressId.get(p.geometryExpressID);
        if (hash === undefined) {
          hash = read(p.geometryExpressID);
          if (!isCut) geometryByExpressId.set(p.geometryExpressID, hash);
        }
        meshCount++;
        list.push({
          geometryHash: hash,
          color: [p.color.x, p.color.y, p.color.z, p.color.w],
          matrix,
        });
      }
      if (list.length === 0) return;
      const existing = placed.get(mesh.expressID);
      if (existing) existing.push(...list);
      else placed.set(mesh.expressID, list);
    },
    /** What was read since the last part: `products` are the ones streamed meanwhile. */
    part(products: number[]): GeometryPart {
      const fresh = [...geometries.values()].slice(handedOn);
      handedOn += fresh.length;
      const part: GeometryPart = { products, geometries: fresh, placed: [], fingerprints: [], meshCount: 0 };
      if (unplaced.length > unplacedHandedOn) {
        part.unplaced = unplaced.slice(unplacedHandedOn);
        unplacedHandedOn = unplaced.length;
      }
      for (const id of products) {
        const meshes = placed.get(id);
        if (!meshes || meshes.length === 0) continue;
        part.placed.push([id, meshes]);
        part.fingerprints.push([id, fingerprintOf(id, meshes)]);
        part.meshCount += meshes.length;
      }
      return part;
    },
    result(): GeometryRead {
      const fingerprints = new Map<number, Hex32>();
      for (const [id, meshes] of placed)
        if (meshes.length > 0) fingerprints.set(id, fingerprintOf(id, meshes));
      return { geometries: [...geometries.values()], placed, fingerprints, meshCount, unplaced };
    },
  };
}

/**
 * Streams every mesh of the open model on this thread alone: each distinct mesh once (by web-ifc
 * geometry id, then by content hash: sha256 of its float32 vertices and its indices as stored), and
 * each product's placed meshes with colour and transform, in meshPlan's order.
 */
export function streamGeometry(
  api: WebIFC.IfcAPI,
  modelId: number,
  hooks: Pick<ReadHooks, 'checkpoint' | 'progress'>,
): GeometryRead {
  return streamClaimedGeometry(
    api,
    modelId,
    meshPlan(api, modelId),
    new Int32Array(new SharedArrayBuffer(4)),
    hooks,
  );
}

/** Element classes web-ifc's StreamAllMeshes skips (IfcOpeningElement, IfcSpace...). */
const UNSTREAMED = new Set<number>(
  [
    WebIFC.IFCOPENINGELEMENT,
    WebIFC.IFCSPACE,
    (WebIFC as unknown as Record<string, number | undefined>).IFCOPENINGSTANDARDCASE,
  ].filter((t): t is number => typeof t === 'number'),
);
const streamedType = new Map<number, boolean>();

/** Which products a read streams, in what order, and which of them web-ifc cuts openings out of. */
export interface MeshPlan {
  /** The products StreamAllMeshes would stream, in the order the threads claim them. */
  products: number[];
  /**
   * Hosts of openings (IfcRelVoidsElement) and the parts they aggregate (web-ifc cuts a whole's
   * openings out of its parts: a roof's out of its slabs): their meshes are fetched and hashed each
   * time.
   */
  cut: number[];
  /**
   * How many products lead the order for their length (hosts of openings, the site): the geometry
   * worker reads the property windows after them, before the rest (see runGeometryRole).
   */
  long?: number;
}

/**
 * The products StreamAllMeshes would stream (its element classes, less openings and spaces), in
 * the order two threads claim them, one at a time (streamClaimedGeometry): hosts of openings first,
 * most openings first, then the site, then the rest in file order. Cutting the openings out is most
 * of a small model's geometry time (IfcOpenHouse: three walls take 3.0 of its 3.9 ms), and the two
 * threads split the work evenly only when the long products are claimed before the short ones.
 * What web-ifc makes of a product does not depend on what its model read before (checked for every
 * product of the five samples, in file, reversed and shuffled order), so any split of the products
 * between the threads stores the same meshes.
 */
export function meshPlan(api: WebIFC.IfcAPI, modelId: number): MeshPlan {
  const vector = api.GetLineIDsWithType(modelId, WebIFC.IFCPRODUCT, true);
  const out: number[] = [];
  const sites = new Set<number>();
  for (let i = 0; i < vector.size(); i++) {
    const id = vector.get(i);
    const type = api.GetLineType(modelId, id);
    let streamed = streamedType.get(type);
    if (streamed === undefined) {
      streamed = !UNSTREAMED.has(type) && Boolean(api.IsIfcElement(type));
      streamedType.set(type, streamed);
    }
    if (!streamed) continue;
    out.push(id);
    if (type === WebIFC.IFCSITE) sites.add(id);
  }
  /** The raw lines of `type` (an unreadable one is left out: it only loses its place in the order). */
  const rawLinesOf = (type: number): { arguments?: unknown[] }[] => {
    const ids = api.GetLineIDsWithType(modelId, type);
    const lines: { arguments?: unknown[] }[] = [];
    for (let i = 0; i < ids.size(); i++) {
      try {
        const line = api.GetRawLineData(modelId, ids.get(i)) as { arguments?: unknown[] } | undefined;
        if (line) lines.push(line);
      } catch (error) {
        failedInsideWasm(error);
        // left out
      }
    }
    return lines;
  };
  // IfcRelVoidsElement: GlobalId, OwnerHistory, Name, Description, RelatingBuildingElement, ...
  const openings = new Map<number, number>();
  for (const line of rawLinesOf(WebIFC.IFCRELVOIDSELEMENT)) {
    const host = ref(line.arguments?.[4]);
    if (host !== null) openings.set(host, (openings.get(host) ?? 0) + 1);
  }
  const cut = new Set(openings.keys());
  // IfcRelAggregates: ..., RelatingObject (5th), RelatedObjects (6th). web-ifc cuts a whole's
  // openings out of its parts too (a roof's out of its slabs).
  if (openings.size > 0) {
    for (const line of rawLinesOf(WebIFC.IFCRELAGGREGATES)) {
      const whole = ref(line.arguments?.[4]);
      if (whole !== null && openings.has(whole)) for (const part of refs(line.arguments?.[5])) cut.add(part);
    }
  }
  // Hosts by their openings, then the site: its terrain is one large mesh (IfcOpenHouse: 0.37 ms, a
  // tenth of its meshes), too long to be left for the end, where it would keep one thread busy while
  // the other waits. The rest in file order (the sort is stable).
  const rank = (id: number) => (openings.get(id) ?? 0) * 2 + (sites.has(id) ? 1 : 0);
  if (openings.size > 0 || sites.size > 0) out.sort((a, b) => rank(b) - rank(a));
  let long = 0;
  while (long < out.length && rank(out[long]!) > 0) long++;
  return { products: out, cut: out.filter((id) => cut.has(id)), long };
}

/**
 * For the last this many products of a plan, parts go out four times as often: what the last part
 * holds is fingerprinted and written by the import thread after the geometry worker has ended, on
 * the import's clock (IfcOpenHouse, best 10 of 120 imports: 0.33 -> 0.17 ms from the worker's last
 * part to the import thread done with it).
 */
const DENSER_PARTS_FOR_LAST = 24;

/**
 * Streams the products of `plan` (meshPlan) that no other thread has claimed: each takes the next
 * index from the shared counter (Atomics.add), so two threads holding their own copies of the
 * model split the meshes between them as they go, whoever is free taking the next product;
 * test/ifc/geometry-parts.test.ts holds the parallel read and the one-thread read to one root.
 */
export function streamClaimedGeometry(
  api: WebIFC.IfcAPI,
  modelId: number,
  plan: MeshPlan,
  claim: Int32Array,
  hooks: Pick<ReadHooks, 'checkpoint' | 'progress'>,
  parts?: {
    /**
     * Hands on what was read (a part) once this long has passed since the last one (a quarter of it
     * for the last DENSER_PARTS_FOR_LAST products); 0: each product.
     */
    everyMs: number;
    send(part: GeometryPart, last: boolean): void;
    /**
     * Called once, before the first product at or past `at` is read (what was read before it is
     * sent first): the geometry worker reads property windows there.
     */
    pause?: { at: number; run(): void };
  },
): GeometryRead {
  const { products } = plan;
  const collector = geometryCollector(api, modelId, new Set(plan.cut));
  let streamed: number[] = [];
  let sentAt = performance.now();
  let pause = parts?.pause;
  for (;;) {
    const index = Atomics.add(claim, 0, 1);
    if (index >= products.length) break;
    // A cancel is seen before each product (one may take seconds: a cancelled job's worker would
    // otherwise go on through up to 15 more before the next job's file).
    hooks.checkpoint();
    if ((index & 15) === 0) hooks.progress('geometry', index / products.length);
    const product = products[index]!;
    if (parts && pause && index >= pause.at) {
      const { run } = pause;
      pause = undefined;
      if (streamed.length > 0) {
        parts.send(collector.part(streamed), false);
        streamed = [];
      }
      run();
      hooks.checkpoint();
      sentAt = performance.now();
    }
    api.StreamMeshes(modelId, [product], (mesh) => collector.add(mesh));
    if (parts) {
      streamed.push(product);
      const now = performance.now();
      const every = products.length - index <= DENSER_PARTS_FOR_LAST ? parts.everyMs / 4 : parts.everyMs;
      if (now - sentAt >= every) {
        parts.send(collector.part(streamed), false);
        streamed = [];
        sentAt = now;
      }
    }
  }
  hooks.checkpoint();
  parts?.send(collector.part(streamed), true);
  return collector.result();
}

/** The union of geometry read by two threads (their products are disjoint). */
export function mergeGeometry(a: GeometryRead, b: GeometryRead): GeometryRead {
  const geometries = new Map(a.geometries.map((g) => [g.hash, g]));
  for (const g of b.geometries) if (!geometries.has(g.hash)) geometries.set(g.hash, g);
  const placed = new Map(a.placed);
  const fingerprints = new Map([...a.fingerprints, ...b.fingerprints]);
  for (const [id, meshes] of b.placed) {
    const existing = placed.get(id);
    if (existing) {
      // Not expected (each product is claimed once), but then its fingerprint covers both parts.
      existing.push(...meshes);
      fingerprints.set(id, geometryFingerprintOf(existing));
    } else placed.set(id, meshes);
  }
  return {
    geometries: [...geometries.values()],
    placed,
    fingerprints,
    meshCount: a.meshCount + b.meshCount,
    unplaced: [...(a.unplaced ?? []), ...(b.unplaced ?? [])],
  };
}

/** Defined types whose values are REAL numbers (web-ifc hands them over as the file's text). */
function isNumericType(type: string): boolean {
  return (
    (type.endsWith('MEASURE') && type !== 'IFCDESCRIPTIVEMEASURE') ||
    type === 'IFCREAL' ||
    type === 'IFCPARAMETERVALUE' ||
    type === 'REAL'
  );
}

/**
 * web-ifc's code for the token after `#` in `1.#INF`: it reads `1.#INF` (written by some exporters
 * for infinity, `-1.#IND` for NaN) as the number's text, a 0 and a reference to a type of that
 * name (and the rest of the line after it), not as one value.
 */
const STEP_INF_TYPECODE = 1901062515;

/** ±Infinity or NaN for web-ifc's reading of `1.#INF`, `-1.#INF`, `-1.#IND`, `1.#QNAN`; else null. */
function stepNonFinite(raw: unknown): number | null {
  if (!Array.isArray(raw) || raw.length < 3 || typeof raw[0] !== 'string') return null;
  const marker = raw[2] as { typecode?: unknown } | null;
  if (!marker || typeof marker !== 'object' || typeof marker.typecode !== 'number') return null;
  if (!/^[+-]?\d+\.\d*$/.test(raw[0])) return null;
  if (marker.typecode === STEP_INF_TYPECODE) return raw[0].startsWith('-') ? -Infinity : Infinity;
  return NaN;
}

function normalize(v: [number, number, number]): [number, number, number] {
  const length = Math.hypot(v[0], v[1], v[2]);
  return length > 0 ? [v[0] / length, v[1] / length, v[2] / length] : [0, 0, 1];
}
