export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export const emptySummary: LatencySummary = {
  count: 0,
  p50: Number.NaN,
  p95: Number.NaN,
  p99: Number.NaN,
  max: Number.NaN,
  mean: Number.NaN,
};

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return emptySummary;
  const sorted = Float64Array.from(samples).sort();
  let total = 0;
  for (const value of sorted) total += value;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
    mean: total / sorted.length,
  };
}

export interface Histogram {
  /** Upper bounds of the buckets, in ms (log scale). */
  bounds: number[];
  counts: number[];
}

/** Counts per log-scale bucket (five per decade) from 0.1 ms up to the largest sample. */
export function histogram(samples: readonly number[]): Histogram {
  let largest = 0;
  for (const sample of samples) if (sample > largest) largest = sample;
  const step = 0.2;
  const bucketOf = (value: number) =>
    Math.max(0, Math.ceil(Math.log10(Math.max(value, 0.1) / 0.1) / step - 1e-9));
  const size = Math.max(10, bucketOf(largest) + 1);
  const bounds = Array.from({ length: size }, (_, index) =>
    Number((0.1 * 10 ** (index * step)).toPrecision(3)),
  );
  const counts = new Array<number>(size).fill(0);
  for (const sample of samples) counts[Math.min(size - 1, bucketOf(sample))]! += 1;
  return { bounds, counts };
}
