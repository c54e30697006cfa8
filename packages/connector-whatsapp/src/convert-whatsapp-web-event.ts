import {
  ConnectorError,
  canonicalAddress,
  type InboundEvent,
  type InboundMessage,
  parseProviderPayload,
  toE164,
} from '@threadline/connector-kit';
import type { Address, ChannelData, Content, MediaKind } from '@threadline/schema';
import { z } from 'zod';
import { mapWhatsAppWebAck, whatsAppWebAck } from './map-whatsapp-web-ack.js';
import { parseVCard } from './parse-vcard.js';
import { unixMillisecondsToIso, unixSecondsToIso } from './unix-seconds-to-iso.js';
import { groupAddress, isGroupChatId } from './whatsapp-web-address.js';
import {
  type SerializedWhatsAppWebMessage,
  type WhatsAppWebEventName,
  whatsAppWebEventSchemas,
} from './whatsapp-web-event-schema.js';

const mediaKinds: Record<string, MediaKind> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  ptt: 'audio',
  document: 'file',
  sticker: 'sticker',
};

/** Message types that are WhatsApp bookkeeping, not something a customer wrote. */
const notCustomerContent = new Set([
  'e2e_notification',
  'notification',
  'notification_template',
  'gp2',
  'protocol',
  'ciphertext',
  'call_log',
  'debug',
  'broadcast_notification',
  'revoked',
  'reaction',
]);

const absoluteUrl = z.url();

