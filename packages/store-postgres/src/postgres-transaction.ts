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
  Address,
  Conversation,
  EventData,
  EventType,
  Identity,
  Message,
  Notification,
  NotificationPreferences,
  ThreadlineEvent,
} from '@threadline/schema';
import { analyticsStatements } from './postgres-analytics.js';
import { DeferredTransaction } from './postgres-deferred.js';
import { notificationWrites } from './postgres-notifications.js';
import {
  json,
  type Row,
  switchboardSql,
  toContact,
  toIdentity,
  toJob,
} from './postgres-queries.js';
import {
  contactRow,
  conversationRow,
  findIdentityLockedSql,
  findKnownIdentitySql,
  findLatestConversationSql,
  insertContactSql,
  insertConversationSql,
  insertMessageSql,
  messageRow,
  updateContactSql,
  updateConversationSql,
  updateMessageSql,
} from './transaction-statements.js';

/** The key of a contact's latest conversation in an inbox (`latestConversations`). */
const inboxOf = (contactId: string, inboxId: string) => `${contactId}\u0000${inboxId}`;

/**
 * One transaction on its own connection, shared by the writes of one group commit (they run
 * one after another, or side by side: see `createPostgresStore`).
 *
 * Round trips are what a PostgreSQL transaction costs most, so:
 * - **Writes are deferred.** A write the engine does not read back (an insert or update)
 *   waits in the transaction and goes out with the others of the same work in one round
 *   trip, as prepared statements (alike row writes as one: `combined-writes.ts`), each
 *   table's in the order made, before the next read and at the end of each work — a read
 *   always sees every earlier write; an error still belongs to the work that wrote.
 * - **Reads the engine always makes together are one query.** Looking an identity up also
 *   reads (and locks) its contact and, when the engine names the inbox it reads next, the
 *   contact's latest conversation there; the latest conversation of a contact comes with that
 *   conversation's latest outbound message. All are remembered until the work writes.
 * - **Events are buffered** and appended at commit, under the sequencer lock (see
 *   `createPostgresStore`); the event objects handed back get their cursors then, before the
 *   write resolves.
 */
export class Transaction extends DeferredTransaction implements StoreTransaction {
  /**
   * The identity with its contact, locked (the engine's next step reads the contact to change
   * it), in one plain query. Not found, `threadline_find_identity` looks again under the
   * address lock and returns every identity of the address: creating an identity for a phone
   * number (on any channel) or an email takes turns with every other transaction doing the
   * same, so two instances cannot create two contacts for one customer at once; and while
   * this transaction holds the lock, the address's other channels are answered from what it
   * returned. With `latestConversationIn`, the plain query also reads (and locks, after the
   * contact) the contact's latest conversation in that inbox, for `findLatestConversation`.
   */
  override async findIdentity(address: Address, options?: { latestConversationIn?: string }) {
    const locked = this.addressIdentities.get(address.address);
    if (locked) return this.found(locked.get(address.channel));
    const key = `${address.channel}:${address.address}`;
    const again = this.foundIdentities.get(key);
    if (again) return this.found(again);
    // every message reads the switchboard's settings after it is stored: where statements
    // share round trips, that read goes out now, beside this one, not in a round trip of its own
    if (this.connection.sharesRoundTrips && !this.switchboardRead) void this.readSwitchboard();
    const wanted = [address.channel, address.address];
    const inbox = options?.latestConversationIn;
    // a known address (most messages) without the function's call: a plain query, planned once
    let rows = await this.run(findKnownIdentitySql, [...wanted, inbox ?? null]);
    const known = rows.find((candidate) => candidate.channel === address.channel);
    if (known && inbox !== undefined) {
      this.latestConversations.set(
        inboxOf(String(known.contact_id), inbox),
        known.conversation_id === null
          ? null
          : {
              id: known.conversation_id,
              data: known.conversation_data,
              latest_outbound: known.latest_outbound,
              awaiting_reply_since: known.awaiting_reply_since,
            },
      );
    }
    if (rows.length === 0) rows = await this.run(findIdentityLockedSql, wanted);
    if (rows[0]?.address_locked === true || rows.length === 0) {
      this.addressIdentities.set(
        address.address,
        new Map(rows.map((row) => [String(row.channel), row])),
      );
    }
    const row = rows.find((candidate) => candidate.channel === address.channel);
    // found, its contact locked: asked again before a write, the answer is the same
    if (row) this.foundIdentities.set(key, row);
    return this.found(row);
  }

