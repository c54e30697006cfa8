/** The rollup metric names (one row each per hour, channel and integration). */
export const durationMetrics = [
  'first_response_seconds',
  'response_seconds',
  'resolution_seconds',
  'first_integration_seconds',
] as const;
export type DurationMetric = (typeof durationMetrics)[number];

export const counterMetrics = [
  'messages_received',
  'replies',
  'conversations_opened',
  'conversations_reopened',
  'conversations_resolved',
  'channel_switches',
  'cross_channel_conversations',
  'continuity_kept',
  'breaks_repaired',
  'handoffs',
  'resolved_with_switchboard',
  'resolved_contained',
  'notifications_sent',
  'notifications_replied',
] as const;

/** Counted by reason: `control_passes.<reason>` and `notifications_suppressed.<reason>`. */
export const controlPassesPrefix = 'control_passes.';
export const suppressedPrefix = 'notifications_suppressed.';

/** Metrics the timeseries route accepts: every one above, and the two families summed. */
export const timeseriesMetrics = [
  ...durationMetrics,
  ...counterMetrics,
  'control_passes',
  'notifications_suppressed',
] as const;
export type TimeseriesMetric = (typeof timeseriesMetrics)[number];

export const isDurationMetric = (metric: string): metric is DurationMetric =>
  (durationMetrics as readonly string[]).includes(metric);
