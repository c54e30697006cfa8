import type { RollupDeltas } from '@threadline/engine';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Seconds, from a quick answer to a day and more. */
const waitBuckets = [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600];

/** The analytics' live metrics (the rollups keep the history; these are since the process started). */
export function analyticsMetrics(registry: Registry) {
  return {
    firstResponse: new Histogram({
      name: 'threadline_first_response_seconds',
      help: 'First customer message of a conversation (or reopening) to the first reply by an app',
      labelNames: ['channel'] as const,
      buckets: waitBuckets,
      registers: [registry],
    }),
    resolution: new Histogram({
      name: 'threadline_resolution_seconds',
      help: 'Opened (or reopened) to resolved',
      labelNames: ['channel'] as const,
      buckets: waitBuckets,
      registers: [registry],
    }),
    reopened: new Counter({
      name: 'threadline_conversations_reopened_total',
      help: 'Resolved conversations reopened',
      registers: [registry],
    }),
    channelSwitches: new Counter({
      name: 'threadline_channel_switches_total',
      help: 'Changes of the customer’s channel inside one conversation',
      registers: [registry],
    }),
  };
}

/** Records one commit's analytics deltas (one per sample) on this instance's metrics. */
export function observeAnalytics(
  metrics: ReturnType<typeof analyticsMetrics>,
  deltas: RollupDeltas,
): void {
  for (const delta of deltas.counters) {
    if (delta.metric === 'first_response_seconds')
      metrics.firstResponse.observe({ channel: delta.channel }, delta.sum);
    else if (delta.metric === 'resolution_seconds')
      metrics.resolution.observe({ channel: delta.channel }, delta.sum);
    else if (delta.metric === 'conversations_reopened') metrics.reopened.inc(delta.count);
    else if (delta.metric === 'channel_switches') metrics.channelSwitches.inc(delta.count);
  }
}
