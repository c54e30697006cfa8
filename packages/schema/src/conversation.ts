import { z } from 'zod';
import { channelSchema } from './channel.js';
import { timestampSchema } from './message.js';

export const conversationStatuses = ['open', 'resolved'] as const;
export const conversationStatusSchema = z.enum(conversationStatuses);
export type ConversationStatus = z.infer<typeof conversationStatusSchema>;

export const conversationSchema = z
  .object({
    id: z.string().min(1),
    contactId: z.string().min(1),
    /** One tenant per deployment in v1; inboxes (brands, teams) share the schema later. */
    inboxId: z.string().min(1).default('default'),
    status: conversationStatusSchema,
    /** The conversation this one continues, when it opened after the continuity window. */
    previousConversationId: z.string().min(1).nullable(),
    /** The channel of the customer's latest inbound message: where replies go by default. */
    lastInboundChannel: channelSchema.nullable(),
    lastInboundConnectorId: z.string().min(1).nullable(),
    lastInboundAt: timestampSchema.nullable(),
    lastMessageAt: timestampSchema,
    openedAt: timestampSchema,
    resolvedAt: timestampSchema.nullable(),
    /** Set when a contact merge folded this conversation into another one. */
    mergedIntoId: z.string().min(1).nullable().default(null),
    updatedAt: timestampSchema,
  })
  .meta({ id: 'Conversation' });
export type Conversation = z.infer<typeof conversationSchema>;
