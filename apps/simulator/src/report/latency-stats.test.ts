import { describe, expect, it } from 'vitest';
import { histogram, summarize } from './latency-stats.js';

describe('latency statistics', () => {
  it('gives nearest-rank percentiles, the max and the mean', () => {
    const samples = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(summarize(samples)).toEqual({
      count: 100,
      p50: 50,
      p95: 95,
      p99: 99,
      max: 100,
      mean: 50.5,
    });
    expect(summarize([7])).toMatchObject({ p50: 7, p99: 7, max: 7 });
    expect(summarize([]).count).toBe(0);
    expect(Number.isNaN(summarize([]).p99)).toBe(true);
  });

  it('counts every sample once in log-scale buckets reaching the largest', () => {
    const samples = [0.05, 0.3, 2, 2.1, 40, 900];
    const { bounds, counts } = histogram(samples);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(samples.length);
    expect(bounds.at(-1)).toBeGreaterThanOrEqual(900);
    for (let index = 1; index < bounds.length; index++)
      expect(bounds[index]!).toBeGreaterThan(bounds[index - 1]!);
    const bucketOf = (value: number) => bounds.findIndex((bound) => value <= bound);
    expect(counts[bucketOf(2)]).toBe(2);
  });
});
