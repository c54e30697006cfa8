import { createRoute } from '@hono/zod-openapi';
import { EngineError } from '@threadline/engine';
import { z } from 'zod';
import { generateApiKey, hashApiKey, scopes } from '../api-keys.js';
import { requireIntegration } from './integrations.js';
import { type App, bearer, errorResponses, json, type RouteRuntime } from './route-helpers.js';

const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(scopes)),
    rateLimitPerSecond: z.number().nullable(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
    integrationId: z
      .string()
      .optional()
      .describe('switchboard: the integration this key speaks for'),
    key: z.string().optional().describe('the secret key: returned only when the key is created'),
  })
  .meta({ id: 'ApiKey' });

const createApiKeySchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    scopes: z
      .array(z.enum(scopes))
      .min(1)
      .describe('read: GET routes; send: send and change; admin: everything'),
    rateLimitPerSecond: z.number().int().positive().max(1_000_000).optional(),
    integrationId: z
      .string()
      .min(1)
      .optional()
      .describe('switchboard: the integration that speaks with this key'),
  })
  .meta({ id: 'CreateApiKey' });

/** API keys: create (the secret is shown once, stored hashed), list, revoke. Admin scope. */
export function registerApiKeyRoutes(app: App, runtime: RouteRuntime): void {
  const admin = runtime.auth.require('admin');
  const { store, engine } = runtime;
  const view = (record: Awaited<ReturnType<typeof store.read.listApiKeys>>[number]) => ({
    id: record.id,
    name: record.name,
    scopes: record.scopes as Array<(typeof scopes)[number]>,
    rateLimitPerSecond: record.rateLimitPerSecond ?? null,
    createdAt: record.createdAt,
    revokedAt: record.revokedAt,
    ...(record.integrationId ? { integrationId: record.integrationId } : {}),
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/api-keys',
      operationId: 'apiKeys.create',
      tags: ['API keys'],
      summary: 'Create an API key with scopes (the key is returned once)',
      security: bearer,
      middleware: [admin] as const,
      request: {
        body: { content: { 'application/json': { schema: createApiKeySchema } }, required: true },
      },
      responses: { 201: json(apiKeySchema, 'The new key, with its secret'), ...errorResponses },
    }),
    async (context) => {
      const body = context.req.valid('json');
      if (body.integrationId) await requireIntegration(runtime, body.integrationId);
      const key = generateApiKey();
      const record = {
        id: `key_${engine.ids.next()}`,
        name: body.name,
        hash: hashApiKey(key),
        scopes: body.scopes,
        rateLimitPerSecond: body.rateLimitPerSecond ?? null,
        createdAt: engine.clock.now().toISOString(),
        revokedAt: null,
        ...(body.integrationId ? { integrationId: body.integrationId } : {}),
      };
      await store.write((tx) => tx.insertApiKey(record));
      return context.json({ ...view(record), key }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/api-keys',
      operationId: 'apiKeys.list',
      tags: ['API keys'],
      summary: 'List API keys (never their secrets)',
      security: bearer,
      middleware: [admin] as const,
      responses: {
        200: json(z.object({ data: z.array(apiKeySchema) }), 'API keys'),
        ...errorResponses,
      },
    }),
    async (context) => context.json({ data: (await store.read.listApiKeys()).map(view) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/api-keys/{id}',
      operationId: 'apiKeys.revoke',
      tags: ['API keys'],
      summary: 'Revoke an API key',
      security: bearer,
      middleware: [admin] as const,
      request: { params: z.object({ id: z.string() }) },
      responses: { 204: { description: 'Revoked' }, ...errorResponses },
    }),
    async (context) => {
      const id = context.req.valid('param').id;
      const record = (await store.read.listApiKeys()).find((candidate) => candidate.id === id);
      if (!record || record.revokedAt) throw new EngineError('not_found', 'no such active API key');
      await store.write((tx) =>
        tx.updateApiKey({ ...record, revokedAt: engine.clock.now().toISOString() }),
      );
      runtime.auth.forget(record.hash);
      return context.body(null, 204);
    },
  );
}
