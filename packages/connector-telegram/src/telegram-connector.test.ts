import type { InboundRequest } from '@threadline/connector-kit';
import { createTestServer, testConnector } from '@threadline/connector-kit/test';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  createTelegramConnector,
  type TelegramConnectorSettings,
  telegramConnectorFromEnv,
} from './telegram-connector.js';
import { parseTelegramMessageExternalId } from './telegram-external-id.js';
import { createFakeTelegramApi } from './test-support/fake-telegram-api.js';
import {
  fixtureBody,
  testApiRoot,
  testToken,
  testWebhookSecret,
  webhookRequest,
} from './test-support/fixtures.js';

const fake = createFakeTelegramApi({ apiRoot: testApiRoot, token: testToken });
const server = createTestServer(...fake.handlers);

const settings: TelegramConnectorSettings = {
  token: testToken,
  apiRoot: testApiRoot,
  webhookSecret: testWebhookSecret,
  mode: 'webhook',
  env: {},
};
const ada = { channel: 'telegram', address: '412345678' };
const grace = { channel: 'telegram', address: '598765432' };

function request(fixture: string): InboundRequest {
  return webhookRequest(fixtureBody(fixture));
}

/** A customer's reply, in their private chat, to the message Telegram knows as `externalId`. */
function replyTo(externalId: string): InboundRequest {
  const original = parseTelegramMessageExternalId(externalId);
  if (!original) throw new Error(`not a Telegram message id: ${externalId}`);
  const update = JSON.parse(fixtureBody('private-text')) as {
    update_id: number;
    message: Record<string, unknown> & { chat: { id: number } };
  };
  update.update_id += 1000;
  update.message['message_id'] = original.messageId + 1;
  update.message['text'] = 'Thanks!';
  delete update.message['entities'];
  update.message.chat.id = Number(original.chatId);
  update.message['reply_to_message'] = {
    message_id: original.messageId,
    from: fake.bot,
    chat: update.message.chat,
    date: 1763802000,
    text: 'id round trip',
  };
  return webhookRequest(JSON.stringify(update));
}

