import type { Channel, Conversation } from '@threadline/schema';
import { type EngineContext, EngineError } from './engine-context.js';
import type { StoreReader } from './ports.js';
import { isoTime, type Unit } from './unit-of-work.js';

/**
 * The conversation lifecycle, one named function per change: open, reopen, resolve, expire,
 * fold (a merge). Each writes the conversation and emits the event that says what happened.
 */

/** Opens a conversation for a contact, linked to the one before it. */
export async function openConversation(
  context: EngineContext,
  unit: Unit,
  contactId: string,
  options: {
    previous: Conversation | null;
    /** Where the customer wrote from, when a customer message opens it. */
    inbound?: { channel: Channel; connectorId: string } | undefined;
  },
): Promise<Conversation> {
  const now = isoTime(unit.now);
  const conversation: Conversation = {
    id: context.ids.next(),
    contactId,
    inboxId: context.inboxId,
    status: 'open',
    previousConversationId: options.previous?.id ?? null,
    lastInboundChannel: options.inbound?.channel ?? null,
    lastInboundConnectorId: options.inbound?.connectorId ?? null,
    lastInboundAt: options.inbound ? now : null,
    lastMessageAt: now,
    openedAt: now,
    resolvedAt: null,
    mergedIntoId: null,
    updatedAt: now,
  };
  await unit.tx.insertConversation(conversation);
  await context.emit(unit, 'conversation.opened', { conversation });
  return conversation;
}

export async function reopenConversation(
  context: EngineContext,
  unit: Unit,
  conversation: Conversation,
): Promise<Conversation> {
  const reopened: Conversation = {
    ...conversation,
    status: 'open',
    resolvedAt: null,
    updatedAt: isoTime(unit.now),
  };
  await unit.tx.updateConversation(reopened);
  await context.emit(unit, 'conversation.reopened', { conversation: reopened });
  return reopened;
}

/**
 * Reopens a resolved conversation because an app asked to. Only the contact's latest
 * conversation may be reopened, and only while no other one is open: a contact has one open
 * conversation, and the next customer message must land in the one that is open.
 */
export async function reopenOnRequest(
  context: EngineContext,
  unit: Unit,
  requested: Conversation,
): Promise<Conversation> {
  const conversation = await followMerges(unit.tx, requested);
  if (conversation.status === 'open') return conversation;
  const latest = await unit.tx.findLatestConversation(conversation.contactId, conversation.inboxId);
  if (latest && latest.id !== conversation.id)
    throw new EngineError(
      'conflict',
      latest.status === 'open'
        ? `the contact's conversation ${latest.id} is open: a contact has one open conversation`
        : `conversation ${latest.id} is the contact's latest: only the latest conversation can be reopened`,
      { details: { conversationId: latest.id, status: latest.status } },
    );
  return reopenConversation(context, unit, conversation);
}

/** Resolves an open conversation (the app closed it); a resolved one is left as it is. */
export async function resolveConversation(
  context: EngineContext,
  unit: Unit,
  conversation: Conversation,
): Promise<Conversation> {
  if (conversation.status === 'resolved') return conversation;
  const resolved: Conversation = {
    ...conversation,
    status: 'resolved',
    resolvedAt: isoTime(unit.now),
    updatedAt: isoTime(unit.now),
  };
  await unit.tx.updateConversation(resolved);
  await context.emit(unit, 'conversation.resolved', { conversation: resolved });
  return resolved;
}

/** An open conversation that went quiet past the continuity window is resolved by time. */
export const expireConversation = resolveConversation;

/**
 * Folds `fold` into `keep` (a merge of two contacts): its messages move to `keep`, it is
 * resolved and points at `keep`. `keep` stays open if either was open (a resolved `keep`
 * reopens) and carries the latest activity of both.
 */
export async function foldConversation(
  context: EngineContext,
  unit: Unit,
  keep: Conversation,
  fold: Conversation,
): Promise<Conversation> {
  const now = isoTime(unit.now);
  await unit.tx.moveMessages(fold.id, keep.id);
  // Out of the "one open conversation" rule before `keep` may open.
  await unit.tx.updateConversation({
    ...fold,
    status: 'resolved',
    resolvedAt: fold.resolvedAt ?? now,
    mergedIntoId: keep.id,
    updatedAt: now,
  });
  const foldInboundLater = (fold.lastInboundAt ?? '') > (keep.lastInboundAt ?? '');
  const kept: Conversation = {
    ...keep,
    lastMessageAt: latestTime(keep.lastMessageAt, fold.lastMessageAt)!,
    lastInboundAt: latestTime(keep.lastInboundAt, fold.lastInboundAt),
    lastInboundChannel: foldInboundLater ? fold.lastInboundChannel : keep.lastInboundChannel,
    lastInboundConnectorId: foldInboundLater
      ? fold.lastInboundConnectorId
      : keep.lastInboundConnectorId,
    updatedAt: now,
  };
  if (keep.status === 'resolved' && fold.status === 'open')
    return reopenConversation(context, unit, kept);
  await unit.tx.updateConversation(kept);
  return kept;
}

/** Records a message on its conversation: the latest activity, and where the customer wrote from. */
export async function touchConversation(
  unit: Unit,
  conversation: Conversation,
  inbound?: { channel: Channel; connectorId: string },
): Promise<Conversation> {
  const now = isoTime(unit.now);
  const touched: Conversation = {
    ...conversation,
    ...(inbound
      ? {
          lastInboundChannel: inbound.channel,
          lastInboundConnectorId: inbound.connectorId,
          lastInboundAt: now,
        }
      : {}),
    lastMessageAt: latestTime(conversation.lastMessageAt, now)!,
    updatedAt: now,
  };
  await unit.tx.updateConversation(touched);
  return touched;
}

/** Follows merges to the end of the chain: the conversation a merged one now lives in. */
export async function followMerges(
  reader: StoreReader,
  conversation: Conversation,
): Promise<Conversation> {
  let current = conversation;
  for (let hops = 0; current.mergedIntoId && hops < 16; hops++) {
    const next = await reader.getConversation(current.mergedIntoId);
    if (!next) break;
    current = next;
  }
  return current;
}

export function latestTime(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}
