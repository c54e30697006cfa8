import type { Store } from '../ports.js';
import type { AnalyticsProjector } from './projector.js';
import { type AnalyticsRange, analyticsSummary, analyticsTimeseries } from './summary.js';

/**
 * What the engine offers about the analytics: figures from the rollups (folded up to every
 * event committed before the question), and a rebuild. Without a projector (rollups off) the
 * figures are whatever the store holds.
 */
export function createAnalytics(store: Store, projector: AnalyticsProjector | undefined) {
  const caughtUp = async () => projector?.catchUp();
  return {
    async summary(range: AnalyticsRange) {
      await caughtUp();
      return analyticsSummary(store.read, range);
    },
    async timeseries(query: Parameters<typeof analyticsTimeseries>[1]) {
      await caughtUp();
      return analyticsTimeseries(store.read, query);
    },
    /** Folds every committed event (the live metrics then count them too). */
    catchUp: caughtUp,
    rebuild: (options?: { pageSize?: number }) =>
      projector ? projector.rebuild(options) : Promise.reject(new Error('analytics are off')),
  };
}
