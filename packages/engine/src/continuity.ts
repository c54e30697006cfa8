import type { Channel, Conversation } from '@threadline/schema';
import {
  expireConversation,
  foldConversation,
  openConversation,
  reopenConversation,
} from './conversations.js';
import type { EngineContext } from './engine-context.js';
import type { Unit } from './unit-of-work.js';

/**
 * `inbound`: a customer's message. `outbound`: a message the app sends. The table of cases
 * is in the package README; `continuity.test.ts` and the engine suite test it row by row.
 */
export type ContinuityMode = 'inbound' | 'outbound';

export interface ContinuityCase {
  mode: ContinuityMode;
  /**
   * The conversation the message continues: the customer's latest in the inbox (for an email
   * reply, the latest of the customer whose thread it answers); for a fallback copy, its
   * original's conversation.
   */
  latest: Conversation | undefined;
  now: Date;
  windowMs: number;
  /** An auto-reply (inbound), or the gateway's own copy of a message (a fallback, outbound). */
  automated?: boolean;
}

export type ContinuityDecision =
  | { action: 'join'; conversation: Conversation }
  | { action: 'reopen'; conversation: Conversation }
  /** Keep the message with a resolved conversation without reopening it. */
  | { action: 'attach'; conversation: Conversation }
  | { action: 'open'; previous: Conversation | null; expire: Conversation | null };

/**
 * The one continuity rule: where a message goes. Inside the window a message joins the open
 * conversation, and a customer's message reopens a resolved one; past it, a new conversation
 * opens, linked to the previous one. An app's send never reopens (the customer's answer
 * does) and joins an open conversation of any age (a late answer belongs with the question);
 * auto-replies never reopen, and a fallback copy stays with its original.
 */
export function decideContinuity(input: ContinuityCase): ContinuityDecision {
  const { latest, mode } = input;
  if (!latest) return { action: 'open', previous: null, expire: null };
  const inside = input.now.getTime() - new Date(latest.lastMessageAt).getTime() <= input.windowMs;
  if (mode === 'outbound') {
    if (latest.status === 'open') return { action: 'join', conversation: latest };
    return inside || input.automated
      ? { action: 'attach', conversation: latest }
      : { action: 'open', previous: latest, expire: null };
  }
  if (latest.status === 'open') {
    return inside
      ? { action: 'join', conversation: latest }
      : { action: 'open', previous: latest, expire: latest };
  }
  if (!inside) return { action: 'open', previous: latest, expire: null };
  return input.automated
    ? { action: 'attach', conversation: latest }
    : { action: 'reopen', conversation: latest };
}

/**
 * Asks the rule for a message of `contactId` and carries out its answer: the conversation the
 * message goes into, with the events it caused (opened, reopened, expired).
 */
export async function continueConversation(
  context: EngineContext,
  unit: Unit,
  message: Pick<ContinuityCase, 'mode' | 'latest' | 'automated'> & {
    contactId: string;
    /** Where the customer wrote from (inbound). */
    inbound?: { channel: Channel; connectorId: string };
  },
): Promise<Conversation> {
  const decision = decideContinuity({
    mode: message.mode,
    latest: message.latest,
    now: unit.now,
    windowMs: context.windowMs,
    automated: message.automated ?? false,
  });
  switch (decision.action) {
    case 'join':
    case 'attach':
      return decision.conversation;
    case 'reopen':
      return reopenConversation(context, unit, decision.conversation);
    case 'open':
      if (decision.expire) await expireConversation(context, unit, decision.expire);
      return openConversation(context, unit, message.contactId, {
        previous: decision.previous,
        inbound: message.inbound,
      });
  }
}

/**
 * Two contacts merge: their latest conversations become one customer's. Continuity decides
 * what the customer's next message would do to each: when it would continue both (each
 * inside the window), or both are open, they fold into the one opened first; otherwise an
 * open one that the next message would expire is expired now. Either way at most one stays
 * open, and it is the latest.
 */
export async function mergeConversations(
  context: EngineContext,
  unit: Unit,
  a: Conversation | undefined,
  b: Conversation | undefined,
): Promise<{ conversationId: string; intoConversationId: string } | undefined> {
  if (!a || !b || a.id === b.id) return undefined;
  const continues = (conversation: Conversation) =>
    decideContinuity({
      mode: 'inbound',
      latest: conversation,
      now: unit.now,
      windowMs: context.windowMs,
    }).action !== 'open';
  const bothOpen = a.status === 'open' && b.status === 'open';
  if (bothOpen || (continues(a) && continues(b))) {
    const [keep, fold] = a.openedAt <= b.openedAt ? [a, b] : [b, a];
    await foldConversation(context, unit, keep, fold);
    return { conversationId: fold.id, intoConversationId: keep.id };
  }
  const earlier = a.lastMessageAt <= b.lastMessageAt ? a : b;
  if (earlier.status === 'open') await expireConversation(context, unit, earlier);
  return undefined;
}
