import type {
  Conversation,
  EventData,
  EventType,
  Identity,
  Message,
  Notification,
  NotificationPreferences,
  ThreadlineEvent,
} from '@threadline/schema';
import type { AnalyticsChange, AnalyticsCursor } from './analytics/analytics-types.js';
import { applyMemoryAnalytics, clearMemoryAnalytics } from './analytics/memory-analytics.js';
import {
  addressKey,
  bySeq,
  copy,
  createMemoryStoreData,
  isLiveOpen,
  MemoryReader,
  type MemoryStoreData,
  toJob,
} from './memory-store-reader.js';
import type {
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
  Store,
  StoreTransaction,
  SwitchboardSettings,
  WebhookProgress,
  WebhookSubscription,
} from './ports.js';
import { StoreConstraintError } from './ports.js';

export { createMemoryStoreData, type MemoryStoreData } from './memory-store-reader.js';

/** Writes on a transaction's own copy of the data; constraints are checked as each write runs. */
class MemoryTransaction extends MemoryReader implements StoreTransaction {
  private next(): number {
    this.data().seq += 1;
    return this.data().seq;
  }
  /** One open, unmerged conversation per contact and inbox (as the SQL stores enforce it). */
  private checkOneOpen(conversation: Conversation): void {
    if (!isLiveOpen(conversation)) return;
    for (const other of this.data().conversations.values()) {
      if (
        other.id !== conversation.id &&
        isLiveOpen(other) &&
        other.contactId === conversation.contactId &&
        other.inboxId === conversation.inboxId
      ) {
        throw new StoreConstraintError(
          'one_open_conversation',
          `contact ${conversation.contactId} already has open conversation ${other.id}`,
        );
      }
    }
  }
  private checkExternalId(message: Message): void {
    if (message.externalId === null) return;
    const clash = this.messages().find(
      (other) =>
        other.id !== message.id &&
        other.connectorId === message.connectorId &&
        other.externalId === message.externalId,
    );
    if (clash)
      throw new StoreConstraintError(
        'messages_by_external_id',
        `${message.externalId} is already stored`,
      );
  }

