// The one payload format sensors publish, and its parser. UTF-8 JSON, at most 1 KiB:
//   {"value": 71.25, "ts": 1764000000123, "seq": 42}
//   {"value": 71.25, "ts": 1764000000123, "seq": 42, "sig": "0x<65-byte EIP-712 signature>"}
// value: a finite number in the mapping's unit; ts: milliseconds since the Unix epoch (an integer);
// seq: an integer that rises with every reading of that sensor (replays are refused); sig: only for
// sensors that sign their readings themselves. Other fields are ignored.

export const MAX_PAYLOAD_BYTES = 1024;

export interface SensorPayload {
  value: number;
  ts: number;
  seq: number;
  sig: string | null;
}

export type PayloadResult = { ok: true; payload: SensorPayload } | { ok: false; detail: string };

const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
/** 2001-09-09 in ms: smaller timestamps are almost certainly seconds, not milliseconds. */
const SMALLEST_MS_TIMESTAMP = 1e12;

export function parsePayload(bytes: Buffer | Uint8Array): PayloadResult {
  if (bytes.length === 0) return { ok: false, detail: 'empty payload' };
  if (bytes.length > MAX_PAYLOAD_BYTES) {
    return { ok: false, detail: `payload of ${bytes.length} bytes (at most ${MAX_PAYLOAD_BYTES})` };
  }
  let data: unknown;
  try {
    data = JSON.parse(Buffer.isBuffer(bytes) ? bytes.toString('utf8') : Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ok: false, detail: 'not JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, detail: 'not a JSON object' };
  }
  const { value, ts, seq, sig } = data as Record<string, unknown>;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { ok: false, detail: '"value" must be a finite number' };
  }
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts <= 0) {
    return { ok: false, detail: '"ts" must be a positive integer (ms since epoch)' };
  }
  if (ts < SMALLEST_MS_TIMESTAMP) {
    return { ok: false, detail: '"ts" looks like seconds: send milliseconds since epoch' };
  }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    return { ok: false, detail: '"seq" must be a non-negative integer' };
  }
  if (sig !== undefined && (typeof sig !== 'string' || !SIGNATURE.test(sig))) {
    return { ok: false, detail: '"sig" must be a 65-byte hex signature' };
  }
  return { ok: true, payload: { value, ts, seq, sig: (sig as string | undefined) ?? null } };
}

export function encodePayload(payload: { value: number; ts: number; seq: number; sig?: string }): Buffer {
  return Buffer.from(JSON.stringify(payload));
}
