import { ConnectorError, type OutboundMessage } from '@threadline/connector-kit';
import type { Content, MediaContent } from '@threadline/schema';
import { parseTelegramMessageExternalId } from './telegram-external-id.js';

/** Telegram's longest media caption, in characters. Longer captions follow as a text message. */
export const telegramCaptionMaxLength = 1024;
/** Telegram's limit for a button's `callback_data`, in bytes. */
export const telegramCallbackDataMaxBytes = 64;

interface Addressing {
  chat_id: string;
  message_thread_id?: number;
  reply_parameters?: { message_id: number; chat_id?: string; allow_sending_without_reply?: true };
}

interface InlineKeyboard {
  inline_keyboard: Array<Array<{ text: string; callback_data: string }>>;
}

/** One Bot API call that sends a message. Text is always plain: no `parse_mode`. */
export type TelegramSendRequest =
  | { method: 'sendMessage'; payload: Addressing & { text: string; reply_markup?: InlineKeyboard } }
  | { method: 'sendPhoto'; payload: Addressing & { photo: string; caption?: string } }
  | { method: 'sendDocument'; payload: Addressing & { document: string; caption?: string } }
  | { method: 'sendAudio'; payload: Addressing & { audio: string; caption?: string } }
  | { method: 'sendVoice'; payload: Addressing & { voice: string; caption?: string } }
  | { method: 'sendVideo'; payload: Addressing & { video: string; caption?: string } }
  | { method: 'sendSticker'; payload: Addressing & { sticker: string } }
  | { method: 'sendLocation'; payload: Addressing & { latitude: number; longitude: number } }
  | {
      method: 'sendVenue';
      payload: Addressing & { latitude: number; longitude: number; title: string; address: string };
    }
  | {
      method: 'sendContact';
      payload: Addressing & {
        phone_number: string;
        first_name: string;
        last_name?: string;
        vcard?: string;
      };
    };

type MediaRequest = Extract<
  TelegramSendRequest,
  { method: 'sendPhoto' | 'sendDocument' | 'sendAudio' | 'sendVoice' | 'sendVideo' | 'sendSticker' }
>;

/**
 * The Bot API calls that send one outbound message, in order. Usually one; a caption longer
 * than Telegram allows (or on a sticker, which takes none) follows as a text message. Only the
 * first call replies to `replyToExternalId`. Throws `unsupported_content` for content Telegram
 * cannot take as it is.
 */
export function convertToTelegramRequests(message: OutboundMessage): TelegramSendRequest[] {
  const addressing = addressingOf(message);
  const first = { ...addressing, ...replyParameters(message) };
  const requests = contentRequests(message.content, addressing);
  const [head, ...rest] = requests;
  if (!head) return [];
  return [{ ...head, payload: { ...head.payload, ...first } } as TelegramSendRequest, ...rest];
}

function contentRequests(content: Content, addressing: Addressing): TelegramSendRequest[] {
  switch (content.type) {
    case 'text': {
      const [attachment, ...more] = content.attachments ?? [];
      if (more.length > 0) {
        throw ConnectorError.unsupportedContent('telegram', 'one attachment per message');
      }
      if (!attachment) {
        return [{ method: 'sendMessage', payload: { ...addressing, text: content.text } }];
      }
      return mediaRequests({ type: 'media', ...attachment, caption: content.text }, addressing);
    }
    case 'media':
      return mediaRequests(content, addressing);
    case 'interactive':
      return [
        {
          method: 'sendMessage',
          payload: {
            ...addressing,
            text: content.text,
            reply_markup: {
              inline_keyboard: content.buttons.map((button) => {
                if (Buffer.byteLength(button.id, 'utf8') > telegramCallbackDataMaxBytes) {
                  throw ConnectorError.unsupportedContent(
                    'telegram',
                    `button id "${button.id.slice(0, 16)}…" is longer than ${telegramCallbackDataMaxBytes} bytes of callback_data`,
                  );
                }
                return [{ text: button.title, callback_data: button.id }];
              }),
            },
          },
        },
      ];
    case 'location':
      if (content.name && content.address) {
        return [
          {
            method: 'sendVenue',
            payload: {
              ...addressing,
              latitude: content.latitude,
              longitude: content.longitude,
              title: content.name,
              address: content.address,
            },
          },
        ];
      }
      return [
        {
          method: 'sendLocation',
          payload: { ...addressing, latitude: content.latitude, longitude: content.longitude },
        },
      ];
    case 'contact': {
      const [phone, ...otherPhones] = content.phones;
      if (!phone) {
        throw ConnectorError.unsupportedContent('telegram', 'a contact needs a phone number');
      }
      const [firstName, ...lastNames] = content.name.trim().split(/\s+/);
      const needsCard = otherPhones.length > 0 || content.emails.length > 0;
      return [
        {
          method: 'sendContact',
          payload: {
            ...addressing,
            phone_number: phone,
            first_name: firstName || phone,
            ...(lastNames.length > 0 ? { last_name: lastNames.join(' ') } : {}),
            ...(needsCard
              ? { vcard: vCard(content.name || phone, content.phones, content.emails) }
              : {}),
          },
        },
      ];
    }
    case 'postback':
    case 'reaction':
    case 'template':
      throw ConnectorError.unsupportedContent(
        'telegram',
        `${content.type} content must be rendered down first`,
      );
  }
}

