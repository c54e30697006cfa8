import type {
  AnalyticsInterval,
  AnalyticsReader,
  AnalyticsRows,
  CounterRow,
} from './analytics-types.js';
import { type DurationFigures, durationFigures } from './histogram.js';
import {
  controlPassesPrefix,
  isDurationMetric,
  suppressedPrefix,
  type TimeseriesMetric,
} from './metrics.js';
import { readRange } from './read-range.js';

export interface AnalyticsRange {
  from: string;
  to: string;
  channel?: string | undefined;
  integrationId?: string | undefined;
}

const ratio = (part: number, whole: number) =>
  whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;

/** Rows of one bucket, by metric. */
class Figures {
  private readonly counters = new Map<string, CounterRow>();
  private readonly bins = new Map<string, Map<number, number>>();

  add(rows: AnalyticsRows, bucket: string): this {
    for (const row of rows.counters) if (row.bucket === bucket) this.counters.set(row.metric, row);
    for (const row of rows.bins) {
      if (row.bucket !== bucket) continue;
      const bins = this.bins.get(row.metric) ?? new Map<number, number>();
      bins.set(row.bin, (bins.get(row.bin) ?? 0) + row.count);
      this.bins.set(row.metric, bins);
    }
    return this;
  }
  count(metric: string): number {
    return this.counters.get(metric)?.count ?? 0;
  }
  byPrefix(prefix: string): Record<string, number> {
    const found: Record<string, number> = {};
    for (const [metric, row] of this.counters)
      if (metric.startsWith(prefix)) found[metric.slice(prefix.length)] = row.count;
    return found;
  }
  duration(metric: string): DurationFigures {
    return durationFigures(this.counters.get(metric), this.bins.get(metric));
  }
}

const total = (counts: Record<string, number>) =>
  Object.values(counts).reduce((sum, value) => sum + value, 0);

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/** The range on whole hours: `from` rounded down, `to` up (rollups are hourly). */
export function wholeHours<T extends AnalyticsRange>(range: T): T {
  const from = Math.floor(Date.parse(range.from) / hourMs) * hourMs;
  const to = Math.ceil(Date.parse(range.to) / hourMs) * hourMs;
  return { ...range, from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

/** Every figure over a range: the body of `GET /v1/analytics/summary`. */
export async function analyticsSummary(reader: AnalyticsReader, asked: AnalyticsRange) {
  const range = wholeHours(asked);
  const rows = await readRange(reader, { ...range, interval: 'all' });
  const figures = new Figures().add(rows, '');
  const opened = figures.count('conversations_opened');
  const resolved = figures.count('conversations_resolved');
  const reopened = figures.count('conversations_reopened');
  const cross = figures.count('cross_channel_conversations');
  const kept = figures.count('continuity_kept');
  const withSwitchboard = figures.count('resolved_with_switchboard');
  const contained = figures.count('resolved_contained');
  const passes = figures.byPrefix(controlPassesPrefix);
  const suppressed = figures.byPrefix(suppressedPrefix);
  const sent = figures.count('notifications_sent');
  const replied = figures.count('notifications_replied');
  return {
    from: range.from,
    to: range.to,
    channel: range.channel ?? null,
    integrationId: range.integrationId ?? null,
    conversations: {
      opened,
      reopened,
      resolved,
      reopenRate: ratio(reopened, resolved),
      messagesReceived: figures.count('messages_received'),
      replies: figures.count('replies'),
    },
    firstResponse: figures.duration('first_response_seconds'),
    response: figures.duration('response_seconds'),
    resolution: figures.duration('resolution_seconds'),
    continuity: {
      channelSwitches: figures.count('channel_switches'),
      crossChannelConversations: cross,
      crossChannelShare: ratio(cross, opened),
      continuityKept: kept,
      continuityKeptShare: ratio(kept, cross),
      breaksRepaired: figures.count('breaks_repaired'),
    },
    handoffs: {
      passes: { total: total(passes), byReason: passes },
      handoffs: figures.count('handoffs'),
      timeInFirstIntegration: figures.duration('first_integration_seconds'),
      containment: {
        resolved: withSwitchboard,
        contained,
        rate: ratio(contained, withSwitchboard),
      },
    },
    notifications: {
      sent,
      suppressed: { total: total(suppressed), byReason: suppressed },
      replied,
      replyRate: ratio(replied, sent),
    },
  };
}

export type AnalyticsSummary = Awaited<ReturnType<typeof analyticsSummary>>;

export interface TimeseriesPoint {
  /** The bucket's start (ISO). */
  start: string;
  count: number;
  mean?: number | null;
  p50?: number | null;
  p90?: number | null;
  p99?: number | null;
}

/** Bucket starts of an interval covering [from, to). */
export function bucketStarts(from: string, to: string, interval: 'hour' | 'day'): string[] {
  const step = interval === 'hour' ? hourMs : dayMs;
  const start = Math.floor(Date.parse(from) / step) * step;
  const starts: string[] = [];
  for (let at = start; at < Date.parse(to); at += step) starts.push(new Date(at).toISOString());
  return starts;
}

const bucketKey = (start: string, interval: AnalyticsInterval) =>
  interval === 'day' ? start.slice(0, 10) : start;

/** One metric over time: the body of `GET /v1/analytics/timeseries`, a point per bucket. */
export async function analyticsTimeseries(
  reader: AnalyticsReader,
  asked: AnalyticsRange & { metric: TimeseriesMetric; interval: 'hour' | 'day' },
): Promise<{ metric: string; interval: 'hour' | 'day'; buckets: TimeseriesPoint[] }> {
  const query = wholeHours(asked);
  const family =
    query.metric === 'control_passes'
      ? controlPassesPrefix
      : query.metric === 'notifications_suppressed'
        ? suppressedPrefix
        : null;
  const rows = await readRange(reader, {
    from: query.from,
    to: query.to,
    channel: query.channel,
    integrationId: query.integrationId,
    interval: query.interval,
    metrics: family ? undefined : [query.metric],
  });
  const buckets = bucketStarts(query.from, query.to, query.interval).map((start) => {
    const figures = new Figures().add(rows, bucketKey(start, query.interval));
    if (family) return { start, count: total(figures.byPrefix(family)) };
    if (!isDurationMetric(query.metric)) return { start, count: figures.count(query.metric) };
    const { count, mean, p50, p90, p99 } = figures.duration(query.metric);
    return { start, count, mean, p50, p90, p99 };
  });
  return { metric: query.metric, interval: query.interval, buckets };
}
