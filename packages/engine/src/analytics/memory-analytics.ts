import type {
  AnalyticsChange,
  AnalyticsCursor,
  AnalyticsQuery,
  AnalyticsRows,
  BinRow,
  ConversationAnalytics,
  CounterDelta,
  CounterRow,
} from './analytics-types.js';

/** The in-memory store's analytics tables. */
export interface MemoryAnalyticsData {
  states: Map<string, ConversationAnalytics>;
  counters: Map<string, CounterDelta>;
  bins: Map<string, CounterDelta & { bin: number }>;
  /** How far the event log is folded (absent in data written before the projector). */
  cursor?: AnalyticsCursor;
}

export const createMemoryAnalyticsData = (): MemoryAnalyticsData => ({
  states: new Map(),
  counters: new Map(),
  bins: new Map(),
  cursor: { cursor: 0, token: '' },
});

const keyOf = (row: { hour: string; channel: string; integrationId: string; metric: string }) =>
  `${row.hour}\u0000${row.channel}\u0000${row.integrationId}\u0000${row.metric}`;
const least = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.min(a, b);
const most = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.max(a, b);

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
  for (const delta of change.counters) {
    const key = keyOf(delta);
    const row = data.counters.get(key);
    if (!row) data.counters.set(key, { ...delta });
    else {
      row.count += delta.count;
      row.sum += delta.sum;
      row.min = least(row.min, delta.min);
      row.max = most(row.max, delta.max);
    }
  }
  for (const delta of change.bins) {
    const key = `${keyOf(delta)}\u0000${delta.bin}`;
    const row = data.bins.get(key);
    if (row) row.count += delta.count;
    else data.bins.set(key, { ...delta, sum: 0, min: null, max: null });
  }
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
  const matches = (row: CounterDelta) =>
    row.hour >= query.from &&
    row.hour < query.to &&
    (query.channel === undefined || row.channel === query.channel) &&
    (query.integrationId === undefined || row.integrationId === query.integrationId) &&
    (query.metrics === undefined || query.metrics.includes(row.metric));
  const counters = new Map<string, CounterRow>();
  for (const row of data.counters.values()) {
    if (!matches(row)) continue;
    const bucket = bucketOf(row.hour, query.interval);
    const key = `${bucket}\u0000${row.metric}`;
    const sum = counters.get(key);
    if (!sum)
      counters.set(key, {
        bucket,
        metric: row.metric,
        count: row.count,
        sum: row.sum,
        min: row.min,
        max: row.max,
      });
    else {
      sum.count += row.count;
      sum.sum += row.sum;
      sum.min = least(sum.min, row.min);
      sum.max = most(sum.max, row.max);
    }
  }
  const bins = new Map<string, BinRow>();
  for (const row of data.bins.values()) {
    if (!matches(row)) continue;
    const bucket = bucketOf(row.hour, query.interval);
    const key = `${bucket}\u0000${row.metric}\u0000${row.bin}`;
    const sum = bins.get(key);
    if (sum) sum.count += row.count;
    else bins.set(key, { bucket, metric: row.metric, bin: row.bin, count: row.count });
  }
  return { counters: [...counters.values()], bins: [...bins.values()] };
}
