import { metaSignature } from '@threadline/connector-kit';
import { createTestServer } from '@threadline/connector-kit/test';
import { HttpResponse, http } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { readFixture } from './test-support/read-fixture.js';
import { createWhatsAppCloudApiFake } from './test-support/whatsapp-cloud-api-fake.js';
import { createWhatsAppCloudConnector } from './whatsapp-cloud-connector.js';

const settings = {
  accessToken: 'EAAG-test-token',
  phoneNumberId: '106540352242922',
  appSecret: 'test-app-secret',
  verifyToken: 'threadline-verify-7f3a',
  graphUrl: 'https://graph.test/v25.0',
};
const fake = createWhatsAppCloudApiFake(settings);
const server = createTestServer(...fake.handlers);
const connector = createWhatsAppCloudConnector(settings);
const webhookUrl = 'https://gateway.example.com/webhooks/whatsapp/whatsapp';

function signed(body: string, signature = metaSignature(settings.appSecret, body)) {
  return {
    method: 'POST',
    url: webhookUrl,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body,
  };
}

function verification(query: string) {
  return { method: 'GET', url: `${webhookUrl}?${query}`, headers: {}, body: '' };
}

beforeEach(() => {
  fake.reset();
  server.clearRequests();
});

describe('webhook verification (GET)', () => {
  it('answers the challenge as plain text when the verify token matches', async () => {
    const result = await connector.parse(
      verification(
        'hub.mode=subscribe&hub.verify_token=threadline-verify-7f3a&hub.challenge=1158201444',
      ),
    );
    expect(result).toEqual({
      events: [],
      response: { status: 200, headers: { 'content-type': 'text/plain' }, body: '1158201444' },
    });
  });

  it('refuses a wrong verify token with signature_invalid and 403, as Meta documents', async () => {
    await expect(
      connector.parse(verification('hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1')),
    ).rejects.toMatchObject({ code: 'signature_invalid', statusCode: 403 });
  });

  it('refuses a missing verify token with signature_invalid and 403', async () => {
    await expect(
      connector.parse(verification('hub.mode=subscribe&hub.challenge=1158201444')),
    ).rejects.toMatchObject({ code: 'signature_invalid', statusCode: 403 });
  });

  it('refuses a verification without a challenge, naming it', async () => {
    await expect(
      connector.parse(verification('hub.mode=subscribe&hub.verify_token=threadline-verify-7f3a')),
    ).rejects.toMatchObject({ code: 'payload_invalid', path: 'hub.challenge' });
  });
});

describe('webhook signature (POST)', () => {
  const body = readFixture('cloud/text.json');

  it('accepts a body signed with the app secret', async () => {
    const { events } = await connector.parse(signed(body));
    expect(events.map((event) => event.type)).toEqual(['message']);
  });

  it('refuses a signature made with another secret', async () => {
    await expect(
      connector.parse(signed(body, metaSignature('another-secret', body))),
    ).rejects.toMatchObject({ code: 'signature_invalid', statusCode: 401 });
  });

  it('refuses a body changed after signing', async () => {
    const signature = metaSignature(settings.appSecret, body);
    await expect(
      connector.parse(signed(body.replace('has not arrived', 'has arrived'), signature)),
    ).rejects.toMatchObject({ code: 'signature_invalid' });
  });

  it('refuses a missing signature header', async () => {
    await expect(
      connector.parse({ ...signed(body), headers: { 'content-type': 'application/json' } }),
    ).rejects.toMatchObject({ code: 'signature_invalid' });
  });

  it('refuses methods other than GET and POST', async () => {
    await expect(connector.parse({ ...signed(body), method: 'PUT' })).rejects.toMatchObject({
      code: 'signature_invalid',
    });
  });

  it('reports a signed body that is not JSON as payload_invalid', async () => {
    await expect(connector.parse(signed('{"object":'))).rejects.toMatchObject({
      code: 'payload_invalid',
      path: '(body)',
    });
  });
});

