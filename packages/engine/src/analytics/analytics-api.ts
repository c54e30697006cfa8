import type { Store } from '../ports.js';
import { rebuildAnalytics } from './rebuild.js';
import { type AnalyticsRange, analyticsSummary, analyticsTimeseries } from './summary.js';

/** What the engine offers about the analytics: figures from the rollups, and a rebuild. */
export function createAnalytics(store: Store) {
  return {
    summary: (range: AnalyticsRange) => analyticsSummary(store.read, range),
    timeseries: (query: Parameters<typeof analyticsTimeseries>[1]) =>
      analyticsTimeseries(store.read, query),
    rebuild: (options?: { pageSize?: number }) => rebuildAnalytics(store, options),
  };
}
