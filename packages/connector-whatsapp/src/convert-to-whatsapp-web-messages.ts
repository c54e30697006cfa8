import { ConnectorError } from '@threadline/connector-kit';
import type { Content, MediaKind } from '@threadline/schema';
import { formatVCard } from './format-vcard.js';

/** One message to hand to `client.sendMessage`, before media is downloaded. */
export type WhatsAppWebOutboundPart =
  | { kind: 'text'; text: string }
  | {
      kind: 'media';
      mediaKind: MediaKind;
      url: string;
      mimeType?: string;
      filename?: string;
      caption?: string;
    }
  | { kind: 'location'; latitude: number; longitude: number; name?: string; address?: string }
  /** A vCard string: whatsapp-web.js sends it as a contact card. */
  | { kind: 'vcard'; vcard: string };

function mediaParts(
  media: {
    kind: MediaKind;
    url?: string | undefined;
    mimeType?: string | undefined;
    filename?: string | undefined;
  },
  caption: string,
): WhatsAppWebOutboundPart[] {
  if (!media.url) {
    throw ConnectorError.unsupportedContent('whatsapp', 'media must have a url to download');
  }
  const part: WhatsAppWebOutboundPart = {
    kind: 'media',
    mediaKind: media.kind,
    url: media.url,
    ...(media.mimeType ? { mimeType: media.mimeType } : {}),
    ...(media.filename ? { filename: media.filename } : {}),
  };
  if (caption.length === 0) return [part];
  // voice notes and audio show no caption: the text follows as its own message
  if (media.kind === 'audio' || media.kind === 'sticker') {
    return [part, { kind: 'text', text: caption }];
  }
  return [{ ...part, caption }];
}

/**
 * The messages one outbound content becomes on a linked-device session, in order: text,
 * media (with its caption), a location, or a contact card.
 */
export function convertToWhatsAppWebMessages(content: Content): WhatsAppWebOutboundPart[] {
  switch (content.type) {
    case 'text': {
      const attachment = content.attachments?.[0];
      return attachment
        ? mediaParts(attachment, content.text)
        : [{ kind: 'text', text: content.text }];
    }
    case 'media':
      return mediaParts(content, content.caption ?? '');
    case 'location':
      return [
        {
          kind: 'location',
          latitude: content.latitude,
          longitude: content.longitude,
          ...(content.name ? { name: content.name } : {}),
          ...(content.address ? { address: content.address } : {}),
        },
      ];
    case 'contact':
      return [{ kind: 'vcard', vcard: formatVCard(content) }];
    default:
      throw ConnectorError.unsupportedContent(
        'whatsapp',
        `a linked-device session cannot send ${content.type} content`,
      );
  }
}
