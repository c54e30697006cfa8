import { createHash } from 'node:crypto';
import type {
  Clock,
  DeadLetter,
  IdGenerator,
  Store,
  WebhookDeliveryAttempt,
  WebhookDeliveryFailure,
  WebhookProgress,
  WebhookSubscription,
} from '@threadline/engine';
import type { ThreadlineEvent } from '@threadline/schema';
import type { GatewayConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { postWebhook, type WebhookOutcome } from './post-webhook.js';
import { selectFor } from './should-deliver.js';
import { createWebhookSigner } from './sign-webhook.js';
import { createCircuitBreaker } from './webhook-circuit.js';
import { webhookLane } from './webhook-lane.js';

/** Events read ahead of the low-water mark and not yet delivered, at most. */
const readAheadLimit = 10_000;
const pageSize = 500;
/** Failed requests in a row (on at least two lanes) that pause the whole subscription. */
const circuitThreshold = 5;
/** Wait before writing progress again after the store refused a write. */
const saveRetryMs = 1_000;
/** Requests kept in the delivery log (`GET /v1/webhooks/:id/deliveries`). */
const recentLimit = 50;

export interface SubscriptionDeliveryOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  retry: GatewayConfig['webhookRetry'];
  log: Logger;
  metrics: Metrics;
  fetch: typeof fetch;
  timeoutMs: number;
  /** Called with every piece of background work, so the dispatcher can wait for it. */
  track: (work: Promise<unknown>) => void;
  /** Called when this subscription wants to run again at `at` (epoch ms by the clock). */
  wakeAt: (at: number) => void;
}

interface Lane {
  key: string;
  /** Read and not yet recorded as done, in cursor order; the head is the next to go. */
  queue: Entry[];
  /** A delivery holding the lane's head is out: sending, waiting to retry, or being recorded. */
  held: boolean;
}

interface Entry {
  event: ThreadlineEvent;
  lane: Lane;
  /** Delivered or dead-lettered (perhaps not yet recorded). */
  done: boolean;
  /** When it was read (epoch ms): a batch waits at most `maxWaitMs` from here. */
  readAt: number;
  failure: WebhookDeliveryFailure | null;
}

/** One request: one event, or a batch of events from one or more lanes. */
interface Delivery {
  messageId: string;
  entries: Entry[];
  lanes: Lane[];
  attempts: number;
  firstFailureAt: number | null;
  nextAttemptAt: number;
  lastError: string | null;
}

/**
 * Delivers one subscription: up to `maxInFlight` requests at once, one lane per conversation
 * (events of no conversation share a lane), each lane in cursor order and one delivery at a
 * time. A failing delivery retries with backoff and holds only its lane; after
 * `giveUpAfterMs` it is dead-lettered and the lane moves on. A lane goes on only once its
 * last delivery's outcome is recorded, so what a restart sends again is what was in flight:
 * the requests out (at most `maxInFlight`) and those answered since the last progress write
 * (one commit's worth, at most one per conversation). Progress (`WebhookProgress`) is a
 * low-water mark plus the events above it still pending.
 */
