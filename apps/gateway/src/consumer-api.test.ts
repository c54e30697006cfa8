import type { Contact, Conversation, Message, ThreadlineEvent } from '@threadline/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestGateway } from './test-support/test-gateway.js';

let harness: ReturnType<typeof createTestGateway>;
beforeEach(() => {
  harness = createTestGateway();
});
afterEach(async () => {
  await harness.close();
});

const text = (value: string) => ({ type: 'text' as const, text: value });

async function receive(from: string, body: string, id: string, connector = harness.sms) {
  const response = await harness.deliver(connector, {
    kind: 'message',
    id,
    from,
    content: text(body),
  });
  expect(response.status).toBe(200);
  return response;
}

describe('authentication', () => {
  it('answers 401 without a key on every /v1 route in the OpenAPI document, and 401 for a wrong key', async () => {
    const document = (await (await harness.app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({
        method: method.toUpperCase(),
        path: path.replace(/\{[^}]+\}/g, 'x'),
      })),
    );
    expect(routes.length).toBeGreaterThanOrEqual(15);
    for (const route of routes) {
      expect(route.path.startsWith('/v1/'), route.path).toBe(true);
      const response = await harness.app.request(route.path, { method: route.method });
      expect(response.status, `${route.method} ${route.path}`).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'unauthorized',
      );
    }
    const wrong = await harness.app.request('/v1/conversations', {
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
  });
});

describe('provider ingress', () => {
  it('stores a signed inbound message and acknowledges it, and a redelivery is a no-op', async () => {
    const first = await receive('+14155550100', 'hello', 'SM1');
    expect(await first.json()).toEqual({ ok: true, received: 1, duplicates: 0 });
    const again = await receive('+14155550100', 'hello', 'SM1');
    expect(await again.json()).toEqual({ ok: true, received: 1, duplicates: 1 });
    const conversations = (await (await harness.api('/v1/conversations')).json()) as {
      data: Conversation[];
    };
    expect(conversations.data).toHaveLength(1);
  });

  it('rejects a bad signature with 401, stores nothing, and quarantines the request', async () => {
    const response = await harness.deliver(
      harness.sms,
      { kind: 'message', id: 'SM2', from: '+14155550100', content: text('x') },
      'forged',
    );
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'signature_invalid',
    );
    expect(
      ((await (await harness.api('/v1/conversations')).json()) as { data: unknown[] }).data,
    ).toHaveLength(0);
    const quarantine = (await (await harness.api('/v1/quarantine')).json()) as {
      data: Array<{ reason: string; kind: string }>;
    };
    expect(quarantine.data).toHaveLength(1);
    expect(quarantine.data[0]).toMatchObject({
      kind: 'rejected',
      reason: expect.stringContaining('signature'),
    });
  });

  it('rejects a malformed payload with 400 and the path, keeps it, and can replay it', async () => {
    const response = await harness.deliver(harness.sms, {
      kind: 'message',
      id: 'SM3',
      from: '+14155550100',
    } as never);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; details: { path: string } } };
    expect(body.error).toMatchObject({ code: 'payload_invalid', details: { path: 'content' } });
    const quarantine = (await (await harness.api('/v1/quarantine')).json()) as {
      data: Array<{ id: string; path: string }>;
    };
    expect(quarantine.data[0]?.path).toBe('content');
    const replay = await harness.api(`/v1/quarantine/${quarantine.data[0]!.id}/replay`, {
      method: 'POST',
    });
    expect(replay.status).toBe(422);
  });

  it('answers 404 for a connector that is not configured', async () => {
    const response = await harness.app.request('/webhooks/email/email', {
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(404);
  });
});

