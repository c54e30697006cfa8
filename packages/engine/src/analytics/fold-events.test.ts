import { describe, expect, it } from 'vitest';
import type { AnalyticsReader, ConversationAnalytics } from './analytics-types.js';
import { type LogEvent, newState } from './fold-event.js';
import { foldBatch } from './fold-events.js';

/** A reader holding `stored` states, counting what it is asked for. */
function reader(stored: ConversationAnalytics[]) {
  const asked: string[][] = [];
  const tx: AnalyticsReader = {
    async getAnalyticsStates(ids) {
      asked.push(ids);
      return stored.filter((state) => ids.includes(state.conversationId)).map((s) => ({ ...s }));
    },
    async readAnalytics() {
      return { counters: [], bins: [] };
    },
  };
  return { tx, asked };
}

const waiting: ConversationAnalytics = {
  ...newState('c1', 'sms', '2026-03-01T09:00:00.000Z'),
  awaitingSince: '2026-03-01T09:00:00.000Z',
};

const message = (direction: 'inbound' | 'outbound', channel = 'sms') => ({
  conversationId: 'c1',
  channel,
  direction,
  fallbackOfId: null,
  channelData: {},
});
const received = (time: string, channel = 'sms'): LogEvent => ({
  type: 'message.received',
  time,
  data: { message: message('inbound', channel) },
});
const sent = (time: string): LogEvent => ({
  type: 'message.sent',
  time,
  data: { message: message('outbound') },
});

describe('foldBatch', () => {
  it('writes back only the states the events changed, and leaves its inputs alone', async () => {
    const { tx } = reader([waiting]);
    // another message while the customer already waits: counted, the state unchanged
    const again = await foldBatch(tx, [received('2026-03-01T09:01:00.000Z')]);
    expect(again.states).toEqual([]);
    expect(again.touched).toEqual([waiting]);
    expect(again.counters.map((row) => [row.hour, row.metric, row.count])).toEqual([
      ['2026-03-01T09:00:00.000Z', 'messages_received', 1],
      ['day:2026-03-01', 'messages_received', 1],
      ['day:2026-03-01', 'messages_received', 1],
    ]);
    // a reply ends the wait: the state changed, and is written
    const known = new Map([['c1', waiting]]);
    const reply = await foldBatch(tx, [sent('2026-03-01T09:01:30.000Z')], known);
    expect(reply.states).toMatchObject([{ awaitingSince: null, firstResponded: true }]);
    expect(known.get('c1')).toEqual(waiting);
  });

  it('reads from the store only the states it does not know', async () => {
    const { tx, asked } = reader([waiting]);
    await foldBatch(tx, [received('2026-03-01T09:01:00.000Z')], new Map([['c1', waiting]]));
    expect(asked).toEqual([]);
    await foldBatch(tx, [received('2026-03-01T09:01:00.000Z')]);
    expect(asked).toEqual([['c1']]);
  });
});
