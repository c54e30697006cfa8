import type { ConversationControl, ThreadlineEvent } from '@threadline/schema';
import type { Integration } from '../ports.js';

/**
 * The conversation an event belongs to, if any. Exhaustive over event types, so a new event
 * type must say where it belongs (switchboard delivery and webhook lanes both ask here).
 */
export function conversationIdOf(event: ThreadlineEvent): string | undefined {
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
      return undefined;
    case 'notification.scheduled':
    case 'notification.suppressed':
    case 'notification.sent':
    case 'notification.fallback':
    case 'notification.delivered':
    case 'notification.failed':
    case 'notification.replied':
      // a notification not yet sent belongs to no conversation
      return event.data.notification.conversationId ?? undefined;
  }
}

/** True when an event needs the conversation's current control to decide (it carries none). */
export function needsCurrentControl(event: ThreadlineEvent): boolean {
  if (event.type === 'message.received' && event.data.control) return false;
  if (event.type.startsWith('conversation.control_')) return false;
  return conversationIdOf(event) !== undefined;
}

/**
 * Who receives what (webhooks and streams). Consumers that are no integration, and every
 * consumer while the switchboard is off, receive everything. An integration that `receives:
 * "all"` does too. One that receives `"active"` gets a conversation's events only while it is
 * in control or pending: a customer message by the control it carries (as of that message),
 * a control event when it is the one handing over or receiving, anything else by `current`
 * control; events of no conversation (contacts, connectors) reach everyone.
 */
export function shouldDeliver(input: {
  enabled: boolean;
  listener: Integration | undefined;
  event: ThreadlineEvent;
  /** The conversation's control now, for events that carry none (see needsCurrentControl). */
  current?: ConversationControl | undefined;
}): boolean {
  const { listener, event } = input;
  if (!input.enabled || !listener || listener.receives === 'all') return true;
  const me = listener.id;
  const holds = (control: ConversationControl | undefined) =>
    !control ||
    (control.activeIntegrationId === null && control.pendingIntegrationId === null) ||
    control.activeIntegrationId === me ||
    control.pendingIntegrationId === me;
  switch (event.type) {
    case 'message.received':
      return holds(event.data.control ?? input.current);
    case 'conversation.control_passed':
    case 'conversation.control_offered':
    case 'conversation.control_accepted':
      return event.data.from === me || event.data.to === me;
    default:
      return conversationIdOf(event) === undefined || holds(input.current);
  }
}
