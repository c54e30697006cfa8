import { z } from 'zod';
import { timestampSchema } from './message.js';

/** What the passing app learned (intent, order number, a summary); at most 16 KB as JSON. */
export const controlMetadataSchema = z.record(z.string(), z.unknown());

/**
 * Which integration answers a conversation (switchboard). `active` may send; `pending` was
 * offered control and keeps receiving until it accepts; everyone else is on standby.
 */
export const conversationControlSchema = z
  .object({
    activeIntegrationId: z.string().min(1).nullable(),
    pendingIntegrationId: z.string().min(1).nullable(),
    /** When the active integration took control. */
    since: timestampSchema.nullable(),
    metadata: controlMetadataSchema.nullable(),
  })
  .meta({ id: 'ConversationControl' });
export type ConversationControl = z.infer<typeof conversationControlSchema>;

export const controlPassReasons = ['api', 'timeout', 'release', 'new_conversation'] as const;
export const controlPassReasonSchema = z.enum(controlPassReasons);
export type ControlPassReason = z.infer<typeof controlPassReasonSchema>;
