import type {
  AnalyticsChange,
  AnalyticsCursor,
  ApiKeyRecord,
  ContactRecord,
  ControlRecord,
  DeadLetter,
  IdempotencyRecord,
  Integration,
  MediaRecord,
  NewJob,
  PendingStatus,
  QuarantineEntry,
  StoreTransaction,
  SwitchboardSettings,
  WebhookProgress,
  WebhookSubscription,
} from '@threadline/engine';
import type {
  Conversation,
  EventData,
  EventType,
  Identity,
  Message,
  ThreadlineEvent,
} from '@threadline/schema';
import {
  applySqliteAnalytics,
  clearSqliteAnalytics,
  sqliteAnalyticsCursor,
} from './sqlite-analytics.js';
import type { SqliteNotifications } from './sqlite-notifications.js';
import { Queries } from './sqlite-queries.js';
import { json, parse, toJob } from './sqlite-rows.js';

/** Reads and writes on the writer connection, inside the current group commit. */
export class Transaction extends Queries implements StoreTransaction {
  async insertContact(contact: ContactRecord) {
    this.run(
      `INSERT INTO contacts (id, name, channel_preference, opted_out, merged_into_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      contact.id,
      contact.name,
      json(contact.channelPreference),
      json(contact.optedOut),
      contact.mergedIntoId,
      contact.createdAt,
      contact.updatedAt,
    );
  }
  async updateContact(contact: ContactRecord) {
    this.run(
      `UPDATE contacts SET name = ?, channel_preference = ?, opted_out = ?, merged_into_id = ?, updated_at = ? WHERE id = ?`,
      contact.name,
      json(contact.channelPreference),
      json(contact.optedOut),
      contact.mergedIntoId,
      contact.updatedAt,
      contact.id,
    );
  }
  async insertIdentity(contactId: string, identity: Identity) {
    this.run(
      `INSERT INTO identities (channel, address, contact_id, verified, source, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
      identity.channel,
      identity.address,
      contactId,
      identity.verified ? 1 : 0,
      identity.source,
      identity.createdAt,
    );
  }
  async moveIdentities(fromContactId: string, toContactId: string) {
    const moved = await this.listIdentities(fromContactId);
    this.run(
      'UPDATE identities SET contact_id = ? WHERE contact_id = ?',
      toContactId,
      fromContactId,
    );
    return moved;
  }
  async insertConversation(conversation: Conversation) {
    this.run(
      `INSERT INTO conversations (id, contact_id, inbox_id, status, last_message_at, merged_into_id, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      conversation.id,
      conversation.contactId,
      conversation.inboxId,
      conversation.status,
      conversation.lastMessageAt,
      conversation.mergedIntoId,
      json(conversation),
    );
  }
  async updateConversation(conversation: Conversation) {
    this.run(
      `UPDATE conversations SET contact_id = ?, inbox_id = ?, status = ?, last_message_at = ?, merged_into_id = ?, data = ? WHERE id = ?`,
      conversation.contactId,
      conversation.inboxId,
      conversation.status,
      conversation.lastMessageAt,
      conversation.mergedIntoId,
      json(conversation),
      conversation.id,
    );
  }
  async reassignContact(fromContactId: string, toContactId: string) {
    const moved = this.all('SELECT id FROM conversations WHERE contact_id = ?', fromContactId).map(
      (row) => String(row.id),
    );
    this.run(
      `UPDATE conversations SET contact_id = ?, data = json_set(data, '$.contactId', ?) WHERE contact_id = ?`,
      toContactId,
      toContactId,
      fromContactId,
    );
    this.run(
      `UPDATE messages SET contact_id = ?, data = json_set(data, '$.contactId', ?) WHERE contact_id = ?`,
      toContactId,
      toContactId,
      fromContactId,
    );
    return moved;
  }
  async moveMessages(fromConversationId: string, toConversationId: string) {
    return this.run(
      `UPDATE messages SET conversation_id = ?, data = json_set(data, '$.conversationId', ?) WHERE conversation_id = ?`,
      toConversationId,
      toConversationId,
      fromConversationId,
    ).changes;
  }
  async insertMessage(message: Message) {
    this.run(
      `INSERT INTO messages (id, conversation_id, contact_id, connector_id, external_id, direction, channel, created_at, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      message.id,
      message.conversationId,
      message.contactId,
      message.connectorId,
      message.externalId,
      message.direction,
      message.channel,
      message.createdAt,
      json(message),
    );
  }
  async updateMessage(message: Message) {
    this.run(
      `UPDATE messages SET conversation_id = ?, contact_id = ?, external_id = ?, data = ? WHERE id = ?`,
      message.conversationId,
      message.contactId,
      message.externalId,
      json(message),
      message.id,
    );
  }
  async appendEvent<T extends EventType>(type: T, data: EventData<T>, time: string, id: string) {
    const result = this.run(
      'INSERT INTO events (id, type, time, data) VALUES (?, ?, ?, ?)',
      id,
      type,
      time,
      json(data),
    );
    return {
      id,
      cursor: Number(result.lastInsertRowid),
      type,
      time,
      data,
    } as unknown as ThreadlineEvent;
  }
  async insertJob(job: NewJob) {
    this.run(
      `INSERT INTO jobs (id, kind, order_key, connector_id, payload, run_at, attempts, last_error, created_at, lease_until)
       VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?, NULL)`,
      job.id,
      job.kind,
      job.orderKey,
      job.connectorId,
      json(job.payload),
      job.runAt,
      job.createdAt,
    );
  }
  async claimJobs(now: string, leaseUntil: string, limit: number) {
    const rows = this.all(
      `SELECT * FROM jobs j
       WHERE j.run_at <= ? AND (j.lease_until IS NULL OR j.lease_until <= ?)
         AND (j.order_key IS NULL OR NOT EXISTS (
           SELECT 1 FROM jobs k WHERE k.order_key = j.order_key AND k.seq < j.seq))
       ORDER BY j.run_at, j.seq LIMIT ?`,
      now,
      now,
      limit,
    );
    for (const row of rows)
      this.run('UPDATE jobs SET lease_until = ? WHERE id = ?', leaseUntil, row.id);
    return rows.map(toJob);
  }
  async completeJob(id: string) {
    this.run('DELETE FROM jobs WHERE id = ?', id);
  }
  async rescheduleJob(id: string, runAt: string, lastError: string, countAttempt = true) {
    this.run(
      'UPDATE jobs SET run_at = ?, attempts = attempts + ?, last_error = ?, lease_until = NULL WHERE id = ?',
      runAt,
      countAttempt ? 1 : 0,
      lastError,
      id,
    );
  }

  async insertPendingStatus(status: PendingStatus) {
    this.run(
      'INSERT INTO pending_statuses (connector_id, external_id, event, received_at) VALUES (?, ?, ?, ?)',
      status.connectorId,
      status.externalId,
      json(status.event),
      status.receivedAt,
    );
  }
  async takePendingStatuses(connectorId: string, externalId: string) {
    const rows = this.all(
      'SELECT * FROM pending_statuses WHERE connector_id = ? AND external_id = ? ORDER BY rowid',
      connectorId,
      externalId,
    );
    if (rows.length)
      this.run(
        'DELETE FROM pending_statuses WHERE connector_id = ? AND external_id = ?',
        connectorId,
        externalId,
      );
    return rows.map((row) => ({
      connectorId,
      externalId,
      event: parse<Record<string, unknown>>(row.event),
      receivedAt: String(row.received_at),
    }));
  }
  async putIdempotency(record: IdempotencyRecord) {
    this.run(
      `INSERT INTO idempotency (key, fingerprint, status, body, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body, expires_at = excluded.expires_at`,
      record.key,
      record.fingerprint,
      record.status,
      record.body,
      record.expiresAt,
    );
  }
  async insertWebhook(subscription: WebhookSubscription) {
    const { progress, ...settings } = subscription;
    this.run(
      'INSERT INTO webhooks (id, data, progress) VALUES (?, ?, ?)',
      subscription.id,
      json(settings),
      json(progress),
    );
  }
  async updateWebhook(subscription: WebhookSubscription) {
    const { progress: _progress, ...settings } = subscription;
    this.run('UPDATE webhooks SET data = ? WHERE id = ?', json(settings), subscription.id);
  }
  async saveWebhookProgress(id: string, progress: WebhookProgress) {
    return (
      this.run('UPDATE webhooks SET progress = ? WHERE id = ?', json(progress), id).changes > 0
    );
  }
  async deleteWebhook(id: string) {
    return this.run('DELETE FROM webhooks WHERE id = ?', id).changes > 0;
  }
  async insertDeadLetter(entry: DeadLetter) {
    this.run(
      'INSERT INTO dead_letters (id, subscription_id, cursor, data) VALUES (?, ?, ?, ?)',
      entry.id,
      entry.subscriptionId,
      entry.cursor,
      json(entry),
    );
  }
  async insertApiKey(key: ApiKeyRecord) {
    this.run('INSERT INTO api_keys (id, hash, data) VALUES (?, ?, ?)', key.id, key.hash, json(key));
  }
  async updateApiKey(key: ApiKeyRecord) {
    this.run('UPDATE api_keys SET data = ? WHERE id = ?', json(key), key.id);
  }
  async insertMedia(media: MediaRecord) {
    this.run(
      'INSERT INTO media (id, content_type, filename, size, body, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      media.id,
      media.contentType,
      media.filename,
      media.size,
      Buffer.from(media.body),
      media.createdAt,
    );
  }
  async insertQuarantine(entry: QuarantineEntry) {
    this.run(
      'INSERT INTO quarantine (id, connector_id, kind, received_at, data) VALUES (?, ?, ?, ?, ?)',
      entry.id,
      entry.connectorId,
      entry.kind,
      entry.receivedAt,
      json(entry),
    );
  }
  async updateQuarantine(entry: QuarantineEntry) {
    this.run('UPDATE quarantine SET data = ? WHERE id = ?', json(entry), entry.id);
  }
  async putIntegration(integration: Integration) {
    this.run(
      'INSERT INTO integrations (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data',
      integration.id,
      json(integration),
    );
  }
  async deleteIntegration(id: string) {
    return this.run('DELETE FROM integrations WHERE id = ?', id).changes > 0;
  }
  async putSwitchboard(settings: SwitchboardSettings) {
    this.run(
      "INSERT INTO settings (key, data) VALUES ('switchboard', ?) ON CONFLICT (key) DO UPDATE SET data = excluded.data",
      json(settings),
    );
  }
  async putControl(control: ControlRecord) {
    this.run(
      'INSERT INTO conversation_control (conversation_id, data) VALUES (?, ?) ON CONFLICT (conversation_id) DO UPDATE SET data = excluded.data',
      control.conversationId,
      json(control),
    );
  }
  async claimAnalyticsCursor() {
    return sqliteAnalyticsCursor((sql) => this.statement(sql));
  }
  async applyAnalytics(change: AnalyticsChange, to: AnalyticsCursor) {
    applySqliteAnalytics((sql) => this.statement(sql), change, to);
  }
  async clearAnalytics() {
    clearSqliteAnalytics((sql) => this.statement(sql));
  }
  insertNotification(...args: Parameters<SqliteNotifications['insertNotification']>) {
    return this.notifications.insertNotification(...args);
  }
  updateNotification(...args: Parameters<SqliteNotifications['updateNotification']>) {
    return this.notifications.updateNotification(...args);
  }
  putNotificationPreferences(
    ...args: Parameters<SqliteNotifications['putNotificationPreferences']>
  ) {
    return this.notifications.putNotificationPreferences(...args);
  }
}
