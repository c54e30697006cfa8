import {
  ConnectorError,
  type IdentityClaim,
  type InboundEvent,
  type InboundMessage,
  toE164,
} from '@threadline/connector-kit';
import type { Address, ChannelData, Content } from '@threadline/schema';
import { telegramCallbackExternalId, telegramMessageExternalId } from './telegram-external-id.js';
import type {
  TelegramCallbackQuery,
  TelegramMessage,
  TelegramUpdate,
  TelegramUser,
} from './telegram-update-schema.js';

export interface TelegramConversionContext {
  /** The bot's own user id (the number before the colon of its token): the inbound `to`. */
  botId?: string;
}

/**
 * The kinds of update the connector reads: what it asks Telegram for (`allowed_updates` of
 * `setWebhook` and `getUpdates`). Any other kind that still arrives is `ignored`.
 */
export const telegramHandledUpdateTypes = ['message', 'edited_message', 'callback_query'] as const;

/** Normalizes one Bot API update. Never throws: a kind we do not read becomes `ignored`. */
export function convertTelegramUpdate(
  update: TelegramUpdate,
  context: TelegramConversionContext = {},
): InboundEvent {
  if (update.message) return convertNewMessage(update.message, context);
  if (update.edited_message) return convertEditedMessage(update.edited_message);
  if (update.callback_query) return convertCallbackQuery(update.callback_query, context);
  const kind = updateKind(update);
  return ignored(
    kind,
    ignoredUpdateReasons[kind] ?? 'Threadline does not read this kind of update',
  );
}

const ignoredUpdateReasons: Record<string, string> = {
  channel_post: 'a channel post is a broadcast, not a customer conversation',
  edited_channel_post: 'a channel post is a broadcast, not a customer conversation',
  my_chat_member: "a change of the bot's membership (the user blocked, unblocked or added it)",
  chat_member: 'a change of a member of a group',
  inline_query: 'inline queries are not conversations',
};

function convertNewMessage(
  message: TelegramMessage,
  context: TelegramConversionContext,
): InboundEvent {
  const sender = messageSender(message);
  if (typeof sender === 'string') return ignored('message', sender);
  const read = readMessageContent(message);
  if (!read) {
    return ignored(
      `message.${messageKind(message)}`,
      'a kind of message Threadline does not read (a poll, a game, a service message)',
    );
  }
  const from = telegramAddress(sender.id);
  const chat = telegramAddress(message.chat.id);
  const replyToExternalId = repliedExternalId(message);
  const identityClaims = read.contactOfSender ? contactShareClaims(read.contactOfSender) : [];
  const inbound: InboundMessage = {
    externalId: telegramMessageExternalId(message.chat.id, message.message_id),
    from,
    ...(context.botId ? { to: telegramAddress(context.botId) } : {}),
    ...(chat.address === from.address ? {} : { conversationAddress: chat }),
    content: read.content,
    createdAt: isoFromUnixTime(message.date),
    ...(replyToExternalId ? { replyToExternalId } : {}),
    ...(identityClaims.length > 0 ? { identityClaims } : {}),
    senderName: fullName(sender),
    channelData: compact({
      ...senderData(sender),
      chatType: message.chat.type,
      chatTitle: message.chat.title,
      messageThreadId: message.message_thread_id,
      mediaGroupId: message.media_group_id,
      ...read.channelData,
    }),
  };
  return { type: 'message', message: inbound };
}

function convertEditedMessage(message: TelegramMessage): InboundEvent {
  const sender = messageSender(message);
  if (typeof sender === 'string') return ignored('edited_message', sender);
  const read = readMessageContent(message);
  if (!read) {
    return ignored(
      `edited_message.${messageKind(message)}`,
      'an edit of a kind of message Threadline does not read',
    );
  }
  return {
    type: 'edit',
    externalId: telegramMessageExternalId(message.chat.id, message.message_id),
    content: read.content,
    editedAt: isoFromUnixTime(message.edit_date ?? message.date),
  };
}

function convertCallbackQuery(
  query: TelegramCallbackQuery,
  context: TelegramConversionContext,
): InboundEvent {
  if (query.data === null || query.data === undefined) {
    return ignored('callback_query', 'a game button press carries no button data');
  }
  const from = telegramAddress(query.from.id);
  const buttonMessage = query.message;
  const chat = buttonMessage ? telegramAddress(buttonMessage.chat.id) : undefined;
  const title = buttonMessage?.reply_markup?.inline_keyboard
    .flat()
    .find((button) => button.callback_data === query.data)?.text;
  const inbound: InboundMessage = {
    externalId: telegramCallbackExternalId(query.id),
    from,
    ...(context.botId ? { to: telegramAddress(context.botId) } : {}),
    ...(chat && chat.address !== from.address ? { conversationAddress: chat } : {}),
    content: { type: 'postback', payload: query.data, ...(title ? { title } : {}) },
    // the message that carried the buttons: the press answers it
    ...(buttonMessage
      ? {
          replyToExternalId: telegramMessageExternalId(
            buttonMessage.chat.id,
            buttonMessage.message_id,
          ),
        }
      : {}),
    senderName: fullName(query.from),
    channelData: compact({
      ...senderData(query.from),
      chatType: buttonMessage?.chat.type,
      callbackQueryId: query.id,
      inlineMessageId: query.inline_message_id,
    }),
  };
  return { type: 'message', message: inbound };
}

