import { parseProviderPayload } from '@threadline/connector-kit';
import { z } from 'zod';

/**
 * Lenient schemas for the parts of a Bot API `Update` the connector reads
 * (https://core.telegram.org/bots/api#update). Only the fields we use are declared; an
 * update of a kind not declared here passes through and is reported as ignored.
 */

/** Telegram user and chat ids: up to 52 significant bits, negative for groups. */
const telegramIdSchema = z.number().int();
/** Unix time in seconds. */
const unixTimeSchema = z.number().int().min(0).max(253_402_300_799);
const fileSizeSchema = z.number().int().nonnegative().nullish();
const fileIdSchema = z.string().min(1);

export const telegramUserSchema = z.object({
  id: telegramIdSchema,
  is_bot: z.boolean().nullish(),
  first_name: z.string(),
  last_name: z.string().nullish(),
  username: z.string().nullish(),
  language_code: z.string().nullish(),
});

export const telegramChatSchema = z.object({
  id: telegramIdSchema,
  type: z.string(),
  title: z.string().nullish(),
  username: z.string().nullish(),
  is_forum: z.boolean().nullish(),
});

/** Formatting entities are kept as Telegram sends them (bold, links, mentions, commands). */
const entitySchema = z.looseObject({
  type: z.string(),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
});

const photoSizeSchema = z.object({
  file_id: fileIdSchema,
  file_unique_id: z.string().nullish(),
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
  file_size: fileSizeSchema,
});

const fileSchema = z.object({
  file_id: fileIdSchema,
  file_unique_id: z.string().nullish(),
  file_name: z.string().nullish(),
  mime_type: z.string().nullish(),
  file_size: fileSizeSchema,
  duration: z.number().nonnegative().nullish(),
});

const stickerSchema = z.object({
  file_id: fileIdSchema,
  file_unique_id: z.string().nullish(),
  emoji: z.string().nullish(),
  set_name: z.string().nullish(),
  is_animated: z.boolean().nullish(),
  is_video: z.boolean().nullish(),
  file_size: fileSizeSchema,
});

const locationSchema = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
});

const venueSchema = z.object({
  location: locationSchema,
  title: z.string(),
  address: z.string(),
});

const contactSchema = z.object({
  phone_number: z.string(),
  first_name: z.string(),
  last_name: z.string().nullish(),
  user_id: telegramIdSchema.nullish(),
});

const inlineKeyboardSchema = z.object({
  inline_keyboard: z.array(
    z.array(z.object({ text: z.string(), callback_data: z.string().nullish() })),
  ),
});

/** The message a reply points at: only its id and whether it opened a forum topic. */
const repliedMessageSchema = z.object({
  message_id: z.number().int().positive(),
  forum_topic_created: z.unknown().optional(),
});

/**
 * A message. Loose, so a message of a kind we do not read (a poll, a service message) keeps
 * its keys and can be named when it is ignored.
 */
export const telegramMessageSchema = z.looseObject({
  message_id: z.number().int().positive(),
  date: unixTimeSchema,
  chat: telegramChatSchema,
  from: telegramUserSchema.nullish(),
  edit_date: unixTimeSchema.nullish(),
  message_thread_id: z.number().int().nullish(),
  is_topic_message: z.boolean().nullish(),
  media_group_id: z.string().nullish(),
  reply_to_message: repliedMessageSchema.nullish(),
  text: z.string().nullish(),
  entities: z.array(entitySchema).nullish(),
  caption: z.string().nullish(),
  caption_entities: z.array(entitySchema).nullish(),
  photo: z.array(photoSizeSchema).nullish(),
  animation: fileSchema.nullish(),
  document: fileSchema.nullish(),
  audio: fileSchema
    .extend({ performer: z.string().nullish(), title: z.string().nullish() })
    .nullish(),
  voice: fileSchema.nullish(),
  video: fileSchema.nullish(),
  video_note: fileSchema.nullish(),
  sticker: stickerSchema.nullish(),
  venue: venueSchema.nullish(),
  location: locationSchema.nullish(),
  contact: contactSchema.nullish(),
});

/**
 * The message a callback button was attached to. It may be "inaccessible" (too old: `date`
 * is 0 and nothing else is sent), so only its address is required.
 */
const callbackMessageSchema = z.object({
  message_id: z.number().int().positive(),
  chat: telegramChatSchema,
  reply_markup: inlineKeyboardSchema.nullish(),
});

export const telegramCallbackQuerySchema = z.object({
  id: z.string().min(1),
  from: telegramUserSchema,
  message: callbackMessageSchema.nullish(),
  inline_message_id: z.string().nullish(),
  chat_instance: z.string().nullish(),
  data: z.string().nullish(),
  game_short_name: z.string().nullish(),
});

export const telegramUpdateSchema = z.looseObject({
  update_id: z.number().int().nonnegative(),
  message: telegramMessageSchema.nullish(),
  edited_message: telegramMessageSchema.nullish(),
  callback_query: telegramCallbackQuerySchema.nullish(),
});

export type TelegramUser = z.infer<typeof telegramUserSchema>;
export type TelegramChat = z.infer<typeof telegramChatSchema>;
export type TelegramMessage = z.infer<typeof telegramMessageSchema>;
export type TelegramCallbackQuery = z.infer<typeof telegramCallbackQuerySchema>;
export type TelegramUpdate = z.infer<typeof telegramUpdateSchema>;

/** Reads an update; throws `payload_invalid` naming the offending path (`message.chat.id`). */
export function parseTelegramUpdate(data: unknown): TelegramUpdate {
  return parseProviderPayload(telegramUpdateSchema, data);
}
