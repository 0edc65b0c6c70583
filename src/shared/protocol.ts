// Wire frames of the serve-mode WebSocket transport (MessagePack-encoded, so binary payloads such
// as geometry travel as bytes) and the Electron IPC channel names. The payloads inside are the API
// contract's; these schemas only check the envelope.
import { z } from 'zod';

export { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from './ipc-channels';

/** Subprotocol the serve host speaks; the secret travels as a second subprotocol `auth.<hex>`. */
export const WS_PROTOCOL = 'twinledger.v1';
export const WS_AUTH_PREFIX = 'auth.';
export const WS_PATH = '/api';

/**
 * Largest frame the host accepts from a client, in bytes. Only a client that presented the run's
 * secret can send frames at all, and an IFC import travels as one request, so the bound follows
 * the largest import the settings allow (512 MB) plus room for the envelope; the import service
 * then applies the user's own limit.
 */
export const MAX_FRAME_BYTES = 513 * 1024 * 1024;

export const RequestFrame = z
  .object({
    type: z.literal('request'),
    id: z.number().int().nonnegative(),
    method: z.string().max(128),
    params: z.unknown(),
  })
  .strict();
export type RequestFrame = z.infer<typeof RequestFrame>;

export const ResponseFrame = z.object({
  type: z.literal('response'),
  id: z.number().int().nonnegative(),
  result: z.union([
    z.object({ ok: z.literal(true), value: z.unknown() }),
    z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
  ]),
});
export type ResponseFrame = z.infer<typeof ResponseFrame>;

export const EventFrame = z.object({
  type: z.literal('event'),
  event: z.string(),
  payload: z.unknown(),
});
export type EventFrame = z.infer<typeof EventFrame>;

export const ServerFrame = z.discriminatedUnion('type', [ResponseFrame, EventFrame]);
