import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The server the Redis suites use (THREADLINE_TEST_REDIS_URL). */
export const testRedisUrl = process.env.THREADLINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Why the Redis suites cannot run here, or undefined when the server answers. With
 * `CI=true` an unreachable server is an error (the run fails), never a skip.
 */
export async function redisUnavailable(url = testRedisUrl): Promise<string | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    const reason = `Redis is not reachable at ${url} (${(error as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${reason}; CI requires it`);
    console.warn(
      `\n  SKIPPED the Redis suites: ${reason}.\n` +
        '  Run them with a local server on 127.0.0.1:6379 (bash .ci/run installs and starts one),\n' +
        '  or point THREADLINE_TEST_REDIS_URL at one.\n',
    );
    return reason;
  } finally {
    redis.disconnect();
  }
}

/** A key prefix no other run uses. */
export function uniquePrefix(label = 'test'): string {
  return `threadline-${label}-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key under `prefix` (a run cleans up after itself). */
export async function deletePrefix(prefix: string, url = testRedisUrl): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
