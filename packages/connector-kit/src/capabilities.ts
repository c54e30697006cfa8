import { mediaKindSchema } from '@threadline/schema';
import { z } from 'zod';

/** What a channel can carry. Outbound content is rendered down to this, never silently dropped. */
export const capabilitiesSchema = z.object({
  text: z.object({
    /** Longest text one provider message may carry; longer text is split into parts. */
    maxLength: z.number().int().positive(),
  }),
  /** Media kinds the channel carries natively; others become links. Empty: text only. */
  media: z.array(mediaKindSchema),
  /** Attachments one outbound message may carry; more are sent as further messages. */
  maxAttachments: z.number().int().nonnegative(),
  /** Native buttons, or null when buttons must be rendered as a numbered list. */
  buttons: z
    .object({ max: z.number().int().positive(), titleMaxLength: z.number().int().positive() })
    .nullable(),
  templates: z.boolean(),
  location: z.boolean(),
  contacts: z.boolean(),
  reactions: z.boolean(),
  readReceipts: z.boolean(),
  edits: z.boolean(),
  typing: z.boolean(),
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;

/** A plain text channel (an SMS-like carrier): what render-down starts from. */
export const textOnlyCapabilities: Capabilities = {
  text: { maxLength: 1600 },
  media: [],
  maxAttachments: 0,
  buttons: null,
  templates: false,
  location: false,
  contacts: false,
  reactions: false,
  readReceipts: false,
  edits: false,
  typing: false,
};

export function defineCapabilities(overrides: Partial<Capabilities>): Capabilities {
  return capabilitiesSchema.parse({ ...textOnlyCapabilities, ...overrides });
}
