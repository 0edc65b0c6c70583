// What one edit does to an element's canonical state, as a pure function: the new state (lists kept
// sorted as the fingerprint requires), the edit in words, and for moves the translation to apply to
// the element's placed meshes. Refusals are AppErrors whose message names the problem.
import {
  roundPlacement,
  sortPropertySets,
  sortPropertyValues,
  type ElementState,
  type PropertySetState,
} from '../../shared/fingerprint';
import { STATUS_PROPERTY, STATUS_PROPERTY_SET, type EditOp, type ScalarValue } from '../../shared/api/edits';
import { AppError } from '../../shared/result';

export interface EditOutcome {
  state: ElementState;
  summary: string;
  /** Moves: the translation of the placed meshes, in the viewer's axes (Y up: x, z, -y of IFC). */
  meshTranslation: [number, number, number] | null;
}

/** A value as people read it in a summary. */
export function showValue(value: unknown, unit?: string | null): string {
  if (value === null || value === undefined) return '(empty)';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  const text =
    typeof value === 'string' ? `"${value.length > 60 ? `${value.slice(0, 57)}…` : value}"` : String(value);
  return unit ? `${text} ${unit}` : text;
}

const elementLabel = (state: ElementState) => state.name ?? state.globalId;

function findSet(state: ElementState, name: string): PropertySetState {
  const set = state.propertySets.find((s) => s.name === name);
  if (set) return set;
  const onType = state.type?.propertySets.some((s) => s.name === name);
  throw new AppError(
    'NOT_FOUND',
    onType
      ? `${name} belongs to the element's type (${state.type!.name ?? state.type!.ifcClass}), which this edit cannot change; add the property to the element itself to override it.`
      : `${elementLabel(state)} has no property set ${name}.`,
  );
}

function checkValueKind(property: string, old: unknown, value: ScalarValue): void {
  if (old !== null && typeof old === 'object')
    throw new AppError(
      'BAD_REQUEST',
      `${property} holds a list or table value, which cannot be edited here.`,
    );
  if (value === null || old === null) return;
  const want = typeof old;
  if (want === typeof value) return;
  const words: Record<string, string> = { number: 'a number', boolean: 'yes or no', string: 'text' };
  throw new AppError('BAD_REQUEST', `${property} takes ${words[want] ?? want}, not ${showValue(value)}.`);
}

function defaultType(value: ScalarValue): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'IFCINTEGER' : 'IFCREAL';
  if (typeof value === 'boolean') return 'IFCBOOLEAN';
  return 'IFCLABEL';
}

const cleanName = (name: string, what: string): string => {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name))
    throw new AppError('BAD_REQUEST', `The ${what} name has control characters.`);
  return name;
};

const round = (v: number) => Number(v.toFixed(3));

/** Applies one edit to a copy of the state; the input is not changed. */
export function applyEdit(input: ElementState, op: EditOp): EditOutcome {
  const outcome = edit(structuredClone(input), op);
  // Once for every edit, as the importer sorts them: a set's text that changed may move it among
  // the sets of its name and kind.
  sortPropertySets(outcome.state.propertySets);
  return outcome;
}

