import type { ControlPassReason, EventData } from '@threadline/schema';
import type { ControlRecord } from '../ports.js';

/**
 * Who controls a conversation, as pure transitions: each takes the control as stored and
 * returns the next one with the event to append (or nothing when nothing changes). The
 * switchboard service runs them inside the transaction that stores the result.
 */

type Metadata = Record<string, unknown> | null;

export type ControlEvent =
  | { type: 'conversation.control_passed'; data: EventData<'conversation.control_passed'> }
  | { type: 'conversation.control_offered'; data: EventData<'conversation.control_offered'> }
  | { type: 'conversation.control_accepted'; data: EventData<'conversation.control_accepted'> };

export interface Transition {
  control: ControlRecord;
  event: ControlEvent | null;
}

/** No integration in control yet (a conversation from before the switchboard was enabled). */
export function emptyControl(conversationId: string, now: string): ControlRecord {
  return {
    conversationId,
    activeIntegrationId: null,
    pendingIntegrationId: null,
    since: null,
    metadata: null,
    awaitingMessageId: null,
    awaitingSince: null,
    updatedAt: now,
  };
}

/** A new conversation starts with the default integration in control. */
export function openControl(
  conversationId: string,
  defaultIntegrationId: string | null,
  now: string,
): Transition {
  return pass(
    emptyControl(conversationId, now),
    defaultIntegrationId,
    null,
    'new_conversation',
    now,
  );
}

/** Control moves at once; a pending offer is dropped. The unanswered customer message stays. */
export function pass(
  control: ControlRecord,
  to: string | null,
  metadata: Metadata,
  reason: ControlPassReason,
  now: string,
): Transition {
  const next: ControlRecord = {
    ...control,
    activeIntegrationId: to,
    pendingIntegrationId: null,
    since: now,
    metadata,
    updatedAt: now,
  };
  return {
    control: next,
    event: {
      type: 'conversation.control_passed',
      data: {
        conversationId: control.conversationId,
        from: control.activeIntegrationId,
        to,
        reason,
        metadata,
      },
    },
  };
}

/** Two-step handoff: `to` becomes pending and receives events; the active one keeps control. */
export function offer(
  control: ControlRecord,
  to: string,
  metadata: Metadata,
  now: string,
): Transition {
  return {
    control: { ...control, pendingIntegrationId: to, metadata, updatedAt: now },
    event: {
      type: 'conversation.control_offered',
      data: {
        conversationId: control.conversationId,
        from: control.activeIntegrationId,
        to,
        metadata,
      },
    },
  };
}

/** The pending integration takes control with the offered metadata. */
export function accept(
  control: ControlRecord,
  by: string,
  now: string,
): Transition | { refused: string } {
  if (control.pendingIntegrationId !== by)
    return { refused: `integration ${by} has no pending offer on this conversation` };
  return {
    control: {
      ...control,
      activeIntegrationId: by,
      pendingIntegrationId: null,
      since: now,
      updatedAt: now,
    },
    event: {
      type: 'conversation.control_accepted',
      data: {
        conversationId: control.conversationId,
        from: control.activeIntegrationId,
        to: by,
        metadata: control.metadata,
      },
    },
  };
}

/** A customer message: the first one not yet answered starts the active integration's clock. */
export function customerWrote(
  control: ControlRecord,
  messageId: string,
  now: string,
): { control: ControlRecord; startTimer: boolean } {
  if (control.awaitingMessageId !== null || control.activeIntegrationId === null)
    return { control, startTimer: false };
  return {
    control: { ...control, awaitingMessageId: messageId, awaitingSince: now, updatedAt: now },
    startTimer: true,
  };
}

/** The active integration sent something: the customer is answered. */
export function activeAnswered(control: ControlRecord, now: string): ControlRecord {
  if (control.awaitingMessageId === null) return control;
  return { ...control, awaitingMessageId: null, awaitingSince: null, updatedAt: now };
}

export type SendDecision = 'allow' | 'take_control' | 'not_in_control';

/**
 * May this sender send on the conversation? Keys that are no integration (operators, scripts)
 * always may; an integration may when it is active, or takes control first when it asks to.
 */
export function decideSend(
  control: ControlRecord,
  integrationId: string | null,
  takeControl: boolean,
): SendDecision {
  if (integrationId === null || control.activeIntegrationId === integrationId) return 'allow';
  return takeControl ? 'take_control' : 'not_in_control';
}

export interface TimeoutPayload {
  conversationId: string;
  integrationId: string;
  messageId: string;
}

/**
 * A response timeout fires only if the integration it was set for is still active and the
 * customer message it waited on is still unanswered; otherwise it is spent. Firing clears the
 * wait, so a second run of the same job finds nothing to do.
 */
export function timeoutDue(control: ControlRecord, payload: TimeoutPayload): boolean {
  return (
    control.activeIntegrationId === payload.integrationId &&
    control.awaitingMessageId === payload.messageId
  );
}
