// How TwinLedger fingerprints an element and a version, byte for byte, so that anyone (the app on
// another machine, the contracts, an auditor's script) can recompute and verify them.
//
// elementKey  = keccak256(utf8(GlobalId))                 the 22-character IFC GlobalId, as written
// stateHash   = sha256(utf8(canonicalJson(ElementState)))  RFC 8785 canonical JSON, see ElementState
// leaf        = keccak256(keccak256(abi.encode(bytes32 elementKey, bytes32 stateHash)))
// versionRoot = OpenZeppelin StandardMerkleTree.of(leaves, ['bytes32', 'bytes32']).root
//               (leaves sorted by hash, pairs hashed sorted: OZ MerkleProof.verify compatible)
//
// On chain, `verifyElement(twin, version, elementKey, stateHash, proof)` recomputes the leaf with
// `keccak256(bytes.concat(keccak256(abi.encode(elementKey, stateHash))))` and calls
// `MerkleProof.verify(proof, root, leaf)`.
//
// Tolerances: placements are world matrices in metres (IFC axes, Z up), every entry rounded to
// PLACEMENT_DECIMALS (1e-6 m, one micrometre); a body's transform relative to its placement to
// multiples of 2^-20 (roundBody); mesh colours to COLOR_DECIMALS; other numbers are
// kept as the file states them and serialised in ECMAScript form (RFC 8785). Non-finite numbers
// (`1.#INF` in some exports) become the strings "Infinity", "-Infinity" and "NaN".
import { keccak256, sha256 } from 'ethers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { canonicalJson, roundTo, type CanonicalValue } from './canonical';

/** Version of the ElementState layout; part of every state so a change of layout changes every hash. */
const encoder = new TextEncoder();
const utf8 = (text: string): Uint8Array => encoder.encode(text);

// 2: `geometry` also holds where the body sits relative to the element's placement.
export const ELEMENT_STATE_FORMAT = 2;
export const PLACEMENT_DECIMALS = 6;
export const COLOR_DECIMALS = 4;
export const MERKLE_LEAF_ENCODING = ['bytes32', 'bytes32'] as const;

export type Hex32 = `0x${string}`;

/** A property or quantity value: as in the file, with its IFC measure type and unit. */
export interface PropertyValue {
  [key: string]: CanonicalValue | undefined;
  name: string;
  /** IFC value type (IFCLABEL, IFCLENGTHMEASURE, ...), or the property kind for non-single values. */
  type: string | null;
  value: CanonicalValue;
  /** Unit symbol (mm, m2, °) from the property itself or the project's default units; null if none. */
  unit: string | null;
}

export interface PropertySetState {
  [key: string]: CanonicalValue | undefined;
  name: string;
  /** 'pset' (IfcPropertySet) or 'qto' (IfcElementQuantity). */
  kind: 'pset' | 'qto';
  /** Sorted by name, then by canonical value. */
  properties: PropertyValue[];
}

/**
 * The order a state keeps its properties and property sets in (the state's hash depends on it):
 * by name; sets then by kind; both then by their canonical text, so that repeats of one name stand
 * in one order whoever wrote them. `textOf` gives that text: canonicalJson by default; the importer
 * passes its memoized serialiser (its objects are built with their members in canonical order).
 */
export function sortPropertyValues(
  properties: PropertyValue[],
  textOf: (value: object) => string = canonicalText,
): PropertyValue[] {
  return properties.sort((a, b) => byName(a, b) || compareText(textOf(a), textOf(b)));
}

/** See sortPropertyValues. */
export function sortPropertySets(
  sets: PropertySetState[],
  textOf: (value: object) => string = canonicalText,
): PropertySetState[] {
  return sets.sort(
    (a, b) => byName(a, b) || compareText(a.kind, b.kind) || compareText(textOf(a), textOf(b)),
  );
}

const canonicalText = (value: object): string => canonicalJson(value as CanonicalValue);
const compareText = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
const byName = (a: { name: string }, b: { name: string }): number => compareText(a.name, b.name);

export interface ClassificationState {
  [key: string]: CanonicalValue | undefined;
  system: string | null;
  code: string | null;
  name: string | null;
}

export interface PortState {
  [key: string]: CanonicalValue | undefined;
  globalId: string;
  name: string | null;
  flowDirection: string | null;
  /** GlobalIds of the ports this port connects to, with their elements; sorted. */
  connectedTo: { [key: string]: CanonicalValue; port: string; element: string | null }[];
}

export interface TypeObjectState {
  [key: string]: CanonicalValue | undefined;
  globalId: string;
  ifcClass: string;
  name: string | null;
  predefinedType: string | null;
  propertySets: PropertySetState[];
  classifications: ClassificationState[];
}

/**
 * The canonical record of one element (an IfcProduct, or the IfcProject at the root of a model).
 * Every list is sorted so that the order lines appear in the file never matters.
 */