testConnector({
  name: 'Telegram',
  connector: () => createTelegramConnector(settings),
  fixtures: {
    inbound: [
      {
        name: 'private text',
        request: request('private-text'),
        expect: { externalId: '412345678:101', from: ada, contentType: 'text' },
      },
      {
        name: '/start deep link',
        request: request('start-deep-link'),
        expect: { externalId: '412345678:102', from: ada, contentType: 'text' },
      },
      {
        name: 'photo in four sizes',
        request: request('photo'),
        expect: { externalId: '412345678:103', from: ada, contentType: 'media' },
      },
      { name: 'document', request: request('document'), expect: { contentType: 'media' } },
      { name: 'voice note', request: request('voice'), expect: { contentType: 'media' } },
      { name: 'sticker', request: request('sticker'), expect: { contentType: 'media' } },
      { name: 'location', request: request('location'), expect: { contentType: 'location' } },
      {
        name: 'own contact share',
        request: request('contact-self'),
        expect: { externalId: '412345678:112', from: ada, contentType: 'contact' },
      },
      {
        name: 'button press',
        request: request('callback-query'),
        expect: { externalId: 'callback:1771086397523490146', from: ada, contentType: 'postback' },
      },
      {
        name: 'group message',
        request: request('group-text'),
        expect: { externalId: '-4051234567:121', from: grace, contentType: 'text' },
      },
      {
        name: 'supergroup reply',
        request: request('supergroup-reply'),
        expect: { externalId: '-1002051234567:2231', from: grace, contentType: 'text' },
      },
    ],
    badSignature: {
      none:
        'Telegram authenticates webhooks with a shared secret header (X-Telegram-Bot-Api-Secret-Token), ' +
        'not a signature over the body, so a changed body cannot be detected; a missing or wrong ' +
        'secret is refused with signature_invalid (see "webhook ingress" in telegram-connector.test.ts)',
    },
    malformed: [
      webhookRequest('{"update_id": 902345001, "message": {'),
      webhookRequest(JSON.stringify({ message: JSON.parse(fixtureBody('private-text')).message })),
      webhookRequest(
        fixtureBody('private-text').replace(
          '"id": 412345678,\n      "first_name"',
          '"id": "ada",\n      "first_name"',
        ),
      ),
      webhookRequest(fixtureBody('photo').replace(/"file_id": "[^"]+-original",/, '')),
      webhookRequest(fixtureBody('location').replace('48.858244', '148.858244')),
    ],
    statuses: {
      none: 'the Bot API reports neither delivery nor reads of messages a bot sends; a send that Telegram accepts is `sent`',
    },
    replyTo,
    recipient: ada,
    provider: fake.provider,
    mediaUrl: 'https://media.example.com/cat.png',
  },
});

describe('webhook ingress', () => {
  it('accepts the configured secret and refuses a missing or wrong one with signature_invalid', async () => {
    const connector = createTelegramConnector(settings);
    const body = fixtureBody('private-text');
    const accepted = await connector.parse(webhookRequest(body));
    expect(accepted.events).toHaveLength(1);
    for (const secret of [null, '', 'wrong-secret', `${testWebhookSecret}x`]) {
      await expect(connector.parse(webhookRequest(body, secret))).rejects.toMatchObject({
        code: 'signature_invalid',
      });
    }
  });

  it('derives a secret from the token when none is set, and registers the webhook with it', async () => {
    fake.reset();
    const connector = createTelegramConnector({ ...settings, webhookSecret: undefined });
    await connector.registerWebhook('https://gateway.example.com/webhooks/telegram/telegram');
    const [call] = fake.calls('setWebhook');
    expect(call?.payload).toEqual({
      url: 'https://gateway.example.com/webhooks/telegram/telegram',
      secret_token: expect.stringMatching(/^[A-Za-z0-9_-]{32,256}$/),
      allowed_updates: ['message', 'edited_message', 'callback_query'],
    });
    const secret = String(call?.payload['secret_token']);
    expect(secret).not.toContain(testToken.split(':')[1]);
    const body = fixtureBody('private-text');
    await expect(connector.parse(webhookRequest(body, secret))).resolves.toMatchObject({
      events: [{ type: 'message' }],
    });
    await expect(connector.parse(webhookRequest(body))).rejects.toMatchObject({
      code: 'signature_invalid',
    });
  });

  it('refuses a secret Telegram would not accept', () => {
    expect(() => createTelegramConnector({ ...settings, webhookSecret: 'has spaces' })).toThrow(
      expect.objectContaining({ code: 'configuration_invalid' }),
    );
  });

  it('answers a button press so the client stops spinning', async () => {
    fake.reset();
    const connector = createTelegramConnector(settings);
    const answered = fake.callNumber('answerCallbackQuery', 1);
    const result = await connector.parse(request('callback-query'));
    expect(result.events).toMatchObject([
      { type: 'message', message: { content: { type: 'postback', payload: 'handoff' } } },
    ]);
    expect((await answered).payload).toEqual({ callback_query_id: '1771086397523490146' });
    await connector.stop();
  });

  it('still returns the button press when answering it fails', async () => {
    fake.reset();
    fake.failNextCall('answerCallbackQuery', {
      kind: 'answer',
      status: 400,
      body: {
        ok: false,
        error_code: 400,
        description:
          'Bad Request: query is too old and response timeout expired or query ID is invalid',
      },
    });
    const connector = createTelegramConnector(settings);
    const answered = fake.callNumber('answerCallbackQuery', 1);
    await expect(connector.parse(request('callback-query'))).resolves.toMatchObject({
      events: [{ type: 'message' }],
    });
    await answered;
    await connector.stop();
  });

  it('reads an edit as an edit event and acknowledges kinds it does not handle', async () => {
    const connector = createTelegramConnector(settings);
    expect((await connector.parse(request('edited-message'))).events).toMatchObject([
      { type: 'edit', externalId: '412345678:101' },
    ]);
    for (const fixture of ['my-chat-member-blocked', 'poll-message', 'channel-post']) {
      expect((await connector.parse(request(fixture))).events).toMatchObject([{ type: 'ignored' }]);
    }
  });

  it('names the bot as the recipient of inbound messages', async () => {
    const connector = createTelegramConnector(settings);
    const [event] = (await connector.parse(request('private-text'))).events;
    expect(event?.type === 'message' && event.message.to).toEqual({
      channel: 'telegram',
      address: '7012345678',
    });
  });
});

describe('send', () => {
  const outbound = (content: Parameters<typeof send>[0], extra: Record<string, unknown> = {}) =>
    send(content, extra);
  async function send(
    content: import('@threadline/schema').Content,
    extra: Record<string, unknown> = {},
  ) {
    return createTelegramConnector(settings).send({
      id: 'msg-1',
      conversationId: 'conv-1',
      to: ada,
      content,
      ...extra,
    });
  }

  it('sends plain text and returns `<chat>:<message_id>` as sent', async () => {
    fake.reset();
    const result = await outbound({ type: 'text', text: 'Hello *there*' });
    expect(result).toEqual({ externalId: '412345678:1001', status: 'sent' });
    expect(fake.calls()).toEqual([
      { method: 'sendMessage', payload: { chat_id: '412345678', text: 'Hello *there*' } },
    ]);
  });

  it('replies with reply_parameters naming the message id', async () => {
    fake.reset();
    await outbound({ type: 'text', text: 'On it' }, { replyToExternalId: '412345678:101' });
    expect(fake.calls('sendMessage')[0]?.payload).toMatchObject({
      reply_parameters: { message_id: 101, allow_sending_without_reply: true },
    });
  });

  it('sends buttons as an inline keyboard', async () => {
    fake.reset();
    await outbound({
      type: 'interactive',
      text: 'How would you like to continue?',
      buttons: [
        { id: 'track_order', title: 'Track my order' },
        { id: 'handoff', title: 'Talk to a person' },
      ],
    });
    expect(fake.calls('sendMessage')[0]?.payload['reply_markup']).toEqual({
      inline_keyboard: [
        [{ text: 'Track my order', callback_data: 'track_order' }],
        [{ text: 'Talk to a person', callback_data: 'handoff' }],
      ],
    });
  });

  it('refuses a button id over 64 bytes with unsupported_content, sending nothing', async () => {
    fake.reset();
    await expect(
      outbound({
        type: 'interactive',
        text: 'Pick',
        buttons: [{ id: 'x'.repeat(65), title: 'A' }],
      }),
    ).rejects.toMatchObject({ code: 'unsupported_content' });
    expect(fake.calls()).toEqual([]);
  });

  it('sends media by URL with the method of its kind', async () => {
    fake.reset();
    const url = 'https://media.example.com/file';
    for (const kind of ['image', 'file', 'audio', 'video', 'sticker'] as const) {
      await outbound({ type: 'media', kind, url });
    }
    expect(fake.calls().map((call) => call.method)).toEqual([
      'sendPhoto',
      'sendDocument',
      'sendAudio',
      'sendVideo',
      'sendSticker',
    ]);
  });

  it('returns the first id and lists every part when a long caption follows the media', async () => {
    fake.reset();
    const result = await outbound({
      type: 'media',
      kind: 'image',
      url: 'https://media.example.com/a.png',
      caption: 'c'.repeat(2000),
    });
    expect(result).toEqual({
      externalId: '412345678:1001',
      status: 'sent',
      channelData: { externalIds: ['412345678:1001', '412345678:1002'] },
    });
  });

  it('sends a location and a contact', async () => {
    fake.reset();
    await outbound({ type: 'location', latitude: 48.8584, longitude: 2.2945 });
    await outbound({ type: 'contact', name: 'Ada', phones: ['+14155550100'], emails: [] });
    expect(fake.calls().map((call) => call.method)).toEqual(['sendLocation', 'sendContact']);
  });

  it('maps the errors Telegram answers with', async () => {
    fake.reset();
    fake.failNextSend({
      kind: 'answer',
      status: 403,
      body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
    });
    await expect(outbound({ type: 'text', text: 'x' })).rejects.toMatchObject({
      code: 'recipient_blocked',
      retryable: false,
      statusCode: 403,
    });
    fake.failNextSend({ kind: 'rejected' });
    await expect(outbound({ type: 'text', text: 'x' })).rejects.toMatchObject({
      code: 'provider_rejected',
      retryable: false,
      message: 'Telegram sendMessage failed: Bad Request: chat not found',
    });
    fake.failNextSend({ kind: 'rate_limited', retryAfterMs: 3000 });
    await expect(outbound({ type: 'text', text: 'x' })).rejects.toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: 3000,
    });
    fake.failNextSend({ kind: 'answer', status: 500, body: 'Internal Server Error' });
    await expect(outbound({ type: 'text', text: 'x' })).rejects.toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
      statusCode: 500,
    });
    expect(fake.sends()).toEqual([]);
  });

  it('maps a network failure to provider_unavailable, retryable', async () => {
    server.use(http.post(`${testApiRoot}/bot${testToken}/sendMessage`, () => HttpResponse.error()));
    await expect(outbound({ type: 'text', text: 'x' })).rejects.toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
  });
});

