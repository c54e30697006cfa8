import type {
  AnalyticsQuery,
  ApiKeyRecord,
  ContactRecord,
  ControlRecord,
  ConversationQuery,
  DeadLetter,
  Integration,
  Job,
  MediaRecord,
  NotificationQuery,
  QuarantineEntry,
  StoreReader,
  SwitchboardSettings,
  WebhookProgress,
  WebhookSubscription,
} from '@threadline/engine';
import type {
  Address,
  Conversation,
  Identity,
  Message,
  Notification,
  NotificationPreferences,
  ThreadlineEvent,
} from '@threadline/schema';
import type pg from 'pg';
import { batchable } from './batched-reads.js';
import { analyticsReads, statesSql, toAnalyticsRows, toState } from './postgres-analytics.js';

import type { Row } from './postgres-row.js';
import { statementNames } from './statement-names.js';

export type { Row };

/** Runs a statement; the reader uses the pool, a transaction its own connection. */
export type Run = (sql: string, parameters?: unknown[]) => Promise<Row[]>;

export const json = (value: unknown) => JSON.stringify(value);

/** Statements run through `pg`'s own named statements (`statement-names.ts`). */
const nameOf = statementNames('threadline_');
export function prepared(text: string, values: unknown[] = []): pg.QueryConfig {
  const name = nameOf(text);
  return name ? { name, text, values } : { text, values };
}
export const optionalText = (value: unknown) =>
  value === null || value === undefined ? null : String(value);

/** Typed queries over the pool (committed data) or one transaction's connection. */
/** The switchboard's settings row. */
export const switchboardSql = "SELECT data FROM settings WHERE key = 'switchboard'";

/** A message by its provider id: the dedupe read of every ingest (locked in a transaction). */
const messageByExternalIdSql =
  'SELECT data FROM messages WHERE connector_id = $1 AND external_id = $2';
const messageByExternalIdLockedSql = batchable(`${messageByExternalIdSql} FOR UPDATE`);

export class Queries implements StoreReader {
  /**
   * @param runner runs one statement
   * @param lock `FOR UPDATE` inside transactions: the rows a write reads are the rows it
   *   changes, so concurrent writers for one contact or message take turns
   */
  constructor(
    protected readonly runner: Run,
    protected readonly lock: string,
  ) {}

  /** Runs a read (a transaction first sends the writes it has deferred). */
  protected run(sql: string, parameters?: unknown[]): Promise<Row[]> {
    return this.runner(sql, parameters);
  }

  protected async one(sql: string, parameters: unknown[] = []): Promise<Row | undefined> {
    return (await this.run(sql, parameters))[0];
  }

  /**
   * Runs a read of a table no deferred write touches (analytics states, written at commit;
   * notifications, written at once): a transaction need not send its deferred writes first,
   * so the read can share a round trip with other works' reads.
   */
  protected runBeside(sql: string, parameters?: unknown[]): Promise<Row[]> {
    return this.runner(sql, parameters);
  }

