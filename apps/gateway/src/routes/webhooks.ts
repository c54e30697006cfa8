import { randomBytes } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import { EngineError, type WebhookSubscription } from '@threadline/engine';
import type { EventType } from '@threadline/schema';
import { z } from 'zod';
import {
  redeliverBodySchema,
  webhookBodySchema,
  webhookSchema,
  webhookUpdateSchema,
} from '../api-schemas.js';
import { httpError } from '../http-errors.js';
import { webhookUrlProblem } from '../webhook-url-guard.js';
import { requireIntegration } from './integrations.js';
import { type App, bearer, errorResponses, json, type RouteRuntime } from './route-helpers.js';

const idParams = z.object({ id: z.string().min(1) });

const deliveryAttemptSchema = z
  .object({
    webhookId: z.string().describe('the request’s `webhook-id`: the event id, or the batch id'),
    eventIds: z.array(z.string()),
    eventTypes: z.array(z.string()),
    at: z.string().describe('when the request was sent'),
    outcome: z.enum(['delivered', 'failed', 'dead_lettered']),
    attempt: z.number().int().positive(),
    statusCode: z.number().int().nullable(),
    latencyMs: z.number(),
    error: z.string().nullable(),
  })
  .meta({ id: 'WebhookDeliveryAttempt' });

/**
 * What the API shows of a subscription: its settings and delivery state, never the secret.
 * Lag and the low-water mark come from the dispatcher when it runs here, else from the
 * stored progress (the lease holder writes it as deliveries are recorded).
 */
async function publicView(runtime: RouteRuntime, subscription: WebhookSubscription) {
  const { progress, replay } = subscription;
  const replayPending = replay !== null && replay.id !== progress.replayId;
  const live = replayPending ? undefined : runtime.dispatcher.status(subscription.id);
  const cursor = replayPending ? replay.after : (live?.cursor ?? progress.cursor);
  let lagSeconds = live?.lagSeconds;
  if (lagSeconds === undefined) {
    const [oldest] = await runtime.store.read.listEvents(cursor, 1);
    lagSeconds = oldest
      ? Math.max(0, (runtime.engine.clock.now().getTime() - Date.parse(oldest.time)) / 1000)
      : 0;
  }
  const failure = replayPending
    ? undefined
    : progress.failures.reduce<(typeof progress.failures)[number] | undefined>(
        (longest, candidate) =>
          !longest || candidate.firstFailureAt < longest.firstFailureAt ? candidate : longest,
        undefined,
      );
  return {
    id: subscription.id,
    url: subscription.url,
    eventTypes: subscription.eventTypes,
    maxInFlight: subscription.maxInFlight,
    batch: subscription.batch,
    cursor,
    lagSeconds,
    pending: replayPending ? 0 : (live?.pending ?? progress.pending.length),
    attempts: failure?.attempts ?? 0,
    nextAttemptAt: failure?.nextAttemptAt ?? null,
    lastError: failure?.lastError ?? null,
    createdAt: subscription.createdAt,
    enabled: subscription.enabled,
    integrationId: subscription.integrationId ?? null,
  };
}

async function refuseUrl(runtime: RouteRuntime, url: string): Promise<void> {
  const problem = await webhookUrlProblem(url, runtime.config.allowPrivateWebhookUrls);
  if (problem)
    throw httpError('validation_failed', `url refused: ${problem}`, {
      issues: [{ path: 'url', message: problem }],
    });
}

