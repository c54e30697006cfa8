import { describe, expect, it } from 'vitest';
import { isTimeZone, quietHoursEnd } from './quiet-hours.js';

const overnight = { start: '22:00', end: '08:00' };

describe('quietHoursEnd', () => {
  it.each([
    // [instant (UTC), zone, window, end or null]
    ['2026-03-10T15:30:00.000Z', 'Asia/Shanghai', overnight, '2026-03-11T00:00:00.000Z'], // 23:30 → 08:00 next day
    ['2026-03-10T17:00:00.000Z', 'Asia/Shanghai', overnight, '2026-03-11T00:00:00.000Z'], // 01:00 → 08:00 same day
    ['2026-03-10T00:00:00.000Z', 'Asia/Shanghai', overnight, null], // 08:00 sharp: the window is over
    ['2026-03-10T13:59:00.000Z', 'Asia/Shanghai', overnight, null], // 21:59
    ['2026-03-10T14:00:00.000Z', 'Asia/Shanghai', overnight, '2026-03-11T00:00:00.000Z'], // 22:00 sharp
    [
      '2026-03-10T12:30:00.000Z',
      'UTC',
      { start: '12:00', end: '14:00' },
      '2026-03-10T14:00:00.000Z',
    ], // same-day window
    ['2026-03-10T14:30:00.000Z', 'UTC', { start: '12:00', end: '14:00' }, null],
    ['2026-03-10T12:30:00.000Z', 'UTC', { start: '12:00', end: '12:00' }, null], // empty window
    ['2026-03-10T23:30:00.000Z', 'UTC', null, null],
    // New York springs forward on 2026-03-08 (EST -5 → EDT -4): 08:00 the next morning is 12:00Z, not 13:00Z
    ['2026-03-08T04:30:00.000Z', 'America/New_York', overnight, '2026-03-08T12:00:00.000Z'], // 23:30 EST on the 7th
    // ... and falls back on 2026-11-01 (EDT → EST): 08:00 is 13:00Z
    ['2026-11-01T03:30:00.000Z', 'America/New_York', overnight, '2026-11-01T13:00:00.000Z'], // 23:30 EDT on Oct 31
    // A window ending at 02:30 on the spring-forward night ends at the first instant after the gap (03:30 EDT)
    [
      '2026-03-08T06:30:00.000Z',
      'America/New_York',
      { start: '01:00', end: '02:30' },
      '2026-03-08T07:30:00.000Z',
    ],
  ])('%s in %s %j → %s', (at, zone, window, expected) => {
    const end = quietHoursEnd(new Date(at), zone, window);
    expect(end?.toISOString() ?? null).toBe(expected);
  });

  it('knows time-zone names', () => {
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
