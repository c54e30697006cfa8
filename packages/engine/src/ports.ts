import { ThreadlineError } from '@threadline/connector-kit';
import type {
  Address,
  Channel,
  Contact,
  Conversation,
  ConversationControl,
  EventData,
  EventType,
  Identity,
  Message,
  ThreadlineEvent,
} from '@threadline/schema';
import type { AnalyticsReader, AnalyticsWriter } from './analytics/analytics-types.js';
import type { NotificationReader, NotificationWriter } from './notifications/notification-store.js';

/** The engine reads time only from here, so tests and the simulator are deterministic. */
export interface Clock {
  now(): Date;
}

/** Time-ordered ids (UUIDv7). */
export interface IdGenerator {
  next(): string;
}

export type JobKind = 'send' | 'fallback' | 'control_timeout' | 'notification';

export interface Job {
  id: string;
  kind: JobKind;
  /** Jobs with the same order key run one at a time, oldest first (per-conversation order). */
  orderKey: string | null;
  /** Connector a send job talks to (for per-connector rate limits); null for timers. */
  connectorId: string | null;
  payload: Record<string, unknown>;
  runAt: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
}

export type NewJob = Omit<Job, 'attempts' | 'lastError'>;

export interface ContactRecord extends Omit<Contact, 'identities'> {
  mergedIntoId: string | null;
}

export interface QuarantineEntry {
  id: string;
  connectorId: string;
  /** `rejected`: unreadable or invalid; `ignored`: an update kind we acknowledge but do not act on. */
  kind: 'rejected' | 'ignored';
  reason: string;
  path: string | null;
  contentType: string;
  body: string;
  receivedAt: string;
  replayedAt: string | null;
  /** The original request, so the entry can be parsed again after a fix. */
  request?: { method: string; url: string; headers: Record<string, string> };
}

export interface PendingStatus {
  connectorId: string;
  externalId: string;
  event: Record<string, unknown>;
  receivedAt: string;
}

export interface IdempotencyRecord {
  key: string;
  fingerprint: string;
  status: number;
  body: string;
  expiresAt: string;
}

/** Several events in one request: sent when `maxEvents` are ready or the oldest waited `maxWaitMs`. */
export interface WebhookBatching {
  maxEvents: number;
  maxWaitMs: number;
}

/** Retry state of a delivery that has failed and is waiting to be tried again. */
export interface WebhookDeliveryFailure {
  cursor: number;
  attempts: number;
  firstFailureAt: string;
  nextAttemptAt: string;
  lastError: string;
}

