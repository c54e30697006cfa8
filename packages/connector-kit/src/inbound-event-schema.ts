import {
  addressSchema,
  channelDataSchema,
  contentSchema,
  identitySourceSchema,
  messageErrorSchema,
  messageStatusSchema,
  timestampSchema,
} from '@threadline/schema';
import { z } from 'zod';

/** Validates what a connector's `parse` returns: the conformance suite and the gateway use it. */
export const inboundMessageSchema = z.object({
  externalId: z.string().min(1),
  from: addressSchema,
  to: addressSchema.optional(),
  conversationAddress: addressSchema.optional(),
  content: contentSchema,
  createdAt: timestampSchema.optional(),
  replyToExternalId: z.string().min(1).optional(),
  references: z.array(z.string().min(1)).optional(),
  identityClaims: z
    .array(
      z.object({ address: addressSchema, verified: z.boolean(), source: identitySourceSchema }),
    )
    .optional(),
  senderName: z.string().optional(),
  automated: z.boolean().optional(),
  optOut: z.enum(['stop', 'start', 'help']).optional(),
  channelData: channelDataSchema.optional(),
});

export const inboundEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), message: inboundMessageSchema }),
  z.object({
    type: z.literal('status'),
    externalId: z.string().min(1),
    status: messageStatusSchema,
    error: messageErrorSchema.optional(),
    occurredAt: timestampSchema.optional(),
    channelData: channelDataSchema.optional(),
  }),
  z.object({
    type: z.literal('edit'),
    externalId: z.string().min(1),
    content: contentSchema,
    editedAt: timestampSchema.optional(),
  }),
  z.object({
    type: z.literal('deletion'),
    externalId: z.string().min(1),
    deletedAt: timestampSchema.optional(),
  }),
  z.object({ type: z.literal('ignored'), kind: z.string(), reason: z.string() }),
]);
