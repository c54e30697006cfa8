/**
 * The circuit breaker of one webhook subscription. A failing delivery is retried on its own
 * lane with backoff; an endpoint that fails everything — refused connections, timeouts, 5xx
 * across several conversations, or a 429 with `Retry-After` — stops the whole subscription
 * for a while instead of being hammered by every lane. After the pause one request goes out
 * as a probe: if it succeeds, deliveries resume at full concurrency; if it fails, the pause
 * doubles (up to `maxMs`).
 */
export interface CircuitSettings {
  /** Failed requests in a row, on at least two lanes, that open the circuit. */
  threshold: number;
  /** First pause; it doubles after each failed probe. */
  baseMs: number;
  maxMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export function createCircuitBreaker(settings: CircuitSettings) {
  let state: CircuitState = 'closed';
  let failures = 0;
  const failingLanes = new Set<string>();
  let openUntil = 0;
  let pauseMs = 0;
  let probing = false;

  function open(now: number, retryAfterMs: number | undefined) {
    pauseMs = pauseMs === 0 ? settings.baseMs : Math.min(settings.maxMs, pauseMs * 2);
    openUntil = Math.max(openUntil, now + Math.max(pauseMs, retryAfterMs ?? 0));
    state = 'open';
    probing = false;
  }

  return {
    get state(): CircuitState {
      return state;
    },
    /** When an open circuit lets a probe through (epoch ms). */
    get openUntil(): number {
      return openUntil;
    },
    /** May a request start at `now`? While half-open, only the probe. */
    allows(now: number): boolean {
      if (state === 'closed') return true;
      if (state === 'open') {
        if (now < openUntil) return false;
        state = 'half-open';
        probing = false;
      }
      return !probing;
    },
    /** A request starts; true when it is the probe of a half-open circuit. */
    started(): boolean {
      if (state !== 'half-open') return false;
      probing = true;
      return true;
    },
    /** The endpoint answered (any answer that is not a sign of it being down). */
    answered(): void {
      state = 'closed';
      failures = 0;
      failingLanes.clear();
      pauseMs = 0;
      probing = false;
    },
    /** The endpoint looked down for a request on `lane`. */
    failed(now: number, lane: string, probe: boolean, retryAfterMs?: number): void {
      if (probe || retryAfterMs !== undefined) {
        open(now, retryAfterMs);
        return;
      }
      if (state !== 'closed') return;
      failures += 1;
      failingLanes.add(lane);
      if (failures >= settings.threshold && failingLanes.size >= 2) open(now, undefined);
    },
  };
}
export type CircuitBreaker = ReturnType<typeof createCircuitBreaker>;
