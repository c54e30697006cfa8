import { randomUUID } from 'node:crypto';
import { createAnalyticsProjector } from '@threadline/engine';
import { loadConfig } from './config.js';
import { createMetrics } from './metrics.js';
import { createGatewayStore } from './scale-out.js';

/**
 * `npm run analytics:rebuild`: folds the whole event log again into the analytics states and
 * rollups of the configured store (SQLite under THREADLINE_DATA_DIR, or DATABASE_URL), in one
 * transaction — after a definition changed, or a store upgraded from before the analytics.
 */
const config = await loadConfig();
const store = createGatewayStore(config, createMetrics());
const started = performance.now();
try {
  const projector = createAnalyticsProjector({ store, token: randomUUID() });
  const { events, conversations } = await projector.rebuild();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `analytics rebuilt from ${events} events (${conversations} conversations) in ${seconds} s`,
  );
} catch (error) {
  console.error(`analytics rebuild failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await store.close();
}
