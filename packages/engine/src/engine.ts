import type { ConnectorV1, InboundEvent, IngestReceipt } from '@threadline/connector-kit';
import type {
  Address,
  Contact,
  Conversation,
  EventData,
  FallbackCondition,
  FallbackRule,
  ThreadlineEvent,
} from '@threadline/schema';
import { createAnalytics } from './analytics/analytics-api.js';
import type { RollupDeltas } from './analytics/fold-event.js';
import { createAnalyticsProjector } from './analytics/projector.js';
import { type BackoffPolicy, defaultSendBackoff } from './backoff.js';
import { createIdGenerator, systemClock } from './clock.js';
import { reopenOnRequest, resolveConversation as resolve } from './conversations.js';
import {
  connectorOrThrow,
  type EngineContext,
  EngineError,
  type EngineLog,
} from './engine-context.js';
import {
  defaultIdentityPolicy,
  type IdentityPolicy,
  linkAddress,
  liveContact,
  mergeContacts as merge,
  toContact,
} from './identity.js';
import { ingestEvent } from './inbound.js';
import { createStoreJobQueue, type JobQueue, type SendRateLimiter } from './job-queue.js';
import { createNotifications } from './notifications/notifications.js';
import {
  defaultNotificationDefaults,
  type NotificationDefaults,
} from './notifications/preferences.js';
import type { SendRequest } from './outbound.js';
import type { Clock, IdGenerator, Store } from './ports.js';
import { RateLimiter } from './rate-limiter.js';
import { createJobRuns } from './run-jobs.js';
import { type SendOptions, send } from './send.js';
import { createSwitchboard } from './switchboard/switchboard.js';
import { createUnitOfWork, type Unit } from './unit-of-work.js';

export { EngineError } from './engine-context.js';
export { defaultIdentityPolicy, type IdentityPolicy } from './identity.js';
export type { SendRequest } from './outbound.js';
export type { FallbackCondition, FallbackRule };

export interface EngineOptions {
  store: Store;
  /** Connectors by id, in configuration order (routing prefers the first of a channel). */
  connectors: Map<string, ConnectorV1> | (() => Map<string, ConnectorV1>);
  clock?: Clock;
  ids?: IdGenerator;
  /** A new inbound message within this window joins or reopens the conversation. Default 24 h. */
  continuityWindowMs?: number;
  identityPolicy?: Partial<IdentityPolicy>;
  sendBackoff?: BackoffPolicy;
  /** How long a claimed job is leased before another worker may take it. */
  jobLeaseMs?: number;
  /** Provider calls in flight at once per worker (jobs of different conversations). Default 16. */
  sendConcurrency?: number;
  /** The outbound job queue; default: the store's own outbox (embedded). */
  queue?: JobQueue;
  /** Per-connector send rate limits; default: in this process. */
  rateLimiter?: SendRateLimiter;
  inboxId?: string;
  random?: () => number;
  /** Called with the events of every commit, in cursor order, after the commit. */
  onCommitted?: (events: ThreadlineEvent[]) => void;
  log?: EngineLog;
  /**
   * Analytics rollups folded from the event log after each commit, in transactions of their
   * own (default true; off only to measure their cost).
   */
  analytics?: boolean;
  /** Called after each analytics fold with its deltas, one per sample (live metrics). */
  onAnalytics?: (deltas: RollupDeltas) => void;
  /** Notification defaults (`THREADLINE_NOTIFY_*`); unset ones take the built-in defaults. */
  notifications?: Partial<NotificationDefaults>;
}

export type Engine = ReturnType<typeof createEngine>;

const dayMs = 24 * 60 * 60 * 1000;

/**
 * The functional core. Depends only on its ports (store, clock, ids) and the connector
 * contract; knows no provider and no HTTP. This function only wires the modules: every rule
 * lives in the module named for it.
 */
