import type { ThreadlineEvent } from '@threadline/schema';

export type EventListener = (events: ThreadlineEvent[]) => void;

/**
 * In-process fan-out of committed events. Streams use it only as a wake-up signal and read
 * the event log from their own cursor, so a slow or reconnecting consumer misses nothing.
 */
export function createEventHub() {
  const listeners = new Set<EventListener>();
  return {
    publish(events: ThreadlineEvent[]) {
      for (const listener of listeners) {
        try {
          listener(events);
        } catch {
          // one consumer's failure must not stop the others
        }
      }
    },
    subscribe(listener: EventListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get size() {
      return listeners.size;
    },
  };
}
export type EventHub = ReturnType<typeof createEventHub>;
