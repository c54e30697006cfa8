import type { Conversation } from '@threadline/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestGateway } from '../test-support/test-gateway.js';

let harness: ReturnType<typeof createTestGateway>;
beforeEach(() => {
  harness = createTestGateway();
});
afterEach(async () => {
  await harness.close();
});

const text = (value: string) => ({ type: 'text' as const, text: value });

async function receive(connector: typeof harness.sms, from: string, id: string) {
  const response = await harness.deliver(connector, {
    kind: 'message',
    id,
    from,
    content: text('hi'),
  });
  expect(response.status).toBe(200);
  harness.clock.advance(1_000);
}

async function listConversations(query: string) {
  const response = await harness.api(`/v1/conversations?${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { data: Conversation[]; nextCursor: string | null };
}

describe('GET /v1/conversations filters', () => {
  it('finds a contact’s conversations by an address on any channel, canonicalized as stored', async () => {
    await receive(harness.sms, '+14155550101', 'SM1');
    await receive(harness.sms, '+14155550102', 'SM2');
    await receive(harness.telegram, '777001', 'tg1');
    const byE164 = await listConversations(`address=${encodeURIComponent('+1 415 555 0102')}`);
    expect(byE164.data.map((conversation) => conversation.lastInboundChannel)).toEqual(['sms']);
    const byTelegram = await listConversations('address=777001');
    expect(byTelegram.data.map((conversation) => conversation.lastInboundChannel)).toEqual([
      'telegram',
    ]);
    expect((await listConversations('address=nobody%40example.com')).data).toEqual([]);
  });

  it('keeps the conversations whose customer last wrote on a channel, paging on', async () => {
    for (let index = 0; index < 5; index += 1) {
      await receive(harness.sms, `+1415555011${index}`, `SM${index}`);
      await receive(harness.telegram, `77700${index}`, `tg${index}`);
    }
    const first = await listConversations('channel=telegram&limit=3');
    expect(first.data.map((conversation) => conversation.lastInboundChannel)).toEqual([
      'telegram',
      'telegram',
      'telegram',
    ]);
    expect(first.nextCursor).not.toBeNull();
    const second = await listConversations(`channel=telegram&limit=3&after=${first.nextCursor}`);
    expect(second.data).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    const all = [...first.data, ...second.data].map((conversation) => conversation.id);
    expect(new Set(all).size).toBe(5);
    const bad = await harness.api('/v1/conversations?channel=SMS!');
    expect(bad.status).toBe(400);
  });
});

describe('POST /v1/messages/render', () => {
  it('shows buttons as a numbered list on SMS and sends nothing', async () => {
    const response = await harness.api('/v1/messages/render', {
      json: {
        channel: 'sms',
        content: {
          type: 'interactive',
          text: 'Which one?',
          buttons: [
            { id: 'a', title: 'Keep it' },
            { id: 'b', title: 'Change it' },
          ],
        },
      },
    });
    expect(response.status).toBe(200);
    const rendered = (await response.json()) as {
      channel: string;
      connectorId: string;
      parts: Array<{ type: string; text?: string }>;
      choices: Array<{ id: string }> | null;
    };
    expect(rendered.channel).toBe('sms');
    expect(rendered.connectorId).toBe(harness.sms.id);
    expect(rendered.parts).toEqual([
      { type: 'text', text: 'Which one?\n\n1. Keep it\n2. Change it\n\nReply with a number.' },
    ]);
    expect(rendered.choices?.map((choice) => choice.id)).toEqual(['a', 'b']);
    expect(harness.sms.sent).toHaveLength(0);
  });

  it('names the channel no connector serves', async () => {
    const response = await harness.api('/v1/messages/render', {
      json: { channel: 'email', content: { type: 'text', text: 'hi' } },
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'email',
    );
  });
});

describe('GET /v1/connectors', () => {
  it('says which connectors pair as a linked device', async () => {
    const response = await harness.api('/v1/connectors');
    const connectors = (await response.json()) as { data: Array<{ id: string; pairing: boolean }> };
    expect(connectors.data.map((connector) => [connector.id, connector.pairing])).toEqual([
      ['sms', false],
      ['whatsapp', false],
      ['telegram', false],
    ]);
  });
});