export interface ElementState {
  [key: string]: CanonicalValue | undefined;
  format: number;
  globalId: string;
  ifcClass: string;
  name: string | null;
  description: string | null;
  objectType: string | null;
  tag: string | null;
  predefinedType: string | null;
  /** GlobalId of the spatial element containing it (IfcRelContainedInSpatialStructure). */
  container: string | null;
  /** GlobalId of the whole it is part of (IfcRelAggregates), or the element an opening voids. */
  decomposes: string | null;
  /** 16 numbers, column-major world matrix in metres (IFC axes), rounded; null if unplaced. */
  placement: number[] | null;
  type: TypeObjectState | null;
  propertySets: PropertySetState[];
  classifications: ClassificationState[];
  /** GlobalIds and names of the IfcSystem groups it belongs to, sorted by GlobalId. */
  systems: { [key: string]: CanonicalValue; globalId: string; name: string | null }[];
  ports: PortState[];
  /**
   * elementGeometryHashOf(geometryHashOf(its meshes), its body relative to its placement):
   * unchanged when the element moves; null when it has no geometry.
   */
  geometry: Hex32 | null;
}

/** The fields a changeset names when an element is modified (top-level keys of ElementState). */
export const elementFields = [
  'ifcClass',
  'name',
  'description',
  'objectType',
  'tag',
  'predefinedType',
  'container',
  'decomposes',
  'placement',
  'type',
  'propertySets',
  'classifications',
  'systems',
  'ports',
  'geometry',
] as const;
export type ElementField = (typeof elementFields)[number];

export function elementKeyOf(globalId: string): Hex32 {
  return keccak256(utf8(globalId)) as Hex32;
}

export function stateHashOf(state: ElementState): Hex32 {
  return stateHashOfCanonical(canonicalJson(state));
}

/** The state hash from the state's canonical JSON text, when the caller already has it. */
export function stateHashOfCanonical(canonical: string): Hex32 {
  return sha256(utf8(canonical)) as Hex32;
}

export function roundPlacement(matrix: ArrayLike<number>): number[] {
  return Array.from(matrix, (v) => roundTo(v, PLACEMENT_DECIMALS));
}

/**
 * One placed mesh of an element, for its geometry fingerprint: the content hash of the mesh
 * (sha256 of its float32 vertex and index bytes), its colour, and its transform relative to the
 * element's first mesh, so that moving an element changes its placement and not its geometry.
 */
export interface PlacedMeshFingerprint {
  [key: string]: CanonicalValue;
  mesh: string;
  color: number[];
  relative: number[];
}

export function geometryHashOf(meshes: PlacedMeshFingerprint[]): Hex32 {
  return sha256(utf8(canonicalJson(meshes))) as Hex32;
}

/**
 * The state's `geometry` (format 2): sha256 of the canonical JSON {body, meshes}, where `meshes` is
 * geometryHashOf of the element's meshes (each transform relative to the first mesh's) and `body`
 * the first mesh's transform relative to the element's placement:
 *   body = roundBody(inverse(Y_UP · W) · M0)
 * W: the element's world placement matrix in metres, unrounded (web-ifc's GetWorldTransformMatrix
 * of its ObjectPlacement, translation times the file's length unit: `placement` is W rounded);
 * M0: web-ifc's flatTransformation of its first mesh with a finite one, in StreamMeshes order
 * (Y up, metres). `body` is null for an element with no placement or a singular one. A body moved
 * inside an unchanged placement (an extrusion's position, a mapped item's target) changes the
 * geometry; moving the element changes its placement only.
 */
export function elementGeometryHashOf(meshes: Hex32, body: number[] | null): Hex32 {
  return sha256(utf8(canonicalJson({ body, meshes }))) as Hex32;
}

/**
 * A body transform's entries rounded to multiples of 2^-20 (about 1e-6; binary, not decimal: the
 * difference of two placements written with a few decimals, as files write them, then never falls
 * on a halfway point, where the last bit of a computation would decide which way it rounds).
 */
export function roundBody(matrix: ArrayLike<number>): number[] {
  return Array.from(matrix, (v) => {
    const rounded = Math.round(v * BODY_GRID) / BODY_GRID;
    return rounded === 0 ? 0 : rounded;
  });
}
const BODY_GRID = 2 ** 20;

/** web-ifc's axes from IFC's (Z up to Y up), column-major: what its mesh transforms begin with. */
export const Y_UP = [1, 0, 0, 0, 0, 0, -1, 0, 0, 1, 0, 0, 0, 0, 0, 1] as const;

/** A number as canonical JSON can hold it. */
export function canonicalNumber(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value === 0 ? 0 : value;
}

/** Checks a proof the way the contracts do (OpenZeppelin MerkleProof with standard leaves). */
export function verifyElementProof(
  root: string,
  elementKey: string,
  stateHash: string,
  proof: readonly string[],
): boolean {
  try {
    return StandardMerkleTree.verify(root, [...MERKLE_LEAF_ENCODING], [elementKey, stateHash], [...proof]);
  } catch {
    return false;
  }
}
