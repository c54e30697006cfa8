import { z } from 'zod';
import { channelSchema } from './channel.js';
import { identitySchema } from './contact.js';
import { contentSchema } from './content.js';
import {
  controlMetadataSchema,
  controlPassReasonSchema,
  conversationControlSchema,
} from './control.js';
import { conversationSchema } from './conversation.js';
import { messageSchema, messageStatusSchema, timestampSchema } from './message.js';
import { notificationSchema } from './notification.js';

const messageData = z.object({ message: messageSchema });

/** Event data by type. Each event is `noun.verb` in the past tense. */
export const eventDataSchemas = {
  'message.received': z.object({
    message: messageSchema,
    /** With the switchboard on: who controlled the conversation as of this message. */
    control: conversationControlSchema.optional(),
  }),
  'message.sent': messageData,
  'message.status_updated': z.object({
    message: messageSchema,
    previousStatus: messageStatusSchema,
  }),
  'message.edited': z.object({ message: messageSchema, previousContent: contentSchema }),
  'message.deleted': messageData,
  'conversation.opened': z.object({ conversation: conversationSchema }),
  'conversation.channel_switched': z.object({
    conversation: conversationSchema,
    fromChannel: channelSchema,
    toChannel: channelSchema,
    messageId: z.string(),
  }),
  'conversation.resolved': z.object({ conversation: conversationSchema }),
  'conversation.reopened': z.object({ conversation: conversationSchema }),
  'conversation.control_passed': z.object({
    conversationId: z.string(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    reason: controlPassReasonSchema,
    metadata: controlMetadataSchema.nullable(),
  }),
  'conversation.control_offered': z.object({
    conversationId: z.string(),
    from: z.string().nullable(),
    to: z.string(),
    metadata: controlMetadataSchema.nullable(),
  }),
  'conversation.control_accepted': z.object({
    conversationId: z.string(),
    from: z.string().nullable(),
    to: z.string(),
    metadata: controlMetadataSchema.nullable(),
  }),
  'contact.merged': z.object({
    contactId: z.string().describe('the contact that remains'),
    mergedContactId: z.string().describe('the contact merged into it, now gone'),
    reason: z.string(),
    movedConversationIds: z.array(z.string()),
    movedIdentities: z.array(identitySchema),
    /** Conversations the merge folded into another one (both were open or recent). */
    folded: z
      .array(z.object({ conversationId: z.string(), intoConversationId: z.string() }))
      .optional(),
  }),
  'contact.identity_linked': z.object({
    contactId: z.string(),
    identity: identitySchema,
    reason: z.string(),
  }),
  'connector.status_changed': z.object({
    connectorId: z.string(),
    status: z.enum(['starting', 'ready', 'degraded', 'disconnected']),
    detail: z.string().nullable(),
  }),
  'notification.scheduled': z.object({ notification: notificationSchema }),
  'notification.suppressed': z.object({ notification: notificationSchema }),
  'notification.sent': z.object({ notification: notificationSchema, message: messageSchema }),
  'notification.fallback': z.object({
    notification: notificationSchema,
    fromMessageId: z.string(),
    message: messageSchema,
  }),
  'notification.delivered': z.object({ notification: notificationSchema, message: messageSchema }),
  'notification.failed': z.object({ notification: notificationSchema, message: messageSchema }),
  'notification.replied': z.object({
    notification: notificationSchema,
    /** The customer's reply (in the notification's conversation). */
    message: messageSchema,
  }),
} as const;

export type EventType = keyof typeof eventDataSchemas;
export const eventTypes = Object.keys(eventDataSchemas) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

const envelope = <T extends EventType>(type: T) =>
  z.object({
    id: z.string().min(1),
    /** Position in the event log: strictly increasing in commit order. */
    cursor: z.number().int().positive(),
    type: z.literal(type),
    time: timestampSchema,
    data: eventDataSchemas[type],
  });

export const eventSchema = z
  .discriminatedUnion('type', [
    envelope('message.received'),
    envelope('message.sent'),
    envelope('message.status_updated'),
    envelope('message.edited'),
    envelope('message.deleted'),
    envelope('conversation.opened'),
    envelope('conversation.channel_switched'),
    envelope('conversation.resolved'),
    envelope('conversation.reopened'),
    envelope('conversation.control_passed'),
    envelope('conversation.control_offered'),
    envelope('conversation.control_accepted'),
    envelope('contact.merged'),
    envelope('contact.identity_linked'),
    envelope('connector.status_changed'),
    envelope('notification.scheduled'),
    envelope('notification.suppressed'),
    envelope('notification.sent'),
    envelope('notification.fallback'),
    envelope('notification.delivered'),
    envelope('notification.failed'),
    envelope('notification.replied'),
  ])
  .meta({ id: 'Event' });

export type ThreadlineEvent = z.infer<typeof eventSchema>;
export type EventOf<T extends EventType> = Extract<ThreadlineEvent, { type: T }>;
