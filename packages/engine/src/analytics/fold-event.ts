import type { ConversationAnalytics, CounterDelta, HistogramDelta } from './analytics-types.js';
import { binOf } from './histogram.js';
import { controlPassesPrefix, type DurationMetric, suppressedPrefix } from './metrics.js';

/** An event as the log holds it: known types and any other (notifications) alike. */
export interface LogEvent {
  type: string;
  time: string;
  data: unknown;
}

/** What folding events produces, besides the next states. */
export interface RollupDeltas {
  counters: CounterDelta[];
  bins: HistogramDelta[];
}

type Data = Record<string, unknown>;
const record = (value: unknown): Data =>
  typeof value === 'object' && value !== null ? (value as Data) : {};
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The hour an event falls in. */
export const hourOf = (time: string) => `${time.slice(0, 13)}:00:00.000Z`;

const seconds = (from: string, to: string) =>
  Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

/**
 * The conversations an event's fold reads: load their states before `foldEvent`. A merge
 * reads the conversation folded away and the one it went into.
 */
export function conversationIdsOf(event: LogEvent): string[] {
  const data = record(event.data);
  switch (event.type) {
    case 'conversation.opened':
    case 'conversation.reopened':
    case 'conversation.resolved':
    case 'conversation.channel_switched':
      return [text(record(data.conversation).id)];
    case 'message.received':
    case 'message.sent':
      return [text(record(data.message).conversationId)];
    case 'conversation.control_passed':
    case 'conversation.control_accepted':
      return [text(data.conversationId)];
    case 'contact.merged':
      return foldedOf(data).flatMap((fold) => [fold.conversationId, fold.intoConversationId]);
    default:
      return [];
  }
}

function foldedOf(data: Data): { conversationId: string; intoConversationId: string }[] {
  return Array.isArray(data.folded)
    ? data.folded
        .map(record)
        .map((fold) => ({
          conversationId: text(fold.conversationId),
          intoConversationId: text(fold.intoConversationId),
        }))
        .filter((fold) => fold.conversationId && fold.intoConversationId)
    : [];
}

/**
 * An outbound message that answers the customer: sent by an app, not a fallback copy of one
 * already counted, not a notification, not marked automated by the app that sent it.
 */
export function isAppReply(message: Data): boolean {
  const channelData = record(message.channelData);
  return (
    message.direction === 'outbound' &&
    (message.fallbackOfId ?? null) === null &&
    channelData.automated !== true &&
    channelData.notificationId === undefined
  );
}

/**
 * The analytics' one home: folds one event into the states of the conversations it touches
 * (`states`, loaded for `conversationIdsOf(event)`, updated in place) and adds its rollup
 * deltas to `out`. Depends on nothing else, so the incremental rollups and a rebuild from
 * the event log give the same figures. The rules, case by case: docs/analytics.md.
 */
