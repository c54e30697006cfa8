const latestSupportedSeconds = 32_503_680_000; // year 3000

/**
 * A provider's Unix timestamp in seconds (`"1763802000"` or `1763802000`) as ISO 8601 UTC,
 * or undefined when it is missing or not a plausible time.
 */
export function unixSecondsToIso(value: string | number | null | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const seconds = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > latestSupportedSeconds)
    return undefined;
  return new Date(Math.round(seconds * 1000)).toISOString();
}

/** Milliseconds since the epoch as ISO 8601 UTC, or undefined when not a plausible time. */
export function unixMillisecondsToIso(value: number | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return unixSecondsToIso(value / 1000);
}
