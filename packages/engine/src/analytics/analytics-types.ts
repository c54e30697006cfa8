/**
 * What the analytics keep: one small state row per conversation (so each event costs O(1)),
 * and additive rollups by (hour, channel, integration, metric): counters, and for durations a
 * fixed log-scale histogram. Definitions: docs/analytics.md; the rules: `fold-event.ts`.
 */

/** Per-conversation state the fold reads and writes. */
export interface ConversationAnalytics {
  conversationId: string;
  /** Channels the customer wrote on, in order of first use. */
  channels: string[];
  /** The customer's latest channel ('' before any customer message). */
  channel: string;
  /** The integration in control now ('' without the switchboard). */
  integrationId: string;
  status: 'open' | 'resolved';
  /** Reopened, not yet counted: counted with the customer message that reopened it. */
  reopenPending: boolean;
  /** When it opened, or last reopened: where resolution time starts. */
  openedAt: string;
  /** The oldest customer message still waiting for a reply, its time; null: none waits. */
  awaitingSince: string | null;
  /** The channel of that message. */
  awaitingChannel: string;
  /** An app replied since it opened (or reopened). */
  firstResponded: boolean;
  /** The integration that took control when it opened (switchboard), null without one. */
  defaultIntegrationId: string | null;
  /** Since when it has been in that integration. */
  defaultSince: string | null;
  /** Control left the default integration at some point. */
  leftDefault: boolean;
  /** Counted as a cross-channel conversation (two channels or more). */
  crossChannel: boolean;
  /** A merge folded it into this conversation. */
  mergedIntoId: string | null;
}

/** The dimensions of one rollup row; '' stands for "none" (no channel, no integration). */
export interface RollupKey {
  /**
   * The hour, as an ISO timestamp at minute 0 (`2026-03-01T09:00:00.000Z`), or the day
   * (`day:2026-03-01`): every delta is added to both rows (and to the day's row of channel
   * and integration `*`), and a query reads whole days from the day rows.
   */
  hour: string;
  channel: string;
  integrationId: string;
  metric: string;
}

/** Added to a counter row: a count, and for durations the sum, min and max in seconds. */
export interface CounterDelta extends RollupKey {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
}

/** Added to one histogram bin of a duration metric. */
export interface HistogramDelta extends RollupKey {
  bin: number;
  count: number;
}

/** One transaction's analytics writes: states replaced, rollup deltas added. */
export interface AnalyticsChange {
  states: ConversationAnalytics[];
  counters: CounterDelta[];
  bins: HistogramDelta[];
}

export type AnalyticsInterval = 'all' | 'hour' | 'day';

/** Rollups in [from, to) (hour buckets), optionally of one channel and integration. */
export interface AnalyticsQuery {
  from: string;
  to: string;
  channel?: string | undefined;
  integrationId?: string | undefined;
  /** Group by hour or by day (UTC); `all`: one group, bucket ''. */
  interval: AnalyticsInterval;
  /** Only these metrics (all when absent). */
  metrics?: string[] | undefined;
}

/** Summed counter rows: `bucket` is the hour, the day (`2026-03-01`) or ''. */
export interface CounterRow {
  bucket: string;
  metric: string;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
}

export interface BinRow {
  bucket: string;
  metric: string;
  bin: number;
  count: number;
}

export interface AnalyticsRows {
  counters: CounterRow[];
  bins: BinRow[];
}

/** What a store reads for the analytics. */
export interface AnalyticsReader {
  /** States of these conversations (those that have one). */
  getAnalyticsStates(conversationIds: string[]): Promise<ConversationAnalytics[]>;
  readAnalytics(query: AnalyticsQuery): Promise<AnalyticsRows>;
}

/**
 * How far the analytics have folded the event log: every event up to `cursor` is in the
 * states and rollups. `token` names the projector that wrote it (its cache of states is good
 * only while the stored position is its own).
 */
export interface AnalyticsCursor {
  cursor: number;
  token: string;
}

/**
 * What a store writes for the analytics: the projector's transaction, which folds the events
 * after the cursor and moves the cursor with its writes.
 */
export interface AnalyticsWriter {
  /**
   * The stored position, held by this transaction until it ends (a row lock on PostgreSQL).
   * `wait: false`: undefined at once when another transaction holds it.
   */
  claimAnalyticsCursor(options: { wait: boolean }): Promise<AnalyticsCursor | undefined>;
  /** Writes states and adds deltas, and moves the position to `to`, in this transaction. */
  applyAnalytics(change: AnalyticsChange, to: AnalyticsCursor): Promise<void>;
  /** Drops every state and rollup and the position (a rebuild starts from nothing). */
  clearAnalytics(): Promise<void>;
}
