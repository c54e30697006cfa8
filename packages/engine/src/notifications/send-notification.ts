import type { Channel, FallbackRule, Notification } from '@threadline/schema';
import { parseDuration } from '../clock.js';
import { continueConversation } from '../continuity.js';
import { touchConversation } from '../conversations.js';
import { type EngineContext, routeCandidates } from '../engine-context.js';
import { failMessage, scheduleFallbacks } from '../fallback.js';
import { liveContact } from '../identity.js';
import { queueOutbound } from '../outbound.js';
import type { ContactRecord } from '../ports.js';
import { isoTime, type Unit } from '../unit-of-work.js';
import { chooseNotificationChannels } from './channel-choice.js';
import {
  deferNotification,
  entry,
  saveNotification,
  suppressNotification,
} from './notification-record.js';
import {
  expiryRule,
  firstObjection,
  frequencyCapRule,
  liveConversationRule,
  optOutRule,
  quietHoursRule,
} from './notification-rules.js';
import { type ResolvedPreferences, resolvePreferences } from './preferences.js';

const whatsappWindowMs = 24 * 60 * 60 * 1000;

/**
 * A notification that is due: the rules decide (expired, opted out, quiet hours, live
 * conversation, frequency cap, a reachable channel), then it is queued as an outbound message
 * in the contact's conversation, or deferred, or suppressed.
 */
export async function attemptNotification(
  context: EngineContext,
  unit: Unit,
  notification: Notification,
): Promise<Notification> {
  const contact = await liveContact(unit.tx, notification.contactId);
  if (!contact) return suppressNotification(context, unit, notification, 'no_reachable_channel');
  const defaults = context.notificationDefaults;
  const preferences = resolvePreferences(
    await unit.tx.getNotificationPreferences(contact.id),
    defaults,
    notification.category,
    contact.channelPreference,
  );
  const now = unit.now;
  const critical = notification.critical;
  const latestInbound = await unit.tx.findLatestInbound(contact.id);
  const cap = defaults.frequencyCap;
  const sentInWindow =
    cap && !critical
      ? await unit.tx.countNotificationsSent(
          contact.id,
          notification.category,
          isoTime(new Date(now.getTime() - cap.windowMs)),
        )
      : 0;
  const outcome = firstObjection([
    () =>
      expiryRule({
        now,
        expiresAt: notification.expiresAt ? new Date(notification.expiresAt) : null,
      }),
    () => optOutRule({ categoryOptOut: preferences.categoryOptOut }),
    () =>
      quietHoursRule({
        now,
        critical,
        timezone: preferences.timezone,
        quietHours: preferences.quietHours,
      }),
    () =>
      liveConversationRule({
        now,
        critical,
        lastInboundAt: latestInbound ? new Date(latestInbound.createdAt) : null,
        windowMs: defaults.liveWindowMs,
        policy: defaults.livePolicy,
      }),
    () => frequencyCapRule({ critical, cap, sentInWindow }),
  ]);
  if (outcome.action === 'suppress')
    return suppressNotification(context, unit, notification, outcome.reason);
  if (outcome.action === 'defer')
    return deferNotification(context, unit, notification, outcome.until, outcome.reason);

  const { channels, whatsappWindowOpen } = await notificationChannels(
    context,
    unit,
    contact,
    notification,
    preferences,
    latestInbound?.channel ?? null,
  );
  if (channels.length === 0)
    return suppressNotification(context, unit, notification, 'no_reachable_channel');
  return queueNotification(context, unit, notification, contact, channels, whatsappWindowOpen);
}

async function notificationChannels(
  context: EngineContext,
  unit: Unit,
  contact: ContactRecord,
  notification: Notification,
  preferences: ResolvedPreferences,
  lastInboundChannel: Channel | null,
) {
  const served = new Set(routeCandidates(context).map((candidate) => candidate.channel));
  const identities = await unit.tx.listIdentities(contact.id);
  const reachable = [...new Set(identities.map((identity) => identity.channel))].filter(
    (channel) => served.has(channel) && !contact.optedOut.includes(channel),
  );
  const latestWhatsapp = await unit.tx.findLatestInbound(contact.id, { channel: 'whatsapp' });
  const whatsappWindowOpen =
    latestWhatsapp !== undefined &&
    unit.now.getTime() - new Date(latestWhatsapp.createdAt).getTime() < whatsappWindowMs;
  const channels = chooseNotificationChannels({
    categoryChannels: preferences.categoryChannels,
    preferredChannels: preferences.channels,
    lastInboundChannel,
    addressedChannel: notification.to?.channel ?? null,
    reachable,
    whatsappWindowOpen,
    hasTemplate: notification.template !== null,
  });
  return { channels, whatsappWindowOpen };
}

/** The notification as the first message of (or the next in) the contact's conversation. */
async function queueNotification(
  context: EngineContext,
  unit: Unit,
  notification: Notification,
  contact: ContactRecord,
  channels: Channel[],
  whatsappWindowOpen: boolean,
): Promise<Notification> {
  const channel = channels[0]!;
  const connector = [...context.connectors().values()].find((c) => c.channel === channel)!;
  const conversation = await continueConversation(context, unit, {
    contactId: contact.id,
    mode: 'outbound',
    latest: await unit.tx.findLatestConversation(contact.id, context.inboxId),
  });
  const fallbackChannel = channels[1];
  const fallback: FallbackRule[] =
    notification.fallback && fallbackChannel
      ? [
          {
            channel: fallbackChannel,
            when: notification.fallback.until === 'read' ? 'unread' : 'undelivered',
            afterMs: parseDuration(notification.fallback.after),
          },
        ]
      : [];
  const useTemplate = channel === 'whatsapp' && !whatsappWindowOpen && notification.template;
  // Queued before the message: a route refused at once reports `failed` on a queued notification.
  let current = await saveNotification(unit, notification, {
    status: 'queued',
    reason: null,
    channel,
    conversationId: conversation.id,
    sentAt: isoTime(unit.now),
  });
  const message = await queueOutbound(
    context,
    unit,
    { contact, conversation, connector, fallbackOfId: null },
    {
      content: useTemplate ? notification.template! : notification.content,
      fallback,
      channelData: { notificationId: notification.id },
    },
    (inner, refused, error) => failMessage(context, inner, refused, error),
  );
  if (message.status === 'queued') await scheduleFallbacks(context, unit, message);
  await touchConversation(unit, (await unit.tx.getConversation(conversation.id)) ?? conversation);
  current = (await unit.tx.getNotification(notification.id)) ?? current;
  const queuedEntry = entry(unit, 'queued', { channel, messageId: message.id });
  const laterEntries = current.timeline.slice(notification.timeline.length);
  const saved: Notification = {
    ...current,
    messageId: message.id,
    timeline: [...notification.timeline, queuedEntry, ...laterEntries],
  };
  await unit.tx.updateNotification(saved);
  return saved;
}
