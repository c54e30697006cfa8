import { z } from 'zod';

export const mediaKinds = ['image', 'audio', 'video', 'file', 'sticker'] as const;
export const mediaKindSchema = z.enum(mediaKinds);
export type MediaKind = z.infer<typeof mediaKindSchema>;

/** One attachment. Either `url` (fetchable) or `mediaId` (the provider's or the gateway's media id). */
export const attachmentSchema = z
  .object({
    kind: mediaKindSchema,
    url: z.url().optional(),
    mediaId: z.string().min(1).optional(),
    mimeType: z.string().min(1).optional(),
    filename: z.string().min(1).optional(),
    size: z.number().int().nonnegative().optional(),
  })
  .refine((media) => media.url !== undefined || media.mediaId !== undefined, {
    message: 'media needs a url or a mediaId',
    path: ['url'],
  })
  .meta({ id: 'Attachment' });
export type Attachment = z.infer<typeof attachmentSchema>;

/**
 * Text, optionally with attachments. This is how a message with text and several
 * attachments is represented (an email body with files, an MMS with pictures):
 * `{ type: 'text', text, attachments: [...] }`.
 */
export const textContentSchema = z
  .object({
    type: z.literal('text'),
    text: z.string(),
    attachments: z.array(attachmentSchema).optional(),
  })
  .meta({ id: 'TextContent' });

/** A single media item, with an optional caption (a photo with a caption, a voice note). */
export const mediaContentSchema = z
  .object({
    type: z.literal('media'),
    kind: mediaKindSchema,
    url: z.url().optional(),
    mediaId: z.string().min(1).optional(),
    mimeType: z.string().min(1).optional(),
    filename: z.string().min(1).optional(),
    size: z.number().int().nonnegative().optional(),
    caption: z.string().optional(),
  })
  .meta({ id: 'MediaContent' });

export const locationContentSchema = z
  .object({
    type: z.literal('location'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: z.string().optional(),
    address: z.string().optional(),
  })
  .meta({ id: 'LocationContent' });

export const contactContentSchema = z
  .object({
    type: z.literal('contact'),
    name: z.string(),
    phones: z.array(z.string()).default([]),
    emails: z.array(z.string()).default([]),
  })
  .meta({ id: 'ContactContent' });

export const buttonSchema = z
  .object({
    id: z.string().min(1).max(256),
    title: z.string().min(1).max(256),
  })
  .meta({ id: 'Button' });
export type Button = z.infer<typeof buttonSchema>;

export const interactiveContentSchema = z
  .object({
    type: z.literal('interactive'),
    text: z.string().min(1),
    buttons: z.array(buttonSchema).min(1).max(100),
  })
  .meta({ id: 'InteractiveContent' });

/** A button press (or a numbered-list answer mapped back to the button it names). */
export const postbackContentSchema = z
  .object({
    type: z.literal('postback'),
    payload: z.string(),
    title: z.string().optional(),
  })
  .meta({ id: 'PostbackContent' });

/** A reaction to another message; an empty `emoji` removes the reaction. */
export const reactionContentSchema = z
  .object({
    type: z.literal('reaction'),
    emoji: z.string(),
    targetId: z.string().min(1),
  })
  .meta({ id: 'ReactionContent' });

export const templateContentSchema = z
  .object({
    type: z.literal('template'),
    name: z.string().min(1),
    language: z.string().min(2),
    parameters: z.array(z.string()).default([]),
  })
  .meta({ id: 'TemplateContent' });

export const contentSchema = z
  .discriminatedUnion('type', [
    textContentSchema,
    mediaContentSchema,
    locationContentSchema,
    contactContentSchema,
    interactiveContentSchema,
    postbackContentSchema,
    reactionContentSchema,
    templateContentSchema,
  ])
  .superRefine((content, context) => {
    if (content.type === 'media' && content.url === undefined && content.mediaId === undefined) {
      context.addIssue({
        code: 'custom',
        message: 'media needs a url or a mediaId',
        path: ['url'],
      });
    }
  })
  .meta({ id: 'Content' });

export type Content = z.infer<typeof contentSchema>;
export type ContentType = Content['type'];
export type TextContent = z.infer<typeof textContentSchema>;
export type MediaContent = z.infer<typeof mediaContentSchema>;
export type LocationContent = z.infer<typeof locationContentSchema>;
export type ContactContent = z.infer<typeof contactContentSchema>;
export type InteractiveContent = z.infer<typeof interactiveContentSchema>;
export type PostbackContent = z.infer<typeof postbackContentSchema>;
export type ReactionContent = z.infer<typeof reactionContentSchema>;
export type TemplateContent = z.infer<typeof templateContentSchema>;

export const contentTypes = [
  'text',
  'media',
  'location',
  'contact',
  'interactive',
  'postback',
  'reaction',
  'template',
] as const satisfies readonly ContentType[];
