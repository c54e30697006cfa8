import { createRoute } from '@hono/zod-openapi';
import { type NotifyRequest, notifyResult } from '@threadline/engine';
import {
  channelSchema,
  contentSchema,
  notificationFallbackSchema,
  notificationPreferencesSchema,
  notificationReasonSchema,
  notificationSchema,
  notificationStatusSchema,
  templateContentSchema,
} from '@threadline/schema';
import { z } from 'zod';
import { recipientSchema } from '../api-schemas.js';
import { errorResponse, httpError } from '../http-errors.js';
import {
  type App,
  bearer,
  errorResponses,
  idParam,
  json,
  type RouteRuntime,
} from './route-helpers.js';

const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 instant');

export const notifyBodySchema = z
  .strictObject({
    to: z
      .union([z.strictObject({ contactId: z.string().min(1) }), recipientSchema])
      .describe('`{ contactId }`, or `{ channel, address }` (the contact is found or created)'),
    category: z
      .string()
      .min(1)
      .max(100)
      .describe('what kind of notification: preferences, caps and opt-outs are per category'),
    content: contentSchema,
    template: templateContentSchema
      .optional()
      .describe(
        'what WhatsApp sends outside its 24-hour window (without it WhatsApp is skipped there)',
      ),
    critical: z
      .boolean()
      .optional()
      .describe('bypasses quiet hours, live conversations and frequency caps; never an opt-out'),
    sendAt: timestamp.optional(),
    expiresAt: timestamp.optional().describe('still deferred then: suppressed as `expired`'),
    fallback: notificationFallbackSchema
      .optional()
      .describe('not delivered (or read) within `after`: sent once on the next channel'),
    idempotencyKey: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('a retry with the same key answers the first result'),
  })
  .meta({ id: 'NotifyRequest' });

export const notifyResultSchema = z
  .object({
    id: z.string(),
    status: notificationStatusSchema.describe(
      '`scheduled`, `queued` or `suppressed` (later: sent, delivered, read, failed)',
    ),
    scheduledFor: z.string(),
    channel: channelSchema.nullable(),
    reason: notificationReasonSchema.optional().describe('why it was deferred or suppressed'),
  })
  .meta({ id: 'NotifyResult' });

const batchSchema = z
  .strictObject({ notifications: z.array(notifyBodySchema).min(1).max(1000) })
  .meta({ id: 'NotifyBatchRequest' });
const batchItemSchema = z.union([
  notifyResultSchema,
  z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.any() }) }),
]);

/** `to` as the engine takes it. */
const toRequest = (body: z.infer<typeof notifyBodySchema>): NotifyRequest =>
  body as unknown as NotifyRequest;

/** Notifications: preferences, send (one or a batch), read. */
export function registerNotificationRoutes(
  app: App,
  runtime: RouteRuntime,
  wake: () => void,
): void {
  const notifications = runtime.engine.notifications;
  const send = runtime.auth.require('send');
  const read = runtime.auth.require('read');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/contacts/{id}/preferences',
      operationId: 'contacts.getPreferences',
      tags: ['Notifications'],
      summary: "A contact's notification preferences (unset fields use the deployment defaults)",
      security: bearer,
      middleware: [read] as const,
      request: { params: idParam('contact id') },
      responses: {
        200: json(notificationPreferencesSchema, 'The stored preferences'),
        ...errorResponses,
      },
    }),
    async (context) =>
      context.json(await notifications.getPreferences(context.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/contacts/{id}/preferences',
      operationId: 'contacts.putPreferences',
      tags: ['Notifications'],
      summary: "Replace a contact's notification preferences",
      security: bearer,
      middleware: [send] as const,
      request: {
        params: idParam('contact id'),
        body: {
          content: { 'application/json': { schema: notificationPreferencesSchema.strict() } },
          required: true,
        },
      },
      responses: {
        200: json(notificationPreferencesSchema, 'The stored preferences'),
        ...errorResponses,
      },
    }),
    async (context) =>
      context.json(
        await notifications.putPreferences(
          context.req.valid('param').id,
          context.req.valid('json'),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/notifications',
      operationId: 'notifications.send',
      tags: ['Notifications'],
      summary: 'Notify a contact: queued now, scheduled for later, or suppressed, with the reason',
      description:
        'The rules (expiry, category opt-out, quiet hours in the contact time zone, live conversation, frequency cap, channel choice) decide; a sent notification is an outbound message in the contact conversation, so replies thread in.',
      security: bearer,
      middleware: [send] as const,
      request: {
        body: { content: { 'application/json': { schema: notifyBodySchema } }, required: true },
      },
      responses: { 202: json(notifyResultSchema, 'Accepted and durable'), ...errorResponses },
    }),
    async (context) => {
      const notification = await notifications.notify(toRequest(context.req.valid('json')));
      wake();
      return context.json(notifyResult(notification), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/notifications/batch',
      operationId: 'notifications.sendBatch',
      tags: ['Notifications'],
      summary: 'Up to 1,000 notifications, each answered with its own result, in order',
      security: bearer,
      middleware: [send] as const,
      request: {
        body: { content: { 'application/json': { schema: batchSchema } }, required: true },
      },
      responses: {
        202: json(
          z.object({ results: z.array(batchItemSchema) }).meta({ id: 'NotifyBatchResult' }),
          'One result (or error) per notification, in order',
        ),
        ...errorResponses,
      },
    }),
    async (context) => {
      const outcomes = await notifications.notifyBatch(
        context.req.valid('json').notifications.map(toRequest),
      );
      wake();
      const results = await Promise.all(
        outcomes.map(async (outcome) =>
          outcome.ok
            ? notifyResult(outcome.notification)
            : ((await errorResponse(context, outcome.error).json()) as z.infer<
                typeof batchItemSchema
              >),
        ),
      );
      return context.json({ results }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/notifications/{id}',
      operationId: 'notifications.get',
      tags: ['Notifications'],
      summary:
        'A notification with its timeline (scheduled, deferred, sent, fallback, delivered, read, replied)',
      security: bearer,
      middleware: [read] as const,
      request: { params: idParam('notification id') },
      responses: { 200: json(notificationSchema, 'The notification'), ...errorResponses },
    }),
    async (context) => {
      const id = context.req.valid('param').id;
      const notification = await notifications.get(id);
      if (!notification) throw httpError('not_found', `no notification ${id}`);
      return context.json(notification, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/notifications',
      operationId: 'notifications.list',
      tags: ['Notifications'],
      summary: 'Notifications, oldest first, by contact and category',
      security: bearer,
      middleware: [read] as const,
      request: {
        query: z.object({
          contactId: z.string().min(1).optional(),
          category: z.string().min(1).optional(),
          after: z.string().min(1).optional().describe('page after this notification id'),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
      },
      responses: {
        200: json(z.object({ data: z.array(notificationSchema) }), 'A page of notifications'),
        ...errorResponses,
      },
    }),
    async (context) => {
      const query = context.req.valid('query');
      const data = await notifications.list({
        limit: query.limit,
        ...(query.contactId ? { contactId: query.contactId } : {}),
        ...(query.category ? { category: query.category } : {}),
        ...(query.after ? { after: query.after } : {}),
      });
      return context.json({ data }, 200);
    },
  );
}
