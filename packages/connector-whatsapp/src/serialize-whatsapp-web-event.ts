import type { InboundRequest } from '@threadline/connector-kit';
import type { WhatsAppWebMessage } from './whatsapp-web-client.js';
import type {
  SerializedWhatsAppWebMessage,
  WhatsAppWebEventData,
  WhatsAppWebEventName,
} from './whatsapp-web-event-schema.js';

/** What the session resolved for a message before it is serialized. */
export interface SerializeMessageExtras {
  /** Media downloaded and saved by the gateway. */
  media?: SerializedWhatsAppWebMessage['media'];
  /** `id._serialized` of the quoted message. */
  quotedMessageId?: string;
  /** The chat id with a privacy id (`…@lid`) resolved to a phone id. */
  from?: string;
  /** The group author with a privacy id resolved to a phone id. */
  author?: string;
}

function notifyNameOf(rawData: unknown): string | undefined {
  if (typeof rawData !== 'object' || rawData === null || !('notifyName' in rawData)) {
    return undefined;
  }
  const name = (rawData as { notifyName: unknown }).notifyName;
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}

/** The plain data of a whatsapp-web.js `Message` that the connector reads. */
export function serializeWhatsAppWebMessage(
  message: WhatsAppWebMessage,
  extras: SerializeMessageExtras = {},
): SerializedWhatsAppWebMessage {
  const location = message.location;
  const notifyName = notifyNameOf(message.rawData);
  return {
    id: {
      _serialized: message.id._serialized,
      ...(message.id.fromMe === undefined ? {} : { fromMe: message.id.fromMe }),
    },
    from: extras.from ?? message.from,
    ...(message.to ? { to: message.to } : {}),
    ...((extras.author ?? message.author) ? { author: extras.author ?? message.author } : {}),
    ...(message.fromMe === undefined ? {} : { fromMe: message.fromMe }),
    body: message.body ?? '',
    type: message.type,
    ...(typeof message.timestamp === 'number' ? { timestamp: message.timestamp } : {}),
    hasMedia: Boolean(message.hasMedia),
    ...(extras.media ? { media: extras.media } : {}),
    ...(extras.quotedMessageId ? { quotedMessageId: extras.quotedMessageId } : {}),
    ...(location
      ? {
          location: {
            latitude: Number(location.latitude),
            longitude: Number(location.longitude),
            ...(location.name ? { name: location.name } : {}),
            ...(location.address ? { address: location.address } : {}),
          },
        }
      : {}),
    ...(message.vCards?.length ? { vCards: message.vCards } : {}),
    ...(notifyName ? { notifyName } : {}),
    ...(message.isStatus ? { isStatus: true } : {}),
    ...(message.broadcast ? { broadcast: true } : {}),
    ...(message.isForwarded ? { isForwarded: true } : {}),
    ...(message.selectedButtonId ? { selectedButtonId: message.selectedButtonId } : {}),
    ...(message.selectedRowId ? { selectedRowId: message.selectedRowId } : {}),
    ...(message.latestEditSenderTimestampMs
      ? { latestEditSenderTimestampMs: message.latestEditSenderTimestampMs }
      : {}),
  };
}

/**
 * A session event as the request the connector's `parse` reads: method `EVENT`, URL
 * `whatsapp-web://<session>/<event>`, the event's plain data as the JSON body.
 */
export function whatsAppWebEventRequest<T extends WhatsAppWebEventName>(
  session: string,
  event: T,
  data: WhatsAppWebEventData<T>,
): InboundRequest {
  return {
    method: 'EVENT',
    url: `whatsapp-web://${encodeURIComponent(session)}/${event}`,
    headers: {},
    body: JSON.stringify(data),
  };
}
