import type {
  AnalyticsDuration,
  AnalyticsMetric,
  AnalyticsSummary,
  AnalyticsTimeseries,
} from '@threadline/client';
import { useMemo, useState } from 'preact/hooks';
import { type ChartSeries, TimeChart } from '../components/time-chart';
import { useSession } from '../context';
import { channelName } from '../format';
import { useAsync } from '../use-async';
import './analytics-view.css';

const ranges = {
  day: { label: 'Last 24 hours', hours: 24, interval: 'hour' },
  week: { label: 'Last 7 days', hours: 24 * 7, interval: 'day' },
  month: { label: 'Last 30 days', hours: 24 * 30, interval: 'day' },
} as const;
type RangeName = keyof typeof ranges;
const channels = ['whatsapp', 'sms', 'telegram', 'email', 'webchat'];

/** Seconds as people read them: 120 ms, 4.5 s, 45 s, 3.5 min, 2.1 h, 1.5 d. */
export function readableSeconds(value: number): string {
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 10) return `${value.toFixed(1)} s`;
  if (value < 90) return `${Math.round(value)} s`;
  if (value < 90 * 60) return `${(value / 60).toFixed(1)} min`;
  if (value < 36 * 3600) return `${(value / 3600).toFixed(1)} h`;
  return `${(value / 86_400).toFixed(1)} d`;
}
const share = (value: number | null) => (value === null ? '—' : `${Math.round(value * 100)} %`);
const count = (value: number) => String(Math.round(value));
const duration = (figure: AnalyticsDuration, key: 'p50' | 'p90') =>
  figure[key] === null ? '—' : readableSeconds(figure[key]);

/** The whole hour after now: ranges end there, as the hourly rollups do. */
function rangeEnding(hours: number) {
  const to = new Date();
  to.setUTCMinutes(0, 0, 0);
  to.setUTCHours(to.getUTCHours() + 1);
  return { from: new Date(to.getTime() - hours * 3_600_000).toISOString(), to: to.toISOString() };
}

/**
 * CX analytics: how fast customers are answered, how often conversations are resolved and
 * reopened, and how well continuity held across channels, from `/v1/analytics`.
 */
