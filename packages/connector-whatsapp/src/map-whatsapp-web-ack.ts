import type { MessageStatus } from '@threadline/schema';

/** whatsapp-web.js `MessageAck` values. */
export const whatsAppWebAck = {
  error: -1,
  pending: 0,
  server: 1,
  device: 2,
  read: 3,
  played: 4,
} as const;

/**
 * A whatsapp-web.js acknowledgement as a status: server → `sent`, device → `delivered`,
 * read or played → `read`, error → `failed`. Pending (and unknown values) map to nothing.
 */
export function mapWhatsAppWebAck(ack: number): MessageStatus | undefined {
  switch (ack) {
    case whatsAppWebAck.error:
      return 'failed';
    case whatsAppWebAck.server:
      return 'sent';
    case whatsAppWebAck.device:
      return 'delivered';
    case whatsAppWebAck.read:
    case whatsAppWebAck.played:
      return 'read';
    default:
      return undefined;
  }
}
