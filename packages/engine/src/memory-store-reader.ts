import type {
  Address,
  Conversation,
  Identity,
  Message,
  Notification,
  NotificationPreferences,
  ThreadlineEvent,
} from '@threadline/schema';
import type { AnalyticsQuery } from './analytics/analytics-types.js';
import {
  createMemoryAnalyticsData,
  type MemoryAnalyticsData,
  memoryAnalyticsStates,
  readMemoryAnalytics,
} from './analytics/memory-analytics.js';
import type { NotificationQuery } from './notifications/notification-store.js';
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
  PendingStatus,
  QuarantineEntry,
  StoreReader,
  SwitchboardSettings,
  WebhookSubscription,
} from './ports.js';

interface Stored<T> {
  seq: number;
  value: T;
}

/** Everything an in-memory store holds. Rows are plain data, copied on the way in and out. */
export interface MemoryStoreData {
  seq: number;
  contacts: Map<string, ContactRecord>;
  identities: Map<string, Stored<{ contactId: string; identity: Identity }>>;
  conversations: Map<string, Conversation>;
  messages: Map<string, Stored<Message>>;
  events: ThreadlineEvent[];
  jobs: Map<string, Stored<Job & { leaseUntil: string | null }>>;
  pendingStatuses: PendingStatus[];
  idempotency: Map<string, IdempotencyRecord>;
  webhooks: Map<string, WebhookSubscription>;
  deadLetters: DeadLetter[];
  apiKeys: Map<string, ApiKeyRecord>;
  media: Map<string, MediaRecord>;
  quarantine: Map<string, QuarantineEntry>;
  integrations: Map<string, Integration>;
  switchboard: SwitchboardSettings | undefined;
  /** Control of each conversation, by conversation id. */
  control: Map<string, ControlRecord>;
  /** Analytics states and rollups (created on first use by a store opened on older data). */
  analytics?: MemoryAnalyticsData;
  notifications: Map<string, Notification>;
  notificationPreferences: Map<string, NotificationPreferences>;
}

export function createMemoryStoreData(): MemoryStoreData {
  return {
    seq: 0,
    contacts: new Map(),
    identities: new Map(),
    conversations: new Map(),
    messages: new Map(),
    events: [],
    jobs: new Map(),
    pendingStatuses: [],
    idempotency: new Map(),
    webhooks: new Map(),
    deadLetters: [],
    apiKeys: new Map(),
    media: new Map(),
    quarantine: new Map(),
    integrations: new Map(),
    switchboard: undefined,
    control: new Map(),
    analytics: createMemoryAnalyticsData(),
    notifications: new Map(),
    notificationPreferences: new Map(),
  };
}

export const copy = <T>(value: T): T => structuredClone(value);
export const addressKey = (address: Address) => `${address.channel}\u0000${address.address}`;
export const bySeq = <T>(a: Stored<T>, b: Stored<T>) => a.seq - b.seq;
const latestBySeq = <T>(rows: Iterable<Stored<T>>) =>
  [...rows].sort(bySeq).at(-1)?.value as T | undefined;
export const isLiveOpen = (conversation: Conversation) =>
  conversation.status === 'open' && conversation.mergedIntoId === null;

/** Reads over one version of the data (the committed one, or a transaction's own copy). */
export class MemoryReader implements StoreReader {
  constructor(protected readonly data: () => MemoryStoreData) {}