function edit(state: ElementState, op: EditOp): EditOutcome {
  switch (op.kind) {
    case 'setProperty': {
      const set = findSet(state, op.set);
      const property = set.properties.find((p) => p.name === op.property);
      if (!property)
        throw new AppError(
          'NOT_FOUND',
          `${op.set} of ${elementLabel(state)} has no property ${op.property}.`,
        );
      checkValueKind(op.property, property.value, op.value);
      const before = property.value;
      property.value = op.value;
      sortPropertyValues(set.properties);
      return {
        state,
        summary: `${op.set}.${op.property}: ${showValue(before, property.unit)} → ${showValue(op.value, property.unit)}`,
        meshTranslation: null,
      };
    }
    case 'addProperty': {
      cleanName(op.set, 'property set');
      cleanName(op.property, 'property');
      let set = state.propertySets.find((s) => s.name === op.set);
      const created = !set;
      if (!set) {
        set = { name: op.set, kind: 'pset', properties: [] };
        state.propertySets.push(set);
      }
      if (set.properties.some((p) => p.name === op.property))
        throw new AppError(
          'CONFLICT',
          `${op.set} already has a property ${op.property}; change its value instead.`,
        );
      const unit = op.unit === undefined || op.unit === '' ? null : op.unit;
      set.properties.push({
        name: op.property,
        type: op.valueType ?? defaultType(op.value),
        value: op.value,
        unit,
      });
      sortPropertyValues(set.properties);
      return {
        state,
        summary: `Added ${op.set}.${op.property} = ${showValue(op.value, unit)}${created ? ' (new property set)' : ''}`,
        meshTranslation: null,
      };
    }
    case 'removeProperty': {
      const set = findSet(state, op.set);
      const property = set.properties.find((p) => p.name === op.property);
      if (!property)
        throw new AppError(
          'NOT_FOUND',
          `${op.set} of ${elementLabel(state)} has no property ${op.property}.`,
        );
      set.properties = set.properties.filter((p) => p !== property);
      const emptied = set.properties.length === 0;
      if (emptied) state.propertySets = state.propertySets.filter((s) => s !== set);
      return {
        state,
        summary: `Removed ${op.set}.${op.property} (was ${showValue(property.value, property.unit)})${emptied ? ' and the emptied set' : ''}`,
        meshTranslation: null,
      };
    }
    case 'removePropertySet': {
      const set = findSet(state, op.set);
      state.propertySets = state.propertySets.filter((s) => s !== set);
      const n = set.properties.length;
      return {
        state,
        summary: `Removed property set ${op.set} (${n} propert${n === 1 ? 'y' : 'ies'})`,
        meshTranslation: null,
      };
    }
    case 'setStatus': {
      let set = state.propertySets.find((s) => s.name === STATUS_PROPERTY_SET && s.kind === 'pset');
      if (!set) {
        set = { name: STATUS_PROPERTY_SET, kind: 'pset', properties: [] };
        state.propertySets.push(set);
      }
      const existing = set.properties.find((p) => p.name === STATUS_PROPERTY);
      const before = existing?.value ?? null;
      set.properties = set.properties.filter((p) => p !== existing);
      set.properties.push({ name: STATUS_PROPERTY, type: 'IFCLABEL', value: op.status, unit: null });
      sortPropertyValues(set.properties);
      return {
        state,
        summary: `Status: ${typeof before === 'string' ? before : '(not set)'} → ${op.status}`,
        meshTranslation: null,
      };
    }
    case 'move': {
      const [dx, dy, dz] = op.translation;
      if (Math.hypot(dx, dy, dz) < 1e-6)
        throw new AppError('BAD_REQUEST', 'The move is shorter than a micrometre: nothing to do.');
      if (!state.placement)
        throw new AppError(
          'BAD_REQUEST',
          `${elementLabel(state)} has no placement in its model, so it cannot be moved.`,
        );
      const placement = [...state.placement];
      placement[12] = placement[12]! + dx;
      placement[13] = placement[13]! + dy;
      placement[14] = placement[14]! + dz;
      state.placement = roundPlacement(placement);
      return {
        state,
        summary: `Moved by (${round(dx)}, ${round(dy)}, ${round(dz)}) m`,
        meshTranslation: [dx, dz, -dy],
      };
    }
  }
}

/** The element's status as the TwinLedger_Status set records it (null: never set). */
export function statusOf(state: ElementState): string | null {
  const value = state.propertySets
    .find((s) => s.name === STATUS_PROPERTY_SET)
    ?.properties.find((p) => p.name === STATUS_PROPERTY)?.value;
  return typeof value === 'string' ? value : null;
}

/** A placed mesh's column-major float64 matrix, translated (viewer axes). */
export function translateMatrix(matrix: Uint8Array, by: readonly [number, number, number]): Uint8Array {
  const copy = new Uint8Array(matrix);
  const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  for (let k = 0; k < 3; k++)
    view.setFloat64((12 + k) * 8, view.getFloat64((12 + k) * 8, true) + by[k]!, true);
  return copy;
}
