import type { Message } from '@threadline/schema';
import { continueConversation } from './continuity.js';
import { touchConversation } from './conversations.js';
import { type EngineContext, EngineError } from './engine-context.js';
import { failMessage, scheduleFallbacks } from './fallback.js';
import { liveContact, resolveContact } from './identity.js';
import {
  assertChannelConfigured,
  chooseSendRoute,
  queueOutbound,
  type SendRequest,
} from './outbound.js';
import type { ContactRecord, StoreTransaction } from './ports.js';
import type { Unit } from './unit-of-work.js';

export interface SendOptions {
  /** Runs in the same transaction once the message is queued (an idempotency record). */
  inTransaction?: (transaction: StoreTransaction, message: Message) => Promise<void>;
}

/** The contact a send is for: by id (following merges), or by address (created if new). */
async function recipientContact(
  context: EngineContext,
  unit: Unit,
  request: SendRequest,
): Promise<ContactRecord> {
  if (request.contactId) {
    const contact = await liveContact(unit.tx, request.contactId);
    if (!contact) throw new EngineError('not_found', `no contact ${request.contactId}`);
    return contact;
  }
  if (request.to) return resolveContact(context, unit, request.to, null);
  throw new EngineError('validation_failed', 'a message needs contactId or to');
}

/**
 * Send a message to a contact: continuity picks the conversation (a send never reopens one),
 * routing the connector; the message is stored `queued` with a durable job before this resolves.
 */
export async function send(
  context: EngineContext,
  request: SendRequest,
  options: SendOptions = {},
): Promise<Message> {
  const channel = request.channel ?? (request.contactId ? undefined : request.to?.channel);
  // Before anything is written: the answer names nothing that would be rolled back.
  assertChannelConfigured(context, channel);
  return context.transact(async (unit) => {
    const contact = await recipientContact(context, unit, request);
    if (request.replyToId && !(await unit.tx.getMessage(request.replyToId)))
      throw new EngineError('not_found', `replyToId ${request.replyToId} is not a message`);
    const conversation = await continueConversation(context, unit, {
      contactId: contact.id,
      mode: 'outbound',
      latest: await unit.tx.findLatestConversation(contact.id, context.inboxId),
    });
    const connector = await chooseSendRoute(context, unit, contact, conversation, {
      ...(channel ? { channel } : {}),
      ...(request.connectorId ? { connectorId: request.connectorId } : {}),
    });
    // not_in_control, or takeControl, before anything is queued (switchboard)
    await context.switchboard.beforeSend(unit, conversation.id, {
      integrationId: request.integrationId ?? null,
      takeControl: request.takeControl ?? false,
    });
    const message = await queueOutbound(
      context,
      unit,
      { contact, conversation, connector, fallbackOfId: null },
      request,
      (inner, refused, error) => failMessage(context, inner, refused, error),
    );
    if (message.status === 'queued') await scheduleFallbacks(context, unit, message);
    await touchConversation(unit, (await unit.tx.getConversation(conversation.id)) ?? conversation);
    const queued = (await unit.tx.getMessage(message.id)) ?? message;
    await options.inTransaction?.(unit.tx, queued);
    return queued;
  });
}
