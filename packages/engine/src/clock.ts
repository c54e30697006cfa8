import { randomUUID } from 'node:crypto';
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

/**
 * UUIDv7 ids (RFC 9562), time-ordered by the given clock and strictly increasing within a
 * process: ids minted in the same millisecond (or while a test clock stands still) count up
 * in the 12-bit sequence field, so sorting ids sorts by creation.
 */
export function createIdGenerator(clock: Clock = systemClock): IdGenerator {
  let lastMs = -1;
  let sequence = 0;
  return {
    next() {
      let ms = clock.now().getTime();
      if (ms <= lastMs) {
        ms = lastMs;
        sequence += 1;
        if (sequence > 0xfff) {
          ms += 1;
          sequence = 0;
        }
      } else {
        sequence = 0;
      }
      lastMs = ms;
      // Random bits from randomUUID (which draws from a cached entropy pool), with the
      // timestamp, version and sequence written over its first 8 bytes.
      const random = randomUUID();
      const time = ms.toString(16).padStart(12, '0');
      const versionAndSequence = (0x7000 | sequence).toString(16);
      const variant = ((Number.parseInt(random.slice(19, 20), 16) & 0x3) | 0x8).toString(16);
      return `${time.slice(0, 8)}-${time.slice(8, 12)}-${versionAndSequence}-${variant}${random.slice(20, 23)}-${random.slice(24)}`;
    },
  };
}

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "24h", "90m", "30s", "1500ms", "2d" or a number of milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!match) throw new Error(`"${value}" is not a duration (use e.g. 24h, 90m, 30s)`);
  return Math.round(Number(match[1]) * units[match[2] ?? 'ms']!);
}
