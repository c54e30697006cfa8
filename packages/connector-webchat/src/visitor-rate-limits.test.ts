import { describe, expect, it } from 'vitest';
import { SlidingWindowLimit, TokenBucket } from './visitor-rate-limits.js';

describe('TokenBucket', () => {
  it('allows a burst, then one token per 1/perSecond, and says how long to wait', () => {
    const bucket = new TokenBucket(2, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBe(500);
    expect(bucket.take(250)).toBe(250);
    expect(bucket.take(500)).toBe(0);
    expect(bucket.isIdle(500)).toBe(false);
    expect(bucket.isIdle(2000)).toBe(true);
  });
});

describe('SlidingWindowLimit', () => {
  it('allows `limit` events in any window and answers when the oldest leaves it', () => {
    const window = new SlidingWindowLimit(2, 1000);
    expect(window.take(0)).toBe(0);
    expect(window.take(400)).toBe(0);
    expect(window.take(500)).toBe(500);
    expect(window.take(1000)).toBe(0);
    expect(window.take(1100)).toBe(300);
    expect(window.isIdle(2400)).toBe(true);
  });
});
