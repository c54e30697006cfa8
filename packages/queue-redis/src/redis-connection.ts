import { Redis } from 'ioredis';

/** A Redis URL (`redis://host:6379/0`, REDIS_URL) or a client the caller owns and closes. */
export type RedisConnection = string | Redis;

/**
 * A client for `connection`: a new one for a URL (closed by `release`), or the caller's own.
 * `maxRetriesPerRequest: null` keeps commands waiting through a reconnect instead of
 * failing them, which BullMQ's workers require.
 */
export function openRedis(connection: RedisConnection): {
  redis: Redis;
  release: () => Promise<void>;
} {
  if (typeof connection !== 'string') return { redis: connection, release: async () => {} };
  const redis = new Redis(connection, { maxRetriesPerRequest: null, lazyConnect: false });
  // Connection errors are retried by the client; they must not crash the process.
  redis.on('error', () => {});
  return {
    redis,
    release: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
