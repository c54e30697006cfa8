import { openRedis, type RedisConnection } from './redis-connection.js';

export interface RedisBroadcastSettings {
  /** REDIS_URL (a subscriber needs its own connection, so a URL rather than a client). */
  url: string;
  /** What is broadcast, e.g. `webchat`; one channel per name and prefix. */
  name: string;
  /** Key prefix shared by every instance of one deployment (default `threadline`). */
  prefix?: string;
  /** A client to publish with, if you have one (you close it). */
  publisher?: RedisConnection;
}

export interface RedisBroadcast {
  /** Send `payload` to every instance subscribed (this one included). */
  publish(payload: string): Promise<void>;
  /** Called with every payload published; returns an unsubscribe. */
  subscribe(listener: (payload: string) => void): () => void;
  /** Resolves once the subscription is live. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Fire-and-forget messages to every instance over Redis pub/sub: for what only the instance
 * holding a connection can do, such as pushing a reply into a web chat visitor's socket.
 * Nothing is stored: an instance that is not subscribed at that moment does not get it.
 */
export function createRedisBroadcast(settings: RedisBroadcastSettings): RedisBroadcast {
  const channel = `${settings.prefix ?? 'threadline'}:broadcast:${settings.name}`;
  const publisher = openRedis(settings.publisher ?? settings.url);
  const subscriber = openRedis(settings.url);
  const listeners = new Set<(payload: string) => void>();
  subscriber.redis.on('message', (from: string, payload: string) => {
    if (from !== channel) return;
    for (const listener of listeners) {
      try {
        listener(payload);
      } catch {
        // one listener's failure must not stop the others
      }
    }
  });
  const ready = subscriber.redis.subscribe(channel).then(() => undefined);
  ready.catch(() => {});
  return {
    ready,
    async publish(payload) {
      await publisher.redis.publish(channel, payload);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await subscriber.release();
      await publisher.release();
    },
  };
}
