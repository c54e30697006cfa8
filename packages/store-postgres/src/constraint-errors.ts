import { StoreConstraintError } from '@threadline/engine';

/** Unique and exclusion violations: a concurrent write got there first, or a rule was broken. */
const constraintCodes = new Set(['23505', '23P01']);

/**
 * How often a write that hit `error` runs in all. A constraint violation caused by a
 * concurrent write is cured by the first rerun (it reads the winner's committed row); one that
 * repeats is the write breaking the rule itself, and running it eight times only delays the
 * failure. Serialization failures and deadlocks keep the full budget.
 */
export function attemptsFor(error: unknown, maxAttempts: number): number {
  return constraintCodes.has(codeOf(error)) ? Math.min(3, maxAttempts) : maxAttempts;
}

/** A constraint violation retries could not cure, as the engine's typed error; others as they are. */
export function asStoreError(error: unknown): unknown {
  if (!constraintCodes.has(codeOf(error))) return error;
  const { constraint, message } = error as { constraint?: string; message?: string };
  return new StoreConstraintError(constraint ?? 'constraint', message ?? String(error), {
    cause: error,
  });
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null
    ? String((error as { code?: unknown }).code)
    : '';
}