/** Webhook subscriptions: deliveries signed per the Standard Webhooks spec. */
export function registerWebhookRoutes(app: App, runtime: RouteRuntime): void {
  const admin = runtime.auth.require('admin');
  const { store, engine } = runtime;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks',
      operationId: 'webhooks.create',
      tags: ['Webhooks'],
      summary: 'Subscribe a URL to events',
      description:
        'Deliveries carry `webhook-id`, `webhook-timestamp` and `webhook-signature` (Standard Webhooks). Up to `maxInFlight` requests are in flight at once; the events of one conversation arrive one at a time, in order. A failed delivery is retried with backoff for 24 h, holding only its conversation, then dead-lettered. Delivery is at least once: drop repeats by `webhook-id`. With `batch`, a request carries a JSON array of events and a `webhook-id` of its own, the same on every retry. The secret is returned once.',
      security: bearer,
      middleware: [admin] as const,
      request: {
        body: { content: { 'application/json': { schema: webhookBodySchema } }, required: true },
      },
      responses: {
        201: json(webhookSchema, 'The subscription, with its secret'),
        ...errorResponses,
      },
    }),
    async (context) => {
      const body = context.req.valid('json');
      await refuseUrl(runtime, body.url);
      if (body.integrationId) await requireIntegration(runtime, body.integrationId);
      const cursor = await store.read.latestCursor();
      const subscription: WebhookSubscription = {
        id: engine.ids.next(),
        url: body.url,
        eventTypes: body.eventTypes as EventType[],
        secret: body.secret ?? `whsec_${randomBytes(24).toString('base64')}`,
        maxInFlight: body.maxInFlight,
        batch: body.batch,
        replay: null,
        createdAt: engine.clock.now().toISOString(),
        enabled: true,
        progress: { cursor, readTo: cursor, pending: [], failures: [], replayId: null },
        ...(body.integrationId ? { integrationId: body.integrationId } : {}),
      };
      await store.write((tx) => tx.insertWebhook(subscription));
      runtime.dispatcher.subscriptionsChanged();
      return context.json(
        { ...(await publicView(runtime, subscription)), secret: subscription.secret },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks',
      operationId: 'webhooks.list',
      tags: ['Webhooks'],
      summary: 'List subscriptions and their delivery state',
      security: bearer,
      middleware: [admin] as const,
      responses: {
        200: json(z.object({ data: z.array(webhookSchema) }), 'Subscriptions'),
        ...errorResponses,
      },
    }),
    async (context) => {
      const subscriptions = await store.read.listWebhooks();
      const data = await Promise.all(
        subscriptions.map((subscription) => publicView(runtime, subscription)),
      );
      return context.json({ data }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{id}',
      operationId: 'webhooks.get',
      tags: ['Webhooks'],
      summary: 'A subscription and its delivery state, with its lag behind the event log',
      security: bearer,
      middleware: [admin] as const,
      request: { params: idParams },
      responses: { 200: json(webhookSchema, 'The subscription'), ...errorResponses },
    }),
    async (context) => {
      const subscription = await store.read.getWebhook(context.req.valid('param').id);
      if (!subscription) throw new EngineError('not_found', 'no such webhook');
      return context.json(await publicView(runtime, subscription), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/webhooks/{id}',
      operationId: 'webhooks.update',
      tags: ['Webhooks'],
      summary: 'Change a subscription: URL, event types, concurrency, batching, enabled',
      description:
        'Deliveries already in flight finish under the old settings; the next ones use the new. Event types apply to events not yet read for delivery.',
      security: bearer,
      middleware: [admin] as const,
      request: {
        params: idParams,
        body: {
          content: { 'application/json': { schema: webhookUpdateSchema } },
          required: true,
        },
      },
      responses: { 200: json(webhookSchema, 'The changed subscription'), ...errorResponses },
    }),
    async (context) => {
      const changes = context.req.valid('json');
      if (changes.url !== undefined) await refuseUrl(runtime, changes.url);
      const updated = await store.write(async (tx) => {
        const subscription = await tx.getWebhook(context.req.valid('param').id);
        if (!subscription) throw new EngineError('not_found', 'no such webhook');
        const next: WebhookSubscription = {
          ...subscription,
          ...(changes.url === undefined ? {} : { url: changes.url }),
          ...(changes.eventTypes === undefined
            ? {}
            : { eventTypes: changes.eventTypes as EventType[] }),
          ...(changes.maxInFlight === undefined ? {} : { maxInFlight: changes.maxInFlight }),
          ...(changes.batch === undefined ? {} : { batch: changes.batch }),
          ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }),
        };
        await tx.updateWebhook(next);
        return next;
      });
      runtime.dispatcher.subscriptionsChanged();
      return context.json(await publicView(runtime, updated), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/webhooks/{id}',
      operationId: 'webhooks.delete',
      tags: ['Webhooks'],
      summary: 'Delete a subscription',
      security: bearer,
      middleware: [admin] as const,
      request: { params: idParams },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (context) => {
      const deleted = await store.write((tx) => tx.deleteWebhook(context.req.valid('param').id));
      runtime.dispatcher.subscriptionsChanged();
      if (!deleted) throw new EngineError('not_found', 'no such webhook');
      return context.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks/{id}/redeliver',
      operationId: 'webhooks.redeliver',
      tags: ['Webhooks'],
      summary: 'Replay every event after a cursor to this subscription',
      security: bearer,
      middleware: [admin] as const,
      request: {
        params: idParams,
        body: { content: { 'application/json': { schema: redeliverBodySchema } }, required: true },
      },
      responses: { 202: json(webhookSchema, 'Replay scheduled'), ...errorResponses },
    }),
    async (context) => {
      const after = context.req.valid('json').after;
      const updated = await store.write(async (tx) => {
        const subscription = await tx.getWebhook(context.req.valid('param').id);
        if (!subscription) throw new EngineError('not_found', 'no such webhook');
        // the dispatcher starts over from here once, whichever instance delivers
        const next = { ...subscription, replay: { id: engine.ids.next(), after } };
        await tx.updateWebhook(next);
        return next;
      });
      runtime.dispatcher.subscriptionsChanged();
      return context.json(await publicView(runtime, updated), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{id}/deliveries',
      operationId: 'webhooks.deliveries',
      tags: ['Webhooks'],
      summary: 'The latest requests to this subscription: outcome, status, attempt and latency',
      description:
        'Up to the last 50 requests, newest first, as the delivering instance last recorded them (it records as deliveries complete, so the newest may lag by one write). `outcome` is `delivered`, `failed` (to be retried) or `dead_lettered`; `statusCode` is null when the subscriber did not answer.',
      security: bearer,
      middleware: [admin] as const,
      request: { params: idParams },
      responses: {
        200: json(z.object({ data: z.array(deliveryAttemptSchema) }), 'Requests, newest first'),
        ...errorResponses,
      },
    }),
    async (context) => {
      const subscription = await store.read.getWebhook(context.req.valid('param').id);
      if (!subscription) throw new EngineError('not_found', 'no such webhook');
      return context.json({ data: [...(subscription.progress.recent ?? [])].reverse() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{id}/dead-letters',
      operationId: 'webhooks.deadLetters',
      tags: ['Webhooks'],
      summary: 'Events this subscription gave up on',
      security: bearer,
      middleware: [admin] as const,
      request: { params: idParams },
      responses: {
        200: json(
          z.object({ data: z.array(z.record(z.string(), z.unknown())) }),
          'Dead letters, oldest first',
        ),
        ...errorResponses,
      },
    }),
    async (context) =>
      context.json(
        { data: (await store.read.listDeadLetters(context.req.valid('param').id)) as never[] },
        200,
      ),
  );
}
