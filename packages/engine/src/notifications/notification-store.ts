import type { Notification, NotificationPreferences } from '@threadline/schema';

export interface NotificationQuery {
  contactId?: string;
  category?: string;
  /** Page after this notification id (ids are time-ordered). */
  after?: string;
  limit: number;
}

/** What every store reads for notifications. */
export interface NotificationReader {
  getNotification(id: string): Promise<Notification | undefined>;
  findNotificationByIdempotencyKey(key: string): Promise<Notification | undefined>;
  /** Oldest first. */
  listNotifications(query: NotificationQuery): Promise<Notification[]>;
  /** Notifications of a category sent (queued to a channel) to a contact after `since`. */
  countNotificationsSent(contactId: string, category: string, since: string): Promise<number>;
  /** The latest notification sent in a conversation at or after `since` with no reply yet. */
  findNotificationAwaitingReply(
    conversationId: string,
    since: string,
  ): Promise<Notification | undefined>;
  getNotificationPreferences(contactId: string): Promise<NotificationPreferences | undefined>;
}

/** What every store writes for notifications. */
export interface NotificationWriter {
  /** A second notification with the same `idempotencyKey` is a `StoreConstraintError`. */
  insertNotification(notification: Notification): Promise<void>;
  updateNotification(notification: Notification): Promise<void>;
  putNotificationPreferences(
    contactId: string,
    preferences: NotificationPreferences,
  ): Promise<void>;
}
