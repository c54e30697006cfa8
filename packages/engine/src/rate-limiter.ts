/**
 * A token bucket per key: `perSecond` tokens refill continuously, up to a burst of
 * `perSecond`. `take` answers how long to wait before a token is free (0 = go now).
 */
export class RateLimiter {
  private readonly buckets = new Map<
    string,
    { tokens: number; updatedAt: number; perSecond: number }
  >();

  take(key: string, perSecond: number, now: number): number {
    if (!(perSecond > 0)) return 0;
    const bucket = this.buckets.get(key) ?? { tokens: perSecond, updatedAt: now, perSecond };
    bucket.tokens = Math.min(
      perSecond,
      bucket.tokens + ((now - bucket.updatedAt) / 1000) * perSecond,
    );
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / perSecond) * 1000);
  }
}
