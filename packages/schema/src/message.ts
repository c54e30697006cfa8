import { z } from 'zod';
import { addressSchema, channelSchema } from './channel.js';
import { contentSchema } from './content.js';

export const timestampSchema = z.iso
  .datetime({ offset: false })
  .describe('ISO 8601 timestamp in UTC, e.g. 2026-11-22T09:00:00.000Z');

export const directions = ['inbound', 'outbound'] as const;
export const directionSchema = z.enum(directions);
export type Direction = z.infer<typeof directionSchema>;

export const messageStatuses = [
  'received',
  'queued',
  'sent',
  'delivered',
  'read',
  'failed',
] as const;
export const messageStatusSchema = z.enum(messageStatuses);
export type MessageStatus = z.infer<typeof messageStatusSchema>;

/** A typed error on a message: a stable `code` (ours, or the provider's, e.g. "30003"). */
export const messageErrorSchema = z
  .object({
    code: z.string().min(1),
    message: z.string(),
    retryable: z.boolean(),
  })
  .meta({ id: 'MessageError' });
export type MessageError = z.infer<typeof messageErrorSchema>;

/** Free-form data only one channel has (email subject and headers, Telegram entities, ...). */
export const channelDataSchema = z.record(z.string(), z.unknown());
export type ChannelData = z.infer<typeof channelDataSchema>;

export const fallbackConditions = ['failed', 'undelivered', 'unread'] as const;
export type FallbackCondition = (typeof fallbackConditions)[number];

/** Send the message again on `channel` when it `failed`, or is still not delivered / read after `afterMs`. */
export const fallbackRuleSchema = z.object({
  channel: channelSchema,
  when: z.enum(fallbackConditions),
  /** For `undelivered` and `unread`: how long to wait for the status. */
  afterMs: z.number().int().positive().optional(),
});
export type FallbackRule = z.infer<typeof fallbackRuleSchema>;

/** An outbound message's fallback rules, and which of them fired (each fires once). */
export const messageFallbackSchema = z
  .object({
    rules: z.array(fallbackRuleSchema),
    fired: z.array(
      z.object({
        /** Index of the rule in `rules`. */
        rule: z.number().int().nonnegative(),
        /** The copy it sent; null when no configured connector could reach the contact. */
        messageId: z.string().min(1).nullable(),
      }),
    ),
  })
  .meta({ id: 'MessageFallback' });
export type MessageFallback = z.infer<typeof messageFallbackSchema>;

export const messageSchema = z
  .object({
    id: z.string().min(1),
    conversationId: z.string().min(1),
    contactId: z.string().min(1),
    channel: channelSchema,
    connectorId: z.string().min(1),
    direction: directionSchema,
    from: addressSchema,
    to: addressSchema,
    externalId: z.string().min(1).nullable(),
    replyToId: z.string().min(1).nullable(),
    content: contentSchema,
    status: messageStatusSchema,
    error: messageErrorSchema.nullable(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    /** When this message is a fallback copy, the id of the message it replaces. */
    fallbackOfId: z.string().min(1).nullable().default(null),
    /** The fallback rules the app sent with this message, and which fired. */
    fallback: messageFallbackSchema.optional(),
    channelData: channelDataSchema.default({}),
  })
  .meta({ id: 'Message' });
export type Message = z.infer<typeof messageSchema>;

const statusRank: Record<MessageStatus, number> = {
  received: 0,
  queued: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  failed: 4,
};

/**
 * Statuses only move forward: `queued → sent → delivered → read`, and `failed` from any
 * state that is not final. `read` and `failed` are final.
 */
export function isStatusAdvance(from: MessageStatus, to: MessageStatus): boolean {
  if (from === to) return false;
  if (from === 'failed' || from === 'read') return false;
  if (to === 'failed') return true;
  if (to === 'received' || to === 'queued') return false;
  return statusRank[to] > statusRank[from];
}
