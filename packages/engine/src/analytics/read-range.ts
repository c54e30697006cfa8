import type {
  AnalyticsQuery,
  AnalyticsReader,
  AnalyticsRows,
  BinRow,
  CounterRow,
} from './analytics-types.js';
import { allDimensions, dayKey } from './fold-events.js';
import { addCounters, addCounts } from './sum-rows.js';

const dayMs = 24 * 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Rows of several reads as one: summed per bucket and metric (and bin). */
export function mergeRows(parts: AnalyticsRows[]): AnalyticsRows {
  const counters = new Map<string, CounterRow>();
  const bins = new Map<string, BinRow>();
  for (const part of parts) {
    addCounters(counters, part.counters, (row) => `${row.bucket}\u0000${row.metric}`);
    addCounts(bins, part.bins, (row) => `${row.bucket}\u0000${row.metric}\u0000${row.bin}`);
  }
  return { counters: [...counters.values()], bins: [...bins.values()] };
}

/**
 * Rollups over [from, to) on whole hours: the whole days inside from the day rows, the hours
 * before and after them from the hour rows — a month reads about thirty rows per series,
 * not seven hundred.
 */
export async function readRange(
  reader: AnalyticsReader,
  query: AnalyticsQuery,
): Promise<AnalyticsRows> {
  if (query.interval === 'hour') return reader.readAnalytics(query);
  const from = Date.parse(query.from);
  const to = Date.parse(query.to);
  const firstDay = Math.ceil(from / dayMs) * dayMs;
  const lastDay = Math.floor(to / dayMs) * dayMs;
  if (firstDay >= lastDay) return reader.readAnalytics(query);
  const parts: Promise<AnalyticsRows>[] = [];
  if (from < firstDay) parts.push(reader.readAnalytics({ ...query, to: iso(firstDay) }));
  parts.push(
    reader
      .readAnalytics({
        ...query,
        ...(query.channel === undefined && query.integrationId === undefined ? allDimensions : {}),
        from: dayKey(iso(firstDay)),
        to: dayKey(iso(lastDay)),
        interval: query.interval === 'day' ? 'hour' : 'all',
      })
      .then((rows) =>
        query.interval === 'day'
          ? {
              counters: rows.counters.map((row) => ({ ...row, bucket: row.bucket.slice(4) })),
              bins: rows.bins.map((row) => ({ ...row, bucket: row.bucket.slice(4) })),
            }
          : rows,
      ),
  );
  if (lastDay < to) parts.push(reader.readAnalytics({ ...query, from: iso(lastDay) }));
  return mergeRows(await Promise.all(parts));
}