describe('messages', () => {
  it('sends a reply on the channel the customer used last, and serves the message', async () => {
    await receive('+14155550101', 'on sms', 'SM10');
    await harness.deliver(harness.whatsapp, {
      kind: 'message',
      id: 'wamid.1',
      from: '+14155550101',
      content: text('on whatsapp'),
    });
    const conversations = (await (await harness.api('/v1/conversations')).json()) as {
      data: Conversation[];
    };
    expect(conversations.data).toHaveLength(1);
    const response = await harness.api('/v1/messages', {
      json: { contactId: conversations.data[0]!.contactId, content: text('thanks, on it') },
    });
    expect(response.status).toBe(202);
    const message = (await response.json()) as Message;
    expect(message).toMatchObject({ channel: 'whatsapp', status: 'queued', direction: 'outbound' });
    await harness.gateway.engine.drainJobs();
    expect(harness.whatsapp.sent.map((sent) => sent.to.address)).toEqual(['+14155550101']);
    const stored = (await (await harness.api(`/v1/messages/${message.id}`)).json()) as Message;
    expect(stored.status).toBe('sent');
    expect(stored.externalId).toBe(harness.whatsapp.sent[0]!.externalId);
    expect((await harness.api('/v1/messages/nope')).status).toBe(404);
  });

  it('rejects a bad body with 400 and the precise path', async () => {
    const response = await harness.api('/v1/messages', {
      json: {
        to: { channel: 'sms', address: '+14155550102' },
        content: { type: 'interactive', text: 'Pick', buttons: [{ id: 'a' }] },
      },
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      error: { code: string; details: { issues: Array<{ path: string }> } };
    };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details.issues.map((issue) => issue.path)).toContain(
      'content.buttons.0.title',
    );
    const noRecipient = await harness.api('/v1/messages', { json: { content: text('to whom?') } });
    expect(
      ((await noRecipient.json()) as { error: { details: { issues: Array<{ path: string }> } } })
        .error.details.issues[0]?.path,
    ).toBe('contactId');
    const badPhone = await harness.api('/v1/messages', {
      json: { to: { channel: 'sms', address: 'call me' }, content: text('hi') },
    });
    expect(badPhone.status).toBe(400);
    expect(
      (
        (await badPhone.json()) as {
          error: { code: string; details: { issues: Array<{ path: string }> } };
        }
      ).error,
    ).toMatchObject({ code: 'validation_failed', details: { issues: [{ path: 'to.address' }] } });
  });

  it('answers channel_not_configured, naming the channel and its variables, for a send to a channel with no connector', async () => {
    const bare = createTestGateway({ connectors: [harness.telegram] });
    try {
      const response = await bare.api('/v1/messages', {
        json: { to: { channel: 'sms', address: '+1 415 555 0188' }, content: text('hello') },
      });
      expect(response.status).toBe(422);
      const body = (await response.json()) as {
        error: { code: string; message: string; details: Record<string, unknown> };
      };
      expect(body.error.code).toBe('channel_not_configured');
      expect(body.error.details).toEqual({
        channel: 'sms',
        environment: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER'],
      });
      expect(body.error.message).toContain('TWILIO_ACCOUNT_SID');
      // Nothing was written, so nothing is named: no contact, no conversation, no event.
      expect(await bare.gateway.store.read.latestCursor()).toBe(0);
      expect(await bare.gateway.store.read.listConversations({ limit: 10 })).toEqual([]);

      // The same for a known contact asked to be reached on the missing channel.
      await bare.deliver(harness.telegram, {
        kind: 'message',
        id: 'tg-1',
        from: '4242',
        content: text('hi'),
      });
      const [conversation] = await bare.gateway.store.read.listConversations({ limit: 1 });
      const byContact = await bare.api('/v1/messages', {
        json: { contactId: conversation!.contactId, channel: 'email', content: text('hello') },
      });
      expect(byContact.status).toBe(422);
      expect(((await byContact.json()) as { error: { details: unknown } }).error.details).toEqual({
        channel: 'email',
        environment: ['EMAIL_FROM', 'SMTP_URL'],
      });
    } finally {
      await bare.close();
    }
  });

  it('honours Idempotency-Key: the same key and body answer the same message once', async () => {
    const body = {
      to: { channel: 'sms', address: '+1 415 555 0103' },
      content: text('your code is 9931'),
    };
    const headers = { 'idempotency-key': 'order-9931' };
    const first = (await (
      await harness.api('/v1/messages', { json: body, headers })
    ).json()) as Message;
    const second = await harness.api('/v1/messages', { json: body, headers });
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(((await second.json()) as Message).id).toBe(first.id);
    await harness.gateway.engine.drainJobs();
    expect(harness.sms.sent).toHaveLength(1);
    const conflict = await harness.api('/v1/messages', {
      json: { ...body, content: text('another') },
      headers,
    });
    expect(conflict.status).toBe(409);
  });

  it('creates one message for concurrent requests with the same Idempotency-Key', async () => {
    const body = { to: { channel: 'sms', address: '+1 415 555 0105' }, content: text('one only') };
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        harness.api('/v1/messages', { json: body, headers: { 'idempotency-key': 'race-1' } }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual([202, 202, 202, 202, 202]);
    const ids = await Promise.all(
      responses.map(async (response) => ((await response.json()) as Message).id),
    );
    expect(new Set(ids).size).toBe(1);
    await harness.gateway.engine.drainJobs();
    expect(harness.sms.sent).toHaveLength(1);
  });

  it('answers 413 for an over-large body', async () => {
    const small = createTestGateway({ maxBodyBytes: 1024 });
    try {
      const response = await small.api('/v1/messages', {
        json: { to: { channel: 'sms', address: '+14155550104' }, content: text('x'.repeat(5000)) },
      });
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'payload_too_large',
      );
      const ingress = await small.deliver(small.sms, {
        kind: 'message',
        id: 'SM-big',
        from: '+14155550104',
        content: text('y'.repeat(5000)),
      });
      expect(ingress.status).toBe(413);
    } finally {
      await small.close();
    }
  });
});

