import type { GatewayRestartFault } from './scenario-schema.js';

/**
 * When the kill numbered `index` (from 0) is due, in real milliseconds from the start of the
 * traffic; undefined when the fault has no such kill. `previousBackAt` is when the previous
 * restart answered again (same clock): the kill waits for it, plus the fault's minimum
 * uptime. An open-ended fault (`every` without `times`) always has a next kill: the caller
 * stops it when the traffic ends.
 */
export function gatewayRestartDueAt(
  fault: GatewayRestartFault,
  index: number,
  previousBackAt?: number,
): number | undefined {
  if (!Number.isInteger(index) || index < 0) return undefined;
  if (fault.times !== undefined && index >= fault.times) return undefined;
  if (fault.every === undefined && index > 0) return undefined;
  const planned = fault.at + index * (fault.every ?? 0);
  return previousBackAt === undefined
    ? planned
    : Math.max(planned, previousBackAt + fault.minimumUptime);
}
