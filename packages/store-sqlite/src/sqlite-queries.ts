import type {
  AnalyticsQuery,
  ApiKeyRecord,
  ControlRecord,
  ConversationQuery,
  DeadLetter,
  Integration,
  MediaRecord,
  QuarantineEntry,
  StoreReader,
  SwitchboardSettings,
} from '@threadline/engine';
import type { Address, Conversation, Message, ThreadlineEvent } from '@threadline/schema';
import type Database from 'better-sqlite3';
import { readSqliteAnalytics, sqliteAnalyticsStates } from './sqlite-analytics.js';
import { type SqliteNotifications, sqliteNotifications } from './sqlite-notifications.js';
import {
  parse,
  type Row,
  type Statement,
  toContact,
  toIdentity,
  toJob,
  webhookFromRow,
} from './sqlite-rows.js';

/** Typed queries over one connection (the writer, or the read-only reader). */
export class Queries implements StoreReader {
  private readonly cache = new Map<string, Statement>();
  constructor(protected readonly db: Database.Database) {}
  protected readonly notifications = sqliteNotifications((sql) => this.statement(sql));

  protected statement(sql: string): Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }
  protected get(sql: string, ...parameters: unknown[]): Row | undefined {
    return this.statement(sql).get(...parameters) as Row | undefined;
  }
  protected all(sql: string, ...parameters: unknown[]): Row[] {
    return this.statement(sql).all(...parameters) as Row[];
  }
  protected run(sql: string, ...parameters: unknown[]): Database.RunResult {
    return this.statement(sql).run(...parameters);
  }

  async getContact(id: string) {
    const row = this.get('SELECT * FROM contacts WHERE id = ?', id);
    return row ? toContact(row) : undefined;
  }
  async listIdentities(contactId: string) {
    return this.all(
      'SELECT * FROM identities WHERE contact_id = ? ORDER BY created_at, rowid',
      contactId,
    ).map(toIdentity);
  }
  async findIdentity(address: Address) {
    const row = this.get(
      'SELECT * FROM identities WHERE channel = ? AND address = ?',
      address.channel,
      address.address,
    );
    return row ? { contactId: String(row.contact_id), identity: toIdentity(row) } : undefined;
  }
  async getConversation(id: string) {
    const row = this.get('SELECT data FROM conversations WHERE id = ?', id);
    return row ? parse<Conversation>(row.data) : undefined;
  }
  async findLatestConversation(contactId: string, inboxId: string) {
    const row = this.get(
      `SELECT data FROM conversations WHERE contact_id = ? AND inbox_id = ? AND merged_into_id IS NULL
       ORDER BY last_message_at DESC, id DESC LIMIT 1`,
      contactId,
      inboxId,
    );
    return row ? parse<Conversation>(row.data) : undefined;
  }
  async listConversations(query: ConversationQuery) {
    const where: string[] = ['merged_into_id IS NULL'];
    const parameters: unknown[] = [];
    if (query.contactId) {
      where.push('contact_id = ?');
      parameters.push(query.contactId);
    }
    if (query.status) {
      where.push('status = ?');
      parameters.push(query.status);
    }
    if (query.after) {
      where.push('id < ?');
      parameters.push(query.after);
    }
    return this.all(
      `SELECT data FROM conversations WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
      ...parameters,
      query.limit,
    ).map((row) => parse<Conversation>(row.data));
  }
  async getMessage(id: string) {
    const row = this.get('SELECT data FROM messages WHERE id = ?', id);
    return row ? parse<Message>(row.data) : undefined;
  }
  async findMessageByExternalId(connectorId: string, externalId: string) {
    const row = this.get(
      'SELECT data FROM messages WHERE connector_id = ? AND external_id = ?',
      connectorId,
      externalId,
    );
    return row ? parse<Message>(row.data) : undefined;
  }
  async listConversationMessages(
    conversationId: string,
    options: { after?: string; limit: number },
  ) {
    if (options.after) {
      const anchor = this.get('SELECT created_at, id FROM messages WHERE id = ?', options.after);
      if (anchor) {
        return this.all(
          `SELECT data FROM messages WHERE conversation_id = ? AND (created_at, id) > (?, ?)
           ORDER BY created_at, id LIMIT ?`,
          conversationId,
          anchor.created_at,
          anchor.id,
          options.limit,
        ).map((row) => parse<Message>(row.data));
      }
    }
    return this.all(
      'SELECT data FROM messages WHERE conversation_id = ? ORDER BY created_at, id LIMIT ?',
      conversationId,
      options.limit,
    ).map((row) => parse<Message>(row.data));
  }
  async findLatestInbound(
    contactId: string,
    filter: { channel?: string; connectorId?: string } = {},
  ) {
    const row = filter.connectorId
      ? this.get(
          `SELECT data FROM messages WHERE contact_id = ? AND direction = 'inbound' AND connector_id = ? ORDER BY rowid DESC LIMIT 1`,
          contactId,
          filter.connectorId,
        )
      : filter.channel
        ? this.get(
            `SELECT data FROM messages WHERE contact_id = ? AND direction = 'inbound' AND channel = ? ORDER BY rowid DESC LIMIT 1`,
            contactId,
            filter.channel,
          )
        : this.get(
            `SELECT data FROM messages WHERE contact_id = ? AND direction = 'inbound' ORDER BY rowid DESC LIMIT 1`,
            contactId,
          );
    return row ? parse<Message>(row.data) : undefined;
  }
  async hasEarlierQueued(conversationId: string, messageId: string) {
    const row = this.get(
      `SELECT 1 AS found FROM messages
       WHERE conversation_id = ? AND direction = 'outbound' AND id < ? AND json_extract(data, '$.status') = 'queued'
       LIMIT 1`,
      conversationId,
      messageId,
    );
    return row !== undefined;
  }
  async findLatestOutbound(conversationId: string) {
    const row = this.get(
      `SELECT data FROM messages WHERE conversation_id = ? AND direction = 'outbound' ORDER BY rowid DESC LIMIT 1`,
      conversationId,
    );
    return row ? parse<Message>(row.data) : undefined;
  }
  async listEvents(after: number, limit: number) {
    return this.all(
      'SELECT cursor, id, type, time, data FROM events WHERE cursor > ? ORDER BY cursor LIMIT ?',
      after,
      limit,
    ).map(
      (row) =>
        ({
          id: String(row.id),
          cursor: Number(row.cursor),
          type: row.type,
          time: String(row.time),
          data: parse(row.data),
        }) as ThreadlineEvent,
    );
  }
  async latestCursor() {
    return Number(this.get('SELECT COALESCE(MAX(cursor), 0) AS cursor FROM events')?.cursor ?? 0);
  }
  async getIdempotency(key: string) {
    const row = this.get('SELECT * FROM idempotency WHERE key = ?', key);
    return row
      ? {
          key,
          fingerprint: String(row.fingerprint),
          status: Number(row.status),
          body: String(row.body),
          expiresAt: String(row.expires_at),
        }
      : undefined;
  }
  async listWebhooks() {
    return this.all('SELECT data, progress FROM webhooks ORDER BY id').map(webhookFromRow);
  }
  async getWebhook(id: string) {
    const row = this.get('SELECT data, progress FROM webhooks WHERE id = ?', id);
    return row ? webhookFromRow(row) : undefined;
  }
  async listDeadLetters(subscriptionId: string) {
    return this.all(
      'SELECT data FROM dead_letters WHERE subscription_id = ? ORDER BY cursor',
      subscriptionId,
    ).map((row) => parse<DeadLetter>(row.data));
  }
  async findApiKey(hash: string) {
    const row = this.get('SELECT data FROM api_keys WHERE hash = ?', hash);
    return row ? parse<ApiKeyRecord>(row.data) : undefined;
  }
  async listApiKeys() {
    return this.all('SELECT data FROM api_keys ORDER BY id').map((row) =>
      parse<ApiKeyRecord>(row.data),
    );
  }
  async getMedia(id: string) {
    const row = this.get('SELECT * FROM media WHERE id = ?', id);
    if (!row) return undefined;
    return {
      id,
      contentType: String(row.content_type),
      filename: row.filename === null ? null : String(row.filename),
      size: Number(row.size),
      body: new Uint8Array(row.body as Buffer),
      createdAt: String(row.created_at),
    } satisfies MediaRecord;
  }
  async listQuarantine(options: { connectorId?: string; limit: number }) {
    const rows = options.connectorId
      ? this.all(
          'SELECT data FROM quarantine WHERE connector_id = ? ORDER BY id DESC LIMIT ?',
          options.connectorId,
          options.limit,
        )
      : this.all('SELECT data FROM quarantine ORDER BY id DESC LIMIT ?', options.limit);
    return rows.map((row) => parse<QuarantineEntry>(row.data));
  }
  async getQuarantine(id: string) {
    const row = this.get('SELECT data FROM quarantine WHERE id = ?', id);
    return row ? parse<QuarantineEntry>(row.data) : undefined;
  }
  async getJob(id: string) {
    const row = this.get('SELECT * FROM jobs WHERE id = ?', id);
    return row ? toJob(row) : undefined;
  }
  async listJobs() {
    return this.all('SELECT * FROM jobs ORDER BY seq').map(toJob);
  }
  async listIntegrations() {
    return this.all('SELECT data FROM integrations ORDER BY id').map((row) =>
      parse<Integration>(row.data),
    );
  }
  async getIntegration(id: string) {
    const row = this.get('SELECT data FROM integrations WHERE id = ?', id);
    return row ? parse<Integration>(row.data) : undefined;
  }
  async getSwitchboard() {
    const row = this.get("SELECT data FROM settings WHERE key = 'switchboard'");
    return row ? parse<SwitchboardSettings>(row.data) : undefined;
  }
  async getControl(conversationId: string) {
    const row = this.get(
      'SELECT data FROM conversation_control WHERE conversation_id = ?',
      conversationId,
    );
    return row ? parse<ControlRecord>(row.data) : undefined;
  }
  async getAnalyticsStates(conversationIds: string[]) {
    return sqliteAnalyticsStates((sql) => this.statement(sql), conversationIds);
  }
  async readAnalytics(query: AnalyticsQuery) {
    return readSqliteAnalytics((sql) => this.statement(sql), query);
  }
  getNotification(...args: Parameters<SqliteNotifications['getNotification']>) {
    return this.notifications.getNotification(...args);
  }
  findNotificationByIdempotencyKey(
    ...args: Parameters<SqliteNotifications['findNotificationByIdempotencyKey']>
  ) {
    return this.notifications.findNotificationByIdempotencyKey(...args);
  }
  listNotifications(...args: Parameters<SqliteNotifications['listNotifications']>) {
    return this.notifications.listNotifications(...args);
  }
  countNotificationsSent(...args: Parameters<SqliteNotifications['countNotificationsSent']>) {
    return this.notifications.countNotificationsSent(...args);
  }
  findNotificationAwaitingReply(
    ...args: Parameters<SqliteNotifications['findNotificationAwaitingReply']>
  ) {
    return this.notifications.findNotificationAwaitingReply(...args);
  }
  getNotificationPreferences(
    ...args: Parameters<SqliteNotifications['getNotificationPreferences']>
  ) {
    return this.notifications.getNotificationPreferences(...args);
  }
}