describe('fetchMedia', () => {
  it('finds the file with getFile and downloads it from the file URL', async () => {
    fake.reset();
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    fake.addFile('AgACAgQAAxkBAAMFZ0Ptj1aB9xYAAQ1-original', {
      path: 'photos/file_12.jpg',
      body: bytes,
    });
    const media = await createTelegramConnector(settings).fetchMedia(
      'AgACAgQAAxkBAAMFZ0Ptj1aB9xYAAQ1-original',
    );
    expect(media).toEqual({ contentType: 'image/jpeg', body: bytes, filename: 'file_12.jpg' });
    expect(fake.calls('getFile')[0]?.payload).toEqual({
      file_id: 'AgACAgQAAxkBAAMFZ0Ptj1aB9xYAAQ1-original',
    });
    const download = (await server.requests()).find((recorded) => recorded.method === 'GET');
    expect(download?.url.href).toBe(`${testApiRoot}/file/bot${testToken}/photos/file_12.jpg`);
  });

  it('keeps the content type the file server declares', async () => {
    fake.addFile('voice-1', {
      path: 'voice/file_3.oga',
      body: new Uint8Array([79, 103, 103, 83]),
      contentType: 'audio/ogg',
    });
    const media = await createTelegramConnector(settings).fetchMedia('voice-1');
    expect(media.contentType).toBe('audio/ogg');
  });

  it('refuses an unknown file id with provider_rejected', async () => {
    await expect(
      createTelegramConnector(settings).fetchMedia('no-such-file'),
    ).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Telegram getFile failed: Bad Request: invalid file_id',
    });
  });
});

