// JSON-RPC errors shaped like a real node's (geth: code 3, revert bytes as a hex string at
// error.data), so ethers and every other client decode custom errors from the embedded chain.
import type { RpcErrorObject } from './edr';

const isHex = (value: unknown): value is string =>
  typeof value === 'string' && /^0x[0-9a-fA-F]*$/.test(value);

/** EDR puts revert bytes at error.data.data; clients expect them at error.data. */
export function normalizeRpcError(error: RpcErrorObject): RpcErrorObject {
  const data = error.data as { data?: unknown; transactionHash?: unknown } | null | undefined;
  if (data && typeof data === 'object' && isHex(data.data)) {
    return { code: 3, message: error.message, data: data.data };
  }
  if (data === null || data === undefined) return { code: error.code, message: error.message };
  return error;
}

/** The error an EIP-1193 provider throws: an Error with the JSON-RPC code and data on it. */
export class ProviderRpcError extends Error {
  readonly code: number;
  readonly data?: unknown;
  constructor(error: RpcErrorObject) {
    super(error.message);
    this.name = 'ProviderRpcError';
    this.code = error.code;
    if (error.data !== undefined) this.data = error.data;
  }

  toJSON(): RpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

export const rpcErrorCodes = {
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** Infura/Alchemy use -32005 when a request exceeds a limit (log count, block range). */
  limitExceeded: -32005,
  /** Server unavailable (starting, stopped). */
  unavailable: -32002,
} as const;
