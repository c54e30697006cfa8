import type {
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
import pg from 'pg';
import { migrate, quoteIdentifier } from './migrations.js';

export interface PostgresStoreSettings {
  /** `postgres://user:password@host:5432/database` (DATABASE_URL). */
  connectionString: string;
  /** Connections in this instance's pool; each write holds one for its transaction. Default 10. */
  poolSize?: number;
  /** Schema holding the tables (default `public`); created if missing. */
  schema?: string;
  /** Apply pending migrations when the store opens (default true). */
  migrate?: boolean;
  /** How often a write is run again after a conflict with a concurrent one (default 8). */
  maxWriteAttempts?: number;
  /** Called when a write conflicts and runs again (for logs and metrics). */
  onRetry?: (error: unknown, attempt: number) => void;
}

export interface PostgresStore extends Store {
  /** Resolves when the schema is migrated and the store is ready. */
  readonly ready: Promise<void>;
  /** The pool, for diagnostics. */
  readonly pool: pg.Pool;
}

type Row = Record<string, unknown>;

/** Runs a statement; the reader uses the pool, a transaction its own connection. */
type Run = (sql: string, parameters?: unknown[]) => Promise<Row[]>;

/**
 * Errors a concurrent write can cause, after which the whole work runs again on fresh data:
 * unique and exclusion violations (two instances creating the same row), serialization
 * failures and deadlocks.
 */
const retryableCodes = new Set(['23505', '23P01', '40001', '40P01']);

export function isRetryableConflict(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    retryableCodes.has(String((error as { code?: unknown }).code))
  );
}

const json = (value: unknown) => JSON.stringify(value);

/**
 * Statements are prepared once per connection under a name (the server plans them once);
 * the same text gets the same name in every connection.
 */
