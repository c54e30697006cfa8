import type { ThreadlineEvent } from '@threadline/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey, startTestGateway, type TestGateway } from './test-support/start-test-gateway.js';
import { createThreadlineClient, type ThreadlineClient } from './threadline-client.js';
import {
  ThreadlineApiError,
  ThreadlineClientError,
  ThreadlineConnectionError,
} from './threadline-client-error.js';

let gateway: TestGateway;
let client: ThreadlineClient;
let counter = 0;

beforeAll(async () => {
  gateway = await startTestGateway();
  client = createThreadlineClient({ baseUrl: gateway.baseUrl, apiKey });
});
afterAll(async () => {
  await gateway.close();
});

/** A new customer writes once by SMS; resolves with the stored inbound message. */
async function customerWrites(text: string, from = `+1415555${String(3000 + ++counter)}`) {
  const response = await gateway.deliver(gateway.sms, {
    kind: 'message',
    id: `SM-client-${++counter}`,
    from,
    content: { type: 'text', text },
  });
  expect(response.status).toBe(200);
  for await (const event of client.events.iterate({ types: ['message.received'] })) {
    if (event.type === 'message.received' && event.data.message.content.type === 'text') {
      if (event.data.message.content.text === text) return event.data.message;
    }
  }
  throw new Error(`"${text}" was not stored`);
}

describe('messages, conversations and contacts', () => {
  it('sends a reply routed to the channel the customer wrote on, and reads it back', async () => {
    const inbound = await customerWrites('where is my parcel?');
    const sent = await client.messages.send({
      contactId: inbound.contactId,
      content: { type: 'text', text: 'It left the depot this morning.' },
      replyToId: inbound.id,
    });
    expect(sent).toMatchObject({ status: 'queued', channel: 'sms', direction: 'outbound' });
    let current = sent;
    while (current.status === 'queued') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      current = await client.messages.get(sent.id);
    }
    expect(current.status).toBe('sent');
    expect(gateway.sms.sent.map((message) => message.id)).toContain(sent.id);

    const conversation = await client.conversations.get(inbound.conversationId);
    expect(conversation.lastInboundChannel).toBe('sms');
    const page = await client.conversations.messages(conversation.id);
    expect(page.data.map((message) => message.id)).toEqual([inbound.id, sent.id]);
    const listed = await client.conversations.list({ contactId: inbound.contactId });
    expect(listed.data.map((item) => item.id)).toEqual([conversation.id]);
    const resolved = await client.conversations.resolve(conversation.id);
    expect(resolved.status).toBe('resolved');
    const all: string[] = [];
    for await (const item of client.conversations.iterate({ limit: 1 })) all.push(item.id);
    expect(all).toContain(conversation.id);
  });

  it('links an identity and merges contacts', async () => {
    const first = await customerWrites('hello from my phone');
    const second = await customerWrites('hello from my other phone');
    const linked = await client.contacts.linkIdentity(first.contactId, {
      channel: 'whatsapp',
      address: '+44 20 7946 0958',
      reason: 'the customer told the agent',
    });
    expect(linked.identities).toContainEqual(
      expect.objectContaining({ channel: 'whatsapp', address: '+442079460958', source: 'api' }),
    );
    const merged = await client.contacts.merge({
      contactId: first.contactId,
      mergeContactId: second.contactId,
    });
    expect(merged.identities.map((identity) => identity.address)).toContain(second.from.address);
    expect((await client.contacts.get(second.contactId)).id).toBe(first.contactId);
  });

  it('answers a repeated idempotency key with the first message, even across a lost answer', async () => {
    const inbound = await customerWrites('please confirm my booking');
    let lostAnswers = 0;
    const flaky = createThreadlineClient({
      baseUrl: gateway.baseUrl,
      apiKey,
      retry: { initialDelayMs: 10 },
      // the request reaches the gateway, then the answer is lost once
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (init?.method === 'POST' && lostAnswers === 0) {
          lostAnswers += 1;
          await response.arrayBuffer();
          throw new TypeError('fetch failed: socket hang up');
        }
        return response;
      },
    });
    const content = { type: 'text' as const, text: 'Booking 7731 is confirmed.' };
    const sent = await flaky.messages.send(
      { contactId: inbound.contactId, content },
      { idempotencyKey: `confirm-${inbound.id}` },
    );
    expect(lostAnswers).toBe(1);
    const page = await client.conversations.messages(inbound.conversationId);
    expect(page.data.filter((message) => message.direction === 'outbound')).toHaveLength(1);
    expect(page.data.at(-1)?.id).toBe(sent.id);
  });
});

describe('errors', () => {
  it('carries the API code, status and details', async () => {
    const invalid = await client.messages
      .send({ to: { channel: 'sms', address: '+14155550100' }, content: { type: 'nope' } as never })
      .catch((error: unknown) => error);
    expect(ThreadlineApiError.is(invalid, 'validation_failed')).toBe(true);
    expect(invalid).toMatchObject({ status: 400, retryable: false });
    expect((invalid as ThreadlineApiError).details?.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: expect.stringContaining('content') }),
      ]),
    );

    const missing = await client.messages.get('no-such-message').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ThreadlineApiError);
    expect(missing).toMatchObject({ code: 'not_found', status: 404 });

    const stranger = createThreadlineClient({ baseUrl: gateway.baseUrl, apiKey: 'wrong-key' });
    const unauthorized = await stranger.conversations.list().catch((error: unknown) => error);
    expect(unauthorized).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(ThreadlineClientError.isInstance(unauthorized)).toBe(true);
  });

  it('names an unreachable gateway as a retryable connection error', async () => {
    const nowhere = createThreadlineClient({
      baseUrl: 'http://127.0.0.1:9',
      apiKey,
      retry: { maxRetries: 1, initialDelayMs: 5 },
    });
    const error = await nowhere.messages.get('anything').catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ThreadlineConnectionError);
    expect(error).toMatchObject({ code: 'connection_failed', retryable: true });
  });
});

