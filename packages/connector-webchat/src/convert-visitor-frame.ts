import { ConnectorError, type IdentityClaim, type InboundEvent } from '@threadline/connector-kit';
import {
  isClientIdOf,
  type MessageFrame,
  outboundExternalId,
  type ReceiptFrame,
} from './webchat-protocol.js';

/** Who sent a frame: the visitor, and what the host website vouched for in its identity token. */
export interface VisitorContext {
  visitorId: string;
  identity?: { claims: IdentityClaim[]; name?: string | undefined } | undefined;
  /** The page the widget runs on, kept with the visitor's messages. */
  pageUrl?: string | undefined;
}

/**
 * A visitor's message frame as a normalized message. The client id is the dedupe key, so a
 * frame sent again after a reconnect is stored once.
 */
export function convertMessageFrame(
  frame: MessageFrame,
  visitor: VisitorContext,
  path = 'clientId',
): InboundEvent {
  if (!isClientIdOf(visitor.visitorId, frame.clientId)) {
    throw ConnectorError.payloadInvalid(
      path,
      `clientId must be wc_${visitor.visitorId}_<unique id> for this visitor`,
    );
  }
  const claims = visitor.identity?.claims ?? [];
  return {
    type: 'message',
    message: {
      externalId: frame.clientId,
      from: { channel: 'webchat', address: visitor.visitorId },
      content:
        frame.content.type === 'text'
          ? { type: 'text', text: frame.content.text }
          : {
              type: 'postback',
              payload: frame.content.payload,
              ...(frame.content.title ? { title: frame.content.title } : {}),
            },
      ...(claims.length > 0 ? { identityClaims: claims } : {}),
      ...(visitor.identity?.name ? { senderName: visitor.identity.name } : {}),
      ...(visitor.pageUrl ? { channelData: { pageUrl: visitor.pageUrl } } : {}),
    },
  };
}

/** A widget's receipt for a business message as a status update of that message. */
export function convertReceiptFrame(frame: ReceiptFrame): InboundEvent {
  const externalId = outboundExternalId(frame.messageId);
  if (frame.status === 'failed') {
    return {
      type: 'status',
      externalId,
      status: 'failed',
      error: {
        code: 'unsupported_content',
        message: frame.reason
          ? `the widget could not show the message: ${frame.reason}`
          : 'the widget could not show the message',
        retryable: false,
      },
    };
  }
  return { type: 'status', externalId, status: frame.status };
}
