import type { ConnectorRuntime } from '@threadline/connector-kit';
import { describeError } from './describe-error.js';
import {
  type SerializeMessageExtras,
  serializeWhatsAppWebMessage,
} from './serialize-whatsapp-web-event.js';
import type { WhatsAppWebClient, WhatsAppWebMessage } from './whatsapp-web-client.js';
import type { SerializedWhatsAppWebMessage } from './whatsapp-web-event-schema.js';

/**
 * A received message as plain data, once the session has resolved what the message only
 * points to: privacy ids (`…@lid`) as phone ids, media downloaded and saved with the gateway,
 * the id of the quoted message. Media or a quote that cannot be read is logged and left out;
 * the message itself is kept. The mapping is `serializeWhatsAppWebMessage`, which is pure.
 */
export async function serializeReceivedWhatsAppWebMessage(
  client: WhatsAppWebClient,
  runtime: Pick<ConnectorRuntime, 'saveMedia' | 'log'>,
  message: WhatsAppWebMessage,
): Promise<SerializedWhatsAppWebMessage> {
  const extras: SerializeMessageExtras = {};
  const from = await resolvePhoneId(client, message.from);
  if (from !== message.from) extras.from = from;
  if (message.author) {
    const author = await resolvePhoneId(client, message.author);
    if (author !== message.author) extras.author = author;
  }
  if (message.hasMedia) {
    try {
      const media = await message.downloadMedia();
      if (media) {
        const body = Buffer.from(media.data, 'base64');
        const saved = await runtime.saveMedia({
          body,
          contentType: media.mimetype,
          ...(media.filename ? { filename: media.filename } : {}),
        });
        extras.media = {
          mediaId: saved.mediaId,
          url: saved.url,
          mimeType: media.mimetype,
          ...(media.filename ? { filename: media.filename } : {}),
          size: body.byteLength,
        };
      }
    } catch (error) {
      runtime.log('warn', 'WhatsApp Web media could not be downloaded', {
        externalId: message.id._serialized,
        error: describeError(error),
      });
    }
  }
  if (message.hasQuotedMsg) {
    try {
      const quoted = await message.getQuotedMessage();
      if (quoted?.id?._serialized) extras.quotedMessageId = quoted.id._serialized;
    } catch (error) {
      runtime.log('warn', 'the quoted WhatsApp Web message could not be read', {
        externalId: message.id._serialized,
        error: describeError(error),
      });
    }
  }
  return serializeWhatsAppWebMessage(message, extras);
}

/** A privacy id (`…@lid`) as the phone id it stands for, when the session knows it. */
async function resolvePhoneId(client: WhatsAppWebClient, id: string): Promise<string> {
  if (!id.endsWith('@lid') || !client.getContactLidAndPhone) return id;
  try {
    const [entry] = await client.getContactLidAndPhone([id]);
    return entry?.pn ?? id;
  } catch {
    return id;
  }
}
