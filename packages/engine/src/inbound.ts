import {
  type ConnectorV1,
  type InboundEvent,
  type InboundMessage,
  type IngestReceipt,
  matchChoice,
} from '@threadline/connector-kit';
import type { Button, Conversation, Message } from '@threadline/schema';
import { continueConversation } from './continuity.js';
import { followMerges, touchConversation } from './conversations.js';
import type { EngineContext } from './engine-context.js';
import { isTrustedClaim, linkAddress, liveContact, resolveContact } from './identity.js';
import { applyStatus } from './message-status.js';
import { onNotificationReply } from './notifications/notification-hooks.js';
import type { ContactRecord } from './ports.js';
import { isoTime, type Unit } from './unit-of-work.js';

const nothing: IngestReceipt = { messageId: null, conversationId: null, duplicate: false };

/**
 * The conversation an email reply continues: the one holding the latest message it
 * references, followed through merges to where it lives now.
 */
async function findThread(
  unit: Unit,
  connectorId: string,
  references: string[],
): Promise<Conversation | undefined> {
  for (const reference of [...references].reverse()) {
    const referenced = await unit.tx.findMessageByExternalId(connectorId, reference);
    const threaded = referenced && (await unit.tx.getConversation(referenced.conversationId));
    if (threaded) return followMerges(unit.tx, threaded);
  }
  return undefined;
}

/**
 * Where a customer's message goes. A reply to one of our email threads belongs to the
 * customer whose thread it is (even from a second address); continuity then decides on that
 * customer's latest conversation, like for any message.
 */
async function placeInbound(
  context: EngineContext,
  unit: Unit,
  contact: ContactRecord,
  inbound: InboundMessage,
  connector: ConnectorV1,
): Promise<Conversation> {
  const thread = await findThread(unit, connector.id, inbound.references ?? []);
  const contactId = thread?.contactId ?? contact.id;
  return continueConversation(context, unit, {
    contactId,
    mode: 'inbound',
    latest: await unit.tx.findLatestConversation(contactId, context.inboxId),
    automated: inbound.automated ?? false,
    inbound: { channel: connector.channel, connectorId: connector.id },
  });
}

/** What apps see in the stored message's channelData: the connector's, and what it told us. */
function inboundChannelData(inbound: InboundMessage): Record<string, unknown> {
  return {
    ...inbound.channelData,
    ...(inbound.conversationAddress ? { conversationAddress: inbound.conversationAddress } : {}),
    ...(inbound.senderName ? { senderName: inbound.senderName } : {}),
    ...(inbound.identityClaims?.length ? { identityClaims: inbound.identityClaims } : {}),
    ...(inbound.automated ? { automated: true } : {}),
    // The keyword, shown to apps as before; the contact's opt-outs are what the engine reads.
    ...(inbound.optOut ? { optOut: inbound.optOut } : {}),
  };
}

