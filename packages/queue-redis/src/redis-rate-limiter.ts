import type { SendRateLimiter } from '@threadline/engine';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { openRedis, type RedisConnection } from './redis-connection.js';

export interface RedisRateLimiterSettings {
  /** REDIS_URL, or a client you own. */
  connection: RedisConnection;
  /** Key prefix shared by every instance of one deployment (default `threadline`). */
  prefix?: string;
}

export interface RedisRateLimiter extends SendRateLimiter {
  take(key: string, perSecond: number, nowMs: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Per-connector send rates shared by every gateway instance (rate-limiter-flexible on Redis):
 * a connector allowed 10 sends a second sends at most 10 a second in all, however many
 * instances run. A window of one second holds `perSecond` sends; a rate below one a second
 * becomes one send per window of `1 / perSecond` seconds (rounded up). `take` answers how
 * long to wait before trying again (0 = send now).
 */
export function createRedisRateLimiter(settings: RedisRateLimiterSettings): RedisRateLimiter {
  const { redis, release } = openRedis(settings.connection);
  const prefix = settings.prefix ?? 'threadline';
  const limiters = new Map<number, RateLimiterRedis>();

  function limiterFor(perSecond: number): RateLimiterRedis {
    let limiter = limiters.get(perSecond);
    if (!limiter) {
      const [points, duration] =
        perSecond >= 1 ? [Math.floor(perSecond), 1] : [1, Math.ceil(1 / perSecond)];
      limiter = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${prefix}:rate:${perSecond}`,
        points,
        duration,
      });
      limiters.set(perSecond, limiter);
    }
    return limiter;
  }

  return {
    async take(key, perSecond) {
      if (!(perSecond > 0)) return 0;
      try {
        await limiterFor(perSecond).consume(key);
        return 0;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return Math.max(1, rejection.msBeforeNext);
        throw rejection;
      }
    },
    async close() {
      await release();
    },
  };
}
