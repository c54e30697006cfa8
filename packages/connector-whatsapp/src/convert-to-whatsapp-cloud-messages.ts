import { ConnectorError, type OutboundMessage, toE164 } from '@threadline/connector-kit';
import type { Button, Content, MediaKind } from '@threadline/schema';

/** One request body for `POST /<phone-number-id>/messages`. */
export type WhatsAppCloudMessageBody = Record<string, unknown> & {
  messaging_product: 'whatsapp';
  to: string;
  type: string;
};

/** The longest caption Meta accepts on an image, video or document. */
export const whatsAppCloudCaptionMaxLength = 1024;

/**
 * Ask for an interactive list instead of reply buttons with
 * `channelData.whatsappList = { buttonText, sectionTitle }` on the outbound message.
 */
export interface WhatsAppListOptions {
  /** The label of the button that opens the list (at most 20 characters). */
  buttonText?: string;
  sectionTitle?: string;
}

const mediaTypes: Record<MediaKind, string> = {
  image: 'image',
  audio: 'audio',
  video: 'video',
  file: 'document',
  sticker: 'sticker',
};
const captioned = new Set(['image', 'video', 'document']);

type Part = Record<string, unknown> & { type: string };

function mediaParts(
  media: { kind: MediaKind; url?: string | undefined; filename?: string | undefined },
  caption: string | undefined,
): Part[] {
  if (!media.url) {
    throw ConnectorError.unsupportedContent(
      'whatsapp',
      'media must have a public url for the Cloud API to fetch',
    );
  }
  const type = mediaTypes[media.kind];
  const object: Record<string, unknown> = { link: media.url };
  if (type === 'document' && media.filename) object.filename = media.filename;
  const text = caption ?? '';
  if (text.length === 0) return [{ type, [type]: object }];
  if (captioned.has(type) && Array.from(text).length <= whatsAppCloudCaptionMaxLength) {
    return [{ type, [type]: { ...object, caption: text } }];
  }
  // audio and stickers carry no caption, and long captions do not fit: the text follows
  return [{ type, [type]: object }, textPart(text)];
}

function textPart(text: string): Part {
  return { type: 'text', text: { body: text, preview_url: false } };
}

function listOptions(channelData: Record<string, unknown> | undefined) {
  const value = channelData?.whatsappList;
  if (!value || typeof value !== 'object') return undefined;
  const { buttonText, sectionTitle } = value as Record<string, unknown>;
  return {
    buttonText: typeof buttonText === 'string' && buttonText ? buttonText : 'Choose',
    sectionTitle: typeof sectionTitle === 'string' && sectionTitle ? sectionTitle : undefined,
  };
}

function interactivePart(
  text: string,
  buttons: Button[],
  list: ReturnType<typeof listOptions>,
): Part {
  if (list) {
    return {
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text },
        action: {
          button: list.buttonText,
          sections: [
            {
              ...(list.sectionTitle ? { title: list.sectionTitle } : {}),
              rows: buttons.map((button) => ({ id: button.id, title: button.title })),
            },
          ],
        },
      },
    };
  }
  return {
    type: 'interactive',
    interactive: {
      type: 'button',
      body: { text },
      action: {
        buttons: buttons.map((button) => ({
          type: 'reply',
          reply: { id: button.id, title: button.title },
        })),
      },
    },
  };
}

function contentParts(content: Content, channelData: Record<string, unknown> | undefined): Part[] {
  switch (content.type) {
    case 'text': {
      const attachment = content.attachments?.[0];
      if (!attachment) return [textPart(content.text)];
      return mediaParts(attachment, content.text);
    }
    case 'media':
      return mediaParts(content, content.caption);
    case 'interactive':
      return [interactivePart(content.text, content.buttons, listOptions(channelData))];
    case 'location':
      return [
        {
          type: 'location',
          location: {
            latitude: content.latitude,
            longitude: content.longitude,
            ...(content.name ? { name: content.name } : {}),
            ...(content.address ? { address: content.address } : {}),
          },
        },
      ];
    case 'contact': {
      const [firstName, ...rest] = content.name.trim().split(/\s+/);
      return [
        {
          type: 'contacts',
          contacts: [
            {
              name: {
                formatted_name: content.name,
                first_name: firstName || content.name,
                ...(rest.length > 0 ? { last_name: rest.join(' ') } : {}),
              },
              phones: content.phones.map((phone) => ({ phone })),
              emails: content.emails.map((email) => ({ email })),
            },
          ],
        },
      ];
    }
    case 'reaction':
      return [
        { type: 'reaction', reaction: { message_id: content.targetId, emoji: content.emoji } },
      ];
    case 'template':
      return [
        {
          type: 'template',
          template: {
            name: content.name,
            language: { code: content.language },
            ...(content.parameters.length > 0
              ? {
                  components: [
                    {
                      type: 'body',
                      parameters: content.parameters.map((text) => ({ type: 'text', text })),
                    },
                  ],
                }
              : {}),
          },
        },
      ];
    case 'postback':
      throw ConnectorError.unsupportedContent('whatsapp', 'a postback is what customers send');
  }
}

function recipientOf(address: string): string {
  try {
    return toE164(address).slice(1);
  } catch (error) {
    throw new ConnectorError(
      'validation_failed',
      `to.address "${address}" is not a phone number: the Cloud API sends to phone numbers only`,
      { cause: error },
    );
  }
}

/**
 * The Graph API request bodies for one outbound message, in order: usually one; two when a
 * caption cannot ride on its media (audio, stickers, captions over 1,024 characters) and
 * follows as text. The reply context goes on the first.
 */
export function convertToWhatsAppCloudMessages(
  message: Pick<OutboundMessage, 'to' | 'content' | 'replyToExternalId' | 'channelData'>,
): WhatsAppCloudMessageBody[] {
  const to = recipientOf(message.to.address);
  const parts = contentParts(message.content, message.channelData);
  return parts.map((part, index) => ({
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    ...(index === 0 && message.replyToExternalId && part.type !== 'reaction'
      ? { context: { message_id: message.replyToExternalId } }
      : {}),
    ...part,
  }));
}
