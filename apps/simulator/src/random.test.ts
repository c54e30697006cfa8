import { describe, expect, it } from 'vitest';
import { createRandom, hashSeed } from './random.js';

describe('createRandom', () => {
  it('draws the same sequence from the same seed, another from another seed', () => {
    const draws = (seed: number) => Array.from({ length: 5 }, createRandom(seed).next);
    expect(draws(42)).toEqual(draws(42));
    expect(draws(42)).not.toEqual(draws(43));
    for (const value of draws(7)) expect(value).toBeGreaterThanOrEqual(0);
    for (const value of draws(7)) expect(value).toBeLessThan(1);
  });

  it('forks streams that do not move when the parent draws more', () => {
    const first = createRandom(1);
    const forkBefore = first.fork('journeys').next();
    first.next();
    first.next();
    expect(first.fork('journeys').next()).toBe(forkBefore);
    expect(first.fork('names').next()).not.toBe(forkBefore);
  });

  it('keeps integers in range and picks by weight', () => {
    const random = createRandom(3);
    const counts = { rare: 0, common: 0 };
    for (let index = 0; index < 2_000; index++) {
      const value = random.int(2, 4);
      expect([2, 3, 4]).toContain(value);
      counts[random.weighted(['rare', 'common'] as const, (item) => (item === 'rare' ? 1 : 9))] +=
        1;
    }
    expect(counts.common).toBeGreaterThan(counts.rare * 5);
    expect(hashSeed('a', 1)).toBe(hashSeed('a', 1));
    expect(hashSeed('a', 1)).not.toBe(hashSeed('a', 2));
  });
});