export function createEngine(options: EngineOptions) {
  const store = options.store;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? createIdGenerator(clock);
  const queue: JobQueue = options.queue ?? createStoreJobQueue(store);
  const connectors = () =>
    typeof options.connectors === 'function' ? options.connectors() : options.connectors;
  const log = options.log ?? (() => {});
  const projector =
    options.analytics === false
      ? undefined
      : createAnalyticsProjector({
          store,
          token: ids.next(),
          onDeltas: options.onAnalytics,
          log,
          paceMs: store.backgroundPaceMs,
        });
  const work = createUnitOfWork({
    store,
    clock,
    ids,
    queue,
    onCommitted: (events) => {
      projector?.notify(events);
      options.onCommitted?.(events);
    },
  });
  const context: EngineContext = {
    ...work,
    switchboard: createSwitchboard<Unit>({ ids, read: store.read, ...work }),
    store,
    clock,
    ids,
    queue,
    limiter: options.rateLimiter ?? new RateLimiter(),
    windowMs: options.continuityWindowMs ?? dayMs,
    policy: { ...defaultIdentityPolicy, ...options.identityPolicy },
    backoff: options.sendBackoff ?? defaultSendBackoff,
    inboxId: options.inboxId ?? 'default',
    random: options.random ?? Math.random,
    log,
    connectors,
    notificationDefaults: { ...defaultNotificationDefaults, ...options.notifications },
  };
  const jobs = createJobRuns(context, {
    leaseMs: options.jobLeaseMs ?? 60_000,
    concurrency: Math.max(1, options.sendConcurrency ?? 16),
  });

  return {
    store,
    clock,
    ids,
    continuityWindowMs: context.windowMs,
    queue,
    connectors,
    relayOutbox: context.relayOutbox,
    switchboard: context.switchboard,
    analytics: createAnalytics(store, projector),
    /**
     * The analytics fold after commits (on by default). Off where another instance of several
     * folds for them all (the gateway leaves it to the instance holding its lease): this one
     * then keeps nothing for it, and its figures are still caught up when read.
     */
    analyticsFold: {
      here: (on: boolean) => projector?.foldHere(on),
      /** Another instance committed events: fold them, when this instance folds. */
      committedElsewhere: () => projector?.committedElsewhere(),
    },
    /** Stops background work that is not a job (the analytics fold); resolves when it is idle. */
    stop: async () => projector?.stop(),
    notifications: createNotifications(context),
    ...jobs,

    /**
     * Persist what a provider sent, in one transaction: dedupe, identity, continuity, message
     * and events. Resolves once durable — only then may the provider be acknowledged.
     */
    async ingest(connectorId: string, events: InboundEvent[]): Promise<IngestReceipt[]> {
      const connector = connectorOrThrow(context, connectorId);
      if (events.length === 0) return [];
      return context.transact(async (unit) => {
        const receipts: IngestReceipt[] = [];
        for (const event of events)
          receipts.push(await ingestEvent(context, unit, connector, event));
        return receipts;
      });
    },

    /** Send a message to a contact. Persisted as `queued` with a durable job before this resolves. */
    send: (request: SendRequest, sendOptions: SendOptions = {}) =>
      send(context, request, sendOptions),

    resolveConversation(id: string): Promise<Conversation> {
      return context.transact(async (unit) => {
        const conversation = await unit.tx.getConversation(id);
        if (!conversation) throw new EngineError('not_found', `no conversation ${id}`);
        return resolve(context, unit, conversation);
      });
    },

    /** Reopen a resolved conversation: only the contact's latest, and only if none is open. */
    reopenConversation(id: string): Promise<Conversation> {
      return context.transact(async (unit) => {
        const conversation = await unit.tx.getConversation(id);
        if (!conversation) throw new EngineError('not_found', `no conversation ${id}`);
        return reopenOnRequest(context, unit, conversation);
      });
    },

    async getContact(id: string): Promise<Contact | undefined> {
      const record = await liveContact(store.read, id);
      return record ? toContact(store.read, record) : undefined;
    },

    /** Join an address to a contact; an address another contact has merges the two. */
    linkIdentity(
      contactId: string,
      address: Address,
      linkOptions: { reason?: string; verified?: boolean } = {},
    ): Promise<Contact> {
      return context.transact(async (unit) => {
        const contact = await liveContact(unit.tx, contactId);
        if (!contact) throw new EngineError('not_found', `no contact ${contactId}`);
        const linked = await linkAddress(context, unit, contact, address, {
          source: 'api',
          verified: linkOptions.verified ?? true,
          reason: linkOptions.reason ?? 'linked through the API',
        });
        return toContact(unit.tx, linked);
      });
    },

    mergeContacts(
      survivorId: string,
      mergedId: string,
      reason = 'merged through the API',
    ): Promise<Contact> {
      return context.transact(async (unit) => {
        for (const id of [survivorId, mergedId]) {
          if (!(await liveContact(unit.tx, id)))
            throw new EngineError('not_found', `no contact ${id}`);
        }
        return toContact(unit.tx, await merge(context, unit, survivorId, mergedId, reason));
      });
    },

    async reportConnectorStatus(
      connectorId: string,
      status: EventData<'connector.status_changed'>['status'],
      detail: string | null,
    ): Promise<void> {
      await context.transact((unit) =>
        context.emit(unit, 'connector.status_changed', { connectorId, status, detail }),
      );
    },
  };
}
