import {
  canonicalAddress,
  type InboundEvent,
  type InboundMessage,
  toE164,
} from '@threadline/connector-kit';
import type { Address, ChannelData, Content, MediaKind } from '@threadline/schema';
import { toMessageError } from './map-whatsapp-cloud-error.js';
import { mapWhatsAppCloudStatus } from './map-whatsapp-cloud-status.js';
import { unixSecondsToIso } from './unix-seconds-to-iso.js';
import type {
  WhatsAppCloudError,
  WhatsAppCloudMessage,
  WhatsAppCloudSharedContact,
  WhatsAppCloudStatus,
  WhatsAppCloudWebhook,
} from './whatsapp-cloud-webhook-schema.js';

export interface ConvertWhatsAppCloudWebhookOptions {
  /** Our business phone number id: changes for other numbers of the same app are ignored. */
  phoneNumberId?: string;
}

const mediaKinds = {
  image: 'image',
  audio: 'audio',
  video: 'video',
  document: 'file',
  sticker: 'sticker',
} as const satisfies Record<string, MediaKind>;

/** Message types that are not customer content (a number change, a first-open notice). */
const notCustomerContent = new Set(['system', 'request_welcome', 'ephemeral']);

function optional<T>(value: T | null | undefined): T | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

function errorsData(errors: WhatsAppCloudError[] | null | undefined) {
  return (errors ?? []).map((error) => ({
    code: error.code === null || error.code === undefined ? null : String(error.code),
    title: error.title ?? null,
    message: error.message ?? null,
    details: error.error_data?.details ?? null,
  }));
}

function businessAddress(displayPhoneNumber: string | null | undefined): Address | undefined {
  if (!displayPhoneNumber) return undefined;
  try {
    return { channel: 'whatsapp', address: toE164(displayPhoneNumber) };
  } catch {
    return undefined;
  }
}

function contactCard(contact: WhatsAppCloudSharedContact): Content {
  const name =
    optional(contact.name?.formatted_name) ??
    optional([contact.name?.first_name, contact.name?.last_name].filter(Boolean).join(' ')) ??
    'Contact';
  const phones = (contact.phones ?? []).flatMap((phone) => {
    const value = optional(phone.phone) ?? (phone.wa_id ? `+${phone.wa_id}` : undefined);
    return value ? [value] : [];
  });
  const emails = (contact.emails ?? []).flatMap((email) => (email.email ? [email.email] : []));
  return { type: 'contact', name, phones, emails };
}

type Converted = { content: Content; channelData?: ChannelData } | { ignored: string };

