import type { Notification, NotificationPreferences } from '@threadline/schema';
import { json } from './postgres-queries.js';

type Statement = [sql: string, values: unknown[]];

/** The columns a notification is found by, then the whole of it as JSON. */
const indexed = (notification: Notification) => [
  notification.contactId,
  notification.category,
  notification.conversationId,
  notification.sentAt,
  notification.replyMessageId,
];

/**
 * The notification writes of the PostgreSQL store, as statements: each runs at once in the
 * transaction (never deferred), so the notification reads need not send deferred writes first.
 */
export const notificationWrites = {
  insert: (notification: Notification): Statement => [
    `INSERT INTO notifications (contact_id, category, conversation_id, sent_at, reply_message_id, id, idempotency_key, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [...indexed(notification), notification.id, notification.idempotencyKey, json(notification)],
  ],
  update: (notification: Notification): Statement => [
    `UPDATE notifications SET contact_id = $1, category = $2, conversation_id = $3, sent_at = $4,
     reply_message_id = $5, data = $6 WHERE id = $7`,
    [...indexed(notification), json(notification), notification.id],
  ],
  putPreferences: (contactId: string, preferences: NotificationPreferences): Statement => [
    'INSERT INTO notification_preferences (contact_id, data) VALUES ($1, $2) ON CONFLICT (contact_id) DO UPDATE SET data = excluded.data',
    [contactId, json(preferences)],
  ],
};
