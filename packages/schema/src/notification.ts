import { z } from 'zod';
import { addressSchema, channelSchema } from './channel.js';
import { contentSchema, templateContentSchema } from './content.js';
import { timestampSchema } from './message.js';

/** Where a notification stands: the three answers of a send, then what the message did. */
export const notificationStatuses = [
  'scheduled',
  'queued',
  'suppressed',
  'sent',
  'delivered',
  'read',
  'failed',
] as const;
export const notificationStatusSchema = z.enum(notificationStatuses);
export type NotificationStatus = z.infer<typeof notificationStatusSchema>;

/** Why a notification was deferred or suppressed. */
export const notificationReasons = [
  'opted_out',
  'quiet_hours',
  'frequency_cap',
  'expired',
  'no_reachable_channel',
  'in_conversation',
] as const;
export const notificationReasonSchema = z.enum(notificationReasons);
export type NotificationReason = z.infer<typeof notificationReasonSchema>;

/** "HH:MM", 24-hour clock, in the contact's time zone. */
export const clockTimeSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as "HH:MM" (24-hour clock)');

export const quietHoursSchema = z
  .object({ start: clockTimeSchema, end: clockTimeSchema })
  .meta({ id: 'QuietHours' });
export type QuietHours = z.infer<typeof quietHoursSchema>;

export const categoryPreferenceSchema = z.object({
  optOut: z.boolean().optional(),
  channels: z.array(channelSchema).optional(),
});

/** A contact's notification preferences; unset fields fall back to the deployment defaults. */
export const notificationPreferencesSchema = z
  .object({
    timezone: z.string().min(1).optional(),
    quietHours: quietHoursSchema.nullable().optional(),
    channels: z.array(channelSchema).optional(),
    categories: z.record(z.string(), categoryPreferenceSchema).optional(),
  })
  .meta({ id: 'NotificationPreferences' });
export type NotificationPreferences = z.infer<typeof notificationPreferencesSchema>;

export const notificationFallbackSchema = z.object({
  /** A duration such as "10m". */
  after: z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'a duration such as "10m"'),
  until: z.enum(['delivered', 'read']),
});
export type NotificationFallback = z.infer<typeof notificationFallbackSchema>;

export const notificationTimelineTypes = [
  'scheduled',
  'deferred',
  'queued',
  'suppressed',
  'sent',
  'fallback',
  'delivered',
  'read',
  'failed',
  'replied',
] as const;

export const notificationTimelineEntrySchema = z.object({
  type: z.enum(notificationTimelineTypes),
  at: timestampSchema,
  channel: channelSchema.nullable().default(null),
  messageId: z.string().nullable().default(null),
  reason: notificationReasonSchema.nullable().default(null),
  /** Deferred: until when. */
  until: timestampSchema.nullable().default(null),
});
export type NotificationTimelineEntry = z.infer<typeof notificationTimelineEntrySchema>;

export const notificationSchema = z
  .object({
    id: z.string().min(1),
    contactId: z.string().min(1),
    /** The conversation the notification was sent in (null until sent). */
    conversationId: z.string().nullable(),
    /** The address the app named, when it sent to an address rather than a contact. */
    to: addressSchema.nullable(),
    category: z.string().min(1),
    content: contentSchema,
    template: templateContentSchema.nullable(),
    critical: z.boolean(),
    status: notificationStatusSchema,
    reason: notificationReasonSchema.nullable(),
    /** When it is (or was) due to go out. */
    scheduledFor: timestampSchema,
    expiresAt: timestampSchema.nullable(),
    /** When its message was queued (what frequency caps count). */
    sentAt: timestampSchema.nullable(),
    fallback: notificationFallbackSchema.nullable(),
    /** The channel it was sent on (the first; a fallback's is in the timeline). */
    channel: channelSchema.nullable(),
    /** The outbound message that carried it. */
    messageId: z.string().nullable(),
    /** The customer's first reply. */
    replyMessageId: z.string().nullable(),
    idempotencyKey: z.string().nullable(),
    timeline: z.array(notificationTimelineEntrySchema),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .meta({ id: 'Notification' });
export type Notification = z.infer<typeof notificationSchema>;
