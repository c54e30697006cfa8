import { z } from 'zod';

/** The whatsapp-web.js events that carry messages, statuses, edits and deletions. */
export const whatsAppWebEventNames = [
  'message',
  'message_ack',
  'message_edit',
  'message_revoke_everyone',
] as const;
export type WhatsAppWebEventName = (typeof whatsAppWebEventNames)[number];

const coordinate = z.union([z.number(), z.string().min(1)]).pipe(z.coerce.number());

/** A whatsapp-web.js `Message` as the connector serializes it, with its media already saved. */
export const serializedWhatsAppWebMessageSchema = z.object({
  id: z.object({ _serialized: z.string().min(1), fromMe: z.boolean().nullish() }),
  from: z.string().min(1),
  to: z.string().nullish(),
  author: z.string().nullish(),
  fromMe: z.boolean().nullish(),
  body: z.string().nullish(),
  type: z.string().min(1),
  timestamp: z.number().nullish(),
  hasMedia: z.boolean().nullish(),
  media: z
    .object({
      mediaId: z.string().min(1),
      url: z.string().nullish(),
      mimeType: z.string().nullish(),
      filename: z.string().nullish(),
      size: z.number().int().nonnegative().nullish(),
    })
    .nullish(),
  quotedMessageId: z.string().nullish(),
  location: z
    .object({
      latitude: coordinate.pipe(z.number().min(-90).max(90)),
      longitude: coordinate.pipe(z.number().min(-180).max(180)),
      name: z.string().nullish(),
      address: z.string().nullish(),
    })
    .nullish(),
  vCards: z.array(z.string()).nullish(),
  notifyName: z.string().nullish(),
  isStatus: z.boolean().nullish(),
  broadcast: z.boolean().nullish(),
  isForwarded: z.boolean().nullish(),
  selectedButtonId: z.string().nullish(),
  selectedRowId: z.string().nullish(),
  latestEditSenderTimestampMs: z.number().nullish(),
});
export type SerializedWhatsAppWebMessage = z.infer<typeof serializedWhatsAppWebMessageSchema>;

export const whatsAppWebEventSchemas = {
  message: z.object({ message: serializedWhatsAppWebMessageSchema }),
  message_ack: z.object({ message: serializedWhatsAppWebMessageSchema, ack: z.number().int() }),
  message_edit: z.object({
    message: serializedWhatsAppWebMessageSchema,
    newBody: z.string(),
    prevBody: z.string().nullish(),
  }),
  message_revoke_everyone: z.object({
    message: serializedWhatsAppWebMessageSchema,
    before: serializedWhatsAppWebMessageSchema.nullish(),
  }),
} as const satisfies Record<WhatsAppWebEventName, z.ZodType>;

export type WhatsAppWebEventData<T extends WhatsAppWebEventName> = z.input<
  (typeof whatsAppWebEventSchemas)[T]
>;