async function ingestMessage(
  context: EngineContext,
  unit: Unit,
  connector: ConnectorV1,
  inbound: InboundMessage,
): Promise<IngestReceipt> {
  const conversationAddress = inbound.conversationAddress ?? inbound.from;
  // The identity is looked up beside the dedupe read (a store may send both in one round
  // trip, and read the contact's latest conversation with the identity); resolveContact below
  // asks again and finds it remembered.
  const [duplicate] = await Promise.all([
    unit.tx.findMessageByExternalId(connector.id, inbound.externalId),
    unit.tx.findIdentity(conversationAddress, { latestConversationIn: context.inboxId }),
  ]);
  if (duplicate)
    return { messageId: duplicate.id, conversationId: duplicate.conversationId, duplicate: true };

  let contact = await resolveContact(
    context,
    unit,
    conversationAddress,
    inbound.conversationAddress ? null : (inbound.senderName ?? null),
  );
  for (const claim of inbound.identityClaims ?? []) {
    if (!isTrustedClaim(context.policy, claim, inbound.from.channel)) continue;
    contact = await linkAddress(context, unit, contact, claim.address, {
      source: claim.source,
      verified: true,
      reason: `${claim.source} from ${inbound.from.channel} ${inbound.from.address}`,
    });
  }

  const conversation = await placeInbound(context, unit, contact, inbound, connector);
  const channelData = inboundChannelData(inbound);
  if (conversation.contactId !== contact.id) {
    channelData.threadContactId = conversation.contactId;
    if (context.policy.emailThreadSender === 'link') {
      const owner = (await liveContact(unit.tx, conversation.contactId))!;
      contact = await linkAddress(context, unit, owner, conversationAddress, {
        source: 'email_thread',
        verified: false,
        reason: 'replied to a thread of this contact',
      });
    }
  }

  let content = inbound.content;
  if (content.type === 'text' && !content.attachments?.length) {
    const previous = await unit.tx.findLatestOutbound(conversation.id);
    const choices = previous?.channelData.choices as Button[] | undefined;
    const answer = choices ? matchChoice(content.text, choices) : undefined;
    if (answer) {
      channelData.choiceText = content.text;
      content = answer;
    }
  }

  if (
    (inbound.optOut === 'stop' || inbound.optOut === 'start') &&
    conversation.contactId === contact.id
  ) {
    const optedOut = new Set(contact.optedOut);
    if (inbound.optOut === 'stop') optedOut.add(connector.channel);
    else optedOut.delete(connector.channel);
    contact = { ...contact, optedOut: [...optedOut], updatedAt: isoTime(unit.now) };
    await unit.tx.updateContact(contact);
  }

  const replyTo = inbound.replyToExternalId
    ? await unit.tx.findMessageByExternalId(connector.id, inbound.replyToExternalId)
    : undefined;
  const message: Message = {
    id: context.ids.next(),
    conversationId: conversation.id,
    contactId: contact.id,
    channel: connector.channel,
    connectorId: connector.id,
    direction: 'inbound',
    from: inbound.from,
    to: inbound.to ?? { channel: connector.channel, address: connector.id },
    externalId: inbound.externalId,
    replyToId: replyTo?.id ?? null,
    content,
    status: 'received',
    error: null,
    createdAt: inbound.createdAt ?? isoTime(unit.now),
    updatedAt: isoTime(unit.now),
    fallbackOfId: null,
    channelData,
  };
  await unit.tx.insertMessage(message);

  const updated = await touchConversation(unit, conversation, {
    channel: connector.channel,
    connectorId: connector.id,
  });
  // control as of this message (switchboard); starts the response timeout
  await context.emit(unit, 'message.received', {
    message,
    ...(await context.switchboard.onCustomerMessage(unit, message)),
  });
  await onNotificationReply(context, unit, message);
  if (
    conversation.lastInboundChannel !== null &&
    conversation.lastInboundChannel !== connector.channel
  ) {
    await context.emit(unit, 'conversation.channel_switched', {
      conversation: updated,
      fromChannel: conversation.lastInboundChannel,
      toChannel: connector.channel,
      messageId: message.id,
    });
  }
  return { messageId: message.id, conversationId: conversation.id, duplicate: false };
}

/** One event a provider sent: a message, a status, an edit, a deletion, or one we ignore. */
export async function ingestEvent(
  context: EngineContext,
  unit: Unit,
  connector: ConnectorV1,
  event: InboundEvent,
): Promise<IngestReceipt> {
  if (event.type === 'message') return ingestMessage(context, unit, connector, event.message);
  if (event.type === 'ignored') {
    await unit.tx.insertQuarantine({
      id: context.ids.next(),
      connectorId: connector.id,
      kind: 'ignored',
      reason: `${event.kind}: ${event.reason}`,
      path: null,
      contentType: 'application/json',
      body: JSON.stringify(event),
      receivedAt: isoTime(unit.now),
      replayedAt: null,
    });
    return nothing;
  }
  const message = await unit.tx.findMessageByExternalId(connector.id, event.externalId);
  const receipt = (duplicate: boolean): IngestReceipt => ({
    messageId: message?.id ?? null,
    conversationId: message?.conversationId ?? null,
    duplicate,
  });
  switch (event.type) {
    case 'status': {
      if (!message) {
        // The callback can beat our write of the provider id: keep it until the id is known.
        await unit.tx.insertPendingStatus({
          connectorId: connector.id,
          externalId: event.externalId,
          event: event as unknown as Record<string, unknown>,
          receivedAt: isoTime(unit.now),
        });
        return nothing;
      }
      const changed = await applyStatus(context, unit, message, event.status, event.error);
      return receipt(!changed);
    }
    case 'edit': {
      if (!message) return nothing;
      if (JSON.stringify(message.content) === JSON.stringify(event.content)) return receipt(true);
      const edited: Message = {
        ...message,
        content: event.content,
        updatedAt: isoTime(unit.now),
        channelData: { ...message.channelData, editedAt: event.editedAt ?? isoTime(unit.now) },
      };
      await unit.tx.updateMessage(edited);
      await context.emit(unit, 'message.edited', {
        message: edited,
        previousContent: message.content,
      });
      return receipt(false);
    }
    case 'deletion': {
      if (!message || message.channelData.deletedAt) return receipt(Boolean(message));
      const deleted: Message = {
        ...message,
        updatedAt: isoTime(unit.now),
        channelData: { ...message.channelData, deletedAt: event.deletedAt ?? isoTime(unit.now) },
      };
      await unit.tx.updateMessage(deleted);
      await context.emit(unit, 'message.deleted', { message: deleted });
      return receipt(false);
    }
  }
}
