import type { FallbackCondition, Message, MessageError, MessageFallback } from '@threadline/schema';
import { continueConversation } from './continuity.js';
import { followMerges } from './conversations.js';
import { connectorOrThrow, type EngineContext, routeCandidates } from './engine-context.js';
import { liveContact } from './identity.js';
import {
  onNotificationFallback,
  onNotificationMessageStatus,
} from './notifications/notification-hooks.js';
import { queueOutbound } from './outbound.js';
import type { Job } from './ports.js';
import { chooseRoute } from './routing.js';
import { isoTime, type Unit } from './unit-of-work.js';

/** How long `undelivered` and `unread` rules wait when the app gives no `afterMs`. */
const defaultWaitMs = 5 * 60_000;

/** Timers for the message's `undelivered` / `unread` rules (a `failed` rule fires on the status). */
export async function scheduleFallbacks(
  context: EngineContext,
  unit: Unit,
  message: Message,
): Promise<void> {
  for (const [index, rule] of (message.fallback?.rules ?? []).entries()) {
    if (rule.when === 'failed') continue;
    await context.addJob(unit, {
      id: context.ids.next(),
      kind: 'fallback',
      orderKey: null,
      connectorId: null,
      payload: { messageId: message.id, ruleIndex: index },
      runAt: isoTime(new Date(unit.now.getTime() + (rule.afterMs ?? defaultWaitMs))),
      createdAt: isoTime(unit.now),
    });
  }
}

/** A message failed for good: record it, and fire its `failed` fallback. */
export async function failMessage(
  context: EngineContext,
  unit: Unit,
  message: Message,
  error: MessageError,
): Promise<Message> {
  const failed: Message = { ...message, status: 'failed', error, updatedAt: isoTime(unit.now) };
  await unit.tx.updateMessage(failed);
  await context.emit(unit, 'message.status_updated', {
    message: failed,
    previousStatus: message.status,
  });
  await onNotificationMessageStatus(context, unit, failed);
  await fireFallback(context, unit, failed, 'failed');
  return failed;
}

/**
 * Fire the first rule of a message for `condition` (or rule `ruleIndex`), once. The copy is
 * a new message in the original's conversation, linked by `fallbackOfId`.
 */
export async function fireFallback(
  context: EngineContext,
  unit: Unit,
  message: Message,
  condition: FallbackCondition,
  ruleIndex?: number,
): Promise<void> {
  const state: MessageFallback = message.fallback ?? { rules: [], fired: [] };
  const index = ruleIndex ?? state.rules.findIndex((rule) => rule.when === condition);
  const rule = state.rules[index];
  if (!rule || rule.when !== condition) return;
  if (state.fired.some((fired) => fired.rule === index)) return;
  const contact = await liveContact(unit.tx, message.contactId);
  const original = await unit.tx.getConversation(message.conversationId);
  if (!contact || !original) return;
  // A copy is the gateway's own message: it stays with its original, and never reopens.
  const conversation = await continueConversation(context, unit, {
    contactId: contact.id,
    mode: 'outbound',
    latest: await followMerges(unit.tx, original),
    automated: true,
  });
  const route = chooseRoute({
    channel: rule.channel,
    conversation,
    latestInbound: undefined,
    identities: await unit.tx.listIdentities(contact.id),
    channelPreference: contact.channelPreference,
    connectors: routeCandidates(context),
  });
  const markFired = async (messageId: string | null) => {
    const latest = (await unit.tx.getMessage(message.id)) ?? message;
    const current = latest.fallback ?? state;
    await unit.tx.updateMessage({
      ...latest,
      updatedAt: isoTime(unit.now),
      fallback: {
        ...current,
        fired: [
          ...current.fired.filter((fired) => fired.rule !== index),
          { rule: index, messageId },
        ],
      },
    });
  };
  // Marked before the copy is queued: a copy that fails at once must not fire this rule again.
  await markFired(null);
  if (!route) {
    context.log('warn', 'fallback has no route', { messageId: message.id, channel: rule.channel });
    return;
  }
  const copy = await queueOutbound(
    context,
    unit,
    {
      contact,
      conversation,
      connector: connectorOrThrow(context, route.connectorId),
      fallbackOfId: message.id,
    },
    {
      content: message.content,
      fallback: state.rules.slice(index + 1),
      channelData: { fallbackReason: condition },
    },
    (inner, refused, error) => failMessage(context, inner, refused, error),
  );
  if (copy.status === 'queued') await scheduleFallbacks(context, unit, copy);
  await markFired(copy.id);
  await onNotificationFallback(context, unit, message, copy);
}

/** A fallback timer came due: fire its rule unless the message got there in time. */
export async function runFallbackJob(context: EngineContext, job: Job): Promise<void> {
  const messageId = String(job.payload.messageId);
  const ruleIndex = Number(job.payload.ruleIndex);
  await context.transact(async (unit) => {
    const message = await unit.tx.getMessage(messageId);
    const rule = message?.fallback?.rules[ruleIndex];
    if (message && rule) {
      const due =
        (rule.when === 'undelivered' && !['delivered', 'read'].includes(message.status)) ||
        (rule.when === 'unread' && message.status !== 'read');
      if (due) await fireFallback(context, unit, message, rule.when, ruleIndex);
    }
    await context.finishJob(unit, job);
  });
}
