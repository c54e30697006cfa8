import type { ContactRecord } from '@threadline/engine';
import type { Conversation, Message } from '@threadline/schema';
import { batchable } from './batched-reads.js';
import { combinableInsert, combinableUpdate } from './combined-writes.js';
import { json } from './postgres-queries.js';

/** The statements of a write transaction's hot path (`Transaction`), and the rows they take. */

/** A contact's latest conversation in an inbox (the `LATERAL` of both reads below). */
const latestConversation = (contact: string, inbox: string) => `SELECT lc.id, lc.data, (
    SELECT m.data FROM messages m
    WHERE m.conversation_id = lc.id AND m.direction = 'outbound' ORDER BY m.seq DESC LIMIT 1
  ) AS latest_outbound, (
    SELECT n.sent_at FROM notifications n
    WHERE n.conversation_id = lc.id AND n.sent_at IS NOT NULL AND n.reply_message_id IS NULL
    ORDER BY n.sent_at DESC LIMIT 1
  ) AS awaiting_reply_since
  FROM conversations lc
  WHERE lc.contact_id = ${contact} AND lc.inbox_id = ${inbox} AND lc.merged_into_id IS NULL
  ORDER BY lc.last_message_at DESC, lc.id DESC LIMIT 1 FOR UPDATE OF lc`;

/**
 * A known identity and its contact, locked (the first half of `threadline_find_identity`);
 * with an inbox (`$3`), the contact's latest conversation there too, locked after the contact
 * as `findLatestConversationSql` would lock it.
 */
export const findKnownIdentitySql = batchable(`SELECT ic.*, latest.id AS conversation_id,
  latest.data AS conversation_data, latest.latest_outbound, latest.awaiting_reply_since
  FROM (
    SELECT i.channel, i.address, i.contact_id, i.verified, i.source, i.created_at,
      c.name, c.channel_preference, c.opted_out, c.merged_into_id,
      c.created_at AS contact_created_at, c.updated_at AS contact_updated_at,
      false AS address_locked
    FROM identities i JOIN contacts c ON c.id = i.contact_id
    WHERE i.channel = $1 AND i.address = $2 FOR UPDATE OF c
  ) AS ic
  LEFT JOIN LATERAL (${latestConversation('ic.contact_id', '$3')}) AS latest ON true`);
/**
 * A contact's latest conversation in an inbox, locked, with that conversation's latest outbound
 * message and when its latest unreplied notification was sent (the engine reads both next).
 */
export const findLatestConversationSql = batchable(latestConversation('$1', '$2'));
/** The identity looked up again under the address lock, with the address's other identities. */
export const findIdentityLockedSql = 'SELECT * FROM threadline_find_identity($1, $2)';

const contactJson = new Set(['channel_preference', 'opted_out']);
const dataJson = new Set(['data']);

export const insertContactSql = combinableInsert(
  'contacts',
  ['id', 'name', 'channel_preference', 'opted_out', 'merged_into_id', 'created_at', 'updated_at'],
  contactJson,
);
export const contactRow = (contact: ContactRecord) => [
  contact.id,
  contact.name,
  json(contact.channelPreference),
  json(contact.optedOut),
  contact.mergedIntoId,
  contact.createdAt,
  contact.updatedAt,
];
export const insertConversationSql = combinableInsert(
  'conversations',
  ['id', 'contact_id', 'inbox_id', 'status', 'last_message_at', 'merged_into_id', 'data'],
  dataJson,
);
export const conversationRow = (conversation: Conversation) => [
  conversation.id,
  conversation.contactId,
  conversation.inboxId,
  conversation.status,
  conversation.lastMessageAt,
  conversation.mergedIntoId,
  json(conversation),
];
export const insertMessageSql = combinableInsert(
  'messages',
  [
    'id',
    'conversation_id',
    'contact_id',
    'connector_id',
    'external_id',
    'direction',
    'channel',
    'created_at',
    'data',
  ],
  dataJson,
);
export const messageRow = (message: Message) => [
  message.id,
  message.conversationId,
  message.contactId,
  message.connectorId,
  message.externalId,
  message.direction,
  message.channel,
  message.createdAt,
  json(message),
];

export const updateContactSql = combinableUpdate(
  'contacts',
  ['name', 'channel_preference', 'opted_out', 'merged_into_id', 'updated_at'],
  contactJson,
);
export const updateConversationSql = combinableUpdate(
  'conversations',
  ['contact_id', 'inbox_id', 'status', 'last_message_at', 'merged_into_id', 'data'],
  dataJson,
);
export const updateMessageSql = combinableUpdate(
  'messages',
  ['conversation_id', 'contact_id', 'external_id', 'data'],
  dataJson,
);