describe('conversations and contacts', () => {
  it('lists, filters, pages, reads and resolves conversations, with messages oldest first across channels', async () => {
    await receive('+14155550110', 'first by sms', 'SM20');
    harness.clock.advance(1000);
    await harness.deliver(harness.whatsapp, {
      kind: 'message',
      id: 'wamid.20',
      from: '+14155550110',
      content: text('then whatsapp'),
    });
    harness.clock.advance(1000);
    await receive('+14155550111', 'someone else', 'SM21');
    const all = (await (await harness.api('/v1/conversations?limit=1')).json()) as {
      data: Conversation[];
      nextCursor: string;
    };
    expect(all.data).toHaveLength(1);
    const next = (await (
      await harness.api(`/v1/conversations?limit=1&after=${all.nextCursor}`)
    ).json()) as { data: Conversation[] };
    expect(next.data).toHaveLength(1);
    expect(next.data[0]!.id).not.toBe(all.data[0]!.id);
    const target = [...all.data, ...next.data].find(
      (conversation) => conversation.lastInboundChannel === 'whatsapp',
    )!;
    const byContact = (await (
      await harness.api(`/v1/conversations?contactId=${target.contactId}`)
    ).json()) as { data: Conversation[] };
    expect(byContact.data.map((conversation) => conversation.id)).toEqual([target.id]);
    const messages = (await (
      await harness.api(`/v1/conversations/${target.id}/messages`)
    ).json()) as { data: Message[] };
    expect(
      messages.data.map((message) => [
        message.channel,
        message.content.type === 'text' && message.content.text,
      ]),
    ).toEqual([
      ['sms', 'first by sms'],
      ['whatsapp', 'then whatsapp'],
    ]);
    const resolved = (await (
      await harness.api(`/v1/conversations/${target.id}/resolve`, { method: 'POST' })
    ).json()) as Conversation;
    expect(resolved.status).toBe('resolved');
    expect(
      (
        (await (await harness.api('/v1/conversations?status=resolved')).json()) as {
          data: Conversation[];
        }
      ).data,
    ).toHaveLength(1);
    expect(
      ((await (await harness.api(`/v1/conversations/${target.id}`)).json()) as Conversation).status,
    ).toBe('resolved');
    expect((await harness.api('/v1/conversations/nope')).status).toBe(404);

    // an operator reopens it: the next message stays in it
    const reopen = await harness.api(`/v1/conversations/${target.id}/reopen`, { method: 'POST' });
    expect(reopen.status).toBe(200);
    expect(((await reopen.json()) as Conversation).status).toBe('open');
    expect((await harness.api('/v1/conversations/nope/reopen', { method: 'POST' })).status).toBe(
      404,
    );
  });

  it('reads contacts, links identities and merges contacts', async () => {
    await receive('+14155550120', 'sms customer', 'SM30');
    await harness.deliver(harness.telegram, {
      kind: 'message',
      id: 'tg-30',
      from: '777001',
      content: text('telegram customer'),
    });
    const conversations = (await (await harness.api('/v1/conversations')).json()) as {
      data: Conversation[];
    };
    const [telegramContactId, smsContactId] = conversations.data.map(
      (conversation) => conversation.contactId,
    );
    const contact = (await (await harness.api(`/v1/contacts/${smsContactId}`)).json()) as Contact;
    expect(contact.identities.map((identity) => identity.address)).toEqual(['+14155550120']);
    const linked = (await (
      await harness.api(`/v1/contacts/${smsContactId}/identities`, {
        json: { channel: 'email', address: 'Pat@Example.com' },
      })
    ).json()) as Contact;
    expect(linked.identities.map((identity) => identity.address)).toContain('pat@example.com');
    const merged = await harness.api('/v1/contacts/merge', {
      json: {
        contactId: smsContactId,
        mergeContactId: telegramContactId,
        reason: 'agent confirmed',
      },
    });
    expect(merged.status).toBe(200);
    expect(
      ((await merged.json()) as Contact).identities.map((identity) => identity.channel).sort(),
    ).toEqual(['email', 'sms', 'telegram']);
    const viaOldId = (await (
      await harness.api(`/v1/contacts/${telegramContactId}`)
    ).json()) as Contact;
    expect(viaOldId.id).toBe(smsContactId);
    const events = (await (await harness.api('/v1/events?format=json&after=0')).json()) as {
      data: ThreadlineEvent[];
    };
    expect(events.data.find((event) => event.type === 'contact.merged')).toMatchObject({
      data: { reason: 'agent confirmed' },
    });
    expect((await harness.api('/v1/contacts/nope')).status).toBe(404);
  });
});

