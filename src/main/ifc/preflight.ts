// Checks an IFC file's bytes before web-ifc sees them, so that bad input is refused with a message
// naming the problem (empty, binary, not STEP, not IFC, unknown schema, truncated) instead of
// crashing or silently importing half a model.
import { AppError } from '../../shared/result';

/** Schema ids web-ifc 0.0.78 reads (its SchemaNames), plus aliases read as their base schema. */
const SUPPORTED_SCHEMAS = new Set(['IFC2X3', 'IFC4', 'IFC4X3', 'IFC4X3_ADD2']);
const SCHEMA_ALIASES: Record<string, string> = {
  IFC2X3_FINAL: 'IFC2X3', // some Revit 2017 exports
  IFC2X3_TC1: 'IFC2X3',
  IFC2X_FINAL: 'IFC2X3',
  IFC4_ADD1: 'IFC4',
  IFC4_ADD2: 'IFC4',
  IFC4_ADD2_TC1: 'IFC4',
  IFC4X3_ADD1: 'IFC4X3',
  IFC4X3_TC1: 'IFC4X3_ADD2',
};

export interface PreflightResult {
  /** The bytes web-ifc should read (the header rewritten when a schema alias was mapped). */
  bytes: Uint8Array;
  schema: string;
  warnings: string[];
}

const refuse = (message: string): never => {
  throw new AppError('BAD_REQUEST', message);
};

export function preflight(input: Uint8Array, fileName: string): PreflightResult {
  if (input.byteLength === 0) refuse(`${fileName} is empty (0 bytes): there is no model to import.`);
  const headLength = Math.min(input.byteLength, 64 * 1024);
  const head = Buffer.from(input.buffer, input.byteOffset, headLength).toString('latin1');
  let control = 0;
  for (let i = 0; i < Math.min(headLength, 4096); i++) {
    const c = input[i]!;
    if (c === 0 || (c < 9 && c !== 0) || (c > 13 && c < 32 && c !== 27)) control++;
  }
  const start = head.replace(/^\uFEFF|^ï»¿/, '').trimStart();
  if (!start.startsWith('ISO-10303-21;')) {
    if (control > 8) refuse(`${fileName} is a binary file, not an IFC file (IFC files are STEP text).`);
    refuse(`${fileName} is not an IFC file: it does not start with "ISO-10303-21;" (the STEP header).`);
  }
  const schemaMatch = /FILE_SCHEMA\s*\(\s*\(\s*'([^']*)'/i.exec(head);
  if (!schemaMatch)
    refuse(`${fileName} has no FILE_SCHEMA in its STEP header, so its IFC schema is unknown.`);
  const declared = schemaMatch![1]!.trim().toUpperCase();
  if (!declared.startsWith('IFC')) {
    refuse(`${fileName} is a STEP file of schema "${declared}", not an IFC model.`);
  }
  const warnings: string[] = [];
  let bytes = input;
  let schema = declared;
  if (!SUPPORTED_SCHEMAS.has(declared)) {
    const alias = SCHEMA_ALIASES[declared];
    if (!alias) {
      refuse(
        `${fileName} uses the IFC schema "${declared}", which this version of TwinLedger cannot read ` +
          '(it reads IFC2X3, IFC4 and IFC4X3).',
      );
    }
    schema = alias!;
    warnings.push(`The header names the non-standard schema "${declared}"; the file was read as ${schema}.`);
    // Rewrite the header's schema id in a copy; the DATA section is untouched.
    // the match ends with the closing quote; the schema id sits just before it
    const at = schemaMatch!.index + schemaMatch![0].length - 1 - schemaMatch![1]!.length;
    const before = Buffer.from(input.buffer, input.byteOffset, at);
    const after = Buffer.from(
      input.buffer,
      input.byteOffset + at + schemaMatch![1]!.length,
      input.byteLength - at - schemaMatch![1]!.length,
    );
    bytes = new Uint8Array(Buffer.concat([before, Buffer.from(schema, 'latin1'), after]));
  }
  if (
    !/\bDATA\s*;/.test(head) &&
    !Buffer.from(input.buffer, input.byteOffset, input.byteLength).includes('DATA;')
  ) {
    refuse(`${fileName} has no DATA section: the STEP file holds no entities.`);
  }
  const tailLength = Math.min(input.byteLength, 4096);
  const tail = Buffer.from(
    input.buffer,
    input.byteOffset + input.byteLength - tailLength,
    tailLength,
  ).toString('latin1');
  if (!/END-ISO-10303-21\s*;\s*$/.test(tail)) {
    refuse(
      `${fileName} is truncated: it does not end with "END-ISO-10303-21;", so part of the model is missing. ` +
        'Export or copy the file again.',
    );
  }
  return { bytes, schema, warnings };
}
