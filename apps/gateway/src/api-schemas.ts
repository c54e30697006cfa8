import { canonicalAddress } from '@threadline/connector-kit';
import {
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

/**
 * An address in an API body must be valid for its channel (E.164 for SMS and WhatsApp, an
 * email address, a Telegram id), checked by the same rule connectors apply; a bad one is a
 * `validation_failed` naming the field, before anything is stored.
 */
function checkAddress(
  value: { channel: string; address: string },
  context: { addIssue(issue: { code: 'custom'; path: string[]; message: string }): void },
): void {
  try {
    canonicalAddress(value.channel, value.address);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    context.addIssue({
      code: 'custom',
      path: ['address'],
      message: reason.replace(/^invalid payload at [^:]*: /, ''),
    });
  }
}

/** Who to send to, when no contact id is given. */
export const recipientSchema = z
  .strictObject({ channel: channelSchema, address: z.string().min(1).max(320) })
  .superRefine(checkAddress)
  .meta({ id: 'Recipient' });

export const fallbackRuleSchema = z
  .strictObject({
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
  .strictObject({
    contactId: z.string().min(1).optional(),
    to: recipientSchema.optional(),
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
  channel: channelSchema
    .optional()
    .describe('Only conversations whose customer last wrote on this channel'),
  address: z
    .string()
    .min(1)
    .max(320)
    .optional()
    .describe(
      'Only the conversations of the contact with this address (on any channel: a phone number, a Telegram id, an email address)',
    ),
  integrationId: z
    .string()
    .min(1)
    .optional()
    .describe('Only the conversations this integration is in control of (switchboard)'),
});

export const renderMessageBodySchema = z
  .object({
    channel: channelSchema,
    connectorId: z.string().min(1).optional(),
    content: contentSchema,
  })
  .meta({ id: 'RenderMessage' });

export const renderedMessageSchema = z
  .object({
    channel: channelSchema,
    connectorId: z.string(),
    parts: z.array(contentSchema).describe('What the channel will carry, in order'),
    choices: z
      .array(z.object({ id: z.string(), title: z.string() }))
      .nullable()
      .describe('Buttons shown as a numbered list because the channel has none'),
  })
  .meta({ id: 'RenderedMessage' });

export const conversationPageSchema = z
  .object({ data: z.array(conversationSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ConversationPage' });

export const messagePageSchema = z
  .object({ data: z.array(messageSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'MessagePage' });

export const linkIdentityBodySchema = z
  .strictObject({
    channel: channelSchema,
    address: z.string().min(1),
    reason: z.string().max(500).optional(),
  })
  .superRefine(checkAddress)
  .meta({ id: 'LinkIdentity' });

export const mergeContactsBodySchema = z
  .strictObject({
    contactId: z.string().min(1).describe('the contact that remains'),
    mergeContactId: z.string().min(1).describe('the contact merged into it'),
    reason: z.string().max(500).optional(),
  })
  .meta({ id: 'MergeContacts' });

export const eventTypeSchema = z.enum(eventTypes as [string, ...string[]]);

const webhookBatchSchema = z
  .object({
    maxEvents: z.number().int().min(1).max(1000).describe('most events in one request'),
    maxWaitMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .describe('longest an event waits for the batch to fill'),
  })
  .meta({ id: 'WebhookBatch' });

const webhookSettings = {
  eventTypes: z.array(eventTypeSchema),
  maxInFlight: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .describe(
      'requests in flight at once; events of one conversation still go one at a time, in order',
    ),
  batch: webhookBatchSchema
    .nullable()
    .describe('deliver a JSON array of events per request; null: one event per request'),
};

export const webhookBodySchema = z
  .strictObject({
    url: z.url(),
    eventTypes: webhookSettings.eventTypes.default([]),
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'a Standard Webhooks secret: whsec_ followed by base64')
      .optional(),
    maxInFlight: webhookSettings.maxInFlight.default(32),
    batch: webhookSettings.batch.default(null),
    integrationId: z
      .string()
      .min(1)
      .optional()
      .describe('switchboard: the integration listening here (delivery follows its `receives`)'),
  })
  .meta({ id: 'CreateWebhook' });

export const webhookUpdateSchema = z
  .object({
    url: z.url().optional(),
    eventTypes: webhookSettings.eventTypes.optional(),
    maxInFlight: webhookSettings.maxInFlight.optional(),
    batch: webhookSettings.batch.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one field to change' })
  .meta({ id: 'UpdateWebhook' });

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    maxInFlight: z.number().int(),
    batch: webhookBatchSchema.nullable(),
    cursor: z
      .number()
      .int()
      .describe('every event up to this cursor is delivered or dead-lettered'),
    lagSeconds: z
      .number()
      .describe('age of the oldest event not yet delivered; 0 when caught up with the log'),
    pending: z.number().int().describe('events read past the cursor and not yet delivered'),
    attempts: z.number().int().describe('attempts of the longest-failing pending delivery'),
    nextAttemptAt: z.string().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    enabled: z.boolean(),
    integrationId: z.string().nullable().optional(),
    secret: z.string().optional().describe('returned only when the subscription is created'),
  })
  .meta({ id: 'Webhook' });

export const redeliverBodySchema = z
  .strictObject({
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
