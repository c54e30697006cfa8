/**
 * A token bucket: `perSecond` tokens refill continuously up to `burst`. `take` answers 0 when a
 * token was taken, else how many milliseconds until one is free.
 */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  take(now: number): number {
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000));
  }

  /** True when the bucket is full again (nothing to remember). */
  isIdle(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.burst;
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed / 1000) * this.perSecond);
    this.#updatedAt = now;
  }
}

/**
 * At most `limit` events in any `windowMs`. `take` answers 0 when the event fits, else how many
 * milliseconds until the oldest event leaves the window.
 */
export class SlidingWindowLimit {
  readonly #times: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  take(now: number): number {
    this.#forget(now);
    if (this.#times.length < this.limit) {
      this.#times.push(now);
      return 0;
    }
    return Math.max(1, this.#times[0]! + this.windowMs - now);
  }

  isIdle(now: number): boolean {
    this.#forget(now);
    return this.#times.length === 0;
  }

  #forget(now: number): void {
    while (this.#times.length > 0 && this.#times[0]! <= now - this.windowMs) this.#times.shift();
  }
}
