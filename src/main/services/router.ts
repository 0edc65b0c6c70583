// The single entry point of every request from a renderer, whatever the transport: it checks the
// method exists and the payload matches its schema before any service sees it, and turns every
// outcome into a Result.
import { apiMethods, isMethodName, type MethodName, type RequestOf, type ResponseOf } from '../../shared/api';
import { AppError, type Result } from '../../shared/result';
import type { z } from 'zod';

export type Handler<M extends MethodName> = (
  request: z.output<(typeof apiMethods)[M]['request']>,
) => Promise<ResponseOf<M>> | ResponseOf<M>;

export type Handlers = { [M in MethodName]: Handler<M> };

export interface Router {
  dispatch(method: unknown, params: unknown): Promise<Result<unknown>>;
  call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<Result<ResponseOf<M>>>;
}

export interface RouterOptions {
  /** Where unexpected failures go, with their stack; the renderer gets only a short message. */
  logError?: (method: string, error: unknown) => void;
}

/** Formats schema issues as one readable line: `rpcUrl: Invalid URL; theme: expected one of ...`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(payload)';
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

export function createRouter(handlers: Handlers, options: RouterOptions = {}): Router {
  const dispatch = async (method: unknown, params: unknown): Promise<Result<unknown>> => {
    if (!isMethodName(method)) {
      const name = typeof method === 'string' ? `"${method.slice(0, 64)}"` : typeof method;
      return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `Unknown request ${name}.` } };
    }
    const spec = apiMethods[method];
    const parsed = spec.request.safeParse(params ?? {});
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          code: 'BAD_REQUEST',
          message: `Invalid ${method} request: ${describeIssues(parsed.error.issues)}`,
        },
      };
    }
    try {
      const handler = handlers[method] as (request: unknown) => unknown;
      const value = await handler(parsed.data);
      return { ok: true, value };
    } catch (error) {
      if (error instanceof AppError) {
        return { ok: false, error: { code: error.code, message: error.message } };
      }
      options.logError?.(method, error);
      return {
        ok: false,
        error: { code: 'INTERNAL', message: `${method} failed unexpectedly; the details are in the log.` },
      };
    }
  };
  return {
    dispatch,
    call: (method, request) => dispatch(method, request) as never,
  };
}
