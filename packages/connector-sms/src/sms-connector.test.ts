import { ConnectorError, type OutboundMessage } from '@threadline/connector-kit';
import { createTestServer } from '@threadline/connector-kit/test';
import type { Content } from '@threadline/schema';
import { HttpResponse, http } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createSmsConnector,
  type SmsConnectorSettings,
  smsConnectorFromEnv,
} from './sms-connector.js';
import { mediaStorageOrigin, TwilioFake, twilioError } from './test-support/twilio-fake.js';
import {
  accountSid,
  authToken,
  customerNumber,
  fixtureBody,
  ourNumber,
  outboundSid,
  publicUrl,
  signed,
  signedFixture,
} from './test-support/twilio-fixtures.js';

const apiBase = 'https://api.twilio.com';
const messagesUrl = `${apiBase}/2010-04-01/Accounts/${accountSid}/Messages.json`;
const basicAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
const twilio = new TwilioFake({ apiBase, accountSid, authToken });
const server = createTestServer(...twilio.handlers());

const connector = (settings: SmsConnectorSettings = {}) =>
  createSmsConnector({
    accountSid,
    authToken,
    fromNumber: ourNumber,
    publicUrl,
    env: {},
    ...settings,
  });

let counter = 0;
const outbound = (content: Content): OutboundMessage => {
  counter += 1;
  return {
    id: `msg_${counter}`,
    conversationId: 'conv_1',
    to: { channel: 'sms', address: customerNumber },
    content,
  };
};

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (error) {
    if (ConnectorError.isConnectorError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

async function sentRequests() {
  return (await server.requests()).filter((request) => request.url.href === messagesUrl);
}

beforeEach(() => {
  twilio.reset();
  twilio.media.clear();
  server.clearRequests();
});

describe('parse', () => {
  it('answers every webhook with empty TwiML', async () => {
    const result = await connector().parse(signedFixture('inbound-text'));
    expect(result.response).toEqual({
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
    });
    const status = await connector().parse(signedFixture('status-delivered'));
    expect(status.events).toEqual([
      {
        type: 'status',
        externalId: outboundSid,
        status: 'delivered',
        channelData: { providerStatus: 'delivered' },
      },
    ]);
    expect(status.response?.headers?.['content-type']).toBe('text/xml');
  });

  it('rejects a request whose signature was made for another URL, and reads nothing', async () => {
    const request = signed(fixtureBody('inbound-text'), {
      signedUrl: 'https://threadline.example.com/webhooks/sms/other',
    });
    const error = await rejection(connector().parse(request));
    expect(error.code).toBe('signature_invalid');
    expect(error.statusCode).toBe(401);
  });
});

describe('send', () => {
  it('posts a form to Messages.json with basic auth, To, From, Body and StatusCallback', async () => {
    const result = await connector().send(
      outbound({ type: 'text', text: 'Your order shipped today.' }),
    );
    const [request, ...others] = await sentRequests();
    expect(others).toHaveLength(0);
    expect(request!.method).toBe('POST');
    expect(request!.headers.authorization).toBe(basicAuth);
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(request!.body);
    expect(form.get('To')).toBe(customerNumber);
    expect(form.get('From')).toBe(ourNumber);
    expect(form.has('MessagingServiceSid')).toBe(false);
    expect(form.get('Body')).toBe('Your order shipped today.');
    expect(form.get('StatusCallback')).toBe('https://threadline.example.com/webhooks/sms/sms');
    expect(form.has('MediaUrl')).toBe(false);
    expect(result).toEqual({
      externalId: twilio.messages[0]!.sid,
      status: 'queued',
      channelData: { segments: 1, encoding: 'GSM-7' },
    });
  });

  it('records the segment count of long Unicode text', async () => {
    const text = `Привет! ${'Ваш заказ в пути. '.repeat(10)}`;
    const result = await connector().send(outbound({ type: 'text', text }));
    expect(new URLSearchParams((await sentRequests())[0]!.body).get('Body')).toBe(text);
    expect(result.channelData).toEqual({ segments: 3, encoding: 'UCS-2' });
  });

  it('sends an MMS with one MediaUrl per attachment', async () => {
    const result = await connector().send(
      outbound({
        type: 'text',
        text: 'Here are your receipts',
        attachments: [
          { kind: 'image', url: 'https://files.example.com/receipt-1.jpg' },
          { kind: 'file', url: 'https://files.example.com/receipt-2.pdf' },
        ],
      }),
    );
    const form = new URLSearchParams((await sentRequests())[0]!.body);
    expect(form.getAll('MediaUrl')).toEqual([
      'https://files.example.com/receipt-1.jpg',
      'https://files.example.com/receipt-2.pdf',
    ]);
    expect(form.get('Body')).toBe('Here are your receipts');
    expect(result.externalId).toMatch(/^MM/);
    expect(result.channelData).toEqual({ segments: 1, encoding: 'GSM-7', mediaCount: 2 });
  });

  it('sends a single media item with no body when it has no caption', async () => {
    await connector().send(
      outbound({ type: 'media', kind: 'image', url: 'https://files.example.com/cat.png' }),
    );
    const form = new URLSearchParams((await sentRequests())[0]!.body);
    expect(form.has('Body')).toBe(false);
    expect(form.getAll('MediaUrl')).toEqual(['https://files.example.com/cat.png']);
  });

  it('sends through a Messaging Service, and maps accepted to queued', async () => {
    const result = await connector({
      fromNumber: undefined,
      messagingServiceSid: 'MG2d7c0b5e9f1a4c3b8e6d0a9f7c5b3e1d',
    }).send(outbound({ type: 'text', text: 'hi' }));
    const form = new URLSearchParams((await sentRequests())[0]!.body);
    expect(form.get('MessagingServiceSid')).toBe('MG2d7c0b5e9f1a4c3b8e6d0a9f7c5b3e1d');
    expect(form.has('From')).toBe(false);
    expect(result.status).toBe('queued');
  });

  it('uses the configured API base and builds the callback from the public URL', async () => {
    const base = 'https://messaging.example.net/laml';
    const fake = new TwilioFake({ apiBase: base, accountSid, authToken });
    server.use(...fake.handlers());
    const result = await connector({
      apiBase: `${base}/`,
      publicUrl: 'https://gw.example.org/',
      webhookPath: '/webhooks/sms/sms-eu',
    }).send(outbound({ type: 'text', text: 'hi' }));
    const [request] = await server.requests();
    expect(request!.url.href).toBe(`${base}/2010-04-01/Accounts/${accountSid}/Messages.json`);
    expect(new URLSearchParams(request!.body).get('StatusCallback')).toBe(
      'https://gw.example.org/webhooks/sms/sms-eu',
    );
    expect(result.externalId).toBe(fake.messages[0]!.sid);
  });

  it('sends no StatusCallback when no public URL is configured', async () => {
    const instance = connector({ publicUrl: undefined });
    expect(instance.statusCallbackUrl).toBeUndefined();
    await instance.send(outbound({ type: 'text', text: 'hi' }));
    expect(new URLSearchParams((await sentRequests())[0]!.body).has('StatusCallback')).toBe(false);
  });

  it('maps 429 to rate_limited with Retry-After', async () => {
    twilio.failNext({ kind: 'rate_limited', retryAfterMs: 7000 });
    const error = await rejection(connector().send(outbound({ type: 'text', text: 'hi' })));
    expect(error).toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: 7000,
      statusCode: 429,
      providerCode: '20429',
    });
  });

  it('maps an unsubscribed recipient (21610) to recipient_opted_out, for good', async () => {
    server.use(
      http.post(messagesUrl, () =>
        twilioError(400, 21610, 'Attempt to send to unsubscribed recipient'),
      ),
    );
    const error = await rejection(connector().send(outbound({ type: 'text', text: 'hi' })));
    expect(error).toMatchObject({
      code: 'recipient_opted_out',
      retryable: false,
      statusCode: 400,
      providerCode: '21610',
    });
    expect(error.message).toContain('Attempt to send to unsubscribed recipient');
  });

  it('maps 5xx without a JSON body to a retryable provider_unavailable', async () => {
    server.use(http.post(messagesUrl, () => new HttpResponse('<h1>502</h1>', { status: 502 })));
    const error = await rejection(connector().send(outbound({ type: 'text', text: 'hi' })));
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true, statusCode: 502 });
  });

  it('maps a network failure to a retryable provider_unavailable', async () => {
    server.use(http.post(messagesUrl, () => HttpResponse.error()));
    const error = await rejection(connector().send(outbound({ type: 'text', text: 'hi' })));
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
  });

  it('uses the fetch given in the settings', async () => {
    const calls: string[] = [];
    const instance = connector({
      fetch: async (input) => {
        calls.push(String(input));
        return HttpResponse.json({ sid: 'SMfromcustomfetch', status: 'queued' }, { status: 201 });
      },
    });
    const result = await instance.send(outbound({ type: 'text', text: 'hi' }));
    expect(calls).toEqual([messagesUrl]);
    expect(result.externalId).toBe('SMfromcustomfetch');
    expect(await sentRequests()).toHaveLength(0);
  });

  it('throws when Twilio fails the message at once', async () => {
    server.use(
      http.post(messagesUrl, () =>
        HttpResponse.json(
          { sid: 'SMfailed', status: 'failed', error_code: 21610, error_message: null },
          { status: 201 },
        ),
      ),
    );
    const error = await rejection(connector().send(outbound({ type: 'text', text: 'hi' })));
    expect(error).toMatchObject({ code: 'recipient_opted_out', providerCode: '21610' });
  });
});

