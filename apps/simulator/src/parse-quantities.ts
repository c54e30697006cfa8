const durationUnits: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `250ms`, `2s`, `1.5m`, `2h`, `1d`, or a number of milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!(value >= 0)) throw new Error(`"${value}" is not a duration`);
    return value;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d)?\s*$/.exec(value);
  if (!match) throw new Error(`"${value}" is not a duration (use e.g. 250ms, 2s, 5m, 2h)`);
  return Number(match[1]) * durationUnits[match[2] ?? 'ms']!;
}

export interface Range {
  min: number;
  max: number;
}

/** `200ms..1s` (uniform between), a single duration, or `[min, max]`. */
export function parseDurationRange(
  value: string | number | [string | number, string | number],
): Range {
  if (Array.isArray(value)) {
    const [min, max] = value.map(parseDuration) as [number, number];
    if (max < min) throw new Error(`the range ${min}..${max} ends before it starts`);
    return { min, max };
  }
  if (typeof value === 'string' && value.includes('..')) {
    const [low, high] = value.split('..');
    return parseDurationRange([low!.trim(), high!.trim()]);
  }
  const single = parseDuration(value);
  return { min: single, max: single };
}

/** `500/s`, `30/min`, `2000/h`, or a number per second. */
export function parseRate(value: string | number): number {
  if (typeof value === 'number') {
    if (!(value > 0)) throw new Error(`"${value}" is not a rate`);
    return value;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(s|sec|second|m|min|minute|h|hour)\s*$/.exec(value);
  if (!match) throw new Error(`"${value}" is not a rate (use e.g. 50/s, 600/min)`);
  const per = match[2]!.startsWith('s') ? 1 : match[2]!.startsWith('h') ? 3600 : 60;
  return Number(match[1]) / per;
}

/** `100%`, `99.5%`, or a fraction in [0, 1]. */
export function parsePercent(value: string | number): number {
  if (typeof value === 'number') {
    if (value < 0 || value > 1) throw new Error(`"${value}" is not a fraction between 0 and 1`);
    return value;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
  if (!match || Number(match[1]) > 100) throw new Error(`"${value}" is not a percentage`);
  return Number(match[1]) / 100;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1) return `${ms.toFixed(2)}ms`;
  if (ms < 10) return `${ms.toFixed(1)}ms`;
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  return `${(ms / 60_000).toFixed(1)}m`;
}