interface ReadContent {
  content: Content;
  channelData: ChannelData;
  /** A contact card the sender shared of themselves. */
  contactOfSender?: string;
}

/** The content of a message, or undefined for a kind Threadline does not read. */
function readMessageContent(message: TelegramMessage): ReadContent | undefined {
  if (message.text !== null && message.text !== undefined) {
    return {
      content: { type: 'text', text: message.text },
      channelData: compact({ entities: message.entities, ...readCommand(message.text) }),
    };
  }
  const caption = message.caption ?? undefined;
  const withCaption = (content: Content & { type: 'media' }, channelData: ChannelData = {}) => ({
    content: caption === undefined ? content : { ...content, caption },
    channelData: compact({ ...channelData, captionEntities: message.caption_entities }),
  });
  const largest = largestPhoto(message.photo ?? []);
  if (largest) {
    return withCaption(
      {
        type: 'media',
        kind: 'image',
        mediaId: largest.file_id,
        mimeType: 'image/jpeg',
        ...size(largest.file_size),
      },
      { fileUniqueId: largest.file_unique_id, width: largest.width, height: largest.height },
    );
  }
  // an animation also carries `document` for older clients: read it first
  if (message.animation) {
    return withCaption(media('video', message.animation, 'video/mp4'), { animation: true });
  }
  if (message.document) return withCaption(media('file', message.document));
  if (message.audio) {
    return withCaption(media('audio', message.audio, 'audio/mpeg'), {
      performer: message.audio.performer,
      title: message.audio.title,
      duration: message.audio.duration,
    });
  }
  if (message.voice) {
    return withCaption(media('audio', message.voice, 'audio/ogg'), {
      voice: true,
      duration: message.voice.duration,
    });
  }
  if (message.video) {
    return withCaption(media('video', message.video, 'video/mp4'), {
      duration: message.video.duration,
    });
  }
  if (message.video_note) {
    return withCaption(media('video', message.video_note, 'video/mp4'), {
      videoNote: true,
      duration: message.video_note.duration,
    });
  }
  if (message.sticker) {
    const sticker = message.sticker;
    return {
      content: {
        type: 'media',
        kind: 'sticker',
        mediaId: sticker.file_id,
        mimeType: sticker.is_animated
          ? 'application/x-tgsticker'
          : sticker.is_video
            ? 'video/webm'
            : 'image/webp',
        ...size(sticker.file_size),
      },
      channelData: compact({
        fileUniqueId: sticker.file_unique_id,
        emoji: sticker.emoji,
        stickerSet: sticker.set_name,
      }),
    };
  }
  // a venue also carries its `location`: read it first
  if (message.venue) {
    const venue = message.venue;
    return {
      content: {
        type: 'location',
        latitude: venue.location.latitude,
        longitude: venue.location.longitude,
        name: venue.title,
        address: venue.address,
      },
      channelData: {},
    };
  }
  if (message.location) {
    return {
      content: {
        type: 'location',
        latitude: message.location.latitude,
        longitude: message.location.longitude,
      },
      channelData: {},
    };
  }
  if (message.contact) {
    const contact = message.contact;
    const phone = phoneOrUndefined(contact.phone_number);
    const phones = phone ? [phone] : contact.phone_number.trim() ? [contact.phone_number] : [];
    const ownContact =
      contact.user_id !== null &&
      contact.user_id !== undefined &&
      contact.user_id === message.from?.id;
    return {
      content: {
        type: 'contact',
        name: fullName(contact),
        phones,
        emails: [],
      },
      channelData: compact({ contactUserId: contact.user_id }),
      ...(ownContact && phone ? { contactOfSender: phone } : {}),
    };
  }
  return undefined;
}

/**
 * A contact share of the sender's own number, which Telegram vouches for: the Telegram
 * identity is the person behind that phone number on SMS and WhatsApp.
 */
function contactShareClaims(phone: string): IdentityClaim[] {
  return (['sms', 'whatsapp'] as const).map((channel) => ({
    address: { channel, address: phone },
    verified: true,
    source: 'contact_share',
  }));
}

