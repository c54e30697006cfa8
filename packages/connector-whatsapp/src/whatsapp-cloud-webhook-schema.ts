import { z } from 'zod';

/**
 * Lenient schemas for the WhatsApp Cloud API `messages` webhook: only the fields we use,
 * `.nullish()` where Meta omits or nulls a field depending on the message.
 */

const nonEmpty = z.string().min(1);
const unixTimestamp = z.union([z.string(), z.number()]).nullish();

export const whatsAppCloudErrorSchema = z.object({
  code: z.union([z.number(), z.string()]).nullish(),
  title: z.string().nullish(),
  message: z.string().nullish(),
  error_data: z.object({ details: z.string().nullish() }).nullish(),
  href: z.string().nullish(),
});
export type WhatsAppCloudError = z.infer<typeof whatsAppCloudErrorSchema>;

const mediaSchema = z.object({
  id: nonEmpty,
  mime_type: z.string().nullish(),
  sha256: z.string().nullish(),
  caption: z.string().nullish(),
  filename: z.string().nullish(),
  voice: z.boolean().nullish(),
  animated: z.boolean().nullish(),
});

const sharedContactSchema = z.object({
  name: z
    .object({
      formatted_name: z.string().nullish(),
      first_name: z.string().nullish(),
      last_name: z.string().nullish(),
    })
    .nullish(),
  phones: z.array(z.object({ phone: z.string().nullish(), wa_id: z.string().nullish() })).nullish(),
  emails: z.array(z.object({ email: z.string().nullish() })).nullish(),
});
export type WhatsAppCloudSharedContact = z.infer<typeof sharedContactSchema>;

/** The key holding the type-specific object, by message type. */
const contentKeyByType = {
  text: 'text',
  image: 'image',
  audio: 'audio',
  video: 'video',
  document: 'document',
  sticker: 'sticker',
  location: 'location',
  contacts: 'contacts',
  interactive: 'interactive',
  button: 'button',
  reaction: 'reaction',
} as const;

export const whatsAppCloudMessageSchema = z
  .object({
    id: nonEmpty,
    from: nonEmpty,
    timestamp: unixTimestamp,
    type: nonEmpty,
    context: z
      .object({
        id: z.string().nullish(),
        from: z.string().nullish(),
        forwarded: z.boolean().nullish(),
        frequently_forwarded: z.boolean().nullish(),
      })
      .nullish(),
    text: z.object({ body: z.string() }).nullish(),
    image: mediaSchema.nullish(),
    audio: mediaSchema.nullish(),
    video: mediaSchema.nullish(),
    document: mediaSchema.nullish(),
    sticker: mediaSchema.nullish(),
    location: z
      .object({
        latitude: z.number().min(-90).max(90),
        longitude: z.number().min(-180).max(180),
        name: z.string().nullish(),
        address: z.string().nullish(),
        url: z.string().nullish(),
      })
      .nullish(),
    contacts: z.array(sharedContactSchema).min(1).nullish(),
    interactive: z
      .object({
        type: nonEmpty,
        button_reply: z.object({ id: z.string(), title: z.string().nullish() }).nullish(),
        list_reply: z
          .object({
            id: z.string(),
            title: z.string().nullish(),
            description: z.string().nullish(),
          })
          .nullish(),
      })
      .nullish(),
    button: z.object({ payload: z.string().nullish(), text: z.string().nullish() }).nullish(),
    reaction: z.object({ message_id: nonEmpty, emoji: z.string().nullish() }).nullish(),
    errors: z.array(whatsAppCloudErrorSchema).nullish(),
    unsupported: z.object({ type: z.string().nullish() }).nullish(),
    system: z.object({ body: z.string().nullish(), type: z.string().nullish() }).nullish(),
    referral: z.record(z.string(), z.unknown()).nullish(),
  })
  .superRefine((message, context) => {
    const key = contentKeyByType[message.type as keyof typeof contentKeyByType];
    if (key && (message[key] === null || message[key] === undefined)) {
      context.addIssue({
        code: 'custom',
        path: [key],
        message: `a ${message.type} message carries a "${key}" object`,
      });
    }
    if (message.type === 'interactive' && message.interactive) {
      const kind = message.interactive.type;
      if ((kind === 'button_reply' || kind === 'list_reply') && !message.interactive[kind]) {
        context.addIssue({
          code: 'custom',
          path: ['interactive', kind],
          message: `an interactive ${kind} carries a "${kind}" object`,
        });
      }
    }
  });
export type WhatsAppCloudMessage = z.infer<typeof whatsAppCloudMessageSchema>;

export const whatsAppCloudStatusSchema = z.object({
  id: nonEmpty,
  status: nonEmpty,
  timestamp: unixTimestamp,
  recipient_id: z.string().nullish(),
  errors: z.array(whatsAppCloudErrorSchema).nullish(),
  conversation: z
    .object({
      id: z.string().nullish(),
      origin: z.object({ type: z.string().nullish() }).nullish(),
    })
    .nullish(),
  pricing: z
    .object({
      billable: z.boolean().nullish(),
      pricing_model: z.string().nullish(),
      category: z.string().nullish(),
    })
    .nullish(),
  biz_opaque_callback_data: z.string().nullish(),
});
export type WhatsAppCloudStatus = z.infer<typeof whatsAppCloudStatusSchema>;

export const whatsAppCloudWebhookSchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(
    z.object({
      id: z.string().nullish(),
      changes: z.array(
        z.object({
          field: nonEmpty,
          value: z.object({
            metadata: z
              .object({
                display_phone_number: z.string().nullish(),
                phone_number_id: z.string().nullish(),
              })
              .nullish(),
            contacts: z
              .array(
                z.object({
                  wa_id: z.string().nullish(),
                  profile: z.object({ name: z.string().nullish() }).nullish(),
                }),
              )
              .nullish(),
            messages: z.array(whatsAppCloudMessageSchema).nullish(),
            statuses: z.array(whatsAppCloudStatusSchema).nullish(),
            errors: z.array(whatsAppCloudErrorSchema).nullish(),
          }),
        }),
      ),
    }),
  ),
});
export type WhatsAppCloudWebhook = z.infer<typeof whatsAppCloudWebhookSchema>;