export function foldEvent(
  event: LogEvent,
  states: Map<string, ConversationAnalytics>,
  out: RollupDeltas,
): void {
  const hour = hourOf(event.time);
  const data = record(event.data);
  const count = (metric: string, channel: string, integrationId: string, n = 1) =>
    out.counters.push({
      hour,
      channel,
      integrationId,
      metric,
      count: n,
      sum: 0,
      min: null,
      max: null,
    });
  const observe = (
    metric: DurationMetric,
    channel: string,
    integrationId: string,
    value: number,
  ) => {
    out.counters.push({
      hour,
      channel,
      integrationId,
      metric,
      count: 1,
      sum: value,
      min: value,
      max: value,
    });
    out.bins.push({ hour, channel, integrationId, metric, bin: binOf(value), count: 1 });
  };
  /** A reopening counts on the channel of the message that reopened it (or as it stands). */
  const countReopen = (state: ConversationAnalytics) => {
    if (!state.reopenPending) return;
    state.reopenPending = false;
    count('conversations_reopened', state.channel, state.integrationId);
  };

  switch (event.type) {
    case 'conversation.opened': {
      const conversation = record(data.conversation);
      const channel = text(conversation.lastInboundChannel);
      const state = newState(text(conversation.id), channel, event.time);
      states.set(state.conversationId, state);
      count('conversations_opened', channel, '');
      return;
    }
    case 'message.received': {
      const message = record(data.message);
      const state = states.get(text(message.conversationId));
      if (!state) return;
      const channel = text(message.channel);
      const control = record(data.control);
      if (typeof control.activeIntegrationId === 'string')
        state.integrationId = control.activeIntegrationId;
      state.channel = channel;
      if (!state.channels.includes(channel)) {
        state.channels.push(channel);
        if (state.channels.length >= 2 && !state.crossChannel) {
          state.crossChannel = true;
          count('cross_channel_conversations', channel, state.integrationId);
          count('continuity_kept', channel, state.integrationId);
        }
      }
      if (state.awaitingSince === null) {
        state.awaitingSince = event.time;
        state.awaitingChannel = channel;
      }
      countReopen(state);
      count('messages_received', channel, state.integrationId);
      return;
    }
    case 'conversation.channel_switched': {
      const state = states.get(text(record(data.conversation).id));
      count('channel_switches', text(data.toChannel), state?.integrationId ?? '');
      return;
    }
    case 'message.sent': {
      const message = record(data.message);
      const state = states.get(text(message.conversationId));
      if (!state || !isAppReply(message)) return;
      if (state.awaitingSince === null) return;
      const waited = seconds(state.awaitingSince, event.time);
      const channel = state.awaitingChannel;
      observe('response_seconds', channel, state.integrationId, waited);
      if (!state.firstResponded)
        observe('first_response_seconds', channel, state.integrationId, waited);
      count('replies', channel, state.integrationId);
      state.firstResponded = true;
      state.awaitingSince = null;
      return;
    }
    case 'conversation.resolved': {
      const state = states.get(text(record(data.conversation).id));
      if (!state || state.status === 'resolved') return;
      countReopen(state);
      const { channel, integrationId } = state;
      count('conversations_resolved', channel, integrationId);
      observe('resolution_seconds', channel, integrationId, seconds(state.openedAt, event.time));
      if (state.defaultIntegrationId !== null) {
        count('resolved_with_switchboard', channel, integrationId);
        if (!state.leftDefault) count('resolved_contained', channel, integrationId);
      }
      // a reply still on its way answers the customer who waited: the wait ends with a
      // reply, or with a reopening (which starts a new one)
      state.status = 'resolved';
      return;
    }
    case 'conversation.reopened': {
      const state = states.get(text(record(data.conversation).id));
      if (!state) return;
      state.status = 'open';
      state.openedAt = event.time;
      state.firstResponded = false;
      state.awaitingSince = null;
      state.reopenPending = true;
      return;
    }
    case 'conversation.control_passed':
    case 'conversation.control_accepted': {
      const state = states.get(text(data.conversationId));
      const reason = event.type === 'conversation.control_accepted' ? 'accept' : text(data.reason);
      const from = text(data.from);
      const to = text(data.to);
      count(
        `${controlPassesPrefix}${reason}`,
        state?.channel ?? '',
        reason === 'new_conversation' ? to : from,
      );
      if (!state) return;
      if (reason === 'new_conversation' && state.defaultIntegrationId === null) {
        state.defaultIntegrationId = to;
        state.defaultSince = event.time;
      } else if (
        state.defaultIntegrationId !== null &&
        !state.leftDefault &&
        to !== state.defaultIntegrationId
      ) {
        state.leftDefault = true;
        count('handoffs', state.channel, from);
        observe(
          'first_integration_seconds',
          state.channel,
          state.defaultIntegrationId,
          seconds(state.defaultSince ?? event.time, event.time),
        );
      }
      state.integrationId = to;
      return;
    }
    case 'contact.merged': {
      for (const { conversationId, intoConversationId } of foldedOf(data)) {
        const folded = states.get(conversationId);
        const into = states.get(intoConversationId);
        count('breaks_repaired', into?.channel ?? '', into?.integrationId ?? '');
        if (!folded || !into) continue;
        countReopen(into);
        folded.mergedIntoId = into.conversationId;
        folded.status = 'resolved';
        for (const channel of folded.channels)
          if (!into.channels.includes(channel)) into.channels.push(channel);
        if (into.channels.length >= 2 && !into.crossChannel) {
          into.crossChannel = true;
          count('cross_channel_conversations', into.channel, into.integrationId);
        }
        if (
          folded.awaitingSince !== null &&
          (into.awaitingSince === null || folded.awaitingSince < into.awaitingSince)
        ) {
          into.awaitingSince = folded.awaitingSince;
          into.awaitingChannel = folded.awaitingChannel;
        }
      }
      return;
    }
    // a notification's events carry it as `notification`; sent on the carrying message's channel
    case 'notification.sent':
      count(
        'notifications_sent',
        text(record(data.message).channel) || text(record(data.notification).channel),
        '',
      );
      return;
    case 'notification.suppressed': {
      const notification = record(data.notification);
      count(
        `${suppressedPrefix}${text(notification.reason) || 'unknown'}`,
        text(notification.channel),
        '',
      );
      return;
    }
    case 'notification.replied':
      count('notifications_replied', text(record(data.notification).channel), '');
      return;
    default:
      return;
  }
}

/** A conversation's state when its first event is folded. */
export function newState(
  conversationId: string,
  channel: string,
  time: string,
): ConversationAnalytics {
  return {
    conversationId,
    channels: channel ? [channel] : [],
    channel,
    integrationId: '',
    status: 'open',
    reopenPending: false,
    openedAt: time,
    awaitingSince: null,
    awaitingChannel: channel,
    firstResponded: false,
    defaultIntegrationId: null,
    defaultSince: null,
    leftDefault: false,
    crossChannel: false,
    mergedIntoId: null,
  };
}
