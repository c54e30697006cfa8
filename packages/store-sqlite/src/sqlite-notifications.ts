import { type NotificationQuery, StoreConstraintError } from '@threadline/engine';
import type { Notification, NotificationPreferences } from '@threadline/schema';
import type { Statement } from 'better-sqlite3';

type Row = Record<string, unknown>;
const json = (value: unknown) => JSON.stringify(value);
const parse = <T>(value: unknown): T => JSON.parse(String(value)) as T;

/**
 * The notification reads and writes of the SQLite store, on its prepared statements: the
 * store's reader and transaction hand them over as they are (`NotificationReader`,
 * `NotificationWriter`), so the notification SQL has one home.
 */
export function sqliteNotifications(statement: (sql: string) => Statement) {
  const rows = {
    get: (sql: string, ...parameters: unknown[]) =>
      statement(sql).get(...parameters) as Row | undefined,
    all: (sql: string, ...parameters: unknown[]) => statement(sql).all(...parameters) as Row[],
    run: (sql: string, ...parameters: unknown[]) => statement(sql).run(...parameters),
  };
  return {
    async getNotification(id: string) {
      const row = rows.get('SELECT data FROM notifications WHERE id = ?', id);
      return row ? parse<Notification>(row.data) : undefined;
    },
    async findNotificationByIdempotencyKey(key: string) {
      const row = rows.get('SELECT data FROM notifications WHERE idempotency_key = ?', key);
      return row ? parse<Notification>(row.data) : undefined;
    },
    async listNotifications(query: NotificationQuery) {
      return rows
        .all(
          `SELECT data FROM notifications
         WHERE (? IS NULL OR contact_id = ?) AND (? IS NULL OR category = ?) AND (? IS NULL OR id > ?)
         ORDER BY id LIMIT ?`,
          ...[query.contactId, query.category, query.after].flatMap((value) => [
            value ?? null,
            value ?? null,
          ]),
          query.limit,
        )
        .map((row) => parse<Notification>(row.data));
    },
    async countNotificationsSent(contactId: string, category: string, since: string) {
      const row = rows.get(
        'SELECT count(*) AS count FROM notifications WHERE contact_id = ? AND category = ? AND sent_at > ?',
        contactId,
        category,
        since,
      );
      return Number(row?.count ?? 0);
    },
    async findNotificationAwaitingReply(conversationId: string, since: string) {
      const row = rows.get(
        `SELECT data FROM notifications
         WHERE conversation_id = ? AND sent_at >= ? AND reply_message_id IS NULL
         ORDER BY sent_at DESC, id DESC LIMIT 1`,
        conversationId,
        since,
      );
      return row ? parse<Notification>(row.data) : undefined;
    },
    async getNotificationPreferences(contactId: string) {
      const row = rows.get(
        'SELECT data FROM notification_preferences WHERE contact_id = ?',
        contactId,
      );
      return row ? parse<NotificationPreferences>(row.data) : undefined;
    },
    async insertNotification(notification: Notification) {
      const key = notification.idempotencyKey;
      if (key !== null && rows.get('SELECT 1 FROM notifications WHERE idempotency_key = ?', key))
        throw new StoreConstraintError(
          'notification_idempotency_key',
          `a notification with idempotencyKey ${key} exists`,
        );
      rows.run(
        `INSERT INTO notifications (id, contact_id, category, conversation_id, sent_at, reply_message_id, idempotency_key, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        notification.id,
        notification.contactId,
        notification.category,
        notification.conversationId,
        notification.sentAt,
        notification.replyMessageId,
        key,
        json(notification),
      );
    },
    async updateNotification(notification: Notification) {
      rows.run(
        `UPDATE notifications SET contact_id = ?, category = ?, conversation_id = ?, sent_at = ?,
         reply_message_id = ?, data = ? WHERE id = ?`,
        notification.contactId,
        notification.category,
        notification.conversationId,
        notification.sentAt,
        notification.replyMessageId,
        json(notification),
        notification.id,
      );
    },
    async putNotificationPreferences(contactId: string, preferences: NotificationPreferences) {
      rows.run(
        'INSERT INTO notification_preferences (contact_id, data) VALUES (?, ?) ON CONFLICT (contact_id) DO UPDATE SET data = excluded.data',
        contactId,
        json(preferences),
      );
    },
  };
}

export type SqliteNotifications = ReturnType<typeof sqliteNotifications>;