export function createSubscriptionDeliveries(
  initial: WebhookSubscription,
  options: SubscriptionDeliveryOptions,
) {
  let settings = initial;
  let signer = createWebhookSigner(settings.secret);
  const id = initial.id;
  const labels = { subscription: id };
  const circuit = createCircuitBreaker({
    threshold: circuitThreshold,
    baseMs: options.retry.baseMs,
    maxMs: options.retry.maxMs,
  });

  // A replay asked through the API starts over after its cursor; otherwise the stored progress.
  const replay = settings.replay;
  const replaying = replay !== null && replay.id !== settings.progress.replayId;
  const start: WebhookProgress = replaying
    ? { cursor: replay.after, readTo: replay.after, pending: [], failures: [], replayId: replay.id }
    : settings.progress;
  /** Every event at or below it is done, and recorded so. */
  let low = start.cursor;
  let readTo = start.cursor;
  /** Events up to `until` were read before a restart: only the pending ones go out again. */
  let restore: {
    until: number;
    pending: Set<number>;
    failures: Map<number, WebhookDeliveryFailure>;
  } | null =
    start.readTo > start.cursor
      ? {
          until: start.readTo,
          pending: new Set(start.pending),
          failures: new Map(start.failures.map((failure) => [failure.cursor, failure])),
        }
      : null;
  const replayId = start.replayId;
  /** The delivery log, newest last; kept across restarts in the stored progress. */
  const recent: WebhookDeliveryAttempt[] = [...(settings.progress.recent ?? [])];

  const entries = new Map<number, Entry>();
  const lanes = new Map<string, Lane>();
  const ready = new Set<Lane>();
  const waiting = new Set<Delivery>();
  let recording: Delivery[] = [];
  let deadLetters: DeadLetter[] = [];
  let inFlight = 0;
  let logDirty = true;
  let reading = false;
  let saving = false;
  let saveDirty = replaying;
  let closed = false;
  /** Stopping: what is out finishes and is recorded, nothing new starts. */
  let draining = false;
  /** Commit time of the oldest event known to be committed but not yet read. */
  let unreadSince: number | null = null;

  const now = () => options.clock.now().getTime();

  /** The subscription's event types; the switchboard's rule comes on top (`selectFor`). */
  function matches(event: ThreadlineEvent): boolean {
    return settings.eventTypes.length === 0 || settings.eventTypes.includes(event.type);
  }

  function add(event: ThreadlineEvent, at: number, failure: WebhookDeliveryFailure | null) {
    const key = webhookLane(event);
    let lane = lanes.get(key);
    if (!lane) {
      lane = { key, queue: [], held: false };
      lanes.set(key, lane);
    }
    const entry: Entry = { event, lane, done: false, readAt: at, failure };
    entries.set(event.cursor, entry);
    lane.queue.push(entry);
    if (!lane.held) ready.add(lane);
  }

  function maybeRead(): void {
    if (reading || closed || !settings.enabled || !logDirty || entries.size >= readAheadLimit)
      return;
    reading = true;
    logDirty = false;
    options.track(read());
  }

  async function read(): Promise<void> {
    try {
      for (;;) {
        const events = await options.store.read.listEvents(readTo, pageSize);
        if (closed) return;
        const restoring = restore;
        const wanted = new Set(
          await selectFor(
            options.store,
            settings.integrationId,
            events.filter(
              (event) => !(restoring && event.cursor <= restoring.until) && matches(event),
            ),
          ),
        );
        if (closed) return;
        const at = now();
        for (const event of events) {
          if (restore && event.cursor <= restore.until) {
            if (restore.pending.has(event.cursor))
              add(event, at, restore.failures.get(event.cursor) ?? null);
          } else if (wanted.has(event)) add(event, at, null);
        }
        if (events.length > 0) readTo = events.at(-1)!.cursor;
        const full = events.length === pageSize;
        if (restore && (readTo >= restore.until || !full)) {
          readTo = Math.max(readTo, restore.until);
          restore = null;
        }
        if (full) logDirty = true;
        else unreadSince = null;
        // nothing goes out before the events read before the restart are all back in their lanes
        if (!restore) break;
      }
    } catch (error) {
      logDirty = true;
      options.log.warn(
        { subscriptionId: id, error: String(error) },
        'could not read the event log',
      );
    } finally {
      reading = false;
    }
    pump();
  }

  /** The next delivery to make from the lanes ready now, or null. */
  function compose(at: number, flush: boolean): Delivery | null {
    if (ready.size === 0) return null;
    const batch = settings.batch;
    if (!batch) {
      const lane = ready.values().next().value!;
      ready.delete(lane);
      lane.held = true;
      const entry = lane.queue[0]!;
      return fromEntries([entry], [lane], entry.event.id);
    }
    let count = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const lane of ready) {
      count += lane.queue.length;
      oldest = Math.min(oldest, lane.queue[0]!.readAt);
      if (count >= batch.maxEvents) break;
    }
    if (count < batch.maxEvents && !flush && at - oldest < batch.maxWaitMs) {
      options.wakeAt(oldest + batch.maxWaitMs);
      return null;
    }
    const taken: Entry[] = [];
    const held: Lane[] = [];
    for (const lane of ready) {
      if (taken.length >= batch.maxEvents) break;
      ready.delete(lane);
      lane.held = true;
      held.push(lane);
      // the lane's next events, oldest first, as far as the batch has room
      taken.push(...lane.queue.slice(0, batch.maxEvents - taken.length));
    }
    taken.sort((a, b) => a.event.cursor - b.event.cursor);
    // the same events make the same id: stable across retries, and across a restart that
    // finds the same events pending
    const messageId = `batch_${createHash('sha256')
      .update(taken.map((entry) => entry.event.id).join(','))
      .digest('base64url')
      .slice(0, 32)}`;
    return fromEntries(taken, held, messageId);
  }

  function fromEntries(taken: Entry[], held: Lane[], messageId: string): Delivery {
    const failures = taken.flatMap((entry) => (entry.failure ? [entry.failure] : []));
    return {
      messageId,
      entries: taken,
      lanes: held,
      attempts: Math.max(0, ...failures.map((failure) => failure.attempts)),
      firstFailureAt:
        failures.length > 0
          ? Math.min(...failures.map((failure) => Date.parse(failure.firstFailureAt)))
          : null,
      nextAttemptAt: Math.max(0, ...failures.map((failure) => Date.parse(failure.nextAttemptAt))),
      lastError: failures.at(-1)?.lastError ?? null,
    };
  }

  function send(delivery: Delivery): void {
    inFlight += 1;
    const sentAt = now();
    const probe = circuit.started();
    const body =
      settings.batch === null
        ? JSON.stringify(delivery.entries[0]!.event)
        : `[${delivery.entries.map((entry) => JSON.stringify(entry.event)).join(',')}]`;
    options.track(
      postWebhook({
        fetch: options.fetch,
        url: settings.url,
        sign: signer,
        messageId: delivery.messageId,
        body,
        timestamp: options.clock.now(),
        timeoutMs: options.timeoutMs,
      }).then((outcome) => settle(delivery, outcome, probe, sentAt)),
    );
  }

  /** One request in the delivery log (`GET /v1/webhooks/:id/deliveries`). */
  function log(
    delivery: Delivery,
    outcome: WebhookOutcome,
    kind: WebhookDeliveryAttempt['outcome'],
    sentAt: number,
    at: number,
  ): void {
    recent.push({
      webhookId: delivery.messageId,
      eventIds: delivery.entries.map((entry) => entry.event.id),
      eventTypes: [...new Set(delivery.entries.map((entry) => entry.event.type))],
      at: new Date(sentAt).toISOString(),
      outcome: kind,
      attempt: delivery.attempts + 1,
      statusCode: outcome.statusCode ?? null,
      latencyMs: Math.max(0, at - sentAt),
      error: outcome.ok ? null : outcome.error,
    });
    if (recent.length > recentLimit) recent.splice(0, recent.length - recentLimit);
  }

  function settle(
    delivery: Delivery,
    outcome: WebhookOutcome,
    probe: boolean,
    sentAt: number,
  ): void {
    const at = now();
    // a delivery failing since longer than giveUpAfterMs is dead-lettered
    const givesUp =
      !outcome.ok && at - (delivery.firstFailureAt ?? at) >= options.retry.giveUpAfterMs;
    log(
      delivery,
      outcome,
      outcome.ok ? 'delivered' : givesUp ? 'dead_lettered' : 'failed',
      sentAt,
      at,
    );
    if (closed) return;
    inFlight -= 1;
    options.metrics.webhookDeliveries.inc({ outcome: outcome.ok ? 'delivered' : 'failed' });
    if (outcome.ok) {
      circuit.answered();
      complete(delivery, null);
      return;
    }
    if (outcome.endpointDown)
      circuit.failed(at, delivery.lanes[0]!.key, probe, outcome.retryAfterMs);
    else circuit.answered();
    delivery.attempts += 1;
    delivery.firstFailureAt ??= at;
    delivery.lastError = outcome.error;
    if (givesUp) {
      complete(delivery, outcome.error);
      return;
    }
    const backoff = Math.min(
      options.retry.maxMs,
      options.retry.baseMs * 2 ** (delivery.attempts - 1),
    );
    delivery.nextAttemptAt = at + Math.max(backoff, outcome.retryAfterMs ?? 0);
    const failure = {
      attempts: delivery.attempts,
      firstFailureAt: new Date(delivery.firstFailureAt).toISOString(),
      nextAttemptAt: new Date(delivery.nextAttemptAt).toISOString(),
      lastError: outcome.error,
    };
    for (const entry of delivery.entries)
      entry.failure = { cursor: entry.event.cursor, ...failure };
    options.metrics.webhookRetries.inc(labels);
    waiting.add(delivery);
    options.wakeAt(delivery.nextAttemptAt);
    requestSave();
    pump();
  }

  /** Delivered, or dead-lettered with `error`: recorded before the lanes move on. */
  function complete(delivery: Delivery, error: string | null): void {
    for (const entry of delivery.entries) {
      entry.done = true;
      if (error !== null) {
        deadLetters.push({
          id: options.ids.next(),
          subscriptionId: id,
          eventId: entry.event.id,
          cursor: entry.event.cursor,
          attempts: delivery.attempts,
          lastError: error,
          createdAt: options.clock.now().toISOString(),
        });
        options.metrics.webhookDeadLetters.inc(labels);
      }
    }
    if (error !== null)
      options.log.warn(
        { subscriptionId: id, webhookId: delivery.messageId, attempts: delivery.attempts },
        'webhook delivery dead-lettered',
      );
    recording.push(delivery);
    requestSave();
    // the request's slot is free; its lanes wait for the record
    pump();
  }

  /** The progress as of now: the low-water mark and what is still pending above it. */
  function snapshot(): WebhookProgress {
    let cursor = low;
    let undone = false;
    const pending: number[] = [];
    const failures: WebhookDeliveryFailure[] = [];
    for (const entry of entries.values()) {
      if (entry.done) {
        if (!undone) cursor = entry.event.cursor;
        continue;
      }
      undone = true;
      pending.push(entry.event.cursor);
      if (entry.failure) failures.push(entry.failure);
    }
    if (!undone) cursor = Math.max(cursor, readTo);
    return { cursor, readTo, pending, failures, replayId, recent: [...recent] };
  }

  function requestSave(): void {
    saveDirty = true;
    if (!saving && !closed) options.track(save());
  }

  async function save(): Promise<void> {
    saving = true;
    try {
      while (saveDirty && !closed) {
        saveDirty = false;
        const progress = snapshot();
        const recorded = recording;
        const letters = deadLetters;
        recording = [];
        deadLetters = [];
        try {
          const exists = await options.store.write(async (tx) => {
            for (const letter of letters) await tx.insertDeadLetter(letter);
            return tx.saveWebhookProgress(id, progress);
          });
          if (!exists) {
            close();
            return;
          }
        } catch (error) {
          options.log.warn(
            { subscriptionId: id, error: String(error) },
            'could not record webhook progress; trying again',
          );
          recording = [...recorded, ...recording];
          deadLetters = [...letters, ...deadLetters];
          saveDirty = true;
          await new Promise((resolve) => setTimeout(resolve, saveRetryMs));
          continue;
        }
        low = progress.cursor;
        release(recorded);
        pump();
      }
    } finally {
      saving = false;
    }
  }

  /** Recorded deliveries let their lanes go on with the next events. */
  function release(recorded: Delivery[]): void {
    for (const delivery of recorded) {
      for (const entry of delivery.entries) {
        entries.delete(entry.event.cursor);
        const queue = entry.lane.queue;
        queue.splice(queue.indexOf(entry), 1);
      }
      for (const lane of delivery.lanes) {
        lane.held = false;
        if (lane.queue.length > 0) ready.add(lane);
        else lanes.delete(lane.key);
      }
    }
  }

  let flushing = false;

  /** Start what can start now: due retries first, then the lanes' next events; read ahead. */
  function pump(): void {
    if (draining) return;
    if (closed || !settings.enabled || restore) {
      maybeRead();
      return;
    }
    const at = now();
    while (inFlight < settings.maxInFlight && circuit.allows(at)) {
      let delivery: Delivery | null = null;
      for (const candidate of waiting) {
        if (candidate.nextAttemptAt <= at) {
          delivery = candidate;
          waiting.delete(candidate);
          break;
        }
      }
      delivery ??= compose(at, flushing);
      if (!delivery) break;
      if (delivery.nextAttemptAt > at) {
        // restored from before a restart, still waiting for its retry time
        waiting.add(delivery);
        options.wakeAt(delivery.nextAttemptAt);
        continue;
      }
      send(delivery);
    }
    if (circuit.state === 'open') options.wakeAt(circuit.openUntil);
    maybeRead();
  }

  /** Seconds between the oldest event not yet delivered and now. */
  function lagSeconds(): number {
    let oldest = unreadSince ?? Number.POSITIVE_INFINITY;
    for (const entry of entries.values()) {
      if (entry.done) continue;
      oldest = Math.min(oldest, Date.parse(entry.event.time));
      break;
    }
    return Number.isFinite(oldest) ? Math.max(0, (now() - oldest) / 1000) : 0;
  }

  function close(): void {
    closed = true;
    options.metrics.webhookInFlight.remove(labels);
    options.metrics.webhookLag.remove(labels);
  }

  const deliveries = {
    id,
    replayId: replaying ? replay.id : settings.progress.replayId,
    /** New settings from the store (URL, secret, concurrency, batching, types, enabled). */
    update(next: WebhookSubscription): void {
      if (next.secret !== settings.secret) signer = createWebhookSigner(next.secret);
      settings = next;
      pump();
    },
    /** Events committed (`events` when known, [] for another instance's commits). */
    logChanged(events: ThreadlineEvent[]): void {
      if (closed) return;
      logDirty = true;
      const first = events.find((event) => event.cursor > readTo);
      if (unreadSince === null && first) unreadSince = Date.parse(first.time);
      maybeRead();
    },
    /** Look for due retries, an ended pause and unread events; `flush` sends partial batches. */
    pump(flush = false): void {
      flushing = flush;
      try {
        pump();
      } finally {
        flushing = false;
      }
    },
    lagSeconds,
    get inFlight(): number {
      return inFlight;
    },
    /** Events read and not yet recorded as delivered or dead-lettered (as the stored progress counts them). */
    get pending(): number {
      return entries.size;
    },
    get low(): number {
      return low;
    },
    close,
    /** Start nothing new; deliveries already out finish and are recorded. */
    drain(): void {
      draining = true;
    },
    get closed(): boolean {
      return closed;
    },
    /** Publish this subscription's gauges. */
    observe(): void {
      if (closed) return;
      options.metrics.webhookInFlight.set(labels, inFlight);
      options.metrics.webhookLag.set(labels, lagSeconds());
    },
  };
  if (replaying) requestSave();
  return deliveries;
}
export type SubscriptionDeliveries = ReturnType<typeof createSubscriptionDeliveries>;
