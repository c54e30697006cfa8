import type { Message, Notification, NotificationStatus } from '@threadline/schema';
import type { EngineContext } from '../engine-context.js';
import { isoTime, type Unit } from '../unit-of-work.js';
import { entry, saveNotification } from './notification-record.js';

/** The notification a message carries (itself, or the message its fallback copy replaces). */
async function notificationOf(unit: Unit, message: Message): Promise<Notification | undefined> {
  let carrier: Message | undefined = message;
  for (let hops = 0; carrier && hops < 8; hops++) {
    const id = carrier.channelData.notificationId;
    if (typeof id === 'string') return unit.tx.getNotification(id);
    carrier = carrier.fallbackOfId ? await unit.tx.getMessage(carrier.fallbackOfId) : undefined;
  }
  return undefined;
}

/** Later is further: a fallback copy that got through lifts a notification out of `failed`. */
const rank: Partial<Record<NotificationStatus, number>> = {
  queued: 1,
  failed: 1.5,
  sent: 2,
  delivered: 3,
  read: 4,
};

/** The message currently carrying the notification: its latest fallback copy, else its first. */
function carryingMessageId(notification: Notification): string | null {
  const fallback = notification.timeline.filter((item) => item.type === 'fallback').at(-1);
  return fallback?.messageId ?? notification.messageId;
}

/**
 * A message carrying a notification changed status (`sent`, `delivered`, `read`, `failed`):
 * the notification follows, with `notification.sent|delivered|failed`.
 */
export async function onNotificationMessageStatus(
  context: EngineContext,
  unit: Unit,
  message: Message,
): Promise<void> {
  const status = message.status;
  if (!['sent', 'delivered', 'read', 'failed'].includes(status)) return;
  const notification = await notificationOf(unit, message);
  if (!notification) return;
  const target = status as NotificationStatus;
  const current = rank[notification.status] ?? 0;
  if (target === 'failed') {
    const carrying = carryingMessageId(notification);
    const isCarrying = carrying === null || carrying === message.id;
    const saved = await saveNotification(
      unit,
      notification,
      isCarrying && current < rank.sent! ? { status: 'failed' } : {},
      entry(unit, 'failed', { channel: message.channel, messageId: message.id }),
    );
    await context.emit(unit, 'notification.failed', { notification: saved, message });
    return;
  }
  if ((rank[target] ?? 0) <= current) return;
  const saved = await saveNotification(
    unit,
    notification,
    { status: target },
    entry(unit, target as 'sent' | 'delivered' | 'read', {
      channel: message.channel,
      messageId: message.id,
    }),
  );
  if (target === 'sent')
    await context.emit(unit, 'notification.sent', { notification: saved, message });
  if (target === 'delivered')
    await context.emit(unit, 'notification.delivered', { notification: saved, message });
}

/** A fallback copy of a notification's message was queued on the next channel. */
export async function onNotificationFallback(
  context: EngineContext,
  unit: Unit,
  original: Message,
  copy: Message,
): Promise<void> {
  const notification = await notificationOf(unit, original);
  if (!notification) return;
  const saved = await saveNotification(
    unit,
    notification,
    {},
    entry(unit, 'fallback', { channel: copy.channel, messageId: copy.id }),
  );
  await context.emit(unit, 'notification.fallback', {
    notification: saved,
    fromMessageId: original.id,
    message: copy,
  });
}

/**
 * A customer message landed in a conversation: the first reply to the latest notification
 * sent there (within the continuity window) links the two, with `notification.replied`.
 */
export async function onNotificationReply(
  context: EngineContext,
  unit: Unit,
  message: Message,
): Promise<void> {
  const since = isoTime(new Date(unit.now.getTime() - context.windowMs));
  const notification = await unit.tx.findNotificationAwaitingReply(message.conversationId, since);
  if (!notification) return;
  const saved = await saveNotification(
    unit,
    notification,
    { replyMessageId: message.id },
    entry(unit, 'replied', { channel: message.channel, messageId: message.id }),
  );
  await context.emit(unit, 'notification.replied', { notification: saved, message });
}