describe('system, connectors and quarantine', () => {
  it('reports health, readiness and connectors', async () => {
    expect(await client.system.health()).toBe(true);
    expect((await client.system.ready()).status).toBe('ready');
    const connectors = await client.connectors.list();
    expect(connectors.map((connector) => connector.id)).toEqual(['sms', 'whatsapp']);
    const media = await client.media.get('no-such-media').catch((error: unknown) => error);
    expect(media).toMatchObject({ code: 'not_found' });
  });

  it('lists a rejected provider request and replays it', async () => {
    const request = gateway.whatsapp.request({
      kind: 'message',
      id: 'wa-quarantined-1',
      from: '+14155550999',
      content: { type: 'text', text: 'signed with the wrong secret' },
    });
    const response = await fetch(`${gateway.baseUrl}/webhooks/whatsapp/whatsapp`, {
      method: 'POST',
      headers: { ...request.headers, 'x-mock-signature': 'bad' },
      body: request.body,
    });
    expect(response.status).toBe(401);
    const entries = await client.quarantine.list({ connectorId: 'whatsapp' });
    expect(entries[0]).toMatchObject({ kind: 'rejected', connectorId: 'whatsapp' });
    const replay = await client.quarantine.replay(entries[0]!.id).catch((error: unknown) => error);
    // the signature is still wrong: the gateway keeps refusing it
    expect(replay).toMatchObject({ status: 422 });
  });
});

describe('events.list', () => {
  it('pages the event log by cursor and filters by type', async () => {
    await customerWrites('paging one');
    await customerWrites('paging two');
    const first = await client.events.list({ after: 0, limit: 2 });
    expect(first.data).toHaveLength(2);
    const next = await client.events.list({ after: first.nextCursor, limit: 1000 });
    expect(next.data[0]!.cursor).toBeGreaterThan(first.nextCursor);
    const received: ThreadlineEvent[] = [];
    for await (const event of client.events.iterate({ types: ['message.received'] }))
      received.push(event);
    expect(new Set(received.map((event) => event.type))).toEqual(new Set(['message.received']));
    expect(received.map((event) => event.cursor)).toEqual(
      [...received.map((event) => event.cursor)].sort((a, b) => a - b),
    );
  });
});

describe('switchboard', () => {
  it('passes control with metadata, and answers a bot no longer in control with not_in_control', async () => {
    const desk = await client.integrations.create({ name: 'desk' });
    const bot = await client.integrations.create({ name: 'bot', next: desk.id });
    expect((await client.integrations.list()).map((integration) => integration.name)).toEqual(
      expect.arrayContaining(['bot', 'desk']),
    );
    const botKey = await (
      await fetch(`${gateway.baseUrl}/v1/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bot', scopes: ['read', 'send'], integrationId: bot.id }),
      })
    ).json();
    const asBot = createThreadlineClient({ baseUrl: gateway.baseUrl, apiKey: botKey.key });
    await client.switchboard.put({ enabled: true, defaultIntegrationId: bot.id });
    try {
      const inbound = await customerWrites('I need a refund');
      const control = await asBot.conversations.passControl(inbound.conversationId, {
        metadata: { intent: 'refund' },
      });
      expect(control).toMatchObject({
        activeIntegrationId: desk.id,
        metadata: { intent: 'refund' },
      });
      expect((await client.conversations.get(inbound.conversationId)).control).toMatchObject({
        activeIntegrationId: desk.id,
      });
      const refused = await asBot.messages
        .send({ contactId: inbound.contactId, content: { type: 'text', text: 'me again' } })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ThreadlineApiError);
      expect((refused as ThreadlineApiError).code).toBe('not_in_control');
      const taken = await asBot.messages.send({
        contactId: inbound.contactId,
        content: { type: 'text', text: 'bot barging in' },
        takeControl: true,
      });
      expect(taken.status).toBe('queued');
    } finally {
      await client.switchboard.put({ enabled: false, defaultIntegrationId: null });
    }
  });
});

describe('analytics', () => {
  it('reads the summary and a timeseries, and rebuilds them to the same figures', async () => {
    const range = {
      from: new Date(Date.now() - 2 * 3_600_000).toISOString(),
      to: new Date(Date.now() + 2 * 3_600_000).toISOString(),
      channel: 'sms',
    };
    const before = await client.analytics.summary(range);
    await customerWrites('Counting on you');
    const after = await client.analytics.summary(range);
    expect(after.conversations.messagesReceived).toBe(before.conversations.messagesReceived + 1);
    const series = await client.analytics.timeseries({
      ...range,
      metric: 'messages_received',
      interval: 'hour',
    });
    expect(series.buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(
      after.conversations.messagesReceived,
    );
    expect((await client.analytics.rebuild()).events).toBeGreaterThan(0);
    expect(await client.analytics.summary(range)).toEqual(after);
  });
});
