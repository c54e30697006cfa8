import { httpFetch } from '@threadline/connector-kit';
import type { Clock, EventHub, IdGenerator, Store, WebhookSubscription } from '@threadline/engine';
import type { ThreadlineEvent } from '@threadline/schema';
import { Webhook } from 'standardwebhooks';
import type { GatewayConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { deliversTo } from './should-deliver.js';

export interface WebhookDispatcherOptions {
  store: Store;
  hub: EventHub;
  clock: Clock;
  ids: IdGenerator;
  retry: GatewayConfig['webhookRetry'];
  log: Logger;
  metrics: Metrics;
  fetch?: typeof fetch;
  /** How often due retries are looked for. */
  pollMs?: number;
  timeoutMs?: number;
}

/**
 * Delivers the event log to webhook subscriptions, in cursor order, one event at a time per
 * subscription, signed per the Standard Webhooks spec. A failed delivery is retried with
 * exponential backoff; after `giveUpAfterMs` of failures the event is dead-lettered and the
 * subscription moves on. Progress is the subscription's cursor in the store, so a restart
 * resumes where it stopped.
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions) {
  const fetcher = options.fetch ?? httpFetch;
  const busy = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let stopped = true;
  const inFlight = new Set<Promise<void>>();

  function matches(subscription: WebhookSubscription, event: ThreadlineEvent): boolean {
    return subscription.eventTypes.length === 0 || subscription.eventTypes.includes(event.type);
  }

  async function post(
    subscription: WebhookSubscription,
    event: ThreadlineEvent,
  ): Promise<string | null> {
    const payload = JSON.stringify(event);
    const timestamp = options.clock.now();
    const signature = new Webhook(subscription.secret).sign(event.id, timestamp, payload);
    try {
      const response = await fetcher(subscription.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Threadline-Webhooks/1',
          'webhook-id': event.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok ? null : `HTTP ${response.status}`;
    } catch (error) {
      return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }

  async function deliver(subscriptionId: string): Promise<void> {
    let subscription = await options.store.read.getWebhook(subscriptionId);
    while (subscription?.enabled && !stopped) {
      const now = options.clock.now();
      if (subscription.nextAttemptAt && subscription.nextAttemptAt > now.toISOString()) return;
      const events = await options.store.read.listEvents(subscription.cursor, 100);
      if (events.length === 0) return;
      let cursor = subscription.cursor;
      let failure: { event: ThreadlineEvent; error: string } | null = null;
      for (const event of events) {
        if (
          !matches(subscription, event) ||
          !(await deliversTo(options.store, subscription.integrationId, event))
        ) {
          cursor = event.cursor;
          continue;
        }
        const error = await post(subscription, event);
        options.metrics.webhookDeliveries.inc({ outcome: error ? 'failed' : 'delivered' });
        if (error) {
          failure = { event, error };
          break;
        }
        cursor = event.cursor;
        subscription = {
          ...subscription,
          cursor,
          attempts: 0,
          nextAttemptAt: null,
          firstFailureAt: null,
          lastError: null,
        };
        await options.store.write((tx) => tx.updateWebhook(subscription!));
      }
      const latest: WebhookSubscription | undefined =
        await options.store.read.getWebhook(subscriptionId);
      if (!latest) return;
      if (!failure) {
        subscription = { ...latest, cursor: Math.max(latest.cursor, cursor) };
        await options.store.write((tx) => tx.updateWebhook(subscription!));
        continue;
      }
      const attempts = latest.attempts + 1;
      const firstFailureAt = latest.firstFailureAt ?? now.toISOString();
      const failingFor = now.getTime() - new Date(firstFailureAt).getTime();
      if (failingFor >= options.retry.giveUpAfterMs) {
        const deadLetter = {
          id: options.ids.next(),
          subscriptionId,
          eventId: failure.event.id,
          cursor: failure.event.cursor,
          attempts,
          lastError: failure.error,
          createdAt: now.toISOString(),
        };
        subscription = {
          ...latest,
          cursor: failure.event.cursor,
          attempts: 0,
          nextAttemptAt: null,
          firstFailureAt: null,
          lastError: failure.error,
        };
        await options.store.write(async (tx) => {
          await tx.insertDeadLetter(deadLetter);
          await tx.updateWebhook(subscription!);
        });
        options.log.warn(
          { subscriptionId, eventId: failure.event.id, attempts },
          'webhook event dead-lettered',
        );
        continue;
      }
      const delay = Math.min(options.retry.maxMs, options.retry.baseMs * 2 ** (attempts - 1));
      subscription = {
        ...latest,
        cursor: Math.max(latest.cursor, cursor),
        attempts,
        firstFailureAt,
        lastError: failure.error,
        nextAttemptAt: new Date(now.getTime() + delay).toISOString(),
      };
      await options.store.write((tx) => tx.updateWebhook(subscription!));
      options.log.info(
        { subscriptionId, attempts, delayMs: delay, error: failure.error },
        'webhook delivery failed; retrying',
      );
      return;
    }
  }

  function kick(subscriptionId: string): void {
    if (busy.has(subscriptionId) || stopped) return;
    busy.add(subscriptionId);
    const run = deliver(subscriptionId)
      .catch((error) =>
        options.log.error({ subscriptionId, error: String(error) }, 'webhook dispatcher failed'),
      )
      .finally(() => {
        busy.delete(subscriptionId);
        inFlight.delete(run);
      });
    inFlight.add(run);
  }

  // The subscriptions, read on every poll and after a change on this instance. A commit kicks
  // them without a query; one made on another instance is found by the next poll (deliveries
  // start from the subscription's cursor, so it misses nothing).
  let subscriptions: WebhookSubscription[] | undefined;

  async function kickAll(): Promise<void> {
    subscriptions = await options.store.read.listWebhooks();
    for (const subscription of subscriptions) kick(subscription.id);
  }

  function kickKnown(): void {
    if (!subscriptions) void kickAll();
    else for (const subscription of subscriptions) kick(subscription.id);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      unsubscribe = options.hub.subscribe(kickKnown);
      const poll = () => {
        void kickAll();
        timer = setTimeout(poll, options.pollMs ?? 500);
      };
      poll();
    },
    /** A subscription was created, changed or deleted on this instance: read them again. */
    subscriptionsChanged() {
      subscriptions = undefined;
      if (!stopped) void kickAll();
    },
    /** Deliver everything due now and wait for it (tests). */
    async runOnce() {
      const wasStopped = stopped;
      stopped = false;
      await kickAll();
      while (inFlight.size) await Promise.all([...inFlight]);
      stopped = wasStopped;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      unsubscribe?.();
      await Promise.all([...inFlight]);
    },
  };
}
export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
