import type { ThreadlineClient, ThreadlineEvent } from '@threadline/client';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'stopped';
type EventListener = (event: ThreadlineEvent) => void;
type StateListener = (state: LiveState) => void;

/**
 * The one event stream of a signed-in tab. Views subscribe to it; the client resumes after
 * the last event handled when the connection drops (a gateway restart), so every event
 * reaches the views once, in order.
 */
export function createLiveFeed(client: ThreadlineClient) {
  const listeners = new Set<EventListener>();
  const stateListeners = new Set<StateListener>();
  let state: LiveState = 'connecting';
  let readyWaiters: Array<() => void> = [];
  const setState = (next: LiveState) => {
    state = next;
    for (const listener of stateListeners) listener(next);
  };
  const stream = client.events.stream({
    onEvent: (event) => {
      for (const listener of listeners) listener(event);
    },
    onReady: () => {
      setState('live');
      for (const resolve of readyWaiters) resolve();
      readyWaiters = [];
    },
    onDisconnect: () => setState('reconnecting'),
    reconnect: { initialDelayMs: 250, maxDelayMs: 3_000 },
  });
  stream.done.then(
    () => setState('stopped'),
    () => setState('stopped'),
  );
  return {
    get state() {
      return state;
    },
    /** Resolves once the stream is connected: anything committed after this is seen. */
    ready(): Promise<void> {
      if (stream.connected) return Promise.resolve();
      return new Promise((resolve) => readyWaiters.push(resolve));
    },
    subscribe(listener: EventListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onState(listener: StateListener): () => void {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    close: () => stream.close(),
  };
}

export type LiveFeed = ReturnType<typeof createLiveFeed>;
