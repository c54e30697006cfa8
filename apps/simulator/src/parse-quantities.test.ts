import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  parseDuration,
  parseDurationRange,
  parsePercent,
  parseRate,
} from './parse-quantities.js';

describe('quantities in scenarios', () => {
  it('reads durations, ranges, rates and percentages', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration(40)).toBe(40);
    expect(parseDurationRange('200ms..1s')).toEqual({ min: 200, max: 1_000 });
    expect(parseDurationRange(['1m', '2m'])).toEqual({ min: 60_000, max: 120_000 });
    expect(parseDurationRange('3s')).toEqual({ min: 3_000, max: 3_000 });
    expect(parseRate('600/min')).toBe(10);
    expect(parseRate('2000/s')).toBe(2_000);
    expect(parsePercent('99.5%')).toBeCloseTo(0.995);
    expect(parsePercent(1)).toBe(1);
  });

  it('says what is wrong with a bad value', () => {
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
    expect(() => parseDurationRange('2s..1s')).toThrow(/ends before it starts/);
    expect(() => parseRate('fast')).toThrow(/not a rate/);
    expect(() => parsePercent('120%')).toThrow(/not a percentage/);
  });

  it('formats durations for people', () => {
    expect(formatDuration(0.25)).toBe('0.25ms');
    expect(formatDuration(3.14)).toBe('3.1ms');
    expect(formatDuration(420)).toBe('420ms');
    expect(formatDuration(2_500)).toBe('2.50s');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});