describe('registerWebhook', () => {
  it('registers the webhook URL with the secret the ingress checks', async () => {
    fake.reset();
    const connector = createTelegramConnector({
      ...settings,
      webhookUrl: 'https://gateway.example.com/webhooks/telegram/telegram',
    });
    await connector.registerWebhook();
    expect(fake.calls('setWebhook')[0]?.payload).toEqual({
      url: 'https://gateway.example.com/webhooks/telegram/telegram',
      secret_token: testWebhookSecret,
      allowed_updates: ['message', 'edited_message', 'callback_query'],
    });
  });

  it('asks for a URL when none is configured', async () => {
    await expect(createTelegramConnector(settings).registerWebhook()).rejects.toMatchObject({
      code: 'configuration_invalid',
    });
  });
});

describe('telegramConnectorFromEnv', () => {
  const context = (env: Record<string, string>, publicUrl?: string) => ({
    env,
    publicUrl,
    dataDirectory: '/tmp/threadline-test',
  });

  it('is not configured without TELEGRAM_BOT_TOKEN', () => {
    expect(telegramConnectorFromEnv(context({}))).toBeUndefined();
    expect(telegramConnectorFromEnv(context({ TELEGRAM_BOT_TOKEN: '' }))).toBeUndefined();
  });

  it('polls without a public URL and takes webhooks with one', () => {
    const polling = telegramConnectorFromEnv(context({ TELEGRAM_BOT_TOKEN: testToken }));
    expect(polling).toMatchObject({
      id: 'telegram',
      channel: 'telegram',
      mode: 'polling',
      rateLimit: { perSecond: 30, perRecipientPerSecond: 1 },
    });
    const webhook = telegramConnectorFromEnv(
      context({ TELEGRAM_BOT_TOKEN: testToken }, 'https://gateway.example.com/'),
    );
    expect(webhook).toMatchObject({
      mode: 'webhook',
      webhookUrl: 'https://gateway.example.com/webhooks/telegram/telegram',
    });
    expect(
      telegramConnectorFromEnv(context({ TELEGRAM_BOT_TOKEN: testToken, TELEGRAM_MODE: '' }))?.mode,
    ).toBe('polling');
    const forced = telegramConnectorFromEnv(
      context({ TELEGRAM_BOT_TOKEN: testToken, TELEGRAM_MODE: 'polling' }, 'https://gw.example'),
    );
    expect(forced?.mode).toBe('polling');
  });

  it('refuses an unknown TELEGRAM_MODE', () => {
    expect(() =>
      telegramConnectorFromEnv(context({ TELEGRAM_BOT_TOKEN: testToken, TELEGRAM_MODE: 'push' })),
    ).toThrow(expect.objectContaining({ code: 'configuration_invalid' }));
  });

  it('uses TELEGRAM_API_ROOT and TELEGRAM_WEBHOOK_SECRET', async () => {
    fake.reset();
    const connector = telegramConnectorFromEnv(
      context({
        TELEGRAM_BOT_TOKEN: testToken,
        TELEGRAM_API_ROOT: testApiRoot,
        TELEGRAM_WEBHOOK_SECRET: 'from-the-environment',
      }),
    );
    await connector?.send({
      id: 'm',
      conversationId: 'c',
      to: ada,
      content: { type: 'text', text: 'hi' },
    });
    expect(fake.sends()).toHaveLength(1);
    await expect(
      connector?.parse(webhookRequest(fixtureBody('private-text'), 'from-the-environment')),
    ).resolves.toMatchObject({ events: [{ type: 'message' }] });
  });
});
