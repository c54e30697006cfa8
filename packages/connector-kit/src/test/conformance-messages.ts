import type { Address, Content } from '@threadline/schema';
import type { InboundEvent, OutboundMessage } from '../connector.js';

let outboundCounter = 0;
/** An outbound message as the gateway would hand it to `send`, with a fresh id. */
export function outbound(recipient: Address, content: Content): OutboundMessage {
  outboundCounter += 1;
  return {
    id: `conformance-${Date.now()}-${outboundCounter}`,
    conversationId: 'conformance-conversation',
    to: recipient,
    content,
  };
}

/** The message events among parsed events. */
export function messagesOf(events: InboundEvent[]) {
  return events.flatMap((event) => (event.type === 'message' ? [event.message] : []));
}
