import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmailConnector, type EmailConnector } from '@threadline/connector-email';
import {
  dovecotUnavailable,
  type SmtpSink,
  startDovecot,
  startSmtpSink,
} from '@threadline/connector-email/test';
import { type ConnectorV1, metaSignature, twilioSignature } from '@threadline/connector-kit';
import { createTestServer } from '@threadline/connector-kit/test';
import { createSmsConnector } from '@threadline/connector-sms';
import { TwilioFake } from '@threadline/connector-sms/test';
import { createTelegramConnector } from '@threadline/connector-telegram';
import { createFakeTelegramApi } from '@threadline/connector-telegram/test';
import {
  createWhatsAppCloudConnector,
  createWhatsAppWebConnector,
} from '@threadline/connector-whatsapp';
import {
  createWhatsAppCloudApiFake,
  FakeWhatsAppWebClient,
  type RawMessageModel,
  readJsonFixture,
} from '@threadline/connector-whatsapp/test';
import { createManualClock } from '@threadline/engine';
import type { Conversation, Message } from '@threadline/schema';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from './create-app.js';

/** Real connectors, faked only at the provider's HTTP boundary (msw) or over real SMTP. */
const publicUrl = 'https://threadline.example.com';
const apiKey = 'channels-test-key';
const twilio = {
  accountSid: 'AC5ef8732a3c49700934481addd5ce1659',
  authToken: '7c1e9a4f2b8d6e0a3c5f9b1d7e2a4c68',
  apiBase: 'https://api.twilio.test',
};
const telegram = {
  token: '7123456789:AAHfakeTokenForThreadlineTests0000',
  apiRoot: 'https://api.telegram.test',
  webhookSecret: 'tg-secret',
};
const whatsapp = {
  accessToken: 'EAAG-test',
  phoneNumberId: '106540352242922',
  appSecret: 'wa-app-secret',
  verifyToken: 'wa-verify',
  graphUrl: 'https://graph.whatsapp.test/v25.0',
};

const twilioFake = new TwilioFake(twilio);
const telegramFake = createFakeTelegramApi(telegram);
const cloudFake = createWhatsAppCloudApiFake(whatsapp);
createTestServer(...twilioFake.handlers(), ...telegramFake.handlers, ...cloudFake.handlers);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  twilioFake.reset();
  telegramFake.reset();
  cloudFake.reset();
});

function gatewayWith(
  connectors: ConnectorV1[],
  clock = createManualClock('2026-07-01T08:00:00.000Z'),
) {
  const directory = mkdtempSync(join(tmpdir(), 'threadline-channels-'));
  const app = createApp({
    dataDirectory: directory,
    apiKeys: [apiKey],
    connectorsFromEnv: false,
    connectors,
    publicUrl,
    logLevel: 'silent',
    clock,
    env: {},
  });
  cleanups.push(async () => {
    await app.gateway.close();
    rmSync(directory, { recursive: true, force: true });
  });
  const api = async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await app.request(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.status, `${path}: ${response.status}`).toBeLessThan(300);
    return (await response.json()) as T;
  };
  return { app, clock, api };
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function smsWebhook(app: ReturnType<typeof createApp>, fields: Record<string, string>) {
  const url = `${publicUrl}/webhooks/sms/sms`;
  const params = Object.entries({
    AccountSid: twilio.accountSid,
    To: '+14155550100',
    NumMedia: '0',
    ...fields,
  });
  return app.request('/webhooks/sms/sms', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(twilio.authToken, url, params),
    },
    body: new URLSearchParams(params).toString(),
  });
}

function telegramWebhook(app: ReturnType<typeof createApp>, update: Record<string, unknown>) {
  return app.request('/webhooks/telegram/telegram', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-telegram-bot-api-secret-token': telegram.webhookSecret,
    },
    body: JSON.stringify(update),
  });
}

function whatsappWebhook(
  app: ReturnType<typeof createApp>,
  messages: Array<Record<string, unknown>>,
  from: string,
) {
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: '15550783881',
                phone_number_id: whatsapp.phoneNumberId,
              },
              contacts: [{ profile: { name: 'Sam' }, wa_id: from }],
              messages,
            },
          },
        ],
      },
    ],
  });
  return app.request('/webhooks/whatsapp/whatsapp', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': metaSignature(whatsapp.appSecret, body),
    },
    body,
  });
}

