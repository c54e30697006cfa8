import type { NotificationReason, QuietHours } from '@threadline/schema';
import { quietHoursEnd } from './quiet-hours.js';

/** What a rule says about a notification: go on, wait until a time, or drop it. */
export type RuleOutcome =
  | { action: 'send' }
  | { action: 'defer'; until: Date; reason: NotificationReason }
  | { action: 'suppress'; reason: NotificationReason };

const send: RuleOutcome = { action: 'send' };

/** What a live conversation does to a non-critical notification. */
export type LiveConversationPolicy = 'defer' | 'send' | 'suppress';

export interface FrequencyCap {
  /** At most this many notifications of one category to one contact ... */
  limit: number;
  /** ... within this many milliseconds. */
  windowMs: number;
}

/** Expiry: a notification still unsent at `expiresAt` is suppressed. */
export function expiryRule(input: { now: Date; expiresAt: Date | null }): RuleOutcome {
  return input.expiresAt && input.expiresAt.getTime() <= input.now.getTime()
    ? { action: 'suppress', reason: 'expired' }
    : send;
}

/** Opt-out: a category the customer opted out of is suppressed, critical or not. */
export function optOutRule(input: { categoryOptOut: boolean }): RuleOutcome {
  return input.categoryOptOut ? { action: 'suppress', reason: 'opted_out' } : send;
}

/** Quiet hours in the contact's time zone defer to the window's end; critical bypasses them. */
export function quietHoursRule(input: {
  now: Date;
  critical: boolean;
  timezone: string;
  quietHours: QuietHours | null;
}): RuleOutcome {
  if (input.critical) return send;
  const end = quietHoursEnd(input.now, input.timezone, input.quietHours);
  return end ? { action: 'defer', until: end, reason: 'quiet_hours' } : send;
}

/**
 * Live conversation: the customer wrote less than `windowMs` ago. Per policy the notification
 * waits until the conversation has been quiet that long, goes anyway, or is dropped.
 */
export function liveConversationRule(input: {
  now: Date;
  critical: boolean;
  lastInboundAt: Date | null;
  windowMs: number;
  policy: LiveConversationPolicy;
}): RuleOutcome {
  if (input.critical || input.policy === 'send' || !input.lastInboundAt) return send;
  const quietAt = input.lastInboundAt.getTime() + input.windowMs;
  if (quietAt <= input.now.getTime()) return send;
  return input.policy === 'suppress'
    ? { action: 'suppress', reason: 'in_conversation' }
    : { action: 'defer', until: new Date(quietAt), reason: 'in_conversation' };
}

/** Frequency cap: the excess over `limit` in the window is suppressed; critical bypasses it. */
export function frequencyCapRule(input: {
  critical: boolean;
  cap: FrequencyCap | null;
  sentInWindow: number;
}): RuleOutcome {
  if (input.critical || !input.cap) return send;
  return input.sentInWindow >= input.cap.limit
    ? { action: 'suppress', reason: 'frequency_cap' }
    : send;
}

/** The rules in the order they apply; the first that does not say `send` decides. */
export function firstObjection(outcomes: (() => RuleOutcome)[]): RuleOutcome {
  for (const outcome of outcomes) {
    const result = outcome();
    if (result.action !== 'send') return result;
  }
  return send;
}