  async insertContact(contact: ContactRecord) {
    if (this.data().contacts.has(contact.id)) throw new Error(`contact ${contact.id} exists`);
    this.data().contacts.set(contact.id, copy(contact));
  }
  async updateContact(contact: ContactRecord) {
    if (this.data().contacts.has(contact.id)) this.data().contacts.set(contact.id, copy(contact));
  }
  async insertIdentity(contactId: string, identity: Identity) {
    const key = addressKey(identity);
    if (this.data().identities.has(key)) throw new Error(`identity ${key} exists`);
    this.data().identities.set(key, {
      seq: this.next(),
      value: { contactId, identity: copy(identity) },
    });
  }
  async moveIdentities(fromContactId: string, toContactId: string) {
    const moved = await this.listIdentities(fromContactId);
    for (const row of this.data().identities.values())
      if (row.value.contactId === fromContactId) row.value.contactId = toContactId;
    return moved;
  }
  async insertConversation(conversation: Conversation) {
    if (this.data().conversations.has(conversation.id))
      throw new Error(`conversation ${conversation.id} exists`);
    this.checkOneOpen(conversation);
    this.data().conversations.set(conversation.id, copy(conversation));
  }
  async updateConversation(conversation: Conversation) {
    if (!this.data().conversations.has(conversation.id)) return;
    this.checkOneOpen(conversation);
    this.data().conversations.set(conversation.id, copy(conversation));
  }
  async reassignContact(fromContactId: string, toContactId: string) {
    const moved = [...this.data().conversations.values()].filter(
      (conversation) => conversation.contactId === fromContactId,
    );
    for (const conversation of moved) {
      const reassigned = { ...conversation, contactId: toContactId };
      this.checkOneOpen(reassigned);
      this.data().conversations.set(conversation.id, reassigned);
    }
    for (const row of this.data().messages.values())
      if (row.value.contactId === fromContactId)
        row.value = { ...row.value, contactId: toContactId };
    return moved.map((conversation) => conversation.id);
  }
  async moveMessages(fromConversationId: string, toConversationId: string) {
    let moved = 0;
    for (const row of this.data().messages.values()) {
      if (row.value.conversationId !== fromConversationId) continue;
      row.value = { ...row.value, conversationId: toConversationId };
      moved += 1;
    }
    return moved;
  }
  async insertMessage(message: Message) {
    if (this.data().messages.has(message.id)) throw new Error(`message ${message.id} exists`);
    this.checkExternalId(message);
    this.data().messages.set(message.id, { seq: this.next(), value: copy(message) });
  }
  async updateMessage(message: Message) {
    const row = this.data().messages.get(message.id);
    if (!row) return;
    this.checkExternalId(message);
    row.value = copy(message);
  }
  async appendEvent<T extends EventType>(type: T, data: EventData<T>, time: string, id: string) {
    const events = this.data().events;
    if (events.some((event) => event.id === id)) throw new Error(`event ${id} exists`);
    const cursor = (events.at(-1)?.cursor ?? 0) + 1;
    const event = { id, cursor, type, time, data: copy(data) } as unknown as ThreadlineEvent;
    events.push(event);
    return copy(event);
  }
  async insertJob(job: NewJob) {
    if (this.data().jobs.has(job.id)) throw new Error(`job ${job.id} exists`);
    this.data().jobs.set(job.id, {
      seq: this.next(),
      value: { ...copy(job), attempts: 0, lastError: null, leaseUntil: null },
    });
  }
  async claimJobs(now: string, leaseUntil: string, limit: number) {
    const rows = [...this.data().jobs.values()].sort(bySeq);
    const claimed = rows
      .filter(
        ({ seq, value }) =>
          value.runAt <= now &&
          (value.leaseUntil === null || value.leaseUntil <= now) &&
          (value.orderKey === null ||
            !rows.some((other) => other.value.orderKey === value.orderKey && other.seq < seq)),
      )
      .sort((a, b) => a.value.runAt.localeCompare(b.value.runAt) || a.seq - b.seq)
      .slice(0, limit);
    for (const row of claimed) row.value.leaseUntil = leaseUntil;
    return claimed.map(({ value }) => toJob(value));
  }
  async completeJob(id: string) {
    this.data().jobs.delete(id);
  }
  async rescheduleJob(id: string, runAt: string, lastError: string, countAttempt = true) {
    const row = this.data().jobs.get(id);
    if (!row) return;
    row.value = {
      ...row.value,
      runAt,
      lastError,
      attempts: row.value.attempts + (countAttempt ? 1 : 0),
      leaseUntil: null,
    };
  }
  async insertPendingStatus(status: PendingStatus) {
    this.data().pendingStatuses.push(copy(status));
  }
  async takePendingStatuses(connectorId: string, externalId: string) {
    const data = this.data();
    const matches = (status: PendingStatus) =>
      status.connectorId === connectorId && status.externalId === externalId;
    const taken = data.pendingStatuses.filter(matches);
    data.pendingStatuses = data.pendingStatuses.filter((status) => !matches(status));
    return taken;
  }
  async putIdempotency(record: IdempotencyRecord) {
    this.data().idempotency.set(record.key, copy(record));
  }
  async insertWebhook(subscription: WebhookSubscription) {
    this.data().webhooks.set(subscription.id, copy(subscription));
  }
  async updateWebhook(subscription: WebhookSubscription) {
    const current = this.data().webhooks.get(subscription.id);
    // the dispatcher's progress is kept apart: a settings change never overwrites it
    if (current)
      this.data().webhooks.set(subscription.id, {
        ...copy(subscription),
        progress: current.progress,
      });
  }
  async saveWebhookProgress(id: string, progress: WebhookProgress) {
    const current = this.data().webhooks.get(id);
    if (!current) return false;
    this.data().webhooks.set(id, { ...current, progress: copy(progress) });
    return true;
  }
  async deleteWebhook(id: string) {
    return this.data().webhooks.delete(id);
  }
  async insertDeadLetter(entry: DeadLetter) {
    this.data().deadLetters.push(copy(entry));
  }
  async insertApiKey(key: ApiKeyRecord) {
    if ((await this.findApiKey(key.hash)) || this.data().apiKeys.has(key.id))
      throw new Error(`api key ${key.id} exists`);
    this.data().apiKeys.set(key.id, copy(key));
  }
  async updateApiKey(key: ApiKeyRecord) {
    if (this.data().apiKeys.has(key.id)) this.data().apiKeys.set(key.id, copy(key));
  }
  async insertMedia(media: MediaRecord) {
    this.data().media.set(media.id, copy(media));
  }
  async insertQuarantine(entry: QuarantineEntry) {
    this.data().quarantine.set(entry.id, copy(entry));
  }
  async updateQuarantine(entry: QuarantineEntry) {
    if (this.data().quarantine.has(entry.id)) this.data().quarantine.set(entry.id, copy(entry));
  }
  async putIntegration(integration: Integration) {
    this.data().integrations.set(integration.id, copy(integration));
  }
  async deleteIntegration(id: string) {
    return this.data().integrations.delete(id);
  }
  async putSwitchboard(settings: SwitchboardSettings) {
    this.data().switchboard = copy(settings);
  }
  async putControl(control: ControlRecord) {
    this.data().control.set(control.conversationId, copy(control));
  }
  async claimAnalyticsCursor() {
    return { ...(this.analyticsData().cursor ?? { cursor: 0, token: '' }) };
  }
  async applyAnalytics(change: AnalyticsChange, to: AnalyticsCursor) {
    applyMemoryAnalytics(this.analyticsData(), change, to);
  }
  async clearAnalytics() {
    clearMemoryAnalytics(this.analyticsData());
  }
  async insertNotification(notification: Notification) {
    if (
      notification.idempotencyKey !== null &&
      this.notifications().some((stored) => stored.idempotencyKey === notification.idempotencyKey)
    )
      throw new StoreConstraintError(
        'notification_idempotency_key',
        `a notification with idempotencyKey ${notification.idempotencyKey} exists`,
      );
    this.data().notifications.set(notification.id, copy(notification));
  }
  async updateNotification(notification: Notification) {
    if (this.data().notifications.has(notification.id))
      this.data().notifications.set(notification.id, copy(notification));
  }
  async putNotificationPreferences(contactId: string, preferences: NotificationPreferences) {
    this.data().notificationPreferences.set(contactId, copy(preferences));
  }
}