  private found(row: Row | undefined) {
    if (!row) return undefined;
    const contactId = String(row.contact_id);
    this.contacts.set(
      contactId,
      toContact({
        ...row,
        id: contactId,
        created_at: row.contact_created_at,
        updated_at: row.contact_updated_at,
      }),
    );
    return { contactId, identity: toIdentity(row) };
  }

  override async getContact(id: string) {
    return this.contacts.get(id) ?? super.getContact(id);
  }

  override async findLatestConversation(contactId: string, inboxId: string) {
    if (this.contactsWithoutConversations.has(contactId)) return undefined;
    // read with the identity, and nothing written since
    const prefetched = this.latestConversations.get(inboxOf(contactId, inboxId));
    const row =
      prefetched !== undefined
        ? prefetched
        : await this.one(findLatestConversationSql, [contactId, inboxId]);
    if (!row) return undefined;
    this.latestOutbound.set(String(row.id), (row.latest_outbound as Message | null) ?? null);
    this.awaitingReplySince.set(
      String(row.id),
      (row.awaiting_reply_since as string | null) ?? null,
    );
    return row.data as Conversation;
  }

  /**
   * Read with the conversation: none sent since `since`, none to lock and nothing to ask. One
   * was: the query locks it (a notification row is read locked only when there is one).
   */
  override async findNotificationAwaitingReply(conversationId: string, since: string) {
    const sentAt = this.awaitingReplySince.get(conversationId);
    if (sentAt === null || (sentAt !== undefined && sentAt < since)) return undefined;
    return super.findNotificationAwaitingReply(conversationId, since);
  }