/** One request to a subscriber and how it went: the delivery log the API and console show. */
export interface WebhookDeliveryAttempt {
  /** The request's `webhook-id`: the event id, or the batch id. */
  webhookId: string;
  eventIds: string[];
  eventTypes: string[];
  /** When the request was sent. */
  at: string;
  outcome: 'delivered' | 'failed' | 'dead_lettered';
  /** 1 for the first try of this delivery. */
  attempt: number;
  /** The subscriber's HTTP status; null when it did not answer. */
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/**
 * How far a subscription's deliveries got, written by the dispatcher alone (settings are
 * written by the API: the two never overwrite each other).
 */
export interface WebhookProgress {
  /** Low-water mark: every event at or below it is delivered, dead-lettered or not subscribed to. */
  cursor: number;
  /** Highest cursor read into the delivery lanes. */
  readTo: number;
  /** Cursors in (cursor, readTo] not yet delivered; every other event in that range is done. */
  pending: number[];
  /** Retry state of the pending deliveries that failed. */
  failures: WebhookDeliveryFailure[];
  /** The last replay (see `WebhookSubscription.replay`) the progress starts from. */
  replayId: string | null;
  /** The latest requests, newest last (at most 50); absent in progress written before it existed. */
  recent?: WebhookDeliveryAttempt[];
}

export interface WebhookSubscription {
  id: string;
  url: string;
  /** Event types delivered; empty = all. */
  eventTypes: EventType[];
  secret: string;
  /** The integration listening here (switchboard delivery filtering); absent: every event. */
  integrationId?: string | null;
  /** Requests in flight at once; events of one conversation still go one at a time, in order. */
  maxInFlight: number;
  /** Several events per request, or null: one event per request. */
  batch: WebhookBatching | null;
  /** A replay asked through the API: deliveries start again after `after`, once per `id`. */
  replay: { id: string; after: number } | null;
  createdAt: string;
  enabled: boolean;
  progress: WebhookProgress;
}

export interface DeadLetter {
  id: string;
  subscriptionId: string;
  eventId: string;
  cursor: number;
  attempts: number;
  lastError: string;
  createdAt: string;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  hash: string;
  scopes: string[];
  /** Requests per second this key may make; null: the gateway default. */
  rateLimitPerSecond?: number | null;
  /** The integration speaking with this key (switchboard); absent: not an integration. */
  integrationId?: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface MediaRecord {
  id: string;
  contentType: string;
  filename: string | null;
  size: number;
  body: Uint8Array;
  createdAt: string;
}

/** An app that answers customers (switchboard). */
export interface Integration {
  id: string;
  name: string;
  /** Where control passes by default (pass without `to`, response timeout). */
  next: string | null;
  /** As given, e.g. "2m"; control passes to `next` when nothing was sent this long after a customer message. */
  responseTimeout: string | null;
  /** `active`: events only while in control or pending; `all`: every event (standby listeners). */
  receives: 'active' | 'all';
  createdAt: string;
  updatedAt: string;
}

export interface SwitchboardSettings {
  enabled: boolean;
  defaultIntegrationId: string | null;
  updatedAt: string;
}

/** Control of one conversation, with what the response timeout needs. */
export interface ControlRecord extends ConversationControl {
  conversationId: string;
  /** The first customer message not yet answered by the active integration. */
  awaitingMessageId: string | null;
  awaitingSince: string | null;
  updatedAt: string;
}

export interface ConversationQuery {
  contactId?: string;
  status?: Conversation['status'];
  /** Page after this conversation id (ids are time-ordered). */
  after?: string;
  limit: number;
}

/** Reads, on a consistent snapshot of committed data. */
export interface StoreReader extends AnalyticsReader, NotificationReader {
  getContact(id: string): Promise<ContactRecord | undefined>;
  listIdentities(contactId: string): Promise<Identity[]>;
  /**
   * The identity of an address and its contact. `latestConversationIn`: the caller reads the
   * contact's latest conversation in that inbox next, and a store may read it in the same query.
   */
  findIdentity(
    address: Address,
    options?: { latestConversationIn?: string },
  ): Promise<{ contactId: string; identity: Identity } | undefined>;
  getConversation(id: string): Promise<Conversation | undefined>;
  /** The contact's most recent conversation (by last message) in an inbox. */
  findLatestConversation(contactId: string, inboxId: string): Promise<Conversation | undefined>;
  listConversations(query: ConversationQuery): Promise<Conversation[]>;
  getMessage(id: string): Promise<Message | undefined>;
  findMessageByExternalId(connectorId: string, externalId: string): Promise<Message | undefined>;
  /** Messages of a conversation, oldest first (by createdAt, then id). */
  listConversationMessages(
    conversationId: string,
    options: { after?: string; limit: number },
  ): Promise<Message[]>;
  /** The contact's latest inbound message, optionally on one channel or connector. */
  findLatestInbound(
    contactId: string,
    filter?: { channel?: Channel; connectorId?: string },
  ): Promise<Message | undefined>;
  /** True when an outbound message created before `messageId` in the conversation is still queued. */
  hasEarlierQueued(conversationId: string, messageId: string): Promise<boolean>;
  /** The latest outbound message of a conversation. */
  findLatestOutbound(conversationId: string): Promise<Message | undefined>;
  /** Events with a cursor greater than `after`, in cursor order. */
  listEvents(after: number, limit: number): Promise<ThreadlineEvent[]>;
  latestCursor(): Promise<number>;
  getIdempotency(key: string): Promise<IdempotencyRecord | undefined>;
  listWebhooks(): Promise<WebhookSubscription[]>;
  getWebhook(id: string): Promise<WebhookSubscription | undefined>;
  listDeadLetters(subscriptionId: string): Promise<DeadLetter[]>;
  findApiKey(hash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  getMedia(id: string): Promise<MediaRecord | undefined>;
  listQuarantine(options: { connectorId?: string; limit: number }): Promise<QuarantineEntry[]>;
  getQuarantine(id: string): Promise<QuarantineEntry | undefined>;
  /** Jobs not yet done (for inspection and tests). */
  listJobs(): Promise<Job[]>;
  /** One job of the outbox by id (absent once completed). */
  getJob(id: string): Promise<Job | undefined>;
  listIntegrations(): Promise<Integration[]>;
  getIntegration(id: string): Promise<Integration | undefined>;
  getSwitchboard(): Promise<SwitchboardSettings | undefined>;
  getControl(conversationId: string): Promise<ControlRecord | undefined>;
}

/** Reads and writes inside one transaction. */
export interface StoreTransaction extends StoreReader, AnalyticsWriter, NotificationWriter {
  insertContact(contact: ContactRecord): Promise<void>;
  updateContact(contact: ContactRecord): Promise<void>;
  /** Adds an identity; an identity already on another contact is a conflict the engine resolves first. */
  insertIdentity(contactId: string, identity: Identity): Promise<void>;
  moveIdentities(fromContactId: string, toContactId: string): Promise<Identity[]>;
  insertConversation(conversation: Conversation): Promise<void>;
  updateConversation(conversation: Conversation): Promise<void>;
  /** Reassign every conversation and message of one contact to another; returns the moved conversation ids. */
  reassignContact(fromContactId: string, toContactId: string): Promise<string[]>;
  /** Move every message of one conversation into another. */
  moveMessages(fromConversationId: string, toConversationId: string): Promise<number>;
  insertMessage(message: Message): Promise<void>;
  updateMessage(message: Message): Promise<void>;
  appendEvent<T extends EventType>(
    type: T,
    data: EventData<T>,
    time: string,
    id: string,
  ): Promise<ThreadlineEvent>;
  insertJob(job: NewJob): Promise<void>;
  /** Claim up to `limit` due jobs, leasing each until `leaseUntil` (a crashed worker's jobs run again). */
  claimJobs(now: string, leaseUntil: string, limit: number): Promise<Job[]>;
  completeJob(id: string): Promise<void>;
  /** Run a job again at `runAt`; `countAttempt` false for waits that are not failures. */
  rescheduleJob(
    id: string,
    runAt: string,
    lastError: string,
    countAttempt?: boolean,
  ): Promise<void>;
  insertPendingStatus(status: PendingStatus): Promise<void>;
  takePendingStatuses(connectorId: string, externalId: string): Promise<PendingStatus[]>;
  putIdempotency(record: IdempotencyRecord): Promise<void>;
  /** Stores the subscription, settings and progress. */
  insertWebhook(subscription: WebhookSubscription): Promise<void>;
  /** Changes the settings; the stored progress stays as it is. */
  updateWebhook(subscription: WebhookSubscription): Promise<void>;
  /** Records delivery progress; false when the subscription is gone. */
  saveWebhookProgress(id: string, progress: WebhookProgress): Promise<boolean>;
  deleteWebhook(id: string): Promise<boolean>;
  insertDeadLetter(entry: DeadLetter): Promise<void>;
  insertApiKey(key: ApiKeyRecord): Promise<void>;
  updateApiKey(key: ApiKeyRecord): Promise<void>;
  insertMedia(media: MediaRecord): Promise<void>;
  insertQuarantine(entry: QuarantineEntry): Promise<void>;
  updateQuarantine(entry: QuarantineEntry): Promise<void>;
  /** Insert or replace. */
  putIntegration(integration: Integration): Promise<void>;
  deleteIntegration(id: string): Promise<boolean>;
  putSwitchboard(settings: SwitchboardSettings): Promise<void>;
  /** Insert or replace the control of a conversation. */
  putControl(control: ControlRecord): Promise<void>;
}

/**
 * The store port. `write` runs `work` in a transaction; a store may commit many concurrent
 * writes together (group commit), but each resolves only after its own work has committed,
 * and a failing work rolls back alone.
 */
export interface Store {
  readonly kind: string;
  write<T>(work: (transaction: StoreTransaction) => Promise<T>): Promise<T>;
  /**
   * Runs `work` in a transaction of its own, outside the group commit: for background work
   * (the analytics fold) that must never hold back or break up the transactions of requests.
   * Optional: a store without it runs such work with `write`.
   */
  writeApart?<T>(work: (transaction: StoreTransaction) => Promise<T>): Promise<T>;
  /**
   * The least time between the starts of two background transactions (`writeApart`) this
   * store asks for, in ms: where a transaction costs round trips over a network, the analytics
   * fold commits less often and folds more events each time. Optional (20 ms).
   */
  readonly backgroundPaceMs?: number;
  readonly read: StoreReader;
  /** Resolves when the store answers (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const constraintMarker = Symbol.for('threadline.store_constraint');

/**
 * A write broke a rule the store enforces (one open conversation per contact and inbox, one
 * message per provider id) and running it again cannot cure it: it is not a race with a
 * concurrent write. A store throws it instead of retrying; the message is not stored, and the
 * caller keeps the input (quarantine) with `constraint` and the message as the reason.
 */
export class StoreConstraintError extends ThreadlineError {
  readonly [constraintMarker] = true;
  override name = 'StoreConstraintError';
  /** The store's name for the rule (`one_open_conversation`). */
  readonly constraint: string;

  constructor(constraint: string, message: string, options: { cause?: unknown } = {}) {
    super('conflict', `${constraint}: ${message}`, {
      details: { constraint, retryable: false },
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.constraint = constraint;
  }

  /** True for this error from any copy of the package. */
  static isStoreConstraintError(error: unknown): error is StoreConstraintError {
    return typeof error === 'object' && error !== null && constraintMarker in error;
  }
}
