import { createRoute } from '@hono/zod-openapi';
import { conversationControlSchema } from '@threadline/schema';
import type { Context } from 'hono';
import { z } from 'zod';
import type { AuthVariables } from '../api-keys.js';
import {
  type App,
  bearer,
  errorResponses,
  idParam,
  json,
  type RouteRuntime,
} from './route-helpers.js';

const metadataSchema = z
  .record(z.string(), z.unknown())
  .nullable()
  .optional()
  .describe('what the passing app learned (intent, order number, a summary); up to 16 KB');

const passSchema = z
  .strictObject({
    to: z
      .string()
      .min(1)
      .optional()
      .describe('the integration to pass to; default: the active one’s `next`'),
    metadata: metadataSchema,
  })
  .meta({ id: 'PassControl' });
const offerSchema = z
  .strictObject({ to: z.string().min(1), metadata: metadataSchema })
  .meta({ id: 'OfferControl' });

const notInControl = json(
  z.object({ error: z.any() }),
  '`not_in_control`: the calling integration is not active; or nothing to accept',
);

/** The integration the calling API key speaks for (null: a key that is no integration). */
const speaker = (context: Context<{ Variables: AuthVariables }>) => ({
  integrationId: context.get('apiKey').integrationId ?? null,
});

/** Control of a conversation: pass, offer, accept, release (switchboard). */
export function registerControlRoutes(app: App, runtime: RouteRuntime): void {
  const board = runtime.engine.switchboard;
  const send = runtime.auth.require('send');
  const params = idParam('conversation id');
  const responses = {
    200: json(conversationControlSchema, 'Control of the conversation after the change'),
    409: notInControl,
    ...errorResponses,
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/conversations/{id}/control/pass',
      operationId: 'conversations.passControl',
      tags: ['Switchboard'],
      summary: 'Pass control to another integration at once, with what was learned',
      security: bearer,
      middleware: [send] as const,
      request: {
        params,
        body: { content: { 'application/json': { schema: passSchema } }, required: true },
      },
      responses,
    }),
    async (context) =>
      context.json(
        await board.passControl(
          context.req.valid('param').id,
          context.req.valid('json'),
          speaker(context),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/conversations/{id}/control/offer',
      operationId: 'conversations.offerControl',
      tags: ['Switchboard'],
      summary: 'Offer control: the active integration keeps it until the other one accepts',
      security: bearer,
      middleware: [send] as const,
      request: {
        params,
        body: { content: { 'application/json': { schema: offerSchema } }, required: true },
      },
      responses,
    }),
    async (context) =>
      context.json(
        await board.offerControl(
          context.req.valid('param').id,
          context.req.valid('json'),
          speaker(context),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/conversations/{id}/control/accept',
      operationId: 'conversations.acceptControl',
      tags: ['Switchboard'],
      summary: 'Accept control offered to the calling integration',
      security: bearer,
      middleware: [send] as const,
      request: { params },
      responses,
    }),
    async (context) =>
      context.json(await board.acceptControl(context.req.valid('param').id, speaker(context)), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/conversations/{id}/control/release',
      operationId: 'conversations.releaseControl',
      tags: ['Switchboard'],
      summary: 'Give control back to the switchboard’s default integration',
      security: bearer,
      middleware: [send] as const,
      request: { params },
      responses,
    }),
    async (context) =>
      context.json(
        await board.releaseControl(context.req.valid('param').id, speaker(context)),
        200,
      ),
  );
}