describe('send', () => {
  const message = {
    id: 'msg-1',
    conversationId: 'conversation-1',
    to: { channel: 'whatsapp', address: '+14155550100' },
  };

  it('posts to <graphUrl>/<phoneNumberId>/messages with the bearer token and returns the wamid', async () => {
    const result = await connector.send({
      ...message,
      content: { type: 'text', text: 'Your parcel left the depot' },
      replyToExternalId: 'wamid.in-1',
    });
    expect(result).toEqual({ externalId: fake.sent()[0]!.externalId });
    const [request] = await server.requests();
    expect(request?.method).toBe('POST');
    expect(request?.url.href).toBe('https://graph.test/v25.0/106540352242922/messages');
    expect(request?.headers.authorization).toBe('Bearer EAAG-test-token');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '14155550100',
      context: { message_id: 'wamid.in-1' },
      type: 'text',
      text: { body: 'Your parcel left the depot', preview_url: false },
    });
  });

  it('sends a caption that audio cannot carry as a second message and names both ids', async () => {
    const result = await connector.send({
      ...message,
      content: {
        type: 'media',
        kind: 'audio',
        url: 'https://media.example.com/note.ogg',
        caption: 'Listen',
      },
    });
    const sent = fake.sent();
    expect(sent.map((entry) => entry.body.type)).toEqual(['audio', 'text']);
    expect(result).toEqual({
      externalId: sent[0]!.externalId,
      channelData: { externalIds: sent.map((entry) => entry.externalId) },
    });
  });

  it('refuses content outside its capabilities before calling Meta', async () => {
    await expect(
      connector.send({
        ...message,
        content: {
          type: 'interactive',
          text: 'Pick one',
          buttons: ['a', 'b', 'c', 'd'].map((id) => ({ id, title: id })),
        },
      }),
    ).rejects.toMatchObject({ code: 'unsupported_content' });
    expect(await server.requests()).toHaveLength(0);
  });

  it('turns 131047 from Meta into a permanent route_refused', async () => {
    server.use(
      http.post('https://graph.test/v25.0/:id/messages', () =>
        HttpResponse.json(JSON.parse(readFixture('cloud/graph/error-131047.json')), {
          status: 400,
        }),
      ),
    );
    await expect(
      connector.send({ ...message, content: { type: 'text', text: 'Still there?' } }),
    ).rejects.toMatchObject({ code: 'route_refused', retryable: false, providerCode: '131047' });
  });

  it('turns the pair rate limit 131056 into a retryable rate_limited with a backoff', async () => {
    server.use(
      http.post('https://graph.test/v25.0/:id/messages', () =>
        HttpResponse.json(JSON.parse(readFixture('cloud/graph/error-131056.json')), {
          status: 400,
        }),
      ),
    );
    await expect(
      connector.send({ ...message, content: { type: 'text', text: 'One more thing' } }),
    ).rejects.toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: 6_000,
      providerCode: '131056',
    });
  });

  it('treats a network failure as a retryable outage', async () => {
    server.use(http.post('https://graph.test/v25.0/:id/messages', () => HttpResponse.error()));
    await expect(
      connector.send({ ...message, content: { type: 'text', text: 'Hello' } }),
    ).rejects.toMatchObject({ code: 'provider_unavailable', retryable: true });
  });

  it('uses the fetch it is given', async () => {
    const calls: string[] = [];
    const withFetch = createWhatsAppCloudConnector({
      ...settings,
      fetch: async (input, init) => {
        calls.push(String(input));
        return fetch(input, init);
      },
    });
    await withFetch.send({ ...message, content: { type: 'text', text: 'Hello' } });
    expect(calls).toEqual(['https://graph.test/v25.0/106540352242922/messages']);
  });
});