function optional(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

function phoneAddress(raw: string, path: string): Address {
  return { channel: 'whatsapp', address: canonicalAddress('whatsapp', raw, { path }) };
}

function ourAddress(raw: string | null | undefined): Address | undefined {
  if (!raw) return undefined;
  try {
    return { channel: 'whatsapp', address: toE164(raw) };
  } catch {
    return undefined;
  }
}

function isBroadcastOrChannel(message: SerializedWhatsAppWebMessage): boolean {
  return (
    Boolean(message.isStatus) ||
    message.from.endsWith('@broadcast') ||
    message.from.endsWith('@newsletter')
  );
}

type Converted = { content: Content; channelData?: ChannelData } | { ignored: string };

function convertContent(message: SerializedWhatsAppWebMessage): Converted {
  const body = message.body ?? '';
  const mediaKind = mediaKinds[message.type];
  if (mediaKind) {
    const media = message.media;
    const channelData: ChannelData = message.type === 'ptt' ? { voice: true } : {};
    if (!media) {
      // the phone no longer holds the file (expired or deleted): keep the caption, say so
      // (without media the body is a preview thumbnail, not text)
      return {
        content: { type: 'text', text: message.hasMedia ? body : '' },
        channelData: { ...channelData, mediaUnavailable: mediaKind },
      };
    }
    const url = media.url && absoluteUrl.safeParse(media.url).success ? media.url : undefined;
    return {
      content: {
        type: 'media',
        kind: mediaKind,
        mediaId: media.mediaId,
        ...(url ? { url } : {}),
        ...(optional(media.mimeType) ? { mimeType: media.mimeType! } : {}),
        ...(optional(media.filename) ? { filename: media.filename! } : {}),
        ...(typeof media.size === 'number' ? { size: media.size } : {}),
        ...(body && mediaKind !== 'sticker' ? { caption: body } : {}),
      },
      channelData,
    };
  }
  switch (message.type) {
    case 'chat':
      return { content: { type: 'text', text: body } };
    case 'location': {
      const location = message.location;
      if (!location) {
        throw ConnectorError.payloadInvalid('message.location', 'a location message carries one');
      }
      return {
        content: {
          type: 'location',
          latitude: location.latitude,
          longitude: location.longitude,
          ...(optional(location.name) ? { name: location.name! } : {}),
          ...(optional(location.address) ? { address: location.address! } : {}),
        },
      };
    }
    case 'vcard':
    case 'multi_vcard': {
      const cards = (message.vCards ?? []).flatMap((vcard) => {
        const contact = parseVCard(vcard);
        return contact ? [contact] : [];
      });
      if (cards.length === 0) {
        throw ConnectorError.payloadInvalid('message.vCards', 'a contact message carries a vCard');
      }
      return {
        content: cards[0]!,
        ...(cards.length > 1 ? { channelData: { contacts: cards } } : {}),
      };
    }
    case 'buttons_response':
      return {
        content: {
          type: 'postback',
          payload: message.selectedButtonId ?? body,
          ...(body ? { title: body } : {}),
        },
      };
    case 'list_response':
      return {
        content: {
          type: 'postback',
          payload: message.selectedRowId ?? body,
          ...(body ? { title: body } : {}),
        },
      };
    default:
      if (notCustomerContent.has(message.type)) {
        return { ignored: `a ${message.type} message is not customer content` };
      }
      // polls, orders, invites, ...: kept with their text so nothing the customer sent is lost
      return {
        content: { type: 'text', text: body },
        channelData: { unsupported: true, unsupportedType: message.type },
      };
  }
}

function convertMessage(message: SerializedWhatsAppWebMessage): InboundEvent {
  if (isBroadcastOrChannel(message)) {
    return {
      type: 'ignored',
      kind: 'whatsapp-web.broadcast',
      reason: 'status updates and channel posts are not conversations',
    };
  }
  const converted = convertContent(message);
  if ('ignored' in converted) {
    return { type: 'ignored', kind: `whatsapp-web.${message.type}`, reason: converted.ignored };
  }
  const group = isGroupChatId(message.from);
  if (group && !message.author) {
    throw ConnectorError.payloadInvalid('message.author', 'a group message names its author');
  }
  const from = group
    ? phoneAddress(message.author!, 'message.author')
    : phoneAddress(message.from, 'message.from');
  const to = ourAddress(message.to);
  const createdAt = unixSecondsToIso(message.timestamp);
  const channelData: ChannelData = { ...converted.channelData };
  if (message.isForwarded) channelData.forwarded = true;
  if (group) channelData.groupId = message.from;
  const inbound: InboundMessage = {
    externalId: message.id._serialized,
    from,
    ...(to ? { to } : {}),
    ...(group ? { conversationAddress: groupAddress(message.from) } : {}),
    content: converted.content,
    ...(createdAt ? { createdAt } : {}),
    ...(optional(message.quotedMessageId) ? { replyToExternalId: message.quotedMessageId! } : {}),
    ...(optional(message.notifyName) ? { senderName: message.notifyName! } : {}),
    ...(Object.keys(channelData).length > 0 ? { channelData } : {}),
  };
  return { type: 'message', message: inbound };
}

function isOurs(message: SerializedWhatsAppWebMessage): boolean {
  return Boolean(message.id.fromMe ?? message.fromMe);
}

/**
 * One serialized whatsapp-web.js event as normalized events: a received message, the
 * acknowledgement of a message we sent (as a status), an edit, or a deletion for everyone.
 */
export function convertWhatsAppWebEvent(
  event: WhatsAppWebEventName,
  data: unknown,
): InboundEvent[] {
  switch (event) {
    case 'message': {
      const { message } = parseProviderPayload(whatsAppWebEventSchemas.message, data);
      return [convertMessage(message)];
    }
    case 'message_ack': {
      const { message, ack } = parseProviderPayload(whatsAppWebEventSchemas.message_ack, data);
      if (!isOurs(message)) {
        return [
          {
            type: 'ignored',
            kind: 'whatsapp-web.ack',
            reason: 'acknowledgement of a message the customer sent',
          },
        ];
      }
      const status = mapWhatsAppWebAck(ack);
      if (!status) {
        return [
          {
            type: 'ignored',
            kind: 'whatsapp-web.ack',
            reason: `acknowledgement ${ack} is not a status`,
          },
        ];
      }
      return [
        {
          type: 'status',
          externalId: message.id._serialized,
          status,
          ...(ack === whatsAppWebAck.error
            ? {
                error: {
                  code: 'ack_error',
                  message: 'WhatsApp reported an error delivering the message',
                  retryable: false,
                },
              }
            : {}),
        },
      ];
    }
    case 'message_edit': {
      const { message, newBody } = parseProviderPayload(whatsAppWebEventSchemas.message_edit, data);
      if (message.type !== 'chat') {
        return [
          {
            type: 'ignored',
            kind: 'whatsapp-web.edit',
            reason: `the edit of a ${message.type} message changes its caption only`,
          },
        ];
      }
      const editedAt = unixMillisecondsToIso(message.latestEditSenderTimestampMs);
      return [
        {
          type: 'edit',
          externalId: message.id._serialized,
          content: { type: 'text', text: newBody },
          ...(editedAt ? { editedAt } : {}),
        },
      ];
    }
    case 'message_revoke_everyone': {
      const { message, before } = parseProviderPayload(
        whatsAppWebEventSchemas.message_revoke_everyone,
        data,
      );
      return [{ type: 'deletion', externalId: (before ?? message).id._serialized }];
    }
  }
}