function mediaRequests(content: MediaContent, addressing: Addressing): TelegramSendRequest[] {
  // a URL Telegram fetches itself, or the file_id of a file Telegram already holds
  const file = content.url ?? content.mediaId;
  if (!file) throw ConnectorError.unsupportedContent('telegram', 'media needs a url or a mediaId');
  const caption = content.caption ?? '';
  const takesCaption = content.kind !== 'sticker';
  const captionFits = takesCaption && Array.from(caption).length <= telegramCaptionMaxLength;
  const inline = captionFits && caption.length > 0 ? { caption } : {};
  const request = mediaRequest(content, file, addressing, inline);
  if (caption.length === 0 || captionFits) return [request];
  return [request, { method: 'sendMessage', payload: { ...addressing, text: caption } }];
}

function mediaRequest(
  content: MediaContent,
  file: string,
  addressing: Addressing,
  caption: { caption?: string },
): MediaRequest {
  switch (content.kind) {
    case 'image':
      return { method: 'sendPhoto', payload: { ...addressing, photo: file, ...caption } };
    case 'file':
      return { method: 'sendDocument', payload: { ...addressing, document: file, ...caption } };
    case 'audio':
      // Telegram plays OGG/Opus as a voice note; other audio goes to the music player
      return /^audio\/ogg\b/.test(content.mimeType ?? '')
        ? { method: 'sendVoice', payload: { ...addressing, voice: file, ...caption } }
        : { method: 'sendAudio', payload: { ...addressing, audio: file, ...caption } };
    case 'video':
      return { method: 'sendVideo', payload: { ...addressing, video: file, ...caption } };
    case 'sticker':
      return { method: 'sendSticker', payload: { ...addressing, sticker: file } };
  }
}

function addressingOf(message: OutboundMessage): Addressing {
  const threadId = message.channelData?.['messageThreadId'];
  return {
    chat_id: message.to.address,
    ...(typeof threadId === 'number' && Number.isSafeInteger(threadId)
      ? { message_thread_id: threadId }
      : {}),
  };
}

/**
 * Replies name the original by its message id. In the same chat,
 * `allow_sending_without_reply` keeps the message from failing when the original was deleted
 * (Telegram allows it only there).
 */
function replyParameters(message: OutboundMessage): Pick<Addressing, 'reply_parameters'> {
  if (!message.replyToExternalId) return {};
  const original = parseTelegramMessageExternalId(message.replyToExternalId);
  if (!original) return {};
  const sameChat = original.chatId === message.to.address;
  return {
    reply_parameters: sameChat
      ? { message_id: original.messageId, allow_sending_without_reply: true }
      : { message_id: original.messageId, chat_id: original.chatId },
  };
}

function vCard(name: string, phones: string[], emails: string[]): string {
  const escapeValue = (value: string) =>
    value.replace(/([\\;,])/g, '\\$1').replace(/\r?\n/g, '\\n');
  return [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `FN:${escapeValue(name)}`,
    ...phones.map((phone) => `TEL;TYPE=CELL:${escapeValue(phone)}`),
    ...emails.map((email) => `EMAIL:${escapeValue(email)}`),
    'END:VCARD',
  ].join('\r\n');
}