describe('fetchMedia', () => {
  it('resolves the media id to its URL, then downloads it with the bearer token', async () => {
    const media = await connector.fetchMedia('1479537139650973');
    expect(media.contentType).toBe('image/jpeg');
    expect(Array.from(media.body)).toEqual([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]);
    const requests = await server.requests();
    expect(
      requests.map((request) => `${request.method} ${request.url.origin}${request.url.pathname}`),
    ).toEqual([
      'GET https://graph.test/v25.0/1479537139650973',
      'GET https://lookaside.fbsbx.com/whatsapp_business/attachments/',
    ]);
    expect(
      requests.every((request) => request.headers.authorization === 'Bearer EAAG-test-token'),
    ).toBe(true);
  });

  it('refuses something that is not a media id without calling Meta', async () => {
    await expect(connector.fetchMedia('../106540352242922/messages')).rejects.toMatchObject({
      code: 'payload_invalid',
      path: 'mediaId',
    });
    expect(await server.requests()).toHaveLength(0);
  });
});

describe('settings', () => {
  it('declares Meta’s limits: 3 buttons of 20 characters, 80 messages per second', () => {
    expect(connector.capabilities.buttons).toEqual({ max: 3, titleMaxLength: 20 });
    expect(connector.capabilities.templates).toBe(true);
    expect(connector.rateLimit).toEqual({ perSecond: 80 });
    expect(connector.id).toBe('whatsapp');
    expect(connector.channel).toBe('whatsapp');
  });

  it('reads secrets from the environment, with the default versioned Graph URL', async () => {
    const fromEnv = createWhatsAppCloudConnector({
      env: {
        WHATSAPP_ACCESS_TOKEN: 'EAAG-test-token',
        WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
        WHATSAPP_APP_SECRET: 'test-app-secret',
        WHATSAPP_VERIFY_TOKEN: 'threadline-verify-7f3a',
      },
    });
    server.use(
      http.post('https://graph.facebook.com/v25.0/106540352242922/messages', () =>
        HttpResponse.json(JSON.parse(readFixture('cloud/graph/send-response.json'))),
      ),
    );
    await expect(
      fromEnv.send({
        ...{ id: 'm', conversationId: 'c' },
        to: { channel: 'whatsapp', address: '+14155550100' },
        content: { type: 'text', text: 'Hi' },
      }),
    ).resolves.toEqual({
      externalId: 'wamid.HBgLMTQxNTU1NTAxMDAVAgARGBIzQTJCNEU2RjhBMEMyRTRGNjgA',
    });
  });

  it('says which setting is missing', () => {
    expect(() =>
      createWhatsAppCloudConnector({ ...settings, appSecret: undefined, env: {} }),
    ).toThrow(
      expect.objectContaining({
        code: 'configuration_invalid',
        message: expect.stringContaining('WHATSAPP_APP_SECRET'),
      }),
    );
  });
});

describe('the 24-hour customer-service window (checkRoute)', () => {
  const lastInboundAt = new Date('2026-11-20T10:00:00.000Z');
  const at = (hours: number) => new Date(lastInboundAt.getTime() + hours * 3_600_000);
  const to = { channel: 'whatsapp', address: '+14155550100' };
  const text = { type: 'text' as const, text: 'Following up on your order' };
  const template = {
    type: 'template' as const,
    name: 'order_update',
    language: 'en_US',
    parameters: [],
  };

  it('allows a text at 23 h, refuses it at 25 h and when the customer never wrote', () => {
    expect(connector.checkRoute({ to, content: text, lastInboundAt, now: at(23) })).toBeUndefined();
    expect(connector.checkRoute({ to, content: text, lastInboundAt, now: at(25) })).toMatchObject({
      code: 'route_refused',
      retryable: false,
    });
    expect(
      connector.checkRoute({ to, content: text, lastInboundAt: null, now: at(25) }),
    ).toMatchObject({
      code: 'route_refused',
    });
  });

  it('allows a template at 25 h', () => {
    expect(
      connector.checkRoute({ to, content: template, lastInboundAt, now: at(25) }),
    ).toBeUndefined();
  });
});
