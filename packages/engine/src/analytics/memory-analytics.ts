import type {
  AnalyticsChange,
  AnalyticsCursor,
  AnalyticsQuery,
  AnalyticsRows,
  BinRow,
  ConversationAnalytics,
  CounterDelta,
  CounterRow,
  HistogramDelta,
  RollupKey,
} from './analytics-types.js';
import { addCounters, addCounts, binKey, rollupKey } from './sum-rows.js';

/** The in-memory store's analytics tables. */
export interface MemoryAnalyticsData {
  states: Map<string, ConversationAnalytics>;
  counters: Map<string, CounterDelta>;
  bins: Map<string, HistogramDelta>;
  /** How far the event log is folded (absent in data written before the projector). */
  cursor?: AnalyticsCursor;
}

export const createMemoryAnalyticsData = (): MemoryAnalyticsData => ({
  states: new Map(),
  counters: new Map(),
  bins: new Map(),
  cursor: { cursor: 0, token: '' },
});

export function memoryAnalyticsStates(data: MemoryAnalyticsData, ids: string[]) {
  return ids.flatMap((id) => {
    const state = data.states.get(id);
    return state ? [structuredClone(state)] : [];
  });
}

export function applyMemoryAnalytics(
  data: MemoryAnalyticsData,
  change: AnalyticsChange,
  to: AnalyticsCursor,
): void {
  data.cursor = { ...to };
  for (const state of change.states) data.states.set(state.conversationId, structuredClone(state));
  addCounters(data.counters, change.counters, rollupKey);
  addCounts(data.bins, change.bins, binKey);
}

export function clearMemoryAnalytics(data: MemoryAnalyticsData): void {
  data.cursor = { cursor: 0, token: '' };
  data.states.clear();
  data.counters.clear();
  data.bins.clear();
}

/** The bucket a row of hour `hour` falls in. */
export const bucketOf = (hour: string, interval: AnalyticsQuery['interval']) =>
  interval === 'all' ? '' : interval === 'day' ? hour.slice(0, 10) : hour;

export function readMemoryAnalytics(
  data: MemoryAnalyticsData,
  query: AnalyticsQuery,
): AnalyticsRows {
  const matches = (row: RollupKey) =>
    row.hour >= query.from &&
    row.hour < query.to &&
    (query.channel === undefined || row.channel === query.channel) &&
    (query.integrationId === undefined || row.integrationId === query.integrationId) &&
    (query.metrics === undefined || query.metrics.includes(row.metric));
  const counters = addCounters(
    new Map<string, CounterRow>(),
    [...data.counters.values()].filter(matches).map(
      ({ hour, metric, count, sum, min, max }): CounterRow => ({
        bucket: bucketOf(hour, query.interval),
        metric,
        count,
        sum,
        min,
        max,
      }),
    ),
    (row) => `${row.bucket}\u0000${row.metric}`,
  );
  const bins = addCounts(
    new Map<string, BinRow>(),
    [...data.bins.values()].filter(matches).map(
      ({ hour, metric, bin, count }): BinRow => ({
        bucket: bucketOf(hour, query.interval),
        metric,
        bin,
        count,
      }),
    ),
    (row) => `${row.bucket}\u0000${row.metric}\u0000${row.bin}`,
  );
  return { counters: [...counters.values()], bins: [...bins.values()] };
}