  async getContact(id: string) {
    const record = this.data().contacts.get(id);
    return record ? copy(record) : undefined;
  }
  async listIdentities(contactId: string) {
    return [...this.data().identities.values()]
      .filter((row) => row.value.contactId === contactId)
      .sort(
        (a, b) =>
          a.value.identity.createdAt.localeCompare(b.value.identity.createdAt) || a.seq - b.seq,
      )
      .map((row) => copy(row.value.identity));
  }
  async findIdentity(address: Address) {
    const row = this.data().identities.get(addressKey(address));
    return row ? copy(row.value) : undefined;
  }
  async getConversation(id: string) {
    const conversation = this.data().conversations.get(id);
    return conversation ? copy(conversation) : undefined;
  }
  async findLatestConversation(contactId: string, inboxId: string) {
    const [latest] = [...this.data().conversations.values()]
      .filter((c) => c.contactId === contactId && c.inboxId === inboxId && c.mergedIntoId === null)
      .sort((a, b) => b.lastMessageAt.localeCompare(a.lastMessageAt) || b.id.localeCompare(a.id));
    return latest ? copy(latest) : undefined;
  }
  async listConversations(query: ConversationQuery) {
    return [...this.data().conversations.values()]
      .filter(
        (c) =>
          c.mergedIntoId === null &&
          (!query.contactId || c.contactId === query.contactId) &&
          (!query.status || c.status === query.status) &&
          (!query.after || c.id < query.after),
      )
      .sort((a, b) => b.id.localeCompare(a.id))
      .slice(0, query.limit)
      .map(copy);
  }
  async getMessage(id: string) {
    const row = this.data().messages.get(id);
    return row ? copy(row.value) : undefined;
  }
  async findMessageByExternalId(connectorId: string, externalId: string) {
    const found = this.messages().find(
      (message) => message.connectorId === connectorId && message.externalId === externalId,
    );
    return found ? copy(found) : undefined;
  }
  async listConversationMessages(
    conversationId: string,
    options: { after?: string; limit: number },
  ) {
    const anchor = options.after ? this.data().messages.get(options.after)?.value : undefined;
    const key = (message: Message) => `${message.createdAt}\u0000${message.id}`;
    return this.messages()
      .filter(
        (message) =>
          message.conversationId === conversationId && (!anchor || key(message) > key(anchor)),
      )
      .sort((a, b) => key(a).localeCompare(key(b)))
      .slice(0, options.limit)
      .map(copy);
  }
  async findLatestInbound(
    contactId: string,
    filter: { channel?: string; connectorId?: string } = {},
  ) {
    const latest = latestBySeq(
      [...this.data().messages.values()].filter(
        ({ value }) =>
          value.contactId === contactId &&
          value.direction === 'inbound' &&
          (!filter.connectorId || value.connectorId === filter.connectorId) &&
          (!filter.channel || value.channel === filter.channel),
      ),
    );
    return latest ? copy(latest) : undefined;
  }
  async hasEarlierQueued(conversationId: string, messageId: string) {
    return this.messages().some(
      (message) =>
        message.conversationId === conversationId &&
        message.direction === 'outbound' &&
        message.id < messageId &&
        message.status === 'queued',
    );
  }
  async findLatestOutbound(conversationId: string) {
    const latest = latestBySeq(
      [...this.data().messages.values()].filter(
        ({ value }) => value.conversationId === conversationId && value.direction === 'outbound',
      ),
    );
    return latest ? copy(latest) : undefined;
  }
  async listEvents(after: number, limit: number) {
    return this.data()
      .events.filter((event) => event.cursor > after)
      .slice(0, limit)
      .map(copy);
  }
  async latestCursor() {
    return this.data().events.at(-1)?.cursor ?? 0;
  }
  async getIdempotency(key: string) {
    const record = this.data().idempotency.get(key);
    return record ? copy(record) : undefined;
  }
  async listWebhooks() {
    return [...this.data().webhooks.values()].sort((a, b) => a.id.localeCompare(b.id)).map(copy);
  }
  async getWebhook(id: string) {
    const subscription = this.data().webhooks.get(id);
    return subscription ? copy(subscription) : undefined;
  }
  async listDeadLetters(subscriptionId: string) {
    return this.data()
      .deadLetters.filter((entry) => entry.subscriptionId === subscriptionId)
      .sort((a, b) => a.cursor - b.cursor)
      .map(copy);
  }
  async findApiKey(hash: string) {
    const key = [...this.data().apiKeys.values()].find((candidate) => candidate.hash === hash);
    return key ? copy(key) : undefined;
  }
  async listApiKeys() {
    return [...this.data().apiKeys.values()].sort((a, b) => a.id.localeCompare(b.id)).map(copy);
  }
  async getMedia(id: string) {
    const media = this.data().media.get(id);
    return media ? copy(media) : undefined;
  }
  async listQuarantine(options: { connectorId?: string; limit: number }) {
    return [...this.data().quarantine.values()]
      .filter((entry) => !options.connectorId || entry.connectorId === options.connectorId)
      .sort((a, b) => b.id.localeCompare(a.id))
      .slice(0, options.limit)
      .map(copy);
  }
  async getQuarantine(id: string) {
    const entry = this.data().quarantine.get(id);
    return entry ? copy(entry) : undefined;
  }
  async getJob(id: string) {
    const stored = this.data().jobs.get(id);
    return stored ? toJob(stored.value) : undefined;
  }
  async listJobs() {
    return [...this.data().jobs.values()].sort(bySeq).map(({ value }) => toJob(value));
  }
  async listIntegrations() {
    return [...this.data().integrations.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map(copy);
  }
  async getIntegration(id: string) {
    const integration = this.data().integrations.get(id);
    return integration ? copy(integration) : undefined;
  }
  async getSwitchboard() {
    const settings = this.data().switchboard;
    return settings ? copy(settings) : undefined;
  }
  async getControl(conversationId: string) {
    const control = this.data().control.get(conversationId);
    return control ? copy(control) : undefined;
  }
  async getAnalyticsStates(conversationIds: string[]) {
    return memoryAnalyticsStates(this.analyticsData(), conversationIds);
  }
  async readAnalytics(query: AnalyticsQuery) {
    return readMemoryAnalytics(this.analyticsData(), query);
  }
  protected analyticsData(): MemoryAnalyticsData {
    this.data().analytics ??= createMemoryAnalyticsData();
    return this.data().analytics!;
  }

  async getNotification(id: string) {
    const notification = this.data().notifications.get(id);
    return notification ? copy(notification) : undefined;
  }
  async findNotificationByIdempotencyKey(key: string) {
    const found = this.notifications().find((notification) => notification.idempotencyKey === key);
    return found ? copy(found) : undefined;
  }
  async listNotifications(query: NotificationQuery) {
    return this.notifications()
      .filter(
        (notification) =>
          (query.contactId === undefined || notification.contactId === query.contactId) &&
          (query.category === undefined || notification.category === query.category) &&
          (query.after === undefined || notification.id > query.after),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, query.limit)
      .map(copy);
  }
  async countNotificationsSent(contactId: string, category: string, since: string) {
    return this.notifications().filter(
      (notification) =>
        notification.contactId === contactId &&
        notification.category === category &&
        notification.sentAt !== null &&
        notification.sentAt > since,
    ).length;
  }
  async findNotificationAwaitingReply(conversationId: string, since: string) {
    const found = this.notifications()
      .filter(
        (notification) =>
          notification.conversationId === conversationId &&
          notification.replyMessageId === null &&
          notification.sentAt !== null &&
          notification.sentAt >= since,
      )
      .sort((a, b) => (a.sentAt! < b.sentAt! || (a.sentAt === b.sentAt && a.id < b.id) ? -1 : 1))
      .at(-1);
    return found ? copy(found) : undefined;
  }
  async getNotificationPreferences(contactId: string) {
    const preferences = this.data().notificationPreferences.get(contactId);
    return preferences ? copy(preferences) : undefined;
  }

  protected notifications(): Notification[] {
    return [...(this.data().notifications ?? new Map<string, Notification>()).values()];
  }

  protected messages(): Message[] {
    return [...this.data().messages.values()].map((row) => row.value);
  }
}

export function toJob({ leaseUntil: _lease, ...job }: Job & { leaseUntil: string | null }): Job {
  return copy(job);
}