function convertContent(message: WhatsAppCloudMessage): Converted {
  switch (message.type) {
    case 'text':
      return { content: { type: 'text', text: message.text!.body } };
    case 'image':
    case 'audio':
    case 'video':
    case 'document':
    case 'sticker': {
      const media = message[message.type]!;
      const channelData: ChannelData = {};
      if (media.voice) channelData.voice = true;
      if (media.animated) channelData.animated = true;
      if (media.sha256) channelData.sha256 = media.sha256;
      return {
        content: {
          type: 'media',
          kind: mediaKinds[message.type],
          mediaId: media.id,
          ...(optional(media.mime_type) ? { mimeType: media.mime_type! } : {}),
          ...(optional(media.filename) ? { filename: media.filename! } : {}),
          ...(optional(media.caption) ? { caption: media.caption! } : {}),
        },
        channelData,
      };
    }
    case 'location': {
      const location = message.location!;
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
    case 'contacts': {
      const contacts = message.contacts!;
      return {
        content: contactCard(contacts[0]!),
        ...(contacts.length > 1 ? { channelData: { contacts: contacts.map(contactCard) } } : {}),
      };
    }
    case 'interactive': {
      const interactive = message.interactive!;
      if (interactive.type === 'button_reply') {
        const reply = interactive.button_reply!;
        return {
          content: {
            type: 'postback',
            payload: reply.id,
            ...(optional(reply.title) ? { title: reply.title! } : {}),
          },
        };
      }
      if (interactive.type === 'list_reply') {
        const reply = interactive.list_reply!;
        return {
          content: {
            type: 'postback',
            payload: reply.id,
            ...(optional(reply.title) ? { title: reply.title! } : {}),
          },
          ...(optional(reply.description)
            ? { channelData: { description: reply.description! } }
            : {}),
        };
      }
      return unsupported(message, `interactive.${interactive.type}`);
    }
    case 'button': {
      const button = message.button!;
      return {
        content: {
          type: 'postback',
          payload: button.payload ?? button.text ?? '',
          ...(optional(button.text) ? { title: button.text! } : {}),
        },
        channelData: { templateQuickReply: true },
      };
    }
    case 'reaction': {
      const reaction = message.reaction!;
      return {
        content: { type: 'reaction', emoji: reaction.emoji ?? '', targetId: reaction.message_id },
      };
    }
    default:
      if (notCustomerContent.has(message.type)) {
        return {
          ignored: message.system?.body ?? `a ${message.type} notice, not a customer message`,
        };
      }
      return unsupported(message, message.unsupported?.type ?? message.type);
  }
}

/** Content the Cloud API does not deliver: kept as an empty text, with Meta's errors. */
function unsupported(message: WhatsAppCloudMessage, unsupportedType: string): Converted {
  return {
    content: { type: 'text', text: '' },
    channelData: {
      unsupported: true,
      unsupportedType,
      errors: errorsData(message.errors),
    },
  };
}

function convertMessage(
  message: WhatsAppCloudMessage,
  context: {
    path: string;
    to: Address | undefined;
    senderName: string | undefined;
  },
): InboundEvent {
  const converted = convertContent(message);
  if ('ignored' in converted) {
    return { type: 'ignored', kind: `whatsapp.${message.type}`, reason: converted.ignored };
  }
  const channelData: ChannelData = { ...converted.channelData };
  if (message.context?.forwarded) channelData.forwarded = true;
  if (message.context?.frequently_forwarded) channelData.frequentlyForwarded = true;
  if (message.referral) channelData.referral = message.referral;
  const createdAt = unixSecondsToIso(message.timestamp);
  const replyTo = optional(message.context?.id);
  const inbound: InboundMessage = {
    externalId: message.id,
    from: {
      channel: 'whatsapp',
      address: canonicalAddress('whatsapp', message.from, { path: `${context.path}.from` }),
    },
    ...(context.to ? { to: context.to } : {}),
    content: converted.content,
    ...(createdAt ? { createdAt } : {}),
    ...(replyTo ? { replyToExternalId: replyTo } : {}),
    ...(context.senderName ? { senderName: context.senderName } : {}),
    ...(Object.keys(channelData).length > 0 ? { channelData } : {}),
  };
  return { type: 'message', message: inbound };
}

function convertStatus(status: WhatsAppCloudStatus): InboundEvent {
  const mapped = mapWhatsAppCloudStatus(status.status);
  if (!mapped) {
    return {
      type: 'ignored',
      kind: `whatsapp.status.${status.status}`,
      reason: `status "${status.status}" has no Threadline equivalent`,
    };
  }
  const occurredAt = unixSecondsToIso(status.timestamp);
  const channelData: ChannelData = {};
  if (status.recipient_id) channelData.recipientId = status.recipient_id;
  if (status.conversation?.id) channelData.conversationId = status.conversation.id;
  if (status.conversation?.origin?.type)
    channelData.conversationOrigin = status.conversation.origin.type;
  if (status.pricing?.category) channelData.pricingCategory = status.pricing.category;
  if (typeof status.pricing?.billable === 'boolean') channelData.billable = status.pricing.billable;
  if (status.biz_opaque_callback_data) channelData.callbackData = status.biz_opaque_callback_data;
  if (status.errors?.length) channelData.errors = errorsData(status.errors);
  return {
    type: 'status',
    externalId: status.id,
    status: mapped,
    ...(mapped === 'failed' ? { error: toMessageError(status.errors?.[0]) } : {}),
    ...(occurredAt ? { occurredAt } : {}),
    ...(Object.keys(channelData).length > 0 ? { channelData } : {}),
  };
}

/**
 * A verified Cloud API webhook body as normalized events: every message and every status of
 * every change of every entry, in order. Changes that are not `messages` (template reviews,
 * account updates) and changes for another phone number of the same app are acknowledged as
 * `ignored`.
 */
export function convertWhatsAppCloudWebhook(
  webhook: WhatsAppCloudWebhook,
  options: ConvertWhatsAppCloudWebhookOptions = {},
): InboundEvent[] {
  const events: InboundEvent[] = [];
  for (const [entryIndex, entry] of webhook.entry.entries()) {
    for (const [changeIndex, change] of entry.changes.entries()) {
      const value = change.value;
      if (change.field !== 'messages') {
        events.push({
          type: 'ignored',
          kind: `whatsapp.${change.field}`,
          reason: 'not a messages webhook',
        });
        continue;
      }
      const phoneNumberId = value.metadata?.phone_number_id;
      if (options.phoneNumberId && phoneNumberId && phoneNumberId !== options.phoneNumberId) {
        events.push({
          type: 'ignored',
          kind: 'whatsapp.other_phone_number',
          reason: `for phone number id ${phoneNumberId}, not ${options.phoneNumberId}`,
        });
        continue;
      }
      const to = businessAddress(value.metadata?.display_phone_number);
      const contacts = value.contacts ?? [];
      for (const [messageIndex, message] of (value.messages ?? []).entries()) {
        const profile =
          contacts.find((contact) => contact.wa_id === message.from) ??
          (contacts.length === 1 ? contacts[0] : undefined);
        events.push(
          convertMessage(message, {
            path: `entry.${entryIndex}.changes.${changeIndex}.value.messages.${messageIndex}`,
            to,
            senderName: optional(profile?.profile?.name),
          }),
        );
      }
      for (const status of value.statuses ?? []) events.push(convertStatus(status));
      for (const error of value.errors ?? []) {
        events.push({
          type: 'ignored',
          kind: 'whatsapp.error',
          reason: toMessageError(error).message,
        });
      }
    }
  }
  return events;
}