/** `/start <payload>` (a deep link `t.me/<bot>?start=<payload>`) and other bot commands. */
function readCommand(text: string): ChannelData {
  const match = /^\/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?:\s+([\s\S]*))?$/.exec(text);
  if (!match) return {};
  const command = match[1]!;
  const argument = match[2]?.trim();
  if (command === 'start') return compact({ command, startPayload: argument || undefined });
  return compact({ command, commandArgument: argument || undefined });
}

type TelegramFile = NonNullable<TelegramMessage['document']>;

function media(
  kind: 'file' | 'audio' | 'video',
  file: TelegramFile,
  defaultMimeType?: string,
): Content & { type: 'media' } {
  const mimeType = file.mime_type || defaultMimeType;
  return {
    type: 'media',
    kind,
    mediaId: file.file_id,
    ...(mimeType ? { mimeType } : {}),
    ...(file.file_name ? { filename: file.file_name } : {}),
    ...size(file.file_size),
  };
}

type PhotoSize = NonNullable<TelegramMessage['photo']>[number];

/** Telegram sends one photo in several sizes: the largest is the photo. */
function largestPhoto(sizes: PhotoSize[]): PhotoSize | undefined {
  let largest: PhotoSize | undefined;
  for (const candidate of sizes) {
    if (!largest) {
      largest = candidate;
      continue;
    }
    const area = candidate.width * candidate.height;
    const largestArea = largest.width * largest.height;
    if (
      area > largestArea ||
      (area === largestArea && (candidate.file_size ?? 0) > (largest.file_size ?? 0))
    ) {
      largest = candidate;
    }
  }
  return largest;
}

function size(fileSize: number | null | undefined): { size?: number } {
  return fileSize === null || fileSize === undefined ? {} : { size: fileSize };
}

/** The sender, or why the message has none we can answer. */
function messageSender(message: TelegramMessage): TelegramUser | string {
  if (message.chat.type === 'channel') {
    return 'a channel post is a broadcast, not a customer conversation';
  }
  if (!message.from) return 'a message without a sender';
  return message.from;
}

/**
 * The message this one replies to. In a forum topic every message "replies" to the
 * message that opened the topic; that is not a reply.
 */
function repliedExternalId(message: TelegramMessage): string | undefined {
  const replied = message.reply_to_message;
  if (!replied) return undefined;
  if (message.is_topic_message && replied.forum_topic_created !== undefined) return undefined;
  return telegramMessageExternalId(message.chat.id, replied.message_id);
}

const messageMetadataKeys = new Set([
  'message_id',
  'message_thread_id',
  'from',
  'sender_chat',
  'sender_boost_count',
  'sender_business_bot',
  'date',
  'business_connection_id',
  'chat',
  'forward_origin',
  'is_topic_message',
  'is_automatic_forward',
  'reply_to_message',
  'external_reply',
  'quote',
  'reply_to_story',
  'via_bot',
  'edit_date',
  'has_protected_content',
  'is_from_offline',
  'media_group_id',
  'author_signature',
  'entities',
  'caption',
  'caption_entities',
  'link_preview_options',
  'reply_markup',
  'has_media_spoiler',
  'show_caption_above_media',
  'effect_id',
]);

/** What a message we do not read carries (`poll`, `new_chat_members`, ...). */
function messageKind(message: TelegramMessage): string {
  return (
    Object.keys(message).find(
      (key) => !messageMetadataKeys.has(key) && message[key] !== null && message[key] !== undefined,
    ) ?? 'unknown'
  );
}

function updateKind(update: TelegramUpdate): string {
  return (
    Object.keys(update).find(
      (key) => key !== 'update_id' && update[key] !== null && update[key] !== undefined,
    ) ?? 'unknown'
  );
}

function ignored(kind: string, reason: string): InboundEvent {
  return { type: 'ignored', kind, reason };
}

function telegramAddress(id: number | string): Address {
  return { channel: 'telegram', address: String(id) };
}

function fullName(person: { first_name: string; last_name?: string | null }): string {
  return [person.first_name, person.last_name].filter(Boolean).join(' ');
}

function senderData(user: TelegramUser): ChannelData {
  return {
    username: user.username,
    languageCode: user.language_code,
    // only said of bots (another bot writing in a group)
    isBot: user.is_bot === true ? true : undefined,
  };
}

function phoneOrUndefined(raw: string): string | undefined {
  try {
    return toE164(raw);
  } catch (error) {
    if (ConnectorError.isConnectorError(error)) return undefined;
    throw error;
  }
}

function isoFromUnixTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** Drops absent values so channel data only says what Telegram said. */
function compact(data: Record<string, unknown>): ChannelData {
  return Object.fromEntries(
    Object.entries(data).filter(([, value]) => value !== undefined && value !== null),
  );
}
