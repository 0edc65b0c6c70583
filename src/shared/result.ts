// Errors as values: every API answer is a Result whose error carries a code a program can act on
// and a message a person can read.
export const errorCodes = [
  'BAD_REQUEST', // payload failed its schema
  'UNKNOWN_METHOD', // no such request in the contract
  'FORBIDDEN', // sender or identity is not allowed
  'NOT_FOUND',
  'CONFLICT',
  'UNAVAILABLE', // a service (chain, store) cannot be reached right now
  'CANCELLED',
  'INTERNAL', // a bug: logged in main with details, shown to the user as a short message
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ApiError {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** An error a service throws on purpose; the router turns it into `{ ok: false, error }`. */
export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
  }
}

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, message: string): Result<never> => ({
  ok: false,
  error: { code, message },
});
