// Building blocks of the API contract: a method is a request schema and a response schema,
// an event is a payload schema. Both sides of every transport use these same objects.
import type { z } from 'zod';

export interface MethodSpec<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  request: Req;
  response: Res;
}

export interface EventSpec<P extends z.ZodType = z.ZodType> {
  payload: P;
}

export const defineMethod = <Req extends z.ZodType, Res extends z.ZodType>(
  request: Req,
  response: Res,
): MethodSpec<Req, Res> => ({ request, response });

export const defineEvent = <P extends z.ZodType>(payload: P): EventSpec<P> => ({ payload });
