import { randomBytes } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import { EngineError, type WebhookSubscription } from '@threadline/engine';
import type { EventType } from '@threadline/schema';
import { z } from 'zod';
import { redeliverBodySchema, webhookBodySchema, webhookSchema } from '../api-schemas.js';
import { httpError } from '../http-errors.js';
import { webhookUrlProblem } from '../webhook-url-guard.js';
import { requireIntegration } from './integrations.js';
import { type App, bearer, errorResponses, json, type RouteRuntime } from './route-helpers.js';

const idParams = z.object({ id: z.string().min(1) });

function publicView(subscription: WebhookSubscription) {
  const { secret: _secret, firstFailureAt: _first, ...rest } = subscription;
  return rest;
}

/** Webhook subscriptions: deliveries signed per the Standard Webhooks spec. */
export function registerWebhookRoutes(app: App, runtime: RouteRuntime): void {
  const admin = runtime.auth.require('admin');
  const { store, engine } = runtime;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks',
      tags: ['Webhooks'],
      summary: 'Subscribe a URL to events',
      description:
        'Deliveries carry `webhook-id`, `webhook-timestamp` and `webhook-signature` (Standard Webhooks). Failed deliveries are retried with backoff for 24 h, then dead-lettered. The secret is returned once.',
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
      const problem = await webhookUrlProblem(body.url, runtime.config.allowPrivateWebhookUrls);
      if (problem)
        throw httpError('validation_failed', `url refused: ${problem}`, {
          issues: [{ path: 'url', message: problem }],
        });
      if (body.integrationId) await requireIntegration(runtime, body.integrationId);
      const subscription: WebhookSubscription = {
        id: engine.ids.next(),
        url: body.url,
        eventTypes: body.eventTypes as EventType[],
        secret: body.secret ?? `whsec_${randomBytes(24).toString('base64')}`,
        cursor: await store.read.latestCursor(),
        attempts: 0,
        nextAttemptAt: null,
        firstFailureAt: null,
        lastError: null,
        createdAt: engine.clock.now().toISOString(),
        enabled: true,
        ...(body.integrationId ? { integrationId: body.integrationId } : {}),
      };
      await store.write((tx) => tx.insertWebhook(subscription));
      runtime.dispatcher.subscriptionsChanged();
      return context.json({ ...publicView(subscription), secret: subscription.secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks',
      tags: ['Webhooks'],
      summary: 'List subscriptions and their delivery state',
      security: bearer,
      middleware: [admin] as const,
      responses: {
        200: json(z.object({ data: z.array(webhookSchema) }), 'Subscriptions'),
        ...errorResponses,
      },
    }),
    async (context) =>
      context.json({ data: (await store.read.listWebhooks()).map(publicView) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/webhooks/{id}',
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
      const subscription = await store.read.getWebhook(context.req.valid('param').id);
      if (!subscription) throw new EngineError('not_found', 'no such webhook');
      const updated = {
        ...subscription,
        cursor: context.req.valid('json').after,
        attempts: 0,
        nextAttemptAt: null,
        firstFailureAt: null,
      };
      await store.write((tx) => tx.updateWebhook(updated));
      runtime.dispatcher.subscriptionsChanged();
      return context.json(publicView(updated), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{id}/dead-letters',
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
