import { afterEach, describe, expect, it } from 'vitest';
import { createRedisRateLimiter, type RedisRateLimiter } from './redis-rate-limiter.js';
import { deletePrefix, redisUnavailable, testRedisUrl, uniquePrefix } from './test/index.js';

const unavailable = await redisUnavailable();

describe.skipIf(unavailable !== undefined)('shared send rate limit', () => {
  const limiters: RedisRateLimiter[] = [];
  const prefixes: string[] = [];
  afterEach(async () => {
    for (const limiter of limiters.splice(0)) await limiter.close();
    for (const prefix of prefixes.splice(0)) await deletePrefix(prefix);
  });
  function instances(count: number): RedisRateLimiter[] {
    const prefix = uniquePrefix('rate');
    prefixes.push(prefix);
    const created = Array.from({ length: count }, () =>
      createRedisRateLimiter({ connection: testRedisUrl, prefix }),
    );
    limiters.push(...created);
    return created;
  }

  it('lets all instances together send no more than the connector’s rate', async () => {
    const [a, b] = instances(2);
    const waits = await Promise.all(
      Array.from({ length: 20 }, (_, index) => (index % 2 ? a! : b!).take('sms', 5, Date.now())),
    );
    expect(waits.filter((wait) => wait === 0)).toHaveLength(5);
    for (const wait of waits.filter((wait) => wait > 0)) expect(wait).toBeLessThanOrEqual(1_000);
  });

  it('keeps separate budgets per key (a connector, or a recipient on it)', async () => {
    const [a] = instances(1);
    expect(await a!.take('sms:+14155550100', 1, Date.now())).toBe(0);
    expect(await a!.take('sms:+14155550101', 1, Date.now())).toBe(0);
    expect(await a!.take('sms:+14155550100', 1, Date.now())).toBeGreaterThan(0);
  });

  it('spreads a rate below one a second over a longer window', async () => {
    const [a, b] = instances(2);
    expect(await a!.take('whatsapp', 0.5, Date.now())).toBe(0);
    const wait = await b!.take('whatsapp', 0.5, Date.now());
    expect(wait).toBeGreaterThan(1_000);
    expect(wait).toBeLessThanOrEqual(2_000);
  });

  it('does not limit a connector without a rate', async () => {
    const [a] = instances(1);
    expect(await a!.take('email', 0, Date.now())).toBe(0);
  });
});
