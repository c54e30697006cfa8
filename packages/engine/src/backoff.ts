export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Give up (fail the message) after this many attempts. */
  maxAttempts: number;
}

export const defaultSendBackoff: BackoffPolicy = {
  baseMs: 1000,
  maxMs: 5 * 60_000,
  maxAttempts: 8,
};

/**
 * Exponential backoff with full jitter: a random delay in [base·2^(n-1)/2, base·2^(n-1)],
 * capped; a provider's Retry-After wins when it asks for longer.
 */
export function nextRetryDelay(
  attempt: number,
  policy: BackoffPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(ceiling / 2 + random() * (ceiling / 2));
  return Math.max(jittered, retryAfterMs ?? 0);
}
