/** A duration figure, in seconds (percentiles within 4.4 %; min and max exact). */
export interface AnalyticsDuration {
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** `GET /v1/analytics/summary`: every figure over a range (see docs/analytics.md). */
export interface AnalyticsSummary {
  from: string;
  to: string;
  channel: string | null;
  integrationId: string | null;
  conversations: {
    opened: number;
    reopened: number;
    resolved: number;
    reopenRate: number | null;
    messagesReceived: number;
    replies: number;
  };
  firstResponse: AnalyticsDuration;
  response: AnalyticsDuration;
  resolution: AnalyticsDuration;
  continuity: {
    channelSwitches: number;
    crossChannelConversations: number;
    crossChannelShare: number | null;
    continuityKept: number;
    continuityKeptShare: number | null;
    breaksRepaired: number;
  };
  handoffs: {
    passes: { total: number; byReason: Record<string, number> };
    handoffs: number;
    timeInFirstIntegration: AnalyticsDuration;
    containment: { resolved: number; contained: number; rate: number | null };
  };
  notifications: {
    sent: number;
    suppressed: { total: number; byReason: Record<string, number> };
    replied: number;
    replyRate: number | null;
  };
}

export interface AnalyticsRangeQuery {
  /** ISO 8601 UTC; default: `to` − 7 days. */
  from?: string;
  /** ISO 8601 UTC, excluded; default: the next full hour. */
  to?: string;
  channel?: string;
  integrationId?: string;
}

export type AnalyticsMetric =
  | 'first_response_seconds'
  | 'response_seconds'
  | 'resolution_seconds'
  | 'first_integration_seconds'
  | 'messages_received'
  | 'replies'
  | 'conversations_opened'
  | 'conversations_reopened'
  | 'conversations_resolved'
  | 'channel_switches'
  | 'cross_channel_conversations'
  | 'continuity_kept'
  | 'breaks_repaired'
  | 'handoffs'
  | 'resolved_with_switchboard'
  | 'resolved_contained'
  | 'notifications_sent'
  | 'notifications_replied'
  | 'control_passes'
  | 'notifications_suppressed';

export interface AnalyticsTimeseries {
  metric: AnalyticsMetric;
  interval: 'hour' | 'day';
  /** A point per bucket; durations add mean and percentiles (seconds). */
  buckets: {
    start: string;
    count: number;
    mean?: number | null;
    p50?: number | null;
    p90?: number | null;
    p99?: number | null;
  }[];
}