export function AnalyticsView() {
  const { client } = useSession();
  const [rangeName, setRangeName] = useState<RangeName>('week');
  const [channel, setChannel] = useState('');
  const range = ranges[rangeName];
  const span = useMemo(() => rangeEnding(range.hours), [range]);
  const filter = { ...span, ...(channel ? { channel } : {}) };

  const summary = useAsync(() => client.analytics.summary(filter), [client, span, channel]);
  const series = useAsync(async () => {
    const metrics: AnalyticsMetric[] = [
      'first_response_seconds',
      'resolution_seconds',
      'conversations_opened',
      'conversations_resolved',
      'conversations_reopened',
      'cross_channel_conversations',
      'continuity_kept',
    ];
    const answers = await Promise.all(
      metrics.map((metric) =>
        client.analytics.timeseries({ ...filter, metric, interval: range.interval }),
      ),
    );
    return Object.fromEntries(metrics.map((metric, index) => [metric, answers[index]!])) as Record<
      AnalyticsMetric,
      AnalyticsTimeseries
    >;
  }, [client, span, channel, range]);

  return (
    <section class="view analytics-view" aria-labelledby="analytics-title">
      <header class="view-header">
        <h1 id="analytics-title">Analytics</h1>
        <form
          class="filters"
          aria-label="Analytics range"
          onSubmit={(event) => event.preventDefault()}
        >
          <label>
            <span>Range</span>
            <select
              value={rangeName}
              onChange={(event) => setRangeName(event.currentTarget.value as RangeName)}
            >
              {Object.entries(ranges).map(([name, option]) => (
                <option key={name} value={name}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>Channel</span>
            <select value={channel} onChange={(event) => setChannel(event.currentTarget.value)}>
              <option value="">Every channel</option>
              {channels.map((option) => (
                <option key={option} value={option}>
                  {channelName(option)}
                </option>
              ))}
            </select>
          </label>
        </form>
      </header>
      {(summary.error ?? series.error) && (
        <p class="problem" role="alert">
          Could not read analytics: {summary.error ?? series.error}
        </p>
      )}
      {summary.value && <Figures summary={summary.value} />}
      {series.value && <Charts series={series.value} />}
    </section>
  );
}

function Figures({ summary }: { summary: AnalyticsSummary }) {
  const figures: Array<[string, string, string]> = [
    [
      'First response',
      duration(summary.firstResponse, 'p50'),
      `p50 · p90 ${duration(summary.firstResponse, 'p90')} · ${summary.firstResponse.count} answered`,
    ],
    [
      'Resolution',
      duration(summary.resolution, 'p50'),
      `p50 · p90 ${duration(summary.resolution, 'p90')} · ${summary.conversations.resolved} resolved`,
    ],
    [
      'Reopen rate',
      share(summary.conversations.reopenRate),
      `${summary.conversations.reopened} reopened`,
    ],
    [
      'Cross-channel',
      share(summary.continuity.crossChannelShare),
      `${summary.continuity.crossChannelConversations} conversations · ${summary.continuity.channelSwitches} switches`,
    ],
    [
      'Continuity kept',
      share(summary.continuity.continuityKeptShare),
      `${summary.continuity.breaksRepaired} breaks repaired by a merge`,
    ],
    [
      'Contained',
      share(summary.handoffs.containment.rate),
      `${summary.handoffs.handoffs} handoffs`,
    ],
    [
      'Notification replies',
      share(summary.notifications.replyRate),
      `${summary.notifications.sent} sent · ${summary.notifications.suppressed.total} suppressed`,
    ],
  ];
  return (
    <ul class="figures" aria-label="Figures for the range">
      {figures.map(([label, value, detail]) => (
        <li key={label} class="figure card" data-figure={label}>
          <span class="figure-label">{label}</span>
          <strong class="figure-value">{value}</strong>
          <span class="figure-detail muted">{detail}</span>
        </li>
      ))}
    </ul>
  );
}

function Charts({ series }: { series: Record<AnalyticsMetric, AnalyticsTimeseries> }) {
  const starts = series.conversations_opened.buckets.map((bucket) => bucket.start);
  const values = (metric: AnalyticsMetric, key: 'count' | 'p50' | 'p90' = 'count') =>
    series[metric].buckets.map((bucket) => bucket[key] ?? null);
  const charts = useMemo(
    () => ({
      firstResponse: [
        { label: 'p50', values: values('first_response_seconds', 'p50') },
        { label: 'p90', values: values('first_response_seconds', 'p90') },
      ],
      resolution: [
        { label: 'p50', values: values('resolution_seconds', 'p50') },
        { label: 'p90', values: values('resolution_seconds', 'p90') },
      ],
      lifecycle: [
        { label: 'opened', values: values('conversations_opened') },
        { label: 'resolved', values: values('conversations_resolved') },
        { label: 'reopened', values: values('conversations_reopened') },
      ],
      continuity: [
        { label: 'cross-channel', values: values('cross_channel_conversations') },
        { label: 'kept as one', values: values('continuity_kept') },
      ],
    }),
    [series],
  ) satisfies Record<string, ChartSeries[]>;
  return (
    <div class="charts">
      <TimeChart
        title="First response time"
        starts={starts}
        series={charts.firstResponse}
        format={readableSeconds}
      />
      <TimeChart
        title="Resolution time"
        starts={starts}
        series={charts.resolution}
        format={readableSeconds}
      />
      <TimeChart
        title="Conversations opened, resolved and reopened"
        starts={starts}
        series={charts.lifecycle}
        format={count}
        whole
      />
      <TimeChart
        title="Conversations across channels"
        starts={starts}
        series={charts.continuity}
        format={count}
        whole
      />
    </div>
  );
}