  override async findLatestOutbound(conversationId: string) {
    const known = this.latestOutbound.get(conversationId);
    if (known !== undefined) return known ?? undefined;
    return super.findLatestOutbound(conversationId);
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
    await this.defer(`contacts:${contact.id}`, insertContactSql, contactRow(contact));
    this.contactsWithoutConversations.add(contact.id);
  }
  async updateContact(contact: ContactRecord) {
    const key = `contacts:${contact.id}`;
    if (this.replaceDeferredInsert(key, contactRow(contact))) return;
    await this.defer(key, updateContactSql, [
      contact.name,
      json(contact.channelPreference),
      json(contact.optedOut),
      contact.mergedIntoId,
      contact.updatedAt,
      contact.id,
    ]);
  }
  async insertIdentity(contactId: string, identity: Identity) {
    await this.defer(
      `identities:${identity.channel}:${identity.address}`,
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
    await this.defer(
      `conversations:${conversation.id}`,
      insertConversationSql,
      conversationRow(conversation),
    );
    this.contactsWithoutConversations.delete(conversation.contactId);
    // new: no outbound message yet
    this.latestOutbound.set(conversation.id, null);
  }
  async updateConversation(conversation: Conversation) {
    this.contactsWithoutConversations.delete(conversation.contactId);
    const key = `conversations:${conversation.id}`;
    if (this.replaceDeferredInsert(key, conversationRow(conversation))) return;
    // the row's columns, the id last
    const [id, ...columns] = conversationRow(conversation);
    await this.defer(key, updateConversationSql, [...columns, id]);
  }
  async reassignContact(fromContactId: string, toContactId: string) {
    this.contactsWithoutConversations.delete(toContactId);
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
    await this.defer(`messages:${message.id}`, insertMessageSql, messageRow(message));
  }
  async updateMessage(message: Message) {
    const key = `messages:${message.id}`;
    if (this.replaceDeferredInsert(key, messageRow(message))) return;
    await this.defer(key, updateMessageSql, [
      message.conversationId,
      message.contactId,
      message.externalId,
      json(message),
      message.id,
    ]);
  }
  async appendEvent<T extends EventType>(type: T, data: EventData<T>, time: string, id: string) {
    const event = { id, cursor: 0, type, time, data };
    this.pending.push({ event });
    return event as unknown as ThreadlineEvent;
  }
  async insertJob(job: NewJob) {
    await this.defer(
      `jobs:${job.id}`,
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
    await this.defer(`jobs:${id}`, 'DELETE FROM jobs WHERE id = $1', [id]);
  }
  async rescheduleJob(id: string, runAt: string, lastError: string, countAttempt = true) {
    await this.defer(
      `jobs:${id}`,
      'UPDATE jobs SET run_at = $1, attempts = attempts + $2, last_error = $3, lease_until = NULL WHERE id = $4',
      [runAt, countAttempt ? 1 : 0, lastError, id],
    );
  }
  async insertPendingStatus(status: PendingStatus) {
    await this.defer(
      `pending_statuses:${status.connectorId}:${status.externalId}`,
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
    await this.defer(
      `idempotency:${record.key}`,
      `INSERT INTO idempotency (key, fingerprint, status, body, expires_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status,
         body = excluded.body, expires_at = excluded.expires_at`,
      [record.key, record.fingerprint, record.status, record.body, record.expiresAt],
    );
  }
  async insertWebhook(subscription: WebhookSubscription) {
    const { progress, ...settings } = subscription;
    await this.defer(
      `webhooks:${subscription.id}`,
      'INSERT INTO webhooks (id, data, progress) VALUES ($1, $2, $3)',
      [subscription.id, json(settings), json(progress)],
    );
  }
  async updateWebhook(subscription: WebhookSubscription) {
    // the dispatcher's progress is its own column: a settings change never overwrites it
    const { progress: _progress, ...settings } = subscription;
    await this.defer(`webhooks:${subscription.id}`, 'UPDATE webhooks SET data = $1 WHERE id = $2', [
      json(settings),
      subscription.id,
    ]);
  }
  async saveWebhookProgress(id: string, progress: WebhookProgress) {
    return (
      (
        await this.run('UPDATE webhooks SET progress = $1 WHERE id = $2 RETURNING id', [
          json(progress),
          id,
        ])
      ).length > 0
    );
  }
  async deleteWebhook(id: string) {
    return (await this.run('DELETE FROM webhooks WHERE id = $1 RETURNING id', [id])).length > 0;
  }
  async insertDeadLetter(entry: DeadLetter) {
    await this.defer(
      `dead_letters:${entry.id}`,
      'INSERT INTO dead_letters (id, subscription_id, cursor, data) VALUES ($1, $2, $3, $4)',
      [entry.id, entry.subscriptionId, entry.cursor, json(entry)],
    );
  }
  async insertApiKey(key: ApiKeyRecord) {
    await this.defer(
      `api_keys:${key.id}`,
      'INSERT INTO api_keys (id, hash, data) VALUES ($1, $2, $3)',
      [key.id, key.hash, json(key)],
    );
  }
  async updateApiKey(key: ApiKeyRecord) {
    await this.defer(`api_keys:${key.id}`, 'UPDATE api_keys SET data = $1 WHERE id = $2', [
      json(key),
      key.id,
    ]);
  }
  async insertMedia(media: MediaRecord) {
    await this.defer(
      `media:${media.id}`,
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
    await this.defer(
      `quarantine:${entry.id}`,
      'INSERT INTO quarantine (id, connector_id, kind, received_at, data) VALUES ($1, $2, $3, $4, $5)',
      [entry.id, entry.connectorId, entry.kind, entry.receivedAt, json(entry)],
    );
  }
  async updateQuarantine(entry: QuarantineEntry) {
    await this.defer(`quarantine:${entry.id}`, 'UPDATE quarantine SET data = $1 WHERE id = $2', [
      json(entry),
      entry.id,
    ]);
  }
  async putIntegration(integration: Integration) {
    await this.defer(
      `integrations:${integration.id}`,
      'INSERT INTO integrations (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data',
      [integration.id, json(integration)],
    );
  }
  async deleteIntegration(id: string) {
    return (await this.run('DELETE FROM integrations WHERE id = $1 RETURNING id', [id])).length > 0;
  }
  /**
   * The switchboard's settings, read without sending the deferred writes first (unless one of
   * them is the settings): every customer message reads them just after deferring its own
   * rows, none of which are in this table, and those then go out with the commit instead of
   * in a round trip of their own.
   */
  override async getSwitchboard() {
    if (this.writes.some((write) => write.key === 'settings:switchboard')) {
      this.switchboardRead = undefined;
      await this.flushWrites();
    }
    const row = (await (this.switchboardRead ?? this.readSwitchboard()))[0];
    return row ? (row.data as SwitchboardSettings) : undefined;
  }

  /** The switchboard's settings, read beside the statements asked for in this turn. */
  private readSwitchboard(): Promise<Row[]> {
    this.counts.statements += 1;
    this.counts.roundTrips += 1;
    const read = this.runner(switchboardSql);
    this.switchboardRead = read;
    // asked for early and then not needed: its failure is the round trip's, reported there
    read.catch(() => {});
    return read;
  }

  async putSwitchboard(settings: SwitchboardSettings) {
    this.switchboardRead = undefined;
    await this.defer(
      'settings:switchboard',
      "INSERT INTO settings (key, data) VALUES ('switchboard', $1) ON CONFLICT (key) DO UPDATE SET data = excluded.data",
      [json(settings)],
    );
  }
  async putControl(control: ControlRecord) {
    await this.defer(
      `conversation_control:${control.conversationId}`,
      'INSERT INTO conversation_control (conversation_id, data) VALUES ($1, $2) ON CONFLICT (conversation_id) DO UPDATE SET data = excluded.data',
      [control.conversationId, json(control)],
    );
  }
  /** The analytics' position, row-locked until this transaction ends (or undefined if held). */
  async claimAnalyticsCursor(options: { wait: boolean }) {
    const row = await this.one(
      `SELECT cursor, token FROM analytics_cursor WHERE id = 1 FOR UPDATE${options.wait ? '' : ' SKIP LOCKED'}`,
    );
    return row ? { cursor: Number(row.cursor), token: String(row.token) } : undefined;
  }
  async applyAnalytics(change: AnalyticsChange, to: AnalyticsCursor) {
    for (const write of analyticsStatements(change))
      await this.defer(write.key, write.sql, write.values);
    await this.defer('analytics_cursor', 'UPDATE analytics_cursor SET cursor = $1, token = $2', [
      to.cursor,
      to.token,
    ]);
  }
  async clearAnalytics() {
    await this.run('DELETE FROM analytics_conversations');
    await this.run('DELETE FROM analytics_counters');
    await this.run('DELETE FROM analytics_bins');
    await this.run("UPDATE analytics_cursor SET cursor = 0, token = ''");
  }
  async insertNotification(notification: Notification) {
    this.awaitingReplySince.clear();
    await this.run(...notificationWrites.insert(notification));
  }
  async updateNotification(notification: Notification) {
    this.awaitingReplySince.clear();
    await this.run(...notificationWrites.update(notification));
  }
  async putNotificationPreferences(contactId: string, preferences: NotificationPreferences) {
    await this.run(...notificationWrites.putPreferences(contactId, preferences));
  }
}
