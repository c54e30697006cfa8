import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  AnalyticsChange,
  AnalyticsCursor,
  AnalyticsQuery,
  ApiKeyRecord,
  ContactRecord,
  ControlRecord,
  ConversationQuery,
  DeadLetter,
  IdempotencyRecord,
  Integration,
  Job,
  MediaRecord,
  NewJob,
  PendingStatus,
  QuarantineEntry,
  Store,
  StoreReader,
  StoreTransaction,
  SwitchboardSettings,
  WebhookProgress,
  WebhookSubscription,
} from '@threadline/engine';
import type {
  Address,
  Conversation,
  EventData,
  EventType,
  Identity,
  Message,
  ThreadlineEvent,
} from '@threadline/schema';
import Database from 'better-sqlite3';
import { startCheckpointWorker } from './checkpoint-worker.js';
import { migrate } from './migrations.js';
import {
  applySqliteAnalytics,
  clearSqliteAnalytics,
  readSqliteAnalytics,
  sqliteAnalyticsCursor,
  sqliteAnalyticsStates,
} from './sqlite-analytics.js';
import { type SqliteNotifications, sqliteNotifications } from './sqlite-notifications.js';

export type Durability = 'normal' | 'fsync';

export interface SqliteStoreSettings {
  /** Database file; `:memory:` for a throwaway store. */
  filename: string;
  /**
   * `normal` (default): WAL without an fsync per commit — survives a killed process, may lose
   * the last commits on power loss. `fsync`: every commit reaches the disk before it resolves.
   */
  durability?: Durability;
  /** Run WAL checkpoints in a worker thread instead of inside commits (default true). */
  checkpointInWorker?: boolean;
  /** Most writes one group commit may carry. */
  maxBatch?: number;
}

type Row = Record<string, unknown>;
type Statement = Database.Statement;

interface PendingWrite {
  work: (transaction: StoreTransaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const json = (value: unknown) => JSON.stringify(value);
const parse = <T>(value: unknown): T => JSON.parse(String(value)) as T;

/** A subscription from its settings and the dispatcher's progress, stored apart. */
const webhookFromRow = (row: Row): WebhookSubscription => ({
  ...parse<Omit<WebhookSubscription, 'progress'>>(row.data),
  progress: parse<WebhookProgress>(row.progress),
});

/** Typed queries over one connection (the writer, or the read-only reader). */
class Queries implements StoreReader {
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

/** Reads and writes on the writer connection, inside the current group commit. */
class Transaction extends Queries implements StoreTransaction {
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

function toContact(row: Row): ContactRecord {
  return {
    id: String(row.id),
    name: row.name === null ? null : String(row.name),
    channelPreference: parse(row.channel_preference),
    optedOut: parse(row.opted_out),
    mergedIntoId: row.merged_into_id === null ? null : String(row.merged_into_id),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

function toIdentity(row: Row): Identity {
  return {
    channel: String(row.channel),
    address: String(row.address),
    verified: Number(row.verified) === 1,
    source: String(row.source) as Identity['source'],
    createdAt: String(row.created_at),
  };
}

function toJob(row: Row): Job {
  return {
    id: String(row.id),
    kind: String(row.kind) as Job['kind'],
    orderKey: row.order_key === null ? null : String(row.order_key),
    connectorId: row.connector_id === null ? null : String(row.connector_id),
    payload: parse(row.payload),
    runAt: String(row.run_at),
    attempts: Number(row.attempts),
    lastError: row.last_error === null ? null : String(row.last_error),
    createdAt: String(row.created_at),
  };
}

/**
 * The embedded store: one SQLite file in WAL mode. Writes from concurrent requests are
 * batched into one transaction (group commit), and each caller is answered only after the
 * batch commits; a failing write fails alone. Reads use a second, read-only connection, so
 * they only ever see committed data.
 */
export function createSqliteStore(settings: SqliteStoreSettings): Store {
  const inMemory = settings.filename === ':memory:';
  if (!inMemory) mkdirSync(dirname(settings.filename), { recursive: true });
  const writer = new Database(settings.filename);
  writer.pragma('journal_mode = WAL');
  writer.pragma(`synchronous = ${settings.durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
  writer.pragma('foreign_keys = ON');
  writer.pragma('busy_timeout = 5000');
  // Checkpoints run in a worker thread, never inside a commit (see checkpoint-worker.ts).
  const checkpoints =
    inMemory || settings.checkpointInWorker === false
      ? undefined
      : startCheckpointWorker(settings.filename);
  if (checkpoints) writer.pragma('wal_autocheckpoint = 0');
  migrate(writer);
  // An embedded store belongs to one process: jobs a previous (crashed) process had leased
  // are free again at once, so queued sends resume right after a restart.
  writer.prepare('UPDATE jobs SET lease_until = NULL WHERE lease_until IS NOT NULL').run();
  const reader = inMemory ? writer : new Database(settings.filename, { readonly: true });
  if (!inMemory) reader.pragma('busy_timeout = 5000');
  const transaction = new Transaction(writer);
  const reads = new Queries(reader);
  const maxBatch = settings.maxBatch ?? 512;
  const queue: PendingWrite[] = [];
  let scheduled = false;
  let flushing = false;
  let closed = false;

  const begin = writer.prepare('BEGIN IMMEDIATE');
  const commit = writer.prepare('COMMIT');
  const rollback = writer.prepare('ROLLBACK');

  function schedule(): void {
    if (scheduled || flushing) return;
    scheduled = true;
    setImmediate(() => {
      void flush();
    });
  }

  /** Run writes in one transaction; the first failure rolls all of them back and is thrown. */
  async function commitTogether(items: PendingWrite[]): Promise<unknown[]> {
    begin.run();
    try {
      const values: unknown[] = [];
      for (const item of items) values.push(await item.work(transaction));
      commit.run();
      return values;
    } catch (error) {
      if (writer.inTransaction) rollback.run();
      throw error;
    }
  }

  /**
   * Group commit: every queued write shares one transaction. Failures are rare, so writes run
   * without savepoints; if one fails, the batch rolls back and each write runs again alone,
   * so only the failing one fails (work functions only touch the transaction: re-running is safe).
   */
  async function flush(): Promise<void> {
    scheduled = false;
    flushing = true;
    const batch = queue.splice(0, maxBatch);
    try {
      const values = await commitTogether(batch);
      for (const [index, item] of batch.entries()) item.resolve(values[index]);
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else {
        for (const item of batch) {
          try {
            const [value] = await commitTogether([item]);
            item.resolve(value);
          } catch (failure) {
            item.reject(failure);
          }
        }
      }
    }
    flushing = false;
    if (queue.length) schedule();
  }

  return {
    kind: 'sqlite',
    read: reads,
    write<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
      if (closed) return Promise.reject(new Error('the store is closed'));
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        schedule();
      });
    },
    async ping() {
      reader.prepare('SELECT 1').get();
    },
    async close() {
      while (queue.length || flushing || scheduled)
        await new Promise((resolve) => setImmediate(resolve));
      closed = true;
      if (!inMemory) {
        await checkpoints?.stop();
        writer.pragma('wal_checkpoint(TRUNCATE)');
        reader.close();
      }
      writer.close();
    },
  };
}
