import {
  addressSchema,
  channelSchema,
  contactSchema,
  contentSchema,
  conversationSchema,
  conversationStatusSchema,
  eventSchema,
  eventTypes,
  messageSchema,
} from '@threadline/schema';
import { z } from 'zod';

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'validation_failed' }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).nullable(),
    }),
  })
  .meta({ id: 'Error' });

export const fallbackRuleSchema = z
  .object({
    channel: channelSchema,
    when: z.enum(['failed', 'undelivered', 'unread']),
    afterMs: z
      .number()
      .int()
      .positive()
      .max(7 * 24 * 3_600_000)
      .optional(),
  })
  .meta({ id: 'FallbackRule' });

export const sendMessageBodySchema = z
  .object({
    contactId: z.string().min(1).optional(),
    to: addressSchema.optional(),
    channel: channelSchema.optional(),
    connectorId: z.string().min(1).optional(),
    content: contentSchema,
    replyToId: z.string().min(1).optional(),
    fallback: z.array(fallbackRuleSchema).max(5).optional(),
    channelData: z.record(z.string(), z.unknown()).optional(),
    takeControl: z
      .boolean()
      .optional()
      .describe(
        'switchboard: an integration not in control takes control first (an agent barging in)',
      ),
  })
  .refine((body) => body.contactId !== undefined || body.to !== undefined, {
    message: 'give contactId or to',
    path: ['contactId'],
  })
  .meta({ id: 'SendMessage' });

export const pageQuerySchema = z.object({
  after: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const conversationListQuerySchema = pageQuerySchema.extend({
  contactId: z.string().optional(),
  status: conversationStatusSchema.optional(),
});

export const conversationPageSchema = z
  .object({ data: z.array(conversationSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ConversationPage' });

export const messagePageSchema = z
  .object({ data: z.array(messageSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'MessagePage' });

export const linkIdentityBodySchema = z
  .object({
    channel: channelSchema,
    address: z.string().min(1),
    reason: z.string().max(500).optional(),
  })
  .meta({ id: 'LinkIdentity' });

export const mergeContactsBodySchema = z
  .object({
    contactId: z.string().min(1).describe('the contact that remains'),
    mergeContactId: z.string().min(1).describe('the contact merged into it'),
    reason: z.string().max(500).optional(),
  })
  .meta({ id: 'MergeContacts' });

export const eventTypeSchema = z.enum(eventTypes as [string, ...string[]]);

export const webhookBodySchema = z
  .object({
    url: z.url(),
    eventTypes: z.array(eventTypeSchema).default([]),
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'a Standard Webhooks secret: whsec_ followed by base64')
      .optional(),
    integrationId: z
      .string()
      .min(1)
      .optional()
      .describe('switchboard: the integration listening here (delivery follows its `receives`)'),
  })
  .meta({ id: 'CreateWebhook' });

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    cursor: z.number().int(),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    enabled: z.boolean(),
    integrationId: z.string().nullable().optional(),
    secret: z.string().optional().describe('returned only when the subscription is created'),
  })
  .meta({ id: 'Webhook' });

export const redeliverBodySchema = z
  .object({
    after: z.number().int().nonnegative().describe('replay every event after this cursor'),
  })
  .meta({ id: 'Redeliver' });

export const eventPageSchema = z
  .object({ data: z.array(eventSchema), nextCursor: z.number().int() })
  .meta({ id: 'EventPage' });

export const eventsQuerySchema = z.object({
  after: z.coerce.number().int().nonnegative().optional(),
  format: z.enum(['sse', 'json']).default('sse'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  types: z.string().optional().describe('comma-separated event types to include'),
  integrationId: z
    .string()
    .min(1)
    .optional()
    .describe('switchboard: the integration listening (delivery follows its `receives`)'),
});

export { contactSchema, conversationSchema, messageSchema };
