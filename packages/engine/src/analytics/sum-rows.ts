/** What a counter row adds up: a count, and for durations the sum, min and max. */
export interface Summed {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
}

const least = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.min(a, b);
const most = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.max(a, b);

/** Adds `items` into `rows`, one row per key: a key's first item copied, later ones merged in. */
function addRows<T>(
  rows: Map<string, T>,
  items: Iterable<T>,
  keyOf: (item: T) => string,
  merge: (known: T, item: T) => void,
): Map<string, T> {
  for (const item of items) {
    const key = keyOf(item);
    const known = rows.get(key);
    if (known) merge(known, item);
    else rows.set(key, { ...item });
  }
  return rows;
}

/**
 * Adds `items` into `rows`, one row per key: counts and sums added, min and max kept. A key's
 * first item is copied, so the items are left alone. Returns `rows`.
 */
export function addCounters<T extends Summed>(
  rows: Map<string, T>,
  items: Iterable<T>,
  keyOf: (item: T) => string,
): Map<string, T> {
  return addRows(rows, items, keyOf, (known, item) => {
    known.count += item.count;
    known.sum += item.sum;
    known.min = least(known.min, item.min);
    known.max = most(known.max, item.max);
  });
}

/** The same for rows that only count (histogram bins). */
export function addCounts<T extends { count: number }>(
  rows: Map<string, T>,
  items: Iterable<T>,
  keyOf: (item: T) => string,
): Map<string, T> {
  return addRows(rows, items, keyOf, (known, item) => {
    known.count += item.count;
  });
}

/** A rollup row's key: hour, channel, integration and metric. */
export const rollupKey = (row: {
  hour: string;
  channel: string;
  integrationId: string;
  metric: string;
}) => `${row.hour}\u0000${row.channel}\u0000${row.integrationId}\u0000${row.metric}`;

/** A histogram bin's key: its row's key and the bin. */
export const binKey = (row: Parameters<typeof rollupKey>[0] & { bin: number }) =>
  `${rollupKey(row)}\u0000${row.bin}`;
