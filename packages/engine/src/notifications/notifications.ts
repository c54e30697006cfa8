import type {
  Address,
  Content,
  Notification,
  NotificationFallback,
  NotificationPreferences,
  NotificationReason,
  NotificationStatus,
  TemplateContent,
} from '@threadline/schema';
import { type EngineContext, EngineError } from '../engine-context.js';
import { liveContact, resolveContact } from '../identity.js';
import type { Job } from '../ports.js';
import { isoTime } from '../unit-of-work.js';
import { deferNotification } from './notification-record.js';
import type { NotificationQuery } from './notification-store.js';
import { isTimeZone } from './quiet-hours.js';
import { attemptNotification } from './send-notification.js';

export interface NotifyRequest {
  to: { contactId: string } | Address;
  category: string;
  content: Content;
  template?: TemplateContent;
  critical?: boolean;
  sendAt?: string;
  expiresAt?: string;
  fallback?: NotificationFallback;
  idempotencyKey?: string;
}

/** The answer to a send: what happened now, and when it goes out. */
export interface NotifyResult {
  id: string;
  status: NotificationStatus;
  scheduledFor: string;
  channel: string | null;
  reason?: NotificationReason;
}

export function notifyResult(notification: Notification): NotifyResult {
  return {
    id: notification.id,
    status: notification.status,
    scheduledFor: notification.scheduledFor,
    channel: notification.channel,
    ...(notification.reason ? { reason: notification.reason } : {}),
  };
}

/** A deferred notification came due: decided again, once (the job finishes with the decision). */
export async function runNotificationJob(context: EngineContext, job: Job): Promise<void> {
  const id = String(job.payload.notificationId);
  await context.transact(async (unit) => {
    const notification = await unit.tx.getNotification(id);
    if (notification?.status === 'scheduled')
      await attemptNotification(context, unit, notification);
    await context.finishJob(unit, job);
  });
}

/** Notifications in a batch decided at once (each its own transaction; the store commits them together). */
const batchConcurrency = 16;

/** The notifications module: preferences, sends, reads, and the durable deferred job. */
export function createNotifications(context: EngineContext) {
  /** One notification: stored, decided, and queued, deferred or suppressed, in one transaction. */
  function notify(request: NotifyRequest): Promise<Notification> {
    return context.transact(async (unit) => {
      if (request.idempotencyKey) {
        const existing = await unit.tx.findNotificationByIdempotencyKey(request.idempotencyKey);
        if (existing) return existing;
      }
      const contact =
        'contactId' in request.to
          ? await liveContact(unit.tx, request.to.contactId)
          : await resolveContact(context, unit, request.to, null);
      if (!contact)
        throw new EngineError(
          'not_found',
          `no contact ${(request.to as { contactId: string }).contactId}`,
          {
            details: { path: 'to.contactId' },
          },
        );
      const now = isoTime(unit.now);
      const sendAt = request.sendAt && request.sendAt > now ? request.sendAt : null;
      const notification: Notification = {
        id: context.ids.next(),
        contactId: contact.id,
        conversationId: null,
        to:
          'contactId' in request.to
            ? null
            : { channel: request.to.channel, address: request.to.address },
        category: request.category,
        content: request.content,
        template: request.template ?? null,
        critical: request.critical ?? false,
        status: 'scheduled',
        reason: null,
        scheduledFor: sendAt ?? now,
        expiresAt: request.expiresAt ?? null,
        sentAt: null,
        fallback: request.fallback ?? null,
        channel: null,
        messageId: null,
        replyMessageId: null,
        idempotencyKey: request.idempotencyKey ?? null,
        timeline: [],
        createdAt: now,
        updatedAt: now,
      };
      await unit.tx.insertNotification(notification);
      if (sendAt) return deferNotification(context, unit, notification, new Date(sendAt), null);
      return attemptNotification(context, unit, notification);
    });
  }

  /** Several notifications, each answered with its own result (or error), in order. */
  async function notifyBatch(
    requests: NotifyRequest[],
  ): Promise<({ ok: true; notification: Notification } | { ok: false; error: unknown })[]> {
    const results: ({ ok: true; notification: Notification } | { ok: false; error: unknown })[] =
      new Array(requests.length);
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const index = next++;
        try {
          results[index] = { ok: true, notification: await notify(requests[index]!) };
        } catch (error) {
          results[index] = { ok: false, error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(batchConcurrency, requests.length) }, worker));
    return results;
  }

  async function getPreferences(contactId: string): Promise<NotificationPreferences> {
    const contact = await liveContact(context.store.read, contactId);
    if (!contact) throw new EngineError('not_found', `no contact ${contactId}`);
    return (await context.store.read.getNotificationPreferences(contact.id)) ?? {};
  }

  function putPreferences(
    contactId: string,
    preferences: NotificationPreferences,
  ): Promise<NotificationPreferences> {
    if (preferences.timezone !== undefined && !isTimeZone(preferences.timezone))
      throw new EngineError(
        'validation_failed',
        `timezone: "${preferences.timezone}" is not an IANA time zone (e.g. "Asia/Shanghai")`,
        { details: { path: 'timezone' } },
      );
    return context.transact(async (unit) => {
      const contact = await liveContact(unit.tx, contactId);
      if (!contact) throw new EngineError('not_found', `no contact ${contactId}`);
      await unit.tx.putNotificationPreferences(contact.id, preferences);
      return preferences;
    });
  }

  return {
    notify,
    notifyBatch,
    get: (id: string) => context.store.read.getNotification(id),
    list: (query: NotificationQuery) => context.store.read.listNotifications(query),
    getPreferences,
    putPreferences,
  };
}

export type Notifications = ReturnType<typeof createNotifications>;