describe('Telegram and SMS through the gateway', () => {
  it('joins a Telegram contact share to the SMS identity and replies on the channel used last', async () => {
    const { app, api, clock } = gatewayWith([
      createSmsConnector({ ...twilio, fromNumber: '+14155550100', publicUrl }),
      createTelegramConnector({ ...telegram, mode: 'webhook' }),
    ]);
    expect(
      (
        await smsWebhook(app, {
          MessageSid: 'SM11111111111111111111111111111111',
          From: '+14155550150',
          Body: 'Where is my order?',
        })
      ).status,
    ).toBe(200);
    clock.advance(60_000);
    const customer = { id: 777001, is_bot: false, first_name: 'Ana' };
    const chat = { id: 777001, type: 'private', first_name: 'Ana' };
    const date = Math.floor(clock.now().getTime() / 1000);
    expect(
      (
        await telegramWebhook(app, {
          update_id: 1,
          message: {
            message_id: 5,
            from: customer,
            chat,
            date,
            contact: { phone_number: '14155550150', first_name: 'Ana', user_id: 777001 },
          },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await telegramWebhook(app, {
          update_id: 2,
          message: { message_id: 6, from: customer, chat, date, text: 'It is order 4411' },
        })
      ).status,
    ).toBe(200);

    const conversations = await api<{ data: Conversation[] }>('/v1/conversations');
    expect(conversations.data).toHaveLength(1);
    const conversation = conversations.data[0]!;
    const history = await api<{ data: Message[] }>(`/v1/conversations/${conversation.id}/messages`);
    expect(history.data.map((message) => message.channel)).toEqual(['sms', 'telegram', 'telegram']);

    const reply = await api<Message>('/v1/messages', {
      contactId: conversation.contactId,
      content: { type: 'text', text: 'Found it: arriving tomorrow' },
    });
    expect(reply.channel).toBe('telegram');
    await app.gateway.engine.drainJobs();
    const sends = telegramFake.sends();
    expect(sends).toHaveLength(1);
    expect(sends.map((send) => [send.method, send.payload.chat_id, send.payload.text])).toEqual([
      ['sendMessage', '777001', 'Found it: arriving tomorrow'],
    ]);
    expect(twilioFake.messages).toHaveLength(0);

    clock.advance(60_000);
    await smsWebhook(app, {
      MessageSid: 'SM22222222222222222222222222222222',
      From: '+14155550150',
      Body: 'Thanks!',
    });
    await api<Message>('/v1/messages', {
      contactId: conversation.contactId,
      content: { type: 'text', text: 'You are welcome' },
    });
    await app.gateway.engine.drainJobs();
    expect(
      twilioFake.messages.map((message) => [
        message.form.get('To'),
        message.form.get('Body'),
        message.form.get('StatusCallback'),
      ]),
    ).toEqual([['+14155550150', 'You are welcome', `${publicUrl}/webhooks/sms/sms`]]);
  });
});

describe('Telegram webhook mode', () => {
  it("registers the webhook at start and shows Telegram's delivery error on /readyz", async () => {
    const webhookUrl = `${publicUrl}/webhooks/telegram/telegram`;
    telegramFake.setWebhookInfo({
      pending_update_count: 4,
      last_error_date: 1_782_892_800,
      last_error_message: 'Connection timed out',
    });
    const { app } = gatewayWith([
      createTelegramConnector({ ...telegram, mode: 'webhook', webhookUrl }),
    ]);
    await app.gateway.start();
    const telegramCheck = async () => {
      const response = await app.request('/readyz');
      const body = (await response.json()) as {
        checks: Record<string, { ok: boolean; detail?: string }>;
      };
      return { status: response.status, check: body.checks['connector:telegram'] };
    };
    await waitFor(
      async () => (await telegramCheck()).check?.detail?.startsWith('degraded') ?? false,
    );
    expect(await telegramCheck()).toEqual({
      // Telegram cannot reach the gateway, but the gateway itself can serve
      status: 200,
      check: {
        ok: true,
        detail: `degraded: Telegram's last delivery to ${webhookUrl} failed at 2026-07-01T08:00:00.000Z: Connection timed out; 4 update(s) waiting`,
      },
    });
    expect(telegramFake.calls('setWebhook').map((call) => call.payload)).toEqual([
      {
        url: webhookUrl,
        secret_token: telegram.webhookSecret,
        allowed_updates: ['message', 'edited_message', 'callback_query'],
      },
    ]);
  });
});

describe('WhatsApp through the gateway', () => {
  it("answers Meta's webhook verification with the challenge, and 403 for a wrong verify token", async () => {
    const { app } = gatewayWith([createWhatsAppCloudConnector(whatsapp)]);
    const verify = (token: string) =>
      app.request(
        `/webhooks/whatsapp/whatsapp?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`,
      );
    const accepted = await verify(whatsapp.verifyToken);
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toBe('1158201444');
    const refused = await verify('guess');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'signature_invalid' } });
  });

  it('sends inside the 24-hour window, falls back to SMS outside it, and still sends templates', async () => {
    const { app, api, clock } = gatewayWith([
      createWhatsAppCloudConnector(whatsapp),
      createSmsConnector({ ...twilio, fromNumber: '+14155550100', publicUrl }),
    ]);
    const sentAt = Math.floor(clock.now().getTime() / 1000);
    const inbound = await whatsappWebhook(
      app,
      [
        {
          from: '14155550160',
          id: 'wamid.in.1',
          timestamp: String(sentAt),
          type: 'text',
          text: { body: 'Hi there' },
        },
      ],
      '14155550160',
    );
    expect(inbound.status).toBe(200);
    const [conversation] = (await api<{ data: Conversation[] }>('/v1/conversations')).data;
    const fallback = [{ channel: 'sms', when: 'failed' }];

    clock.advance(23 * 3_600_000);
    const inside = await api<Message>('/v1/messages', {
      contactId: conversation!.contactId,
      channel: 'whatsapp',
      content: { type: 'text', text: 'at 23 hours' },
      fallback,
    });
    await app.gateway.engine.drainJobs();
    expect(inside).toMatchObject({ channel: 'whatsapp', status: 'queued' });
    expect(cloudFake.sent().map((send) => (send.body.text as { body: string }).body)).toEqual([
      'at 23 hours',
    ]);

    clock.advance(2 * 3_600_000);
    const outside = await api<Message>('/v1/messages', {
      contactId: conversation!.contactId,
      channel: 'whatsapp',
      content: { type: 'text', text: 'at 25 hours' },
      fallback,
    });
    const template = await api<Message>('/v1/messages', {
      contactId: conversation!.contactId,
      channel: 'whatsapp',
      content: { type: 'template', name: 'order_update', language: 'en_US', parameters: ['4411'] },
    });
    await app.gateway.engine.drainJobs();
    expect(outside).toMatchObject({
      channel: 'whatsapp',
      status: 'failed',
      error: { code: 'route_refused' },
    });
    expect(
      twilioFake.messages.map((message) => [message.form.get('To'), message.form.get('Body')]),
    ).toEqual([['+14155550160', 'at 25 hours']]);
    const copy = await api<{ data: Message[] }>(`/v1/conversations/${conversation!.id}/messages`);
    expect(
      copy.data.find((message) => message.channel === 'sms' && message.direction === 'outbound')
        ?.fallbackOfId,
    ).toBe(outside.id);
    expect(template.status).toBe('queued');
    expect(cloudFake.sent().map((send) => send.body.type)).toEqual(['text', 'template']);
  });

  it('keeps one customer in one conversation whichever WhatsApp transport or SMS carried the message', async () => {
    const client = new FakeWhatsAppWebClient();
    const web = createWhatsAppWebConnector({ client, session: 'test' });
    const { app, api, clock } = gatewayWith([
      createWhatsAppCloudConnector(whatsapp),
      web,
      createSmsConnector({ ...twilio, fromNumber: '+14155550100', publicUrl }),
    ]);
    await app.gateway.start();
    // the recorded linked-device message comes from 15551234567@c.us
    await whatsappWebhook(
      app,
      [
        {
          from: '15551234567',
          id: 'wamid.in.2',
          timestamp: String(Math.floor(clock.now().getTime() / 1000)),
          type: 'text',
          text: { body: 'cloud' },
        },
      ],
      '15551234567',
    );
    await smsWebhook(app, {
      MessageSid: 'SM33333333333333333333333333333333',
      From: '+15551234567',
      Body: 'sms',
    });
    client.receive(readJsonFixture<RawMessageModel>('web/text.json'));
    await web.whenIdle();
    const [conversation] = (await api<{ data: Conversation[] }>('/v1/conversations')).data;
    const history = await api<{ data: Message[] }>(
      `/v1/conversations/${conversation!.id}/messages`,
    );
    expect(history.data.map((message) => message.connectorId).sort()).toEqual([
      'sms',
      'whatsapp',
      'whatsapp-web',
    ]);
    const conversations = await api<{ data: Conversation[] }>('/v1/conversations');
    expect(conversations.data).toHaveLength(1);
  });

  it('reports a logged-out linked-device session on /readyz and as an event', async () => {
    const client = new FakeWhatsAppWebClient();
    const web = createWhatsAppWebConnector({ client, session: 'test' });
    const { app, api } = gatewayWith([web]);
    await app.gateway.start();
    client.emit('ready');
    await web.whenIdle();
    expect((await app.request('/readyz')).status).toBe(200);
    client.emit('disconnected', 'LOGOUT');
    await web.whenIdle();
    const readiness = await app.request('/readyz');
    expect(readiness.status).toBe(503);
    const checks = (
      (await readiness.json()) as { checks: Record<string, { ok: boolean; detail?: string }> }
    ).checks;
    expect(checks['connector:whatsapp-web']).toMatchObject({
      ok: false,
      detail: expect.stringContaining('disconnected'),
    });
    // the event is recorded after the status changes, not with it
    const statusEvents = async () =>
      (
        await api<{ data: Array<{ type: string; data: { status?: string } }> }>(
          '/v1/events?format=json&after=0',
        )
      ).data
        .filter((event) => event.type === 'connector.status_changed')
        .map((event) => event.data.status);
    await waitFor(async () => (await statusEvents()).includes('disconnected'));
    expect(await statusEvents()).toContain('disconnected');
  });
});

