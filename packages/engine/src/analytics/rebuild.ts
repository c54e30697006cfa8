import type { Store } from '../ports.js';
import type { ConversationAnalytics } from './analytics-types.js';
import { foldBatch } from './fold-events.js';

/**
 * Rebuilds every state and rollup from the event log, in one transaction: what a definition
 * change needs to be backfilled. The states stay in memory while the log is read (about
 * 0.5 KB per conversation); writers wait for the transaction, readers see the old figures
 * until it commits.
 */
export async function rebuildAnalytics(
  store: Store,
  options: { pageSize?: number } = {},
): Promise<{ events: number; conversations: number }> {
  const pageSize = options.pageSize ?? 5_000;
  return store.write(async (tx) => {
    await tx.clearAnalytics();
    const states = new Map<string, ConversationAnalytics>();
    let after = 0;
    let events = 0;
    for (;;) {
      const page = await tx.listEvents(after, pageSize);
      if (page.length === 0) break;
      const { raw: _raw, ...change } = await foldBatch(tx, page, states);
      await tx.applyAnalytics(change);
      events += page.length;
      after = page.at(-1)!.cursor;
      if (page.length < pageSize) break;
    }
    return { events, conversations: states.size };
  });
}
