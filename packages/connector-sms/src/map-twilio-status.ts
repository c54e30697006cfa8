import type { MessageStatus } from '@threadline/schema';

/**
 * Twilio's message statuses (`MessageStatus`) for outbound messages, mapped to ours.
 * `accepted` and `scheduled` are Messaging Service states before `queued`; `canceled` is a
 * scheduled message that will never go out. `receiving`/`received` belong to inbound
 * messages and are not mapped.
 */
const twilioStatuses = new Map<string, MessageStatus>([
  ['accepted', 'queued'],
  ['scheduled', 'queued'],
  ['queued', 'queued'],
  ['sending', 'sent'],
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['read', 'read'],
  ['undelivered', 'failed'],
  ['failed', 'failed'],
  ['canceled', 'failed'],
]);

/** Our status for a Twilio `MessageStatus`, or undefined for one we do not track. */
export function mapTwilioStatus(twilioStatus: string): MessageStatus | undefined {
  return twilioStatuses.get(twilioStatus.trim().toLowerCase());
}