  async getContact(id: string) {
    const row = await this.one(`SELECT * FROM contacts WHERE id = $1${this.lock}`, [id]);
    return row ? toContact(row) : undefined;
  }
  async listIdentities(contactId: string) {
    return (
      await this.run('SELECT * FROM identities WHERE contact_id = $1 ORDER BY created_at, seq', [
        contactId,
      ])
    ).map(toIdentity);
  }
  async findIdentity(address: Address) {
    const row = await this.one('SELECT * FROM identities WHERE channel = $1 AND address = $2', [
      address.channel,
      address.address,
    ]);
    return row ? { contactId: String(row.contact_id), identity: toIdentity(row) } : undefined;
  }
  async getConversation(id: string) {
    const row = await this.one(`SELECT data FROM conversations WHERE id = $1${this.lock}`, [id]);
    return row ? (row.data as Conversation) : undefined;
  }
  async findLatestConversation(contactId: string, inboxId: string) {
    const row = await this.one(
      `SELECT data FROM conversations WHERE contact_id = $1 AND inbox_id = $2 AND merged_into_id IS NULL
       ORDER BY last_message_at DESC, id DESC LIMIT 1${this.lock}`,
      [contactId, inboxId],
    );
    return row ? (row.data as Conversation) : undefined;
  }
  async listConversations(query: ConversationQuery) {
    const where: string[] = ['merged_into_id IS NULL'];
    const parameters: unknown[] = [];
    if (query.contactId) {
      parameters.push(query.contactId);
      where.push(`contact_id = $${parameters.length}`);
    }
    if (query.status) {
      parameters.push(query.status);
      where.push(`status = $${parameters.length}`);
    }
    if (query.after) {
      parameters.push(query.after);
      where.push(`id < $${parameters.length}`);
    }
    parameters.push(query.limit);
    return (
      await this.run(
        `SELECT data FROM conversations WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${parameters.length}`,
        parameters,
      )
    ).map((row) => row.data as Conversation);
  }
  async getMessage(id: string) {
    const row = await this.one(`SELECT data FROM messages WHERE id = $1${this.lock}`, [id]);
    return row ? (row.data as Message) : undefined;
  }
  async findMessageByExternalId(connectorId: string, externalId: string) {
    const row = await this.one(this.lock ? messageByExternalIdLockedSql : messageByExternalIdSql, [
      connectorId,
      externalId,
    ]);
    return row ? (row.data as Message) : undefined;
  }
  async listConversationMessages(
    conversationId: string,
    options: { after?: string; limit: number },
  ) {
    const anchor = options.after
      ? await this.one('SELECT created_at, id FROM messages WHERE id = $1', [options.after])
      : undefined;
    const rows = anchor
      ? await this.run(
          `SELECT data FROM messages WHERE conversation_id = $1 AND (created_at, id) > ($2, $3)
           ORDER BY created_at, id LIMIT $4`,
          [conversationId, anchor.created_at, anchor.id, options.limit],
        )
      : await this.run(
          'SELECT data FROM messages WHERE conversation_id = $1 ORDER BY created_at, id LIMIT $2',
          [conversationId, options.limit],
        );
    return rows.map((row) => row.data as Message);
  }
  async findLatestInbound(
    contactId: string,
    filter: { channel?: string; connectorId?: string } = {},
  ) {
    const row = filter.connectorId
      ? await this.one(
          `SELECT data FROM messages WHERE contact_id = $1 AND direction = 'inbound' AND connector_id = $2 ORDER BY seq DESC LIMIT 1`,
          [contactId, filter.connectorId],
        )
      : filter.channel
        ? await this.one(
            `SELECT data FROM messages WHERE contact_id = $1 AND direction = 'inbound' AND channel = $2 ORDER BY seq DESC LIMIT 1`,
            [contactId, filter.channel],
          )
        : await this.one(
            `SELECT data FROM messages WHERE contact_id = $1 AND direction = 'inbound' ORDER BY seq DESC LIMIT 1`,
            [contactId],
          );
    return row ? (row.data as Message) : undefined;
  }
  async hasEarlierQueued(conversationId: string, messageId: string) {
    const row = await this.one(
      `SELECT 1 AS found FROM messages
       WHERE conversation_id = $1 AND direction = 'outbound' AND id < $2 AND data->>'status' = 'queued'
       LIMIT 1`,
      [conversationId, messageId],
    );
    return row !== undefined;
  }
  async findLatestOutbound(conversationId: string) {
    const row = await this.one(
      `SELECT data FROM messages WHERE conversation_id = $1 AND direction = 'outbound' ORDER BY seq DESC LIMIT 1`,
      [conversationId],
    );
    return row ? (row.data as Message) : undefined;
  }
  async listEvents(after: number, limit: number) {
    return (
      await this.run(
        'SELECT cursor, id, type, time, data FROM events WHERE cursor > $1 ORDER BY cursor LIMIT $2',
        [after, limit],
      )
    ).map(
      (row) =>
        ({
          id: String(row.id),
          cursor: Number(row.cursor),
          type: row.type,
          time: String(row.time),
          data: row.data,
        }) as ThreadlineEvent,
    );
  }
  async latestCursor() {
    const row = await this.one('SELECT COALESCE(MAX(cursor), 0) AS cursor FROM events');
    return Number(row?.cursor ?? 0);
  }
  async getIdempotency(key: string) {
    const row = await this.one('SELECT * FROM idempotency WHERE key = $1', [key]);
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
    return (await this.run('SELECT data, progress FROM webhooks ORDER BY id')).map(webhookFromRow);
  }
  async getWebhook(id: string) {
    const row = await this.one('SELECT data, progress FROM webhooks WHERE id = $1', [id]);
    return row ? webhookFromRow(row) : undefined;
  }
  async listDeadLetters(subscriptionId: string) {
    return (
      await this.run('SELECT data FROM dead_letters WHERE subscription_id = $1 ORDER BY cursor', [
        subscriptionId,
      ])
    ).map((row) => row.data as DeadLetter);
  }
  async findApiKey(hash: string) {
    const row = await this.one('SELECT data FROM api_keys WHERE hash = $1', [hash]);
    return row ? (row.data as ApiKeyRecord) : undefined;
  }
  async listApiKeys() {
    return (await this.run('SELECT data FROM api_keys ORDER BY id')).map(
      (row) => row.data as ApiKeyRecord,
    );
  }
  async getMedia(id: string) {
    const row = await this.one('SELECT * FROM media WHERE id = $1', [id]);
    if (!row) return undefined;
    return {
      id,
      contentType: String(row.content_type),
      filename: optionalText(row.filename),
      size: Number(row.size),
      body: new Uint8Array(row.body as Buffer),
      createdAt: String(row.created_at),
    } satisfies MediaRecord;
  }
  async listQuarantine(options: { connectorId?: string; limit: number }) {
    const rows = options.connectorId
      ? await this.run(
          'SELECT data FROM quarantine WHERE connector_id = $1 ORDER BY id DESC LIMIT $2',
          [options.connectorId, options.limit],
        )
      : await this.run('SELECT data FROM quarantine ORDER BY id DESC LIMIT $1', [options.limit]);
    return rows.map((row) => row.data as QuarantineEntry);
  }
  async getQuarantine(id: string) {
    const row = await this.one('SELECT data FROM quarantine WHERE id = $1', [id]);
    return row ? (row.data as QuarantineEntry) : undefined;
  }
  async getJob(id: string) {
    const row = await this.one('SELECT * FROM jobs WHERE id = $1', [id]);
    return row ? toJob(row) : undefined;
  }
  async listJobs() {
    return (await this.run('SELECT * FROM jobs ORDER BY seq')).map(toJob);
  }
  async listIntegrations() {
    return (await this.run('SELECT data FROM integrations ORDER BY id')).map(
      (row) => row.data as Integration,
    );
  }
  async getIntegration(id: string) {
    const row = await this.one('SELECT data FROM integrations WHERE id = $1', [id]);
    return row ? (row.data as Integration) : undefined;
  }
  async getSwitchboard() {
    const row = await this.one(switchboardSql);
    return row ? (row.data as SwitchboardSettings) : undefined;
  }
  /** Locked inside a transaction: a pass and a send on one conversation take turns. */
  async getControl(conversationId: string) {
    const row = await this.one(
      `SELECT data FROM conversation_control WHERE conversation_id = $1${this.lock}`,
      [conversationId],
    );
    return row ? (row.data as ControlRecord) : undefined;
  }
  /** Not locked: only the holder of the analytics cursor's lock writes them. */
  async getAnalyticsStates(conversationIds: string[]) {
    if (conversationIds.length === 0) return [];
    return (await this.runBeside(statesSql(''), [conversationIds])).map(toState);
  }
  async readAnalytics(query: AnalyticsQuery) {
    const reads = analyticsReads(query);
    const [counters, bins] = await Promise.all([
      this.run(reads.counters, reads.values),
      this.run(reads.bins, reads.values),
    ]);
    return toAnalyticsRows(counters, bins);
  }
  /** Locked inside a transaction: a deferred notification is decided by one worker at a time. */
  async getNotification(id: string) {
    const row = await this.one(`SELECT data FROM notifications WHERE id = $1${this.lock}`, [id]);
    return row ? (row.data as Notification) : undefined;
  }
  async findNotificationByIdempotencyKey(key: string) {
    const row = await this.one('SELECT data FROM notifications WHERE idempotency_key = $1', [key]);
    return row ? (row.data as Notification) : undefined;
  }
  async listNotifications(query: NotificationQuery) {
    const rows = await this.run(
      `SELECT data FROM notifications
       WHERE ($1::text IS NULL OR contact_id = $1) AND ($2::text IS NULL OR category = $2)
         AND ($3::text IS NULL OR id > $3)
       ORDER BY id LIMIT $4`,
      [query.contactId ?? null, query.category ?? null, query.after ?? null, query.limit],
    );
    return rows.map((row) => row.data as Notification);
  }
  async countNotificationsSent(contactId: string, category: string, since: string) {
    const row = await this.one(
      'SELECT count(*) AS count FROM notifications WHERE contact_id = $1 AND category = $2 AND sent_at > $3',
      [contactId, category, since],
    );
    return Number(row?.count ?? 0);
  }
  async findNotificationAwaitingReply(conversationId: string, since: string) {
    const [row] = await this.runBeside(
      `SELECT data FROM notifications
       WHERE conversation_id = $1 AND sent_at >= $2 AND reply_message_id IS NULL
       ORDER BY sent_at DESC, id DESC LIMIT 1${this.lock}`,
      [conversationId, since],
    );
    return row ? (row.data as Notification) : undefined;
  }
  async getNotificationPreferences(contactId: string) {
    const row = await this.one('SELECT data FROM notification_preferences WHERE contact_id = $1', [
      contactId,
    ]);
    return row ? (row.data as NotificationPreferences) : undefined;
  }
}

export function toContact(row: Row): ContactRecord {
  return {
    id: String(row.id),
    name: optionalText(row.name),
    channelPreference: row.channel_preference as ContactRecord['channelPreference'],
    optedOut: row.opted_out as ContactRecord['optedOut'],
    mergedIntoId: optionalText(row.merged_into_id),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

export function toIdentity(row: Row): Identity {
  return {
    channel: String(row.channel),
    address: String(row.address),
    verified: row.verified === true,
    source: String(row.source) as Identity['source'],
    createdAt: String(row.created_at),
  };
}

/** A subscription from its settings and the dispatcher's progress, stored apart. */
function webhookFromRow(row: Row): WebhookSubscription {
  return {
    ...(row.data as Omit<WebhookSubscription, 'progress'>),
    progress: row.progress as WebhookProgress,
  };
}

export function toJob(row: Row): Job {
  return {
    id: String(row.id),
    kind: String(row.kind) as Job['kind'],
    orderKey: optionalText(row.order_key),
    connectorId: optionalText(row.connector_id),
    payload: row.payload as Record<string, unknown>,
    runAt: String(row.run_at),
    attempts: Number(row.attempts),
    lastError: optionalText(row.last_error),
    createdAt: String(row.created_at),
  };
}
