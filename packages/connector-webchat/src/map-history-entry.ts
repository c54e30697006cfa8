import type { HistoryEntry } from '@threadline/connector-kit';
import { messageIdFromExternalId, type WireMessage } from './webchat-protocol.js';

/**
 * A stored message as the widget shows it. The conversation may hold messages from other
 * channels (the email that started it): they are shown, but only web chat messages of the
 * business take receipts from the widget.
 */
export function mapHistoryEntry(entry: HistoryEntry): WireMessage {
  const fromWidget =
    entry.direction === 'inbound' &&
    entry.externalId !== null &&
    entry.externalId.startsWith('wc_') &&
    !entry.externalId.startsWith('wc_out_');
  return {
    id: entry.id,
    direction: entry.direction,
    content: entry.content,
    status: entry.status,
    createdAt: entry.createdAt,
    ...(fromWidget ? { clientId: entry.externalId! } : {}),
    receipt:
      entry.direction === 'outbound' &&
      entry.externalId !== null &&
      messageIdFromExternalId(entry.externalId) === entry.id,
  };
}
