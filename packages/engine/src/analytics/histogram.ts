/**
 * The fixed log-scale histogram every duration is kept in: bin 0 holds [0, 1 s); bin i ≥ 1
 * holds [2^((i-1)/8), 2^(i/8)) seconds — eight bins per doubling, so a bin spans 9.05 % and
 * its geometric middle is within 4.4 % of any value in it. The last bin (240, from about
 * 1.1 years) takes everything longer. Bins are added across rows, so percentiles over any
 * range, channel or integration come from summed bins.
 */
export const binsPerDoubling = 8;
export const lastBin = 240;

export function binOf(seconds: number): number {
  if (!(seconds >= 1)) return 0;
  return Math.min(lastBin, 1 + Math.floor(binsPerDoubling * Math.log2(seconds) + 1e-9));
}

/** The value a bin stands for: its geometric middle (0.5 s for bin 0). */
export function binValue(bin: number): number {
  if (bin <= 0) return 0.5;
  return 2 ** ((bin - 0.5) / binsPerDoubling);
}

export interface DurationFigures {
  count: number;
  /** Seconds; null when there is no sample. */
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/**
 * The q-quantile (nearest rank: the ⌈q·n⌉-th smallest sample) from summed bins. The smallest
 * and largest rank are the exact min and max; any other rank is its bin's middle, clamped to
 * [min, max] — within 4.4 % of the true sample.
 */
export function quantile(
  bins: Map<number, number>,
  stats: { count: number; min: number | null; max: number | null },
  q: number,
): number | null {
  const { count, min, max } = stats;
  if (count === 0 || min === null || max === null) return null;
  const rank = Math.max(1, Math.ceil(q * count));
  if (rank <= 1) return round3(min);
  if (rank >= count) return round3(max);
  let seen = 0;
  for (const bin of [...bins.keys()].sort((a, b) => a - b)) {
    seen += bins.get(bin)!;
    if (seen >= rank) return round3(Math.min(max, Math.max(min, binValue(bin))));
  }
  return round3(max);
}

export function durationFigures(
  stats: { count: number; sum: number; min: number | null; max: number | null } | undefined,
  bins: Map<number, number> | undefined,
): DurationFigures {
  const count = stats?.count ?? 0;
  if (!stats || count === 0)
    return { count: 0, mean: null, min: null, max: null, p50: null, p90: null, p99: null };
  const summed = bins ?? new Map<number, number>();
  return {
    count,
    mean: round3(stats.sum / count),
    min: stats.min === null ? null : round3(stats.min),
    max: stats.max === null ? null : round3(stats.max),
    p50: quantile(summed, stats, 0.5),
    p90: quantile(summed, stats, 0.9),
    p99: quantile(summed, stats, 0.99),
  };
}
