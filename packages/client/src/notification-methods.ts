import type {
  Address,
  Channel,
  Notification,
  NotificationPreferences,
  NotificationReason,
  NotificationStatus,
  templateContentSchema,
} from '@threadline/schema';
import type { input } from 'zod';
import type { ContentInput, RequestOptions } from './api-types.js';

export type { Notification, NotificationPreferences, NotificationReason, NotificationStatus };

/** `POST /v1/notifications`: a notification to a contact (by id) or an address. */
export interface SendNotificationInput {
  to: { contactId: string } | Address;
  category: string;
  content: ContentInput;
  /** What WhatsApp sends outside its 24-hour window. */
  template?: input<typeof templateContentSchema>;
  /** Bypasses quiet hours, live conversations and frequency caps; never an opt-out. */
  critical?: boolean;
  sendAt?: string;
  expiresAt?: string;
  fallback?: { after: string; until: 'delivered' | 'read' };
  /** A retry with the same key answers the first result (and the client may retry it). */
  idempotencyKey?: string;
}

export interface NotifyResult {
  id: string;
  status: NotificationStatus;
  scheduledFor: string;
  channel: Channel | null;
  reason?: NotificationReason;
}

export type NotifyBatchItem =
  | NotifyResult
  | { error: { code: string; message: string; details: unknown } };

interface Calls {
  get<T>(
    path: string,
    query?: Record<string, string | number | undefined>,
    options?: RequestOptions,
  ): Promise<T>;
  send<T>(
    method: 'POST' | 'PUT',
    path: string,
    body: unknown,
    retry: boolean,
    options?: RequestOptions,
  ): Promise<T>;
}

const segment = (value: string) => encodeURIComponent(value);

/** `client.notifications` and the preference methods of `client.contacts`. */
export function createNotificationMethods(calls: Calls) {
  const notifications = {
    /** Queued now, scheduled for later, or suppressed with the reason. */
    send(input: SendNotificationInput, options?: RequestOptions): Promise<NotifyResult> {
      return calls.send(
        'POST',
        '/v1/notifications',
        input,
        input.idempotencyKey !== undefined,
        options,
      );
    },
    /** Up to 1,000 notifications, each answered with its own result (or error), in order. */
    async sendBatch(
      inputs: SendNotificationInput[],
      options?: RequestOptions,
    ): Promise<NotifyBatchItem[]> {
      return (
        await calls.send<{ results: NotifyBatchItem[] }>(
          'POST',
          '/v1/notifications/batch',
          { notifications: inputs },
          false,
          options,
        )
      ).results;
    },
    /** With its timeline: scheduled, deferred, sent, fallback, delivered, read, replied. */
    get(id: string, options?: RequestOptions): Promise<Notification> {
      return calls.get(`/v1/notifications/${segment(id)}`, undefined, options);
    },
    async list(
      query: { contactId?: string; category?: string; after?: string; limit?: number } = {},
      options?: RequestOptions,
    ): Promise<Notification[]> {
      return (await calls.get<{ data: Notification[] }>('/v1/notifications', { ...query }, options))
        .data;
    },
  };
  const preferences = {
    getPreferences(contactId: string, options?: RequestOptions): Promise<NotificationPreferences> {
      return calls.get(`/v1/contacts/${segment(contactId)}/preferences`, undefined, options);
    },
    putPreferences(
      contactId: string,
      input: NotificationPreferences,
      options?: RequestOptions,
    ): Promise<NotificationPreferences> {
      return calls.send(
        'PUT',
        `/v1/contacts/${segment(contactId)}/preferences`,
        input,
        true,
        options,
      );
    },
  };
  return { notifications, preferences };
}
