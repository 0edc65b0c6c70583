// What an EIP-712 signature commits to, in words: the domain (which contract on which chain), the
// primary type and every field flattened to `path: value`, so the user (and the log of what was
// signed) can read it without decoding hashes.
import { getAddress, hexlify, TypedDataEncoder, type TypedDataDomain, type TypedDataField } from 'ethers';

export interface SummaryField {
  /** Dotted path of the field: `changeset.elements[2].key`. */
  path: string;
  type: string;
  value: string;
}

export interface TypedDataSummary {
  domain: { name?: string; version?: string; chainId?: string; verifyingContract?: string; salt?: string };
  primaryType: string;
  fields: SummaryField[];
  /** The EIP-712 digest that is signed. */
  digest: string;
  /** The same as readable lines. */
  text: string;
}

const MAX_TEXT = 200;

function formatValue(type: string, value: unknown): string {
  if (type === 'address') return getAddress(String(value));
  if (/^u?int\d*$/.test(type)) return BigInt(value as bigint | string | number).toString(10);
  if (type === 'bool') return value ? 'true' : 'false';
  if (type === 'string') {
    const text = String(value);
    return JSON.stringify(text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);
  }
  if (type === 'bytes') {
    const hex = hexlify(value as string | Uint8Array);
    const bytes = (hex.length - 2) / 2;
    return bytes > 64 ? `${hex.slice(0, 2 + 128)}… (${bytes} bytes)` : hex;
  }
  if (/^bytes\d+$/.test(type)) return hexlify(value as string | Uint8Array);
  return String(value);
}

function flatten(
  types: Record<string, TypedDataField[]>,
  type: string,
  value: unknown,
  path: string,
  out: SummaryField[],
): void {
  const array = /^(.*)\[(\d*)\]$/.exec(type);
  if (array) {
    const items = value as unknown[];
    if (items.length === 0) out.push({ path, type, value: '(empty list)' });
    items.forEach((item, index) => flatten(types, array[1]!, item, `${path}[${index}]`, out));
    return;
  }
  const struct = types[type];
  if (struct) {
    const record = value as Record<string, unknown>;
    for (const field of struct) {
      flatten(types, field.type, record[field.name], path ? `${path}.${field.name}` : field.name, out);
    }
    return;
  }
  out.push({ path, type, value: formatValue(type, value) });
}

/** Types without EIP712Domain, which ethers derives from the domain itself. */
export function withoutDomainType(types: Record<string, TypedDataField[]>): Record<string, TypedDataField[]> {
  const { EIP712Domain: _domain, ...rest } = types;
  return rest;
}

export function summarizeTypedData(
  domain: TypedDataDomain,
  types: Record<string, TypedDataField[]>,
  message: Record<string, unknown>,
  primaryType?: string,
): TypedDataSummary {
  const structTypes = withoutDomainType(types);
  const primary = primaryType ?? TypedDataEncoder.getPrimaryType(structTypes);
  const fields: SummaryField[] = [];
  flatten(structTypes, primary, message, '', fields);
  const summaryDomain: TypedDataSummary['domain'] = {};
  if (domain.name != null) summaryDomain.name = domain.name;
  if (domain.version != null) summaryDomain.version = domain.version;
  if (domain.chainId != null) summaryDomain.chainId = BigInt(domain.chainId).toString(10);
  if (domain.verifyingContract != null)
    summaryDomain.verifyingContract = getAddress(domain.verifyingContract);
  if (domain.salt != null) summaryDomain.salt = hexlify(domain.salt);
  const digest = TypedDataEncoder.hash(domain, structTypes, message);
  const domainLine = [
    summaryDomain.name && `${summaryDomain.name}${summaryDomain.version ? ` v${summaryDomain.version}` : ''}`,
    summaryDomain.chainId && `chain ${summaryDomain.chainId}`,
    summaryDomain.verifyingContract && `contract ${summaryDomain.verifyingContract}`,
  ]
    .filter(Boolean)
    .join(', ');
  const text = [
    `Sign ${primary} for ${domainLine || 'an unnamed domain'}`,
    ...fields.map((field) => `  ${field.path}: ${field.value}`),
    `Digest ${digest}`,
  ].join('\n');
  return { domain: summaryDomain, primaryType: primary, fields, digest, text };
}
