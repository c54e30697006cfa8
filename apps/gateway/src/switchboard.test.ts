import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ThreadlineEvent } from '@threadline/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestGateway } from './test-support/test-gateway.js';

/** A webhook receiver on 127.0.0.1 that keeps every event it is sent. */
async function startSink() {
  const events: ThreadlineEvent[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      events.push(JSON.parse(body) as ThreadlineEvent);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    events,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received: () =>
      events.filter(
        (event): event is Extract<ThreadlineEvent, { type: 'message.received' }> =>
          event.type === 'message.received',
      ),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
type Sink = Awaited<ReturnType<typeof startSink>>;

let harness: ReturnType<typeof createTestGateway>;
let sinks: Record<'bot' | 'desk' | 'logger', Sink>;
let ids: Record<'bot' | 'desk' | 'logger', string>;
let keys: Record<'bot' | 'desk', string>;

async function created<T>(response: Response, status = 201): Promise<T> {
  expect(response.status, await response.clone().text()).toBe(status);
  return (await response.json()) as T;
}

/** bot → desk (next), desk and bot receive `active`, a CRM logger receives `all`. */
async function setUp(botTimeout?: string) {
  const desk = await created<{ id: string }>(
    await harness.api('/v1/integrations', { json: { name: 'desk' } }),
  );
  const bot = await created<{ id: string }>(
    await harness.api('/v1/integrations', {
      json: {
        name: 'bot',
        next: desk.id,
        ...(botTimeout ? { responseTimeout: botTimeout } : {}),
      },
    }),
  );
  const logger = await created<{ id: string }>(
    await harness.api('/v1/integrations', { json: { name: 'crm', receives: 'all' } }),
  );
  ids = { bot: bot.id, desk: desk.id, logger: logger.id };
  for (const name of ['bot', 'desk', 'logger'] as const) {
    await created(
      await harness.api('/v1/webhooks', {
        json: { url: sinks[name].url, integrationId: ids[name] },
      }),
    );
  }
  const key = async (name: 'bot' | 'desk') =>
    (
      await created<{ key: string }>(
        await harness.api('/v1/api-keys', {
          json: { name, scopes: ['read', 'send'], integrationId: ids[name] },
        }),
      )
    ).key;
  keys = { bot: await key('bot'), desk: await key('desk') };
  const settings = await created<{ enabled: boolean }>(
    await harness.api('/v1/switchboard', {
      method: 'PUT',
      json: { enabled: true, defaultIntegrationId: bot.id },
    }),
    200,
  );
  expect(settings.enabled).toBe(true);
}

const as = (name: 'bot' | 'desk') => ({ authorization: `Bearer ${keys[name]}` });
let counter = 0;
async function customerWrites(channel: 'sms' | 'whatsapp', text: string) {
  counter += 1;
  const response = await harness.deliver(harness[channel], {
    kind: 'message',
    id: `${channel}-${counter}`,
    from: '+14155550170',
    content: { type: 'text', text },
  });
  expect(response.status).toBe(200);
  await harness.gateway.dispatcher.runOnce();
}
const reply = (name: 'bot' | 'desk', contactId: string, body: Record<string, unknown> = {}) =>
  harness.api('/v1/messages', {
    headers: as(name),
    json: { contactId, content: { type: 'text', text: `${name} here` }, ...body },
  });

beforeEach(async () => {
  harness = createTestGateway({ allowPrivateWebhookUrls: true });
  sinks = { bot: await startSink(), desk: await startSink(), logger: await startSink() };
});
afterEach(async () => {
  await harness.close();
  for (const sink of Object.values(sinks)) await sink.close();
});

describe('switchboard', () => {
  it('gives a new customer to the default bot: the desk does not hear it, the logger does', async () => {
    await setUp();
    await customerWrites('sms', 'Where is my refund?');
    expect(sinks.bot.received().map((event) => event.data.message.content)).toEqual([
      { type: 'text', text: 'Where is my refund?' },
    ]);
    expect(sinks.bot.received()[0]!.data.control?.activeIntegrationId).toBe(ids.bot);
    expect(sinks.desk.received()).toHaveLength(0);
    expect(sinks.logger.received()).toHaveLength(1);
  });

  it('passes to the desk with metadata: the next message reaches the desk, the bot is refused, the desk replies on the current channel', async () => {
    await setUp();
    await customerWrites('sms', 'I want a refund');
    const first = sinks.bot.received()[0]!.data.message;
    const passed = await harness.api(`/v1/conversations/${first.conversationId}/control/pass`, {
      headers: as('bot'),
      json: { metadata: { intent: 'refund' } },
    });
    expect(passed.status).toBe(200);
    await harness.gateway.dispatcher.runOnce();
    const handoff = sinks.desk.events.find((event) => event.type === 'conversation.control_passed');
    expect(handoff?.data).toMatchObject({
      from: ids.bot,
      to: ids.desk,
      reason: 'api',
      metadata: { intent: 'refund' },
    });

    await customerWrites('whatsapp', 'order 1234, on WhatsApp now');
    expect(sinks.desk.received().map((event) => event.data.message.channel)).toEqual(['whatsapp']);
    expect(sinks.desk.received()[0]!.data.control).toMatchObject({
      activeIntegrationId: ids.desk,
      metadata: { intent: 'refund' },
    });
    expect(sinks.bot.received()).toHaveLength(1);
    const conversation = (await (
      await harness.api(`/v1/conversations/${first.conversationId}`)
    ).json()) as { control: { activeIntegrationId: string; metadata: unknown } };
    expect(conversation.control).toMatchObject({
      activeIntegrationId: ids.desk,
      metadata: { intent: 'refund' },
    });
    // the list filtered by who is in control
    const controlled = async (integrationId: string) =>
      (
        (await (await harness.api(`/v1/conversations?integrationId=${integrationId}`)).json()) as {
          data: Array<{ id: string }>;
        }
      ).data.map((found) => found.id);
    expect(await controlled(ids.desk)).toEqual([first.conversationId]);
    expect(await controlled(ids.bot)).toEqual([]);

    const refused = await reply('bot', first.contactId);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'not_in_control',
    );
    const sent = await created<{ channel: string }>(await reply('desk', first.contactId), 202);
    expect(sent.channel).toBe('whatsapp');
    await harness.gateway.engine.drainJobs();
    expect(harness.whatsapp.sent.map((message) => message.content)).toEqual([
      { type: 'text', text: 'desk here' },
    ]);
    expect(harness.sms.sent).toHaveLength(0);

    // an agent barging in: the bot takes control back by sending
    await created(await reply('bot', first.contactId, { takeControl: true }), 202);
    const control = (await (
      await harness.api(`/v1/conversations/${first.conversationId}`)
    ).json()) as { control: { activeIntegrationId: string } };
    expect(control.control.activeIntegrationId).toBe(ids.bot);
    const metrics = await (await harness.app.request('/metrics')).text();
    expect(metrics).toMatch(/threadline_control_passes_total\{reason="api"\} 2/);
    expect(metrics).toMatch(/threadline_control_passes_total\{reason="new_conversation"\} 1/);
  });

  it('passes to next with reason timeout when the bot stays silent; a bot that answered keeps control', async () => {
    await setUp('2s');
    await customerWrites('sms', 'hello?');
    const silent = sinks.bot.received()[0]!.data.message;
    harness.clock.advance(2_001);
    await harness.gateway.engine.drainJobs();
    await harness.gateway.dispatcher.runOnce();
    const timeouts = sinks.desk.events.filter(
      (event) => event.type === 'conversation.control_passed' && event.data.reason === 'timeout',
    );
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]!.data).toMatchObject({
      conversationId: silent.conversationId,
      from: ids.bot,
      to: ids.desk,
    });

    counter += 100;
    const response = await harness.deliver(harness.telegram, {
      kind: 'message',
      id: 'tg-answered',
      from: '777001',
      content: { type: 'text', text: 'another customer' },
    });
    expect(response.status).toBe(200);
    await harness.gateway.dispatcher.runOnce();
    const answered = sinks.bot.received().at(-1)!.data.message;
    harness.clock.advance(1_000);
    await created(await reply('bot', answered.contactId), 202);
    harness.clock.advance(5_000);
    await harness.gateway.engine.drainJobs();
    const control = (await (
      await harness.api(`/v1/conversations/${answered.conversationId}`)
    ).json()) as { control: { activeIntegrationId: string } };
    expect(control.control.activeIntegrationId).toBe(ids.bot);
  });

  it('moves control on offer only when the desk accepts', async () => {
    await setUp();
    await customerWrites('sms', 'can I talk to someone?');
    const { conversationId } = sinks.bot.received()[0]!.data.message;
    const offered = await created<{ activeIntegrationId: string; pendingIntegrationId: string }>(
      await harness.api(`/v1/conversations/${conversationId}/control/offer`, {
        headers: as('bot'),
        json: { to: ids.desk, metadata: { summary: 'asked for a human' } },
      }),
      200,
    );
    expect(offered).toMatchObject({ activeIntegrationId: ids.bot, pendingIntegrationId: ids.desk });
    // pending: the desk hears the customer, but may not answer yet
    await customerWrites('sms', 'hello?');
    expect(sinks.desk.received()).toHaveLength(1);
    expect((await reply('desk', sinks.desk.received()[0]!.data.message.contactId)).status).toBe(
      409,
    );
    const accepted = await created<{ activeIntegrationId: string; metadata: unknown }>(
      await harness.api(`/v1/conversations/${conversationId}/control/accept`, {
        method: 'POST',
        headers: as('desk'),
      }),
      200,
    );
    expect(accepted).toMatchObject({
      activeIntegrationId: ids.desk,
      metadata: { summary: 'asked for a human' },
    });
    const released = await created<{ activeIntegrationId: string }>(
      await harness.api(`/v1/conversations/${conversationId}/control/release`, {
        method: 'POST',
        headers: as('desk'),
      }),
      200,
    );
    expect(released.activeIntegrationId).toBe(ids.bot);
  });

  it('filters the event stream by ?integrationId=', async () => {
    await setUp();
    await customerWrites('sms', 'hi');
    const page = async (integrationId: string) =>
      (
        (await (
          await harness.api(`/v1/events?format=json&after=0&integrationId=${integrationId}`)
        ).json()) as { data: ThreadlineEvent[] }
      ).data.map((event) => event.type);
    expect(await page(ids.bot)).toContain('message.received');
    expect(await page(ids.desk)).not.toContain('message.received');
    expect(await page(ids.logger)).toContain('message.received');
  });

  it('answers field errors: unknown integrations, bad durations, a switchboard without default', async () => {
    const bad = await harness.api('/v1/integrations', {
      json: { name: 'x', responseTimeout: 'soon' },
    });
    expect(bad.status).toBe(400);
    const unknown = await harness.api('/v1/integrations', { json: { name: 'x', colour: 'red' } });
    expect(unknown.status).toBe(400);
    expect(
      ((await unknown.json()) as { error: { details: { issues: unknown[] } } }).error.details
        .issues,
    ).toEqual([{ path: 'colour', message: 'unknown field' }]);
    const key = await harness.api('/v1/api-keys', {
      json: { name: 'x', scopes: ['send'], integrationId: 'nobody' },
    });
    expect(key.status).toBe(400);
    expect(await key.text()).toContain('integrationId');
    const board = await harness.api('/v1/switchboard', {
      method: 'PUT',
      json: { enabled: true },
    });
    expect(board.status).toBe(400);
    expect(await board.text()).toContain('defaultIntegrationId');
    const document = (await (await harness.app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    expect(document.paths['/v1/conversations/{id}/control/pass']?.post?.operationId).toBe(
      'conversations.passControl',
    );
    expect(document.paths['/v1/switchboard']?.put?.operationId).toBe('switchboard.put');
    expect(document.paths['/v1/integrations']?.post?.operationId).toBe('integrations.create');
  });
});
