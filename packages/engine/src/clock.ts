import { v7 as uuidv7 } from 'uuid';
import type { Clock, IdGenerator } from './ports.js';

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand: no sleeps, no flakiness. */
export function createManualClock(start: Date | string = '2026-01-01T00:00:00.000Z') {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    advance(milliseconds: number) {
      current += milliseconds;
    },
    set(time: Date | string) {
      current = new Date(time).getTime();
    },
  };
}

/** UUIDv7 ids, time-ordered by the given clock (monotonic within one process). */
export function createIdGenerator(clock: Clock = systemClock): IdGenerator {
  return { next: () => uuidv7({ msecs: clock.now().getTime() }) };
}

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "24h", "90m", "30s", "1500ms", "2d" or a number of milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!match) throw new Error(`"${value}" is not a duration (use e.g. 24h, 90m, 30s)`);
  return Math.round(Number(match[1]) * units[match[2] ?? 'ms']!);
}
