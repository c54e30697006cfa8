import { conversationIdOf } from '@threadline/engine';
import type { ThreadlineEvent } from '@threadline/schema';

/** The lane of events that belong to no one conversation (contacts, connectors). */
export const noConversationLane = '';

/**
 * The delivery lane of an event: its conversation. A subscription delivers one lane's events
 * one at a time in cursor order, and different lanes side by side, so an app sees each
 * customer's conversation in order without waiting on other customers. Events that belong to
 * no one conversation share one lane of their own.
 */
export function webhookLane(event: ThreadlineEvent): string {
  return conversationIdOf(event) ?? noConversationLane;
}
