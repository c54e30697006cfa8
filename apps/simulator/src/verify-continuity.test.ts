import { describe, expect, it } from 'vitest';
import type { PlannedMessage } from './plan-traffic.js';
import type { CustomerMessageRecord, DeliveryAttempt, ReplyRecord } from './traffic-ledger.js';
import { expectedReplyChannels, ingestWindow } from './verify-continuity.js';

function record(
  id: string,
  channel: PlannedMessage['channel'],
  attempts: Array<[number, number, boolean]>,
  seenAt?: number,
  contactId = 'contact-a',
): CustomerMessageRecord {
  const tries: DeliveryAttempt[] = attempts.map(([startedAt, endedAt, ok]) => ({
    startedAt,
    endedAt,
    ok,
    outcome: ok ? '200' : 'connection_failed',
  }));
  return {
    message: {
      id,
      journeyId: 'j1',
      personaId: 'p1',
      at: 0,
      channel,
      content: { kind: 'text', text: id },
      deliveries: 1,
    },
    externalId: id,
    attempts: tries,
    acknowledged: tries.find((attempt) => attempt.ok),
    extraDeliveries: [],
    abandoned: false,
    seenByApp:
      seenAt === undefined
        ? []
        : [{ at: seenAt, messageId: `m-${id}`, conversationId: 'c', contactId }],
  };
}

const reply = (inReplyTo: string, requestedAt: number, answeredAt: number): ReplyRecord => ({
  inReplyTo,
  journeyId: 'j1',
  personaId: 'p1',
  requestedAt,
  answeredAt,
  messageId: 'r',
  error: undefined,
});

describe('where a reply should go', () => {
  it('is the channel the customer surely wrote on last', () => {
    const records = [
      record('a', 'email', [[0, 10, true]], 12),
      record('b', 'whatsapp', [[100, 110, true]], 105),
    ];
    expect(expectedReplyChannels(reply('b', 200, 210), records)).toEqual(new Set(['whatsapp']));
  });

  it('allows either channel when two messages raced the send', () => {
    const records = [
      record('a', 'email', [[0, 10, true]], 12),
      record('b', 'whatsapp', [[195, 230, true]], 228),
    ];
    expect(expectedReplyChannels(reply('a', 200, 210), records)).toEqual(
      new Set(['email', 'whatsapp']),
    );
  });

  it('counts a message as possibly stored from its first attempt, whose answer may have been lost', () => {
    const lostAnswer = record(
      'a',
      'email',
      [
        [50, 60, false],
        [150, 160, true],
      ],
      158,
    );
    const later = record('b', 'whatsapp', [[100, 110, true]], 104);
    expect(ingestWindow(lostAnswer)).toEqual({ earliest: 50, latest: 158 });
    expect(expectedReplyChannels(reply('b', 200, 210), [lostAnswer, later])).toEqual(
      new Set(['email', 'whatsapp']),
    );
  });

  it('knows the gateway sees one contact until the identities are joined', () => {
    const records = [
      record('a', 'email', [[0, 10, true]], 12, 'contact-a'),
      record('b', 'whatsapp', [[100, 110, true]], 105, 'contact-b'),
    ];
    expect(expectedReplyChannels(reply('a', 200, 210), records)).toEqual(
      new Set(['whatsapp', 'email']),
    );
    const joined = [
      record('a', 'email', [[0, 10, true]], 12),
      record('b', 'whatsapp', [[100, 110, true]], 105),
    ];
    expect(expectedReplyChannels(reply('a', 200, 210), joined)).toEqual(new Set(['whatsapp']));
  });
});