describe('system routes', () => {
  it('serves health, readiness, metrics, the OpenAPI document and the API reference', async () => {
    expect(await (await harness.app.request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await harness.app.request('/readyz');
    expect(ready.status).toBe(200);
    await receive('+14155550130', 'count me', 'SM40');
    const metrics = await (await harness.app.request('/metrics')).text();
    expect(metrics).toContain('threadline_inbound_messages_total{channel="sms"} 1');
    expect(metrics).toContain('threadline_ingest_duration_seconds_bucket');
    const document = (await (await harness.app.request('/openapi.json')).json()) as {
      openapi: string;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Message', 'Conversation', 'Contact', 'Event', 'SendMessage']),
    );
    const docs = await harness.app.request('/docs');
    expect(docs.status).toBe(200);
    const page = await docs.text();
    // every asset of the reference comes from the gateway itself (no CDN)
    expect(page).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(page).not.toMatch(/(src|href)="https?:/);
    const initializer = await harness.app.request('/docs/assets/initializer.js');
    expect(await initializer.text()).toContain("url: '/openapi.json'");
    const bundle = await harness.app.request('/docs/assets/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect((await harness.app.request('/docs/assets/package.json')).status).toBe(404);
    const connectors = (await (await harness.api('/v1/connectors')).json()) as {
      data: Array<{ id: string; state: string }>;
    };
    expect(connectors.data.map((connector) => connector.id)).toEqual([
      'sms',
      'whatsapp',
      'telegram',
    ]);
  });
});