describe('email through the gateway', () => {
  let sink: SmtpSink;

  it("lands a customer's reply to our email in the same conversation with only the new text", async () => {
    sink = await startSmtpSink();
    cleanups.push(() => sink.close());
    const email: EmailConnector = createEmailConnector({
      smtpUrl: sink.url,
      from: 'Acme Support <support@acme.test>',
      inboundPort: 0,
      inboundDomains: ['acme.test'],
    });
    const { app, api } = gatewayWith([email]);
    await app.gateway.start();

    const outbound = await api<Message>('/v1/messages', {
      to: { channel: 'email', address: 'Kim@Example.com' },
      content: { type: 'text', text: 'Your refund was approved.' },
      channelData: { subject: 'Refund for order 4411' },
    });
    // the gateway's own job runner is on (start()): wait for it to send
    await waitFor(
      async () => (await api<Message>(`/v1/messages/${outbound.id}`)).status === 'sent',
    );
    expect(sink.messages).toHaveLength(1);
    const sent = sink.messages[0]!;
    expect(sent.parsed.subject).toBe('Refund for order 4411');

    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: email.inboundPort!,
      secure: false,
      tls: { rejectUnauthorized: false },
    });
    await transport.sendMail({
      from: 'Kim Lee <kim.lee@work.example>',
      to: 'support@acme.test',
      subject: 'Re: Refund for order 4411',
      inReplyTo: `<${sent.externalId}>`,
      references: [`<${sent.externalId}>`],
      text: `Great, thank you!\n\nOn Tue, Jul 1, 2026 at 8:00 AM Acme Support <support@acme.test> wrote:\n> Your refund was approved.\n`,
    });
    transport.close();

    await waitFor(
      async () =>
        (await api<{ data: Message[] }>(`/v1/conversations/${outbound.conversationId}/messages`))
          .data.length === 2,
    );
    const history = await api<{ data: Message[] }>(
      `/v1/conversations/${outbound.conversationId}/messages`,
    );
    expect(
      history.data.map((message) => [
        message.direction,
        message.content.type === 'text' ? message.content.text : null,
      ]),
    ).toEqual([
      ['outbound', 'Your refund was approved.'],
      ['inbound', 'Great, thank you!'],
    ]);
    const reply = history.data[1]!;
    expect(reply.from.address).toBe('kim.lee@work.example');
    expect(reply.replyToId).toBe(outbound.id);
  });

  it.skipIf(dovecotUnavailable() !== undefined)(
    'reads replies from an IMAP mailbox into the same conversation, once, and shows the mailbox on /readyz',
    async () => {
      sink = await startSmtpSink();
      cleanups.push(() => sink.close());
      const dovecot = await startDovecot();
      cleanups.push(() => dovecot.close());
      const email = createEmailConnector({
        smtpUrl: sink.url,
        from: 'Acme Support <support@acme.test>',
        imapUrl: dovecot.url,
        // far longer than the test: new mail comes by IDLE
        imapPollIntervalMs: 10 * 60_000,
        imapRetry: { retryDelayMs: 20, maxRetryDelayMs: 200 },
      });
      const { app, api } = gatewayWith([email]);
      await app.gateway.start();
      const emailCheck = async () => {
        const response = await app.request('/readyz');
        const body = (await response.json()) as {
          checks: Record<string, { ok: boolean; detail?: string }>;
        };
        return body.checks['connector:email'];
      };
      await waitFor(async () => (await emailCheck())?.ok === true);
      expect(await emailCheck()).toEqual({
        ok: true,
        detail: expect.stringMatching(
          /^ready: reading INBOX at imap:\/\/support@127\.0\.0\.1:\d+ \(IDLE, and a search every 600 s\)$/,
        ),
      });

      const outbound = await api<Message>('/v1/messages', {
        to: { channel: 'email', address: 'kim.lee@work.example' },
        content: { type: 'text', text: 'Your refund was approved.' },
        channelData: { subject: 'Refund for order 4411' },
      });
      await waitFor(
        async () => (await api<Message>(`/v1/messages/${outbound.id}`)).status === 'sent',
      );
      const sent = sink.messages[0]!;
      const reply = [
        'From: Kim Lee <kim.lee@work.example>',
        'To: Acme Support <support@acme.test>',
        'Subject: Re: Refund for order 4411',
        'Message-ID: <kim-reply-1@work.example>',
        `In-Reply-To: <${sent.externalId}>`,
        `References: <${sent.externalId}>`,
        'Date: Wed, 1 Jul 2026 09:00:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Great, thank you!',
        '',
        'On Wed, Jul 1, 2026 at 8:00 AM Acme Support <support@acme.test> wrote:',
        '> Your refund was approved.',
        '',
      ].join('\r\n');
      const conversationMessages = async () =>
        (await api<{ data: Message[] }>(`/v1/conversations/${outbound.conversationId}/messages`))
          .data;
      const seen = async () =>
        [...(await dovecot.flags()).values()].filter((flags) => flags.includes('\\Seen')).length;

      await dovecot.append(reply);
      await waitFor(async () => (await seen()) === 1);
      // the same message again, unseen: what a crash between storing and flagging leaves
      await dovecot.append(reply);
      await waitFor(async () => (await seen()) === 2);

      const history = await conversationMessages();
      expect(
        history.map((message) => [
          message.direction,
          message.content.type === 'text' ? message.content.text : null,
        ]),
      ).toEqual([
        ['outbound', 'Your refund was approved.'],
        ['inbound', 'Great, thank you!'],
      ]);
      expect(history[1]?.replyToId).toBe(outbound.id);

      await dovecot.stop();
      await waitFor(async () => (await emailCheck())?.detail?.startsWith('degraded') ?? false);
      expect((await emailCheck())?.detail).toMatch(/ECONNREFUSED|closed the connection|ECONNRESET/);
    },
  );
});
