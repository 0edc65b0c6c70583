// Gives components the typed API client; no component knows which transport is underneath.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { ApiClient, EventName, EventPayload, MethodName, RequestOf, ResponseOf } from '../../shared/api';
import type { ApiError } from '../../shared/result';

const ApiContext = createContext<ApiClient | null>(null);

export function ApiProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

export function useApi(): ApiClient {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApi outside ApiProvider');
  return client;
}

export type Loadable<T> =
  { state: 'loading' } | { state: 'ready'; value: T } | { state: 'error'; error: ApiError };

/** Calls a method once (and again when `refreshOn` fires), keeping the latest answer. */
export function useQuery<M extends MethodName>(
  method: M,
  request: RequestOf<M>,
  refreshOn?: EventName,
): Loadable<ResponseOf<M>> {
  const api = useApi();
  const [result, setResult] = useState<Loadable<ResponseOf<M>>>({ state: 'loading' });
  const key = JSON.stringify(request);
  useEffect(() => {
    let live = true;
    const load = () =>
      void api.call(method, JSON.parse(key) as RequestOf<M>).then((r) => {
        if (!live) return;
        setResult(r.ok ? { state: 'ready', value: r.value } : { state: 'error', error: r.error });
      });
    load();
    const off = refreshOn ? api.on(refreshOn, load) : undefined;
    return () => {
      live = false;
      off?.();
    };
  }, [api, method, key, refreshOn]);
  return result;
}

/** Subscribes to one event for the component's lifetime. */
export function useEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
  const api = useApi();
  const [latest] = useState(() => ({ listener }));
  latest.listener = listener;
  useEffect(() => api.on(event, (p) => latest.listener(p)), [api, event, latest]);
}
