import { httpFetch } from '@threadline/connector-kit';
import type { Clock, EventHub, IdGenerator, Store, WebhookSubscription } from '@threadline/engine';
import type { GatewayConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import {
  createSubscriptionDeliveries,
  type SubscriptionDeliveries,
} from './subscription-deliveries.js';

export interface WebhookDispatcherOptions {
  store: Store;
  hub: EventHub;
  clock: Clock;
  ids: IdGenerator;
  retry: GatewayConfig['webhookRetry'];
  log: Logger;
  metrics: Metrics;
  fetch?: typeof fetch;
  /** How often subscriptions are read again and due retries looked for. */
  pollMs?: number;
  timeoutMs?: number;
}

/**
 * Delivers the event log to webhook subscriptions, signed per the Standard Webhooks spec.
 * Each subscription runs its own deliveries (`subscription-deliveries.ts`): concurrent across
 * conversations, in order within one, retried per lane, paused as a whole when its endpoint
 * is down. This module keeps the set of subscriptions current (a poll, and changes made here),
 * wakes them on commits and at their retry times, and publishes their gauges. It runs where
 * the listeners' lease is (see scale-out.ts); a new holder resumes from the stored progress.
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions) {
  const fetcher = options.fetch ?? httpFetch;
  const pollMs = options.pollMs ?? 500;
  const subscriptions = new Map<string, SubscriptionDeliveries>();
  const work = new Set<Promise<unknown>>();
  let running = false;
  /** Between start and stop, or inside runOnce. */
  let active = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let wakeTimer: NodeJS.Timeout | undefined;
  let wakeTimerAt = Number.POSITIVE_INFINITY;
  let unsubscribe: (() => void) | undefined;
  let syncing: Promise<void> | undefined;

  function track(promise: Promise<unknown>): void {
    const tracked = promise
      .catch((error: unknown) =>
        options.log.error({ error: String(error) }, 'webhook dispatcher failed'),
      )
      .finally(() => work.delete(tracked));
    work.add(tracked);
  }

  function wakeAt(at: number): void {
    if (!running || at >= wakeTimerAt) return;
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimerAt = at;
    wakeTimer = setTimeout(
      () => {
        wakeTimer = undefined;
        wakeTimerAt = Number.POSITIVE_INFINITY;
        for (const deliveries of subscriptions.values()) deliveries.pump();
      },
      Math.max(0, at - options.clock.now().getTime()),
    );
  }

  function open(subscription: WebhookSubscription): SubscriptionDeliveries {
    return createSubscriptionDeliveries(subscription, {
      store: options.store,
      clock: options.clock,
      ids: options.ids,
      retry: options.retry,
      log: options.log,
      metrics: options.metrics,
      fetch: fetcher,
      timeoutMs: options.timeoutMs ?? 10_000,
      track,
      wakeAt,
    });
  }

  /** Reads the subscriptions: new ones start, changed ones take their settings, replays restart. */
  async function sync(): Promise<void> {
    const stored = await options.store.read.listWebhooks();
    if (!active) return;
    const seen = new Set<string>();
    for (const subscription of stored) {
      seen.add(subscription.id);
      const current = subscriptions.get(subscription.id);
      const replayId = subscription.replay?.id ?? null;
      const replayAsked = replayId !== null && replayId !== current?.replayId;
      if (current && !current.closed && !replayAsked) {
        current.update(subscription);
        continue;
      }
      current?.close();
      subscriptions.set(subscription.id, open(subscription));
    }
    for (const [id, deliveries] of subscriptions) {
      if (seen.has(id)) continue;
      deliveries.close();
      subscriptions.delete(id);
    }
  }

  /** One sync at a time; a change while one runs is picked up by another right after. */
  function resync(): Promise<void> {
    const next = (syncing ?? Promise.resolve()).then(sync);
    const settled = next.catch((error: unknown) =>
      options.log.warn({ error: String(error) }, 'could not read webhook subscriptions'),
    );
    syncing = settled;
    track(settled);
    return settled;
  }

  function stopTimers(): void {
    if (pollTimer) clearTimeout(pollTimer);
    if (wakeTimer) clearTimeout(wakeTimer);
    pollTimer = undefined;
    wakeTimer = undefined;
    wakeTimerAt = Number.POSITIVE_INFINITY;
  }

  return {
    start() {
      if (running) return;
      running = true;
      active = true;
      unsubscribe = options.hub.subscribe((events) => {
        for (const deliveries of subscriptions.values()) deliveries.logChanged(events);
      });
      const poll = () => {
        void resync().then(() => {
          // commits another instance made without a signal are found here
          for (const deliveries of subscriptions.values()) {
            deliveries.logChanged([]);
            deliveries.pump();
            deliveries.observe();
          }
        });
        pollTimer = setTimeout(poll, pollMs);
      };
      poll();
    },
    /** A subscription was created, changed or deleted on this instance: read them again. */
    subscriptionsChanged() {
      if (active) void resync();
    },
    /** Delivery state of a subscription delivered by this instance, or undefined. */
    status(
      id: string,
    ): { lagSeconds: number; inFlight: number; cursor: number; pending: number } | undefined {
      const deliveries = subscriptions.get(id);
      if (!deliveries || deliveries.closed) return undefined;
      return {
        lagSeconds: deliveries.lagSeconds(),
        inFlight: deliveries.inFlight,
        cursor: deliveries.low,
        pending: deliveries.pending,
      };
    },
    /** Deliver everything due now, partial batches included, and wait for it (tests). */
    async runOnce() {
      const wasActive = active;
      active = true;
      try {
        await resync();
        for (const deliveries of subscriptions.values()) {
          deliveries.logChanged([]);
          deliveries.pump(true);
        }
        while (work.size > 0) {
          await Promise.all([...work]);
          for (const deliveries of subscriptions.values()) deliveries.pump(true);
        }
      } finally {
        active = wasActive;
      }
    },
    /** Stop sending, wait for what is out and its record; a later start resumes from the store. */
    async stop() {
      running = false;
      active = false;
      stopTimers();
      unsubscribe?.();
      unsubscribe = undefined;
      for (const deliveries of subscriptions.values()) deliveries.drain();
      while (work.size > 0) await Promise.all([...work]);
      for (const deliveries of subscriptions.values()) deliveries.close();
      subscriptions.clear();
    },
  };
}
export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