describe('fetchMedia', () => {
  const mediaId = 'MM7a3f9c2e1b0d4e6f8a5c3b1d9e7f2a40.ME1c9e7a5b3d1f4e2a8c6b0d9f7e5a3c10';

  it('downloads inbound media with basic auth, and sends no credentials to storage', async () => {
    const photo = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    twilio.media.set(mediaId.replace('.', '/'), { contentType: 'image/jpeg', body: photo });
    const instance = connector();
    const parsed = await instance.parse(signedFixture('inbound-mms-two-media'));
    const content = parsed.events[0]?.type === 'message' ? parsed.events[0].message.content : null;
    expect(content?.type === 'text' && content.attachments?.[0]?.mediaId).toBe(mediaId);

    const media = await instance.fetchMedia(mediaId);
    expect(media.contentType).toBe('image/jpeg');
    expect(Array.from(media.body)).toEqual(Array.from(photo));
    const [toTwilio, toStorage, ...rest] = await server.requests();
    expect(rest).toHaveLength(0);
    expect(toTwilio!.url.href).toBe(
      `${apiBase}/2010-04-01/Accounts/${accountSid}/Messages/MM7a3f9c2e1b0d4e6f8a5c3b1d9e7f2a40/Media/ME1c9e7a5b3d1f4e2a8c6b0d9f7e5a3c10`,
    );
    expect(toTwilio!.headers.authorization).toBe(basicAuth);
    expect(toStorage!.url.origin).toBe(mediaStorageOrigin);
    expect(toStorage!.headers.authorization).toBeUndefined();
  });

  it('answers not_found for media Twilio does not have', async () => {
    const error = await rejection(connector().fetchMedia(mediaId));
    expect(error).toMatchObject({ code: 'not_found', statusCode: 404 });
  });

  it('refuses an id that is not a media id, without calling Twilio', async () => {
    const error = await rejection(connector().fetchMedia('../../Messages.json'));
    expect(error.code).toBe('not_found');
    expect(await server.requests()).toHaveLength(0);
  });
});

