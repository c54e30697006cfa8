import type {
  Channel,
  Notification,
  NotificationReason,
  NotificationTimelineEntry,
} from '@threadline/schema';
import type { EngineContext } from '../engine-context.js';
import { isoTime, type Unit } from '../unit-of-work.js';

export const notificationJobKind = 'notification' as const;

/** A timeline entry at the unit's time. */
export function entry(
  unit: Unit,
  type: NotificationTimelineEntry['type'],
  fields: { channel?: Channel; messageId?: string; reason?: NotificationReason; until?: Date } = {},
): NotificationTimelineEntry {
  return {
    type,
    at: isoTime(unit.now),
    channel: fields.channel ?? null,
    messageId: fields.messageId ?? null,
    reason: fields.reason ?? null,
    until: fields.until ? isoTime(fields.until) : null,
  };
}

/** Store a changed notification with its new timeline entries. */
export async function saveNotification(
  unit: Unit,
  notification: Notification,
  changes: Partial<Notification>,
  ...entries: NotificationTimelineEntry[]
): Promise<Notification> {
  const saved: Notification = {
    ...notification,
    ...changes,
    timeline: [...notification.timeline, ...entries],
    updatedAt: isoTime(unit.now),
  };
  await unit.tx.updateNotification(saved);
  return saved;
}

/**
 * Defer a notification to `until` (or to its expiry, if that comes first): a durable job runs
 * it then, once, on whichever instance claims it.
 */
export async function deferNotification(
  context: EngineContext,
  unit: Unit,
  notification: Notification,
  until: Date,
  reason: NotificationReason | null,
): Promise<Notification> {
  const expiresAt = notification.expiresAt ? new Date(notification.expiresAt) : null;
  const runAt = expiresAt && expiresAt < until ? expiresAt : until;
  const saved = await saveNotification(
    unit,
    notification,
    { status: 'scheduled', reason, scheduledFor: isoTime(until) },
    entry(unit, notification.timeline.length === 0 ? 'scheduled' : 'deferred', {
      until,
      ...(reason ? { reason } : {}),
    }),
  );
  await context.addJob(unit, {
    id: context.ids.next(),
    kind: notificationJobKind,
    orderKey: null,
    connectorId: null,
    payload: { notificationId: notification.id },
    runAt: isoTime(runAt),
    createdAt: isoTime(unit.now),
  });
  await context.emit(unit, 'notification.scheduled', { notification: saved });
  return saved;
}

export async function suppressNotification(
  context: EngineContext,
  unit: Unit,
  notification: Notification,
  reason: NotificationReason,
): Promise<Notification> {
  const saved = await saveNotification(
    unit,
    notification,
    { status: 'suppressed', reason },
    entry(unit, 'suppressed', { reason }),
  );
  await context.emit(unit, 'notification.suppressed', { notification: saved });
  return saved;
}
