// Event listener registry shared by both transports.
import type { EventName } from '../../../shared/api';

export function createListeners() {
  const map = new Map<EventName, Set<(payload: unknown) => void>>();
  return {
    add(event: EventName, listener: (payload: unknown) => void): () => void {
      let set = map.get(event);
      if (!set) map.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    emit(event: EventName, payload: unknown): void {
      for (const listener of [...(map.get(event) ?? [])]) {
        try {
          listener(payload);
        } catch (error) {
          console.error(`listener of ${event} failed`, error);
        }
      }
    },
  };
}
