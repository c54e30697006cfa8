import { describe, expect, it } from 'vitest';
import { gatewayRestartDueAt } from './gateway-restart-schedule.js';
import type { GatewayRestartFault } from './scenario-schema.js';

const fault = (settings: Partial<GatewayRestartFault>): GatewayRestartFault => ({
  at: 10_000,
  every: undefined,
  times: 1,
  minimumUptime: 0,
  ...settings,
});

/** The kills of a fault whose restarts each take `restartMs`. */
function kills(of: GatewayRestartFault, restartMs: number, upTo = 10): number[] {
  const times: number[] = [];
  let backAt: number | undefined;
  for (let index = 0; index < upTo; index++) {
    const due = gatewayRestartDueAt(of, index, backAt);
    if (due === undefined) break;
    times.push(due);
    backAt = due + restartMs;
  }
  return times;
}

describe('gateway restart schedule', () => {
  it('kills once at `at`', () => {
    expect(kills(fault({ at: 5_000 }), 1_000)).toEqual([5_000]);
  });

  it('kills `times` times, `every` apart, from `at`', () => {
    const everyTenSeconds = fault({ every: 10_000, times: 6 });
    expect(kills(everyTenSeconds, 3_000)).toEqual([10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    expect(kills(fault({ at: 3_000, every: 10_000, times: 3 }), 3_000)).toEqual([
      3_000, 13_000, 23_000,
    ]);
  });

  it('goes on without `times`, until the caller stops it', () => {
    const open = fault({ at: 2_000, every: 1_000, times: undefined });
    expect(kills(open, 100, 4)).toEqual([2_000, 3_000, 4_000, 5_000]);
    expect(gatewayRestartDueAt(open, 1_000)).toBe(1_002_000);
  });

  it('never kills before the previous restart is back, nor before the minimum uptime', () => {
    // restarts of 12 s: each kill waits for the gateway to answer again
    expect(kills(fault({ every: 10_000, times: 4 }), 12_000)).toEqual([
      10_000, 22_000, 34_000, 46_000,
    ]);
    // restarts of 7 s with 6 s of uptime at least: 13 s apart; of 3 s: on the 10 s grid
    const withUptime = fault({ every: 10_000, times: 4, minimumUptime: 6_000 });
    expect(kills(withUptime, 7_000)).toEqual([10_000, 23_000, 36_000, 49_000]);
    expect(kills(withUptime, 3_000)).toEqual([10_000, 20_000, 30_000, 40_000]);
    // one slow restart delays only the kill after it
    expect(gatewayRestartDueAt(withUptime, 2, 21_000)).toBe(30_000);
    expect(gatewayRestartDueAt(withUptime, 2, 28_000)).toBe(34_000);
  });

  it('has no kill before the first', () => {
    expect(gatewayRestartDueAt(fault({ every: 1_000, times: 2 }), -1)).toBeUndefined();
  });
});