const statementNames = new Map<string, string>();
function prepared(text: string, values: unknown[] = []): pg.QueryConfig {
  let name = statementNames.get(text);
  if (!name) {
    name = `threadline_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}
const optionalText = (value: unknown) =>
  value === null || value === undefined ? null : String(value);

/** Typed queries over the pool (committed data) or one transaction's connection. */
class Queries implements StoreReader {
  /**
   * @param run runs one statement
   * @param lock `FOR UPDATE` inside transactions: the rows a write reads are the rows it
   *   changes, so concurrent writers for one contact or message take turns
   */
  constructor(
    protected readonly run: Run,
    protected readonly lock: string,
  ) {}

  protected async one(sql: string, parameters: unknown[] = []): Promise<Row | undefined> {
    return (await this.run(sql, parameters))[0];
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
    const row = await this.one(
      `SELECT data FROM messages WHERE connector_id = $1 AND external_id = $2${this.lock}`,
      [connectorId, externalId],
    );
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
    return (await this.run('SELECT data FROM webhooks ORDER BY id')).map(
      (row) => row.data as WebhookSubscription,
    );
  }
  async getWebhook(id: string) {
    const row = await this.one('SELECT data FROM webhooks WHERE id = $1', [id]);
    return row ? (row.data as WebhookSubscription) : undefined;
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
    const row = await this.one("SELECT data FROM settings WHERE key = 'switchboard'");
    return row ? (row.data as SwitchboardSettings) : undefined;
  }
  async getControl(conversationId: string) {
    const row = await this.one(
      `SELECT data FROM conversation_control WHERE conversation_id = $1${this.lock}`,
      [conversationId],
    );
    return row ? (row.data as ControlRecord) : undefined;
  }
}

interface BufferedEvent {
  event: { id: string; cursor: number; type: EventType; time: string; data: unknown };
}

/** How a transaction reaches its connection besides single statements. */
interface Connection {
  /** Several statements in one round trip (simple query protocol); the first one's rows. */
  batch(sql: string): Promise<Row[]>;
  /** A string as an SQL literal. */
  literal(text: string): string;
}

/**
 * One write's transaction on its own connection. Events are buffered and appended at
 * commit, under the sequencer lock (see {@link createPostgresStore}); the event objects
 * handed back get their cursors then, before the write resolves.
 */
class Transaction extends Queries implements StoreTransaction {
  private pending: BufferedEvent[] = [];
  private readonly lockedAddresses = new Set<string>();
  /** The first cursor this transaction appended, once it has appended events. */
  firstCursor: number | undefined;

  constructor(
    run: Run,
    private readonly connection: Connection,
  ) {
    super(run, ' FOR UPDATE');
  }

  /** Append the buffered events now (a read of the log inside the transaction needs them). */
  async flushEvents(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const rows = await this.run(
      'SELECT event_id, event_cursor FROM threadline_append_events($1::text[], $2::text[], $3::text[], $4::json[])',
      [
        batch.map((item) => item.event.id),
        batch.map((item) => item.event.type),
        batch.map((item) => item.event.time),
        batch.map((item) => json(item.event.data)),
      ],
    );
    this.assignCursors(batch, rows);
  }

  /**
   * Append the buffered events and commit in one round trip, so the sequencer lock is held
   * for the server's time only, never for a trip through this process. Returns the first
   * cursor the transaction appended.
   */
  async commit(): Promise<number | undefined> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) {
      await this.connection.batch('COMMIT');
      return this.firstCursor;
    }
    const array = (values: string[], type: string) =>
      `ARRAY[${values.map((value) => this.connection.literal(value)).join(',')}]::${type}[]`;
    const rows = await this.connection.batch(
      `SELECT event_id, event_cursor FROM threadline_append_events(${array(
        batch.map((item) => item.event.id),
        'text',
      )}, ${array(
        batch.map((item) => item.event.type),
        'text',
      )}, ${array(
        batch.map((item) => item.event.time),
        'text',
      )}, ${array(
        batch.map((item) => json(item.event.data)),
        'json',
      )}); COMMIT`,
    );
    this.assignCursors(batch, rows);
    return this.firstCursor;
  }

  private assignCursors(batch: BufferedEvent[], rows: Row[]): void {
    const cursors = new Map(rows.map((row) => [String(row.event_id), Number(row.event_cursor)]));
    for (const item of batch) item.event.cursor = cursors.get(item.event.id)!;
    this.firstCursor ??= Math.min(...cursors.values());
  }

  /**
   * An address lock: creating an identity for a phone number (on any channel) or an email
   * takes turns with every other transaction doing the same, so two instances cannot create
   * two contacts for one customer at once.
   */
  override async findIdentity(address: Address) {
    const found = await super.findIdentity(address);
    // Held already: no one else can be creating an identity for this address.
    if (found || this.lockedAddresses.has(address.address)) return found;
    const row = (
      await this.run('SELECT * FROM threadline_find_identity_locked($1, $2)', [
        address.channel,
        address.address,
      ])
    )[0];
    this.lockedAddresses.add(address.address);
    return row ? { contactId: String(row.contact_id), identity: toIdentity(row) } : undefined;
  }

  override async listEvents(after: number, limit: number) {
    await this.flushEvents();
    return super.listEvents(after, limit);
  }
  override async latestCursor() {
    await this.flushEvents();
    return super.latestCursor();
  }

  async insertContact(contact: ContactRecord) {
    await this.run(
      `INSERT INTO contacts (id, name, channel_preference, opted_out, merged_into_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        contact.id,
        contact.name,
        json(contact.channelPreference),
        json(contact.optedOut),
        contact.mergedIntoId,
        contact.createdAt,
        contact.updatedAt,
      ],
    );
  }
  async updateContact(contact: ContactRecord) {
    await this.run(
      `UPDATE contacts SET name = $1, channel_preference = $2, opted_out = $3, merged_into_id = $4, updated_at = $5 WHERE id = $6`,
      [
        contact.name,
        json(contact.channelPreference),
        json(contact.optedOut),
        contact.mergedIntoId,
        contact.updatedAt,
        contact.id,
      ],
    );
  }
  async insertIdentity(contactId: string, identity: Identity) {
    await this.run(
      `INSERT INTO identities (channel, address, contact_id, verified, source, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        identity.channel,
        identity.address,
        contactId,
        identity.verified,
        identity.source,
        identity.createdAt,
      ],
    );
  }
  async moveIdentities(fromContactId: string, toContactId: string) {
    const moved = await this.listIdentities(fromContactId);
    await this.run('UPDATE identities SET contact_id = $1 WHERE contact_id = $2', [
      toContactId,
      fromContactId,
    ]);
    return moved;
  }
  async insertConversation(conversation: Conversation) {
    await this.run(
      `INSERT INTO conversations (id, contact_id, inbox_id, status, last_message_at, merged_into_id, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        conversation.id,
        conversation.contactId,
        conversation.inboxId,
        conversation.status,
        conversation.lastMessageAt,
        conversation.mergedIntoId,
        json(conversation),
      ],
    );
  }
  async updateConversation(conversation: Conversation) {
    await this.run(
      `UPDATE conversations SET contact_id = $1, inbox_id = $2, status = $3, last_message_at = $4, merged_into_id = $5, data = $6
       WHERE id = $7`,
      [
        conversation.contactId,
        conversation.inboxId,
        conversation.status,
        conversation.lastMessageAt,
        conversation.mergedIntoId,
        json(conversation),
        conversation.id,
      ],
    );
  }
  async reassignContact(fromContactId: string, toContactId: string) {
    const conversations = await this.run(
      'SELECT id, data FROM conversations WHERE contact_id = $1 ORDER BY id FOR UPDATE',
      [fromContactId],
    );
    await this.rewrite('conversations', conversations, { contactId: toContactId }, 'contact_id');
    const messages = await this.run(
      'SELECT id, data FROM messages WHERE contact_id = $1 ORDER BY id FOR UPDATE',
      [fromContactId],
    );
    await this.rewrite('messages', messages, { contactId: toContactId }, 'contact_id');
    return conversations.map((row) => String(row.id));
  }
  async moveMessages(fromConversationId: string, toConversationId: string) {
    const messages = await this.run(
      'SELECT id, data FROM messages WHERE conversation_id = $1 ORDER BY id FOR UPDATE',
      [fromConversationId],
    );
    await this.rewrite(
      'messages',
      messages,
      { conversationId: toConversationId },
      'conversation_id',
    );
    return messages.length;
  }
  /**
   * Sets one field in many stored documents (and its column), keeping each document's key
   * order — the JSON is rewritten here rather than through jsonb, which would reorder keys.
   */
  private async rewrite(
    table: 'conversations' | 'messages',
    rows: Row[],
    change: { contactId: string } | { conversationId: string },
    column: 'contact_id' | 'conversation_id',
  ): Promise<void> {
    if (rows.length === 0) return;
    const value = Object.values(change)[0] as string;
    await this.run(
      `UPDATE ${table} SET ${column} = $1, data = changed.data
       FROM unnest($2::text[], $3::json[]) AS changed (id, data) WHERE ${table}.id = changed.id`,
      [
        value,
        rows.map((row) => String(row.id)),
        rows.map((row) => json({ ...(row.data as Record<string, unknown>), ...change })),
      ],
    );
  }
  async insertMessage(message: Message) {
    await this.run(
      `INSERT INTO messages (id, conversation_id, contact_id, connector_id, external_id, direction, channel, created_at, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        message.id,
        message.conversationId,
        message.contactId,
        message.connectorId,
        message.externalId,
        message.direction,
        message.channel,
        message.createdAt,
        json(message),
      ],
    );
  }
  async updateMessage(message: Message) {
    await this.run(
      `UPDATE messages SET conversation_id = $1, contact_id = $2, external_id = $3, data = $4 WHERE id = $5`,
      [message.conversationId, message.contactId, message.externalId, json(message), message.id],
    );
  }
  async appendEvent<T extends EventType>(type: T, data: EventData<T>, time: string, id: string) {
    const event = { id, cursor: 0, type, time, data };
    this.pending.push({ event });
    return event as unknown as ThreadlineEvent;
  }
  async insertJob(job: NewJob) {
    await this.run(
      `INSERT INTO jobs (id, kind, order_key, connector_id, payload, run_at, attempts, last_error, created_at, lease_until)
       VALUES ($1, $2, $3, $4, $5, $6, 0, NULL, $7, NULL)`,
      [
        job.id,
        job.kind,
        job.orderKey,
        job.connectorId,
        json(job.payload),
        job.runAt,
        job.createdAt,
      ],
    );
  }
  async claimJobs(now: string, leaseUntil: string, limit: number) {
    // SKIP LOCKED: instances claiming at the same moment take different jobs.
    const rows = await this.run(
      `WITH due AS (
         SELECT j.seq FROM jobs j
         WHERE j.run_at <= $1 AND (j.lease_until IS NULL OR j.lease_until <= $1)
           AND (j.order_key IS NULL OR NOT EXISTS (
             SELECT 1 FROM jobs k WHERE k.order_key = j.order_key AND k.seq < j.seq))
         ORDER BY j.run_at, j.seq LIMIT $3
         FOR UPDATE SKIP LOCKED)
       UPDATE jobs SET lease_until = $2 FROM due WHERE jobs.seq = due.seq
       RETURNING jobs.*`,
      [now, leaseUntil, limit],
    );
    return rows
      .sort(
        (a, b) => String(a.run_at).localeCompare(String(b.run_at)) || Number(a.seq) - Number(b.seq),
      )
      .map(toJob);
  }
  async completeJob(id: string) {
    await this.run('DELETE FROM jobs WHERE id = $1', [id]);
  }
  async rescheduleJob(id: string, runAt: string, lastError: string, countAttempt = true) {
    await this.run(
      'UPDATE jobs SET run_at = $1, attempts = attempts + $2, last_error = $3, lease_until = NULL WHERE id = $4',
      [runAt, countAttempt ? 1 : 0, lastError, id],
    );
  }
  async insertPendingStatus(status: PendingStatus) {
    await this.run(
      'INSERT INTO pending_statuses (connector_id, external_id, event, received_at) VALUES ($1, $2, $3, $4)',
      [status.connectorId, status.externalId, json(status.event), status.receivedAt],
    );
  }
  async takePendingStatuses(connectorId: string, externalId: string) {
    const rows = await this.run(
      `WITH taken AS (
         DELETE FROM pending_statuses WHERE connector_id = $1 AND external_id = $2 RETURNING *)
       SELECT * FROM taken ORDER BY seq`,
      [connectorId, externalId],
    );
    return rows.map((row) => ({
      connectorId,
      externalId,
      event: row.event as Record<string, unknown>,
      receivedAt: String(row.received_at),
    }));
  }
  async putIdempotency(record: IdempotencyRecord) {
    await this.run(
      `INSERT INTO idempotency (key, fingerprint, status, body, expires_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status,
         body = excluded.body, expires_at = excluded.expires_at`,
      [record.key, record.fingerprint, record.status, record.body, record.expiresAt],
    );
  }
  async insertWebhook(subscription: WebhookSubscription) {
    await this.run('INSERT INTO webhooks (id, data) VALUES ($1, $2)', [
      subscription.id,
      json(subscription),
    ]);
  }
  async updateWebhook(subscription: WebhookSubscription) {
    await this.run('UPDATE webhooks SET data = $1 WHERE id = $2', [
      json(subscription),
      subscription.id,
    ]);
  }
  async deleteWebhook(id: string) {
    return (await this.run('DELETE FROM webhooks WHERE id = $1 RETURNING id', [id])).length > 0;
  }
  async insertDeadLetter(entry: DeadLetter) {
    await this.run(
      'INSERT INTO dead_letters (id, subscription_id, cursor, data) VALUES ($1, $2, $3, $4)',
      [entry.id, entry.subscriptionId, entry.cursor, json(entry)],
    );
  }
  async insertApiKey(key: ApiKeyRecord) {
    await this.run('INSERT INTO api_keys (id, hash, data) VALUES ($1, $2, $3)', [
      key.id,
      key.hash,
      json(key),
    ]);
  }
  async updateApiKey(key: ApiKeyRecord) {
    await this.run('UPDATE api_keys SET data = $1 WHERE id = $2', [json(key), key.id]);
  }
  async insertMedia(media: MediaRecord) {
    await this.run(
      'INSERT INTO media (id, content_type, filename, size, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        media.id,
        media.contentType,
        media.filename,
        media.size,
        Buffer.from(media.body),
        media.createdAt,
      ],
    );
  }
  async insertQuarantine(entry: QuarantineEntry) {
    await this.run(
      'INSERT INTO quarantine (id, connector_id, kind, received_at, data) VALUES ($1, $2, $3, $4, $5)',
      [entry.id, entry.connectorId, entry.kind, entry.receivedAt, json(entry)],
    );
  }
  async updateQuarantine(entry: QuarantineEntry) {
    await this.run('UPDATE quarantine SET data = $1 WHERE id = $2', [json(entry), entry.id]);
  }
  async putIntegration(integration: Integration) {
    await this.run(
      'INSERT INTO integrations (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data',
      [integration.id, json(integration)],
    );
  }
  async deleteIntegration(id: string) {
    return (await this.run('DELETE FROM integrations WHERE id = $1 RETURNING id', [id])).length > 0;
  }
  async putSwitchboard(settings: SwitchboardSettings) {
    await this.run(
      "INSERT INTO settings (key, data) VALUES ('switchboard', $1) ON CONFLICT (key) DO UPDATE SET data = excluded.data",
      [json(settings)],
    );
  }
  async putControl(control: ControlRecord) {
    await this.run(
      'INSERT INTO conversation_control (conversation_id, data) VALUES ($1, $2) ON CONFLICT (conversation_id) DO UPDATE SET data = excluded.data',
      [control.conversationId, json(control)],
    );
  }
}

function toContact(row: Row): ContactRecord {
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

function toIdentity(row: Row): Identity {
  return {
    channel: String(row.channel),
    address: String(row.address),
    verified: row.verified === true,
    source: String(row.source) as Identity['source'],
    createdAt: String(row.created_at),
  };
}

function toJob(row: Row): Job {
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface CommitTicket {
  answered: boolean;
  cursor?: number;
  /** Commits that were still unanswered when this one was answered. */
  waitFor?: CommitTicket[];
  release?: () => void;
}

/**
 * Answers this process's commits in cursor order. PostgreSQL frees the sequencer lock a
 * moment before it answers COMMIT, so the answers of two commits can arrive out of cursor
 * order. A commit answered with cursor c is released once every commit that was still
 * unanswered at that moment has been answered (a commit sent later gets a larger cursor),
 * and after every answered commit with a smaller cursor — so callers see commits in cursor
 * order, as the engine's `onCommitted` promises.
 */
function createCommitOrder() {
  const unanswered = new Set<CommitTicket>();
  const answered: CommitTicket[] = [];
  let scheduled = false;

  function release(): void {
    answered.sort((a, b) => a.cursor! - b.cursor!);
    const head = answered[0];
    if (!head || head.waitFor!.some((ticket) => !ticket.answered)) return;
    answered.shift();
    head.release!();
    // the next one after the released commit's continuation has run
    if (answered.length > 0 && !scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        release();
      });
    }
  }

  return {
    committing(): CommitTicket {
      const ticket: CommitTicket = { answered: false };
      unanswered.add(ticket);
      return ticket;
    },
    /** The commit was answered (`cursor` undefined: no events, or it failed). */
    committed(ticket: CommitTicket, cursor: number | undefined): Promise<void> {
      if (ticket.answered) return Promise.resolve();
      ticket.answered = true;
      unanswered.delete(ticket);
      if (cursor === undefined) {
        release();
        return Promise.resolve();
      }
      ticket.cursor = cursor;
      ticket.waitFor = [...unanswered];
      const released = new Promise<void>((resolve) => {
        ticket.release = resolve;
      });
      answered.push(ticket);
      release();
      return released;
    },
  };
}

/**
 * The scale-out store: PostgreSQL shared by every gateway instance.
 *
 * Each `write` is one transaction on a pooled connection, at READ COMMITTED. Rows a write
 * reads to change (contact, conversation, message) are locked `FOR UPDATE`, and creating an
 * identity takes an address lock, so concurrent work for one customer takes turns. A write
 * that still collides with a concurrent one (a unique or exclusion violation — the same
 * provider redelivery or the same new conversation on two instances — a deadlock or a
 * serialization failure) rolls back and runs again on fresh data, a bounded number of times.
 *
 * Cursor order is commit order: events are appended at the end of the transaction by
 * `threadline_append_events`, which takes a transaction-scoped advisory lock (the
 * sequencer) before any event gets a cursor. The lock is released only after the commit is
 * visible, so a transaction with a smaller cursor has always committed (or rolled back)
 * before a larger cursor can be seen: a reader of "events after N" never misses one.
 */
export function createPostgresStore(settings: PostgresStoreSettings): PostgresStore {
  const schema = settings.schema ?? 'public';
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    max: settings.poolSize ?? 10,
    options: `-c search_path=${quoteIdentifier(schema)}`,
  });
  // An idle connection that breaks (a database restart) must not crash the process.
  pool.on('error', () => {});
  const maxAttempts = settings.maxWriteAttempts ?? 8;
  let closed = false;
  // Migrated once; a failed attempt (the database not up yet) is tried again on next use.
  let readiness: Promise<void> | undefined;
  const ensureReady = (): Promise<void> => {
    if (!readiness) {
      const attempt = (
        settings.migrate === false ? Promise.resolve(0) : migrate(pool, schema)
      ).then(() => undefined);
      readiness = attempt;
      attempt.catch(() => {
        if (readiness === attempt) readiness = undefined;
      });
    }
    return readiness;
  };
  ensureReady().catch(() => {});

  const poolRun: Run = async (sql, parameters) => {
    await ensureReady();
    return (await pool.query(prepared(sql, parameters))).rows as Row[];
  };
  const reader = new Queries(poolRun, '');

  const order = createCommitOrder();

  async function attempt<T>(work: (transaction: StoreTransaction) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    const transaction = new Transaction(
      async (sql, parameters) => (await client.query(prepared(sql, parameters))).rows as Row[],
      {
        async batch(sql) {
          const results = (await client.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[];
          return ((Array.isArray(results) ? results[0] : results)?.rows ?? []) as Row[];
        },
        literal: (text) => client.escapeLiteral(text),
      },
    );
    let committing: CommitTicket | undefined;
    try {
      await client.query('BEGIN');
      const value = await work(transaction);
      committing = order.committing();
      const firstCursor = await transaction.commit();
      client.release();
      await order.committed(committing, firstCursor);
      return value;
    } catch (error) {
      if (committing) order.committed(committing, undefined);
      let broken = false;
      // A connection that cannot even roll back is discarded, not returned to the pool.
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      client.release(broken);
      throw error;
    }
  }

  return {
    kind: 'postgres',
    get ready() {
      return ensureReady();
    },
    pool,
    read: reader,
    async write<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
      if (closed) throw new Error('the store is closed');
      await ensureReady();
      for (let attemptNumber = 1; ; attemptNumber++) {
        try {
          return await attempt(work);
        } catch (error) {
          if (!isRetryableConflict(error) || attemptNumber >= maxAttempts) throw error;
          settings.onRetry?.(error, attemptNumber);
          // A short, growing, jittered pause lets the winner of the collision commit.
          await sleep(Math.random() * 5 * attemptNumber);
        }
      }
    },
    async ping() {
      await ensureReady();
      await pool.query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await readiness?.catch(() => {});
      await pool.end();
    },
  };
}
