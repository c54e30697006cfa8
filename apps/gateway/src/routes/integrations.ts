import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { httpError } from '../http-errors.js';
import {
  type App,
  bearer,
  errorResponses,
  idParam,
  json,
  type RouteRuntime,
} from './route-helpers.js';

const durationSchema = z
  .string()
  .regex(/^\s*\d+(?:\.\d+)?\s*(ms|s|m|h|d)?\s*$/, 'a duration such as 30s, 2m or 1h');

const integrationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    next: z.string().nullable(),
    responseTimeout: z.string().nullable(),
    receives: z.enum(['active', 'all']),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Integration' });

const integrationFields = {
  next: z
    .string()
    .min(1)
    .nullable()
    .optional()
    .describe('the integration control passes to by default (pass without `to`, timeout)'),
  responseTimeout: durationSchema
    .nullable()
    .optional()
    .describe(
      'pass control to `next` when this integration has sent nothing this long after a customer message',
    ),
  receives: z
    .enum(['active', 'all'])
    .optional()
    .describe('`active` (default): events only while in control or pending; `all`: every event'),
};

const createIntegrationSchema = z
  .strictObject({ name: z.string().min(1).max(200), ...integrationFields })
  .meta({ id: 'CreateIntegration' });
const updateIntegrationSchema = z
  .strictObject({ name: z.string().min(1).max(200).optional(), ...integrationFields })
  .meta({ id: 'UpdateIntegration' });

const switchboardSchema = z
  .object({
    enabled: z.boolean(),
    defaultIntegrationId: z.string().nullable(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Switchboard' });
const putSwitchboardSchema = z
  .strictObject({
    enabled: z.boolean(),
    defaultIntegrationId: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .describe('the integration in control of every new conversation'),
  })
  .meta({ id: 'PutSwitchboard' });

/** A field naming an integration must name one that exists (400 with the field otherwise). */
export async function requireIntegration(
  runtime: Pick<RouteRuntime, 'store'>,
  integrationId: string,
  path = 'integrationId',
): Promise<void> {
  if (!(await runtime.store.read.getIntegration(integrationId))) {
    throw httpError('validation_failed', `${path}: no integration ${integrationId}`, {
      issues: [{ path, message: `no integration ${integrationId}` }],
    });
  }
}

/** Integrations (the apps that answer) and the switchboard that gives one of them control. */
export function registerIntegrationRoutes(app: App, runtime: RouteRuntime): void {
  const board = runtime.engine.switchboard;
  const read = runtime.auth.require('read');
  const admin = runtime.auth.require('admin');
  const params = idParam('integration id');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/integrations',
      operationId: 'integrations.create',
      tags: ['Switchboard'],
      summary: 'Create an integration (an app that answers customers)',
      security: bearer,
      middleware: [admin] as const,
      request: {
        body: {
          content: { 'application/json': { schema: createIntegrationSchema } },
          required: true,
        },
      },
      responses: { 201: json(integrationSchema, 'The integration'), ...errorResponses },
    }),
    async (context) => context.json(await board.createIntegration(context.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/integrations',
      operationId: 'integrations.list',
      tags: ['Switchboard'],
      summary: 'List integrations',
      security: bearer,
      middleware: [read] as const,
      responses: {
        200: json(z.object({ data: z.array(integrationSchema) }), 'Integrations'),
        ...errorResponses,
      },
    }),
    async (context) => context.json({ data: await board.listIntegrations() }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/integrations/{id}',
      operationId: 'integrations.get',
      tags: ['Switchboard'],
      summary: 'Read an integration',
      security: bearer,
      middleware: [read] as const,
      request: { params },
      responses: { 200: json(integrationSchema, 'The integration'), ...errorResponses },
    }),
    async (context) => {
      const integration = await board.getIntegration(context.req.valid('param').id);
      if (!integration) throw httpError('not_found', 'no such integration');
      return context.json(integration, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/integrations/{id}',
      operationId: 'integrations.update',
      tags: ['Switchboard'],
      summary: 'Change an integration',
      security: bearer,
      middleware: [admin] as const,
      request: {
        params,
        body: {
          content: { 'application/json': { schema: updateIntegrationSchema } },
          required: true,
        },
      },
      responses: { 200: json(integrationSchema, 'The integration'), ...errorResponses },
    }),
    async (context) =>
      context.json(
        await board.updateIntegration(context.req.valid('param').id, context.req.valid('json')),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/integrations/{id}',
      operationId: 'integrations.delete',
      tags: ['Switchboard'],
      summary: 'Delete an integration (refused while it is the default or another one’s next)',
      security: bearer,
      middleware: [admin] as const,
      request: { params },
      responses: {
        204: { description: 'Deleted' },
        409: json(z.object({ error: z.any() }), 'Still the default or another one’s next'),
        ...errorResponses,
      },
    }),
    async (context) => {
      await board.deleteIntegration(context.req.valid('param').id);
      return context.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/switchboard',
      operationId: 'switchboard.get',
      tags: ['Switchboard'],
      summary: 'The switchboard settings (disabled by default)',
      security: bearer,
      middleware: [read] as const,
      responses: { 200: json(switchboardSchema, 'The switchboard'), ...errorResponses },
    }),
    async (context) => context.json(await board.getSettings(), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/switchboard',
      operationId: 'switchboard.put',
      tags: ['Switchboard'],
      summary: 'Enable or disable the switchboard and set the default integration',
      description:
        'While disabled every consumer receives every event and may send. Enabled, each conversation has one integration in control: new conversations start with the default one.',
      security: bearer,
      middleware: [admin] as const,
      request: {
        body: { content: { 'application/json': { schema: putSwitchboardSchema } }, required: true },
      },
      responses: { 200: json(switchboardSchema, 'The switchboard'), ...errorResponses },
    }),
    async (context) => context.json(await board.putSettings(context.req.valid('json')), 200),
  );
}
