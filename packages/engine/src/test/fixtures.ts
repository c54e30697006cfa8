import type { Conversation } from '@threadline/schema';

/**
 * A conversation for tests: open, contact `k1`, inbox `default`, its customer's last message on
 * SMS at `at` (every time is `at`); `fields` override any of it.
 */
export function testConversation(at: string, fields: Partial<Conversation> = {}): Conversation {
  return {
    id: 'c1',
    contactId: 'k1',
    inboxId: 'default',
    status: 'open',
    previousConversationId: null,
    lastInboundChannel: 'sms',
    lastInboundConnectorId: 'sms',
    lastInboundAt: at,
    lastMessageAt: at,
    openedAt: at,
    resolvedAt: null,
    mergedIntoId: null,
    updatedAt: at,
    ...fields,
  };
}