describe('smsConnectorFromEnv', () => {
  const env = {
    TWILIO_ACCOUNT_SID: accountSid,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_FROM_NUMBER: ourNumber,
  };
  const context = (values: Record<string, string | undefined>, url?: string) => ({
    env: values,
    publicUrl: url,
    dataDirectory: '/tmp/threadline-test',
  });

  it('is not configured without TWILIO_ACCOUNT_SID', () => {
    expect(smsConnectorFromEnv(context({ TWILIO_AUTH_TOKEN: authToken }))).toBeUndefined();
  });

  it('builds the sms connector with Twilio defaults and the public webhook URL', () => {
    const instance = smsConnectorFromEnv(context(env, 'https://threadline.example.com'));
    expect(instance?.id).toBe('sms');
    expect(instance?.channel).toBe('sms');
    expect(instance?.apiBase).toBe('https://api.twilio.com');
    expect(instance?.statusCallbackUrl).toBe('https://threadline.example.com/webhooks/sms/sms');
    expect(instance?.rateLimit).toEqual({ perSecond: 1 });
    expect(JSON.stringify(instance)).not.toContain(authToken);
  });

  it('reads the API base, the Messaging Service and the rate limit', async () => {
    const instance = smsConnectorFromEnv(
      context({
        TWILIO_ACCOUNT_SID: accountSid,
        TWILIO_AUTH_TOKEN: authToken,
        TWILIO_MESSAGING_SERVICE_SID: 'MG2d7c0b5e9f1a4c3b8e6d0a9f7c5b3e1d',
        TWILIO_API_BASE: 'http://127.0.0.1:4010',
        TWILIO_RATE_LIMIT_PER_SECOND: '10',
      }),
    );
    expect(instance?.apiBase).toBe('http://127.0.0.1:4010');
    expect(instance?.rateLimit).toEqual({ perSecond: 10 });
    expect(instance?.statusCallbackUrl).toBeUndefined();
  });

  it('says which setting is missing or wrong', () => {
    const configurationError = (message: RegExp) =>
      expect.objectContaining({
        code: 'configuration_invalid',
        message: expect.stringMatching(message),
      });
    expect(() => smsConnectorFromEnv(context({ TWILIO_ACCOUNT_SID: accountSid }))).toThrowError(
      configurationError(/TWILIO_AUTH_TOKEN/),
    );
    expect(() =>
      smsConnectorFromEnv(
        context({ TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken }),
      ),
    ).toThrowError(configurationError(/TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID/));
    expect(() =>
      smsConnectorFromEnv(context({ ...env, TWILIO_API_BASE: 'api.twilio.com' })),
    ).toThrowError(configurationError(/apiBase/));
    expect(() =>
      smsConnectorFromEnv(context({ ...env, TWILIO_RATE_LIMIT_PER_SECOND: 'fast' })),
    ).toThrowError(configurationError(/TWILIO_RATE_LIMIT_PER_SECOND/));
  });
});
