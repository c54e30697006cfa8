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
  switch (event.type) {
    case 'message.received':
    case 'message.sent':
    case 'message.status_updated':
    case 'message.edited':
    case 'message.deleted':
      return event.data.message.conversationId;
    case 'conversation.opened':
    case 'conversation.channel_switched':
    case 'conversation.resolved':
    case 'conversation.reopened':
      return event.data.conversation.id;
    case 'conversation.control_passed':
    case 'conversation.control_offered':
    case 'conversation.control_accepted':
      return event.data.conversationId;
    case 'contact.merged':
    case 'contact.identity_linked':
    case 'connector.status_changed':
      return noConversationLane;
  }
}
