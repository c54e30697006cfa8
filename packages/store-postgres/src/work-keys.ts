import type { StoreTransaction } from '@threadline/engine';
import type { Address, Conversation, Message, Notification } from '@threadline/schema';

/**
 * What a store call touches, as keys (`contact:<id>`, `address:<address>`, …): two works that
 * touch no key in common read and write disjoint rows, so running them side by side in one
 * transaction gives what running them one after the other would. `keys` from the arguments,
 * `resultKeys` from what a read returned (the contact behind an identity). A call missing
 * from this table (a merge, a claim, a read of the event log) is not run side by side at all.
 */
type KeyRule = {
  keys: (...args: never[]) => string[];
  resultKeys?: (result: never) => string[];
};

const contact = (id: string) => `contact:${id}`;
const conversation = (id: string) => `conversation:${id}`;
const external = (connectorId: string, externalId: string) =>
  `external:${connectorId}:${externalId}`;
const ofMessage = (message: Message | undefined) =>
  message
    ? [
        `message:${message.id}`,
        conversation(message.conversationId),
        contact(message.contactId),
        ...(message.externalId ? [external(message.connectorId, message.externalId)] : []),
      ]
    : [];
const ofConversation = (found: Conversation | undefined) =>
  found ? [conversation(found.id), contact(found.contactId)] : [];
const notification = (id: string) => `notification:${id}`;
const ofNotification = (found: Notification | undefined) => (found ? [notification(found.id)] : []);
const notificationRow = (record: Notification) => [
  notification(record.id),
  ...(record.idempotencyKey ? [`notification-key:${record.idempotencyKey}`] : []),
  contact(record.contactId),
  ...(record.conversationId ? [conversation(record.conversationId)] : []),
];

export const workKeys: Partial<Record<keyof StoreTransaction, KeyRule>> = {
  getContact: { keys: (id: string) => [contact(id)] },
  listIdentities: { keys: (contactId: string) => [contact(contactId)] },
  findIdentity: {
    keys: (address: Address) => [`address:${address.address}`],
    resultKeys: (found: { contactId: string } | undefined) =>
      found ? [contact(found.contactId)] : [],
  },
  getConversation: { keys: (id: string) => [conversation(id)], resultKeys: ofConversation },
  findLatestConversation: {
    keys: (contactId: string) => [contact(contactId)],
    resultKeys: ofConversation,
  },
  getMessage: { keys: (id: string) => [`message:${id}`], resultKeys: ofMessage },
  findMessageByExternalId: {
    keys: (connectorId: string, externalId: string) => [external(connectorId, externalId)],
    resultKeys: ofMessage,
  },
  listConversationMessages: { keys: (conversationId: string) => [conversation(conversationId)] },
  findLatestInbound: { keys: (contactId: string) => [contact(contactId)] },
  hasEarlierQueued: { keys: (conversationId: string) => [conversation(conversationId)] },
  findLatestOutbound: { keys: (conversationId: string) => [conversation(conversationId)] },
  getIdempotency: { keys: (key: string) => [`idempotency:${key}`] },
  getWebhook: { keys: (id: string) => [`webhook:${id}`] },
  findApiKey: { keys: (hash: string) => [`api-key:${hash}`] },
  getMedia: { keys: (id: string) => [`media:${id}`] },
  getQuarantine: { keys: (id: string) => [`quarantine:${id}`] },
  insertContact: { keys: (record: { id: string }) => [contact(record.id)] },
  updateContact: { keys: (record: { id: string }) => [contact(record.id)] },
  insertIdentity: {
    keys: (contactId: string, identity: Address) => [
      contact(contactId),
      `address:${identity.address}`,
    ],
  },
  insertConversation: { keys: (record: Conversation) => ofConversation(record) },
  updateConversation: { keys: (record: Conversation) => ofConversation(record) },
  insertMessage: { keys: (message: Message) => ofMessage(message) },
  updateMessage: { keys: (message: Message) => ofMessage(message) },
  appendEvent: { keys: () => [] },
  insertJob: { keys: (job: { id: string }) => [`job:${job.id}`] },
  completeJob: { keys: (id: string) => [`job:${id}`] },
  rescheduleJob: { keys: (id: string) => [`job:${id}`] },
  insertPendingStatus: {
    keys: (status: { connectorId: string; externalId: string }) => [
      external(status.connectorId, status.externalId),
    ],
  },
  takePendingStatuses: {
    keys: (connectorId: string, externalId: string) => [external(connectorId, externalId)],
  },
  putIdempotency: { keys: (record: { key: string }) => [`idempotency:${record.key}`] },
  insertWebhook: { keys: (record: { id: string }) => [`webhook:${record.id}`] },
  updateWebhook: { keys: (record: { id: string }) => [`webhook:${record.id}`] },
  insertApiKey: { keys: (record: { hash: string }) => [`api-key:${record.hash}`] },
  updateApiKey: { keys: (record: { hash: string }) => [`api-key:${record.hash}`] },
  insertMedia: { keys: (record: { id: string }) => [`media:${record.id}`] },
  insertQuarantine: { keys: (record: { id: string }) => [`quarantine:${record.id}`] },
  updateQuarantine: { keys: (record: { id: string }) => [`quarantine:${record.id}`] },
  // The switchboard's settings and integrations are read by every message and written only
  // through the API: a read claims nothing, and a write (not in this table) is never run
  // side by side, so no work reads them while another changes them.
  getSwitchboard: { keys: () => [] },
  getIntegration: { keys: () => [] },
  getControl: { keys: (conversationId: string) => [conversation(conversationId)] },
  putControl: {
    keys: (record: { conversationId: string }) => [conversation(record.conversationId)],
  },
  // Notifications: the row by its id; the lookups by key or conversation claim what they
  // searched by, then the notification they found.
  getNotification: { keys: (id: string) => [notification(id)], resultKeys: ofNotification },
  findNotificationByIdempotencyKey: {
    keys: (key: string) => [`notification-key:${key}`],
    resultKeys: ofNotification,
  },
  countNotificationsSent: { keys: (contactId: string) => [contact(contactId)] },
  findNotificationAwaitingReply: {
    keys: (conversationId: string) => [conversation(conversationId)],
    resultKeys: ofNotification,
  },
  getNotificationPreferences: { keys: (contactId: string) => [contact(contactId)] },
  insertNotification: { keys: (record: Notification) => notificationRow(record) },
  updateNotification: { keys: (record: Notification) => notificationRow(record) },
  putNotificationPreferences: { keys: (contactId: string) => [contact(contactId)] },
};
