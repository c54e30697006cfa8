import { createRedisBroadcast } from './redis-broadcast.js';
import type { RedisConnection } from './redis-connection.js';

export interface RedisEventSignalSettings {
  /** REDIS_URL (the signal needs its own subscriber connection, so a URL rather than a client). */
  url: string;
  /** Key prefix shared by every instance of one deployment (default `threadline`). */
  prefix?: string;
  /** A client to publish with, if you have one (you close it). */
  publisher?: RedisConnection;
}

export interface RedisEventSignal {
  /** Tell every instance that events up to `cursor` have committed. */
  publish(cursor: number): Promise<void>;
  /** Called with the cursor another (or this) instance published; returns an unsubscribe. */
  subscribe(listener: (cursor: number) => void): () => void;
  /** Resolves once the subscription is live (signals published before it are not seen). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Cross-instance wake-up over Redis pub/sub. It carries no events, only "the log moved":
 * streams and webhook deliveries on every instance then read the shared event log from
 * their own cursors, so a lost signal delays a consumer (until its next poll) but never
 * loses or reorders an event.
 */
export function createRedisEventSignal(settings: RedisEventSignalSettings): RedisEventSignal {
  const broadcast = createRedisBroadcast({ ...settings, name: 'events' });
  return {
    ready: broadcast.ready,
    publish: (cursor) => broadcast.publish(String(cursor)),
    subscribe: (listener) => broadcast.subscribe((payload) => listener(Number(payload))),
    close: () => broadcast.close(),
  };
}
