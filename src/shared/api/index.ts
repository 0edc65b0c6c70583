// The one API contract between renderer and main: every request, response and event, each with
// its runtime schema. Later capabilities add their own file beside app.ts and spread it in here.
import type { z } from 'zod';
import { appEvents, appMethods } from './app';
import { vaultEvents, vaultMethods } from './vault';
import { chainEvents, chainMethods } from './chain';
import { twinEvents, twinMethods } from './twins';
import { syncEvents, syncMethods } from './sync';
import { outboxEvents, outboxMethods } from './outbox';
import { editEvents, editMethods } from './edits';
import { historyEvents, historyMethods } from './history';
import { sensorEvents, sensorMethods } from './sensors';
import { timelineEvents, timelineMethods } from './timeline';
import { maintenanceEvents, maintenanceMethods } from './maintenance';
import { rolesMethods } from './roles';
import type { Result } from '../result';

export const apiMethods = {
  ...appMethods,
  ...vaultMethods,
  ...chainMethods,
  ...twinMethods,
  ...syncMethods,
  ...outboxMethods,
  ...editMethods,
  ...historyMethods,
  ...sensorMethods,
  ...timelineMethods,
  ...maintenanceMethods,
  ...rolesMethods,
} as const;

export const apiEvents = {
  ...appEvents,
  ...vaultEvents,
  ...chainEvents,
  ...twinEvents,
  ...syncEvents,
  ...outboxEvents,
  ...editEvents,
  ...historyEvents,
  ...sensorEvents,
  ...timelineEvents,
  ...maintenanceEvents,
} as const;

export type ApiMethods = typeof apiMethods;
export type ApiEvents = typeof apiEvents;
export type MethodName = keyof ApiMethods;
export type EventName = keyof ApiEvents;

export type RequestOf<M extends MethodName> = z.input<ApiMethods[M]['request']>;
export type ResponseOf<M extends MethodName> = z.output<ApiMethods[M]['response']>;
export type EventPayload<E extends EventName> = z.output<ApiEvents[E]['payload']>;

export const methodNames = Object.keys(apiMethods) as MethodName[];
export const eventNames = Object.keys(apiEvents) as EventName[];

export const isMethodName = (name: unknown): name is MethodName =>
  typeof name === 'string' && Object.hasOwn(apiMethods, name);
export const isEventName = (name: unknown): name is EventName =>
  typeof name === 'string' && Object.hasOwn(apiEvents, name);

/** The typed surface the renderer talks to, whatever the transport underneath. */
export interface ApiClient {
  call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<Result<ResponseOf<M>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export * from './app';
export * from './vault';
export * from './chain';
export * from './sync';
export * from './outbox';
export * from './edits';
export * from './history';
export * from './timeline';
export * from './maintenance';
export * from './roles';
export * from './define';