/**
 * A store that keeps everything in memory: the engine's own tests run on it, and so can an
 * app's. Writes run one at a time on a copy of the data that replaces it only when the work
 * succeeds, so a failing write rolls back alone and reads see committed data only. Pass the
 * `data` of a closed store to open it again (a restart that keeps what was committed).
 */
export function createMemoryStore(data: MemoryStoreData = createMemoryStoreData()): Store & {
  readonly data: MemoryStoreData;
} {
  let committed = data;
  let working: MemoryStoreData | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  // A new process holds no leases: jobs leased before a restart are free again at once.
  for (const row of committed.jobs.values()) row.value.leaseUntil = null;
  const transaction = new MemoryTransaction(() => working!);
  return {
    kind: 'memory',
    get data() {
      return committed;
    },
    read: new MemoryReader(() => committed),
    write<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
      if (closed) return Promise.reject(new Error('the store is closed'));
      const run = async () => {
        working = copy(committed);
        try {
          const value = await work(transaction);
          committed = working;
          return value;
        } finally {
          working = undefined;
        }
      };
      const result = queue.then(run);
      queue = result.catch(() => {});
      return result;
    },
    async ping() {
      if (closed) throw new Error('the store is closed');
    },
    async close() {
      await queue;
      closed = true;
    },
  };
}
