import { createServer } from 'node:net';
import type { InboundMessage } from '@threadline/connector-kit';
import nodemailer from 'nodemailer';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createEmailConnector,
  type EmailConnector,
  emailConnectorFromEnv,
  emailSignatureHeader,
  signInboundEmail,
} from './email-connector.js';
import { base64MailContentType } from './parse-raw-mail.js';
import { pixelPng, readFixture } from './test-support/fixtures.js';
import { startMediaServer } from './test-support/media-server.js';
import { type SmtpSink, startSmtpSink } from './test-support/smtp-sink.js';
import { createTestRuntime, type TestRuntime } from './test-support/test-runtime.js';

let sink: SmtpSink;
let media: Awaited<ReturnType<typeof startMediaServer>>;

beforeAll(async () => {
  sink = await startSmtpSink();
  media = await startMediaServer({
    '/media/label.png': { contentType: 'image/png', body: pixelPng },
  });
});
afterAll(async () => {
  await sink.close();
  await media.close();
});

/** A customer's mail client: nodemailer talking SMTP to our inbound server. */
function customerClient(connector: EmailConnector) {
  return nodemailer.createTransport({
    host: connector.inboundHost!,
    port: connector.inboundPort!,
    secure: false,
    ignoreTLS: true,
  });
}

async function startConnector(
  settings: Parameters<typeof createEmailConnector>[0] = {},
): Promise<{ connector: EmailConnector; store: TestRuntime }> {
  const connector = createEmailConnector({
    from: 'Acme Support <support@acme.example>',
    smtpUrl: sink.url,
    inboundPort: 0,
    inboundSecret: 'ingress-secret',
    trustedAuthServIds: ['mx.acme.example'],
    env: {},
    ...settings,
  });
  const store = createTestRuntime();
  await connector.start(store.runtime);
  return { connector, store };
}

function onlyMessage(store: TestRuntime): InboundMessage {
  const messages = store.messages();
  expect(messages).toHaveLength(1);
  return messages[0]!;
}

describe('inbound over SMTP', () => {
  let connector: EmailConnector;
  let store: TestRuntime;

  beforeEach(async () => {
    ({ connector, store } = await startConnector());
    sink.reset();
  });
  afterEach(() => connector.stop());

  it('listens on the bound port and reports ready', () => {
    expect(connector.inboundHost).toBe('127.0.0.1');
    expect(connector.inboundPort).toBeGreaterThan(0);
    expect(store.statuses).toEqual([{ state: 'ready' }]);
    expect(connector.status()).toEqual({ state: 'ready' });
  });

  it('nodemailer → our SMTP server → a normalized message, durable before the 250', async () => {
    const info = await customerClient(connector).sendMail({
      from: 'Ada Lovelace <Ada.Lovelace@Example.com>',
      to: 'Acme Support <support@acme.example>',
      cc: 'charles@example.com',
      subject: 'Beschädigte Lieferung',
      messageId: '<first.contact@example.com>',
      text: 'The box arrived damaged, photo attached.\n\n-- \nAda',
      html: '<p>The box arrived damaged, photo attached.</p><p>-- <br>Ada</p>',
      attachments: [{ filename: 'Schaden März.png', content: pixelPng, contentType: 'image/png' }],
    });
    expect(info.response).toMatch(/^250 /);
    // the 250 came after the ingest resolved: the message is already in the store
    expect(store.ingests).toHaveLength(1);
    const { raw } = store.ingests[0]!;
    expect(raw.contentType).toBe('message/rfc822');
    expect(raw.body).toContain('Message-ID: <first.contact@example.com>');

    const message = onlyMessage(store);
    expect(message.externalId).toBe('first.contact@example.com');
    expect(message.from).toEqual({ channel: 'email', address: 'ada.lovelace@example.com' });
    expect(message.to).toEqual({ channel: 'email', address: 'support@acme.example' });
    expect(message.senderName).toBe('Ada Lovelace');
    expect(message.channelData).toMatchObject({
      subject: 'Beschädigte Lieferung',
      cc: ['charles@example.com'],
      text: 'The box arrived damaged, photo attached.\n\n-- \nAda',
    });
    expect(message.content).toEqual({
      type: 'text',
      text: 'The box arrived damaged, photo attached.',
      attachments: [
        {
          kind: 'image',
          mediaId: 'media-1',
          url: 'https://gateway.test/v1/media/media-1',
          mimeType: 'image/png',
          filename: 'Schaden März.png',
          size: pixelPng.length,
        },
      ],
    });
    expect(store.media).toHaveLength(1);
    expect(Buffer.from(store.media[0]!.body)).toEqual(pixelPng);
    expect(store.media[0]).toMatchObject({
      contentType: 'image/png',
      filename: 'Schaden März.png',
    });
  });

  it('rejects recipients outside our domains at RCPT with 550 and stores nothing', async () => {
    const error = await customerClient(connector)
      .sendMail({ from: 'spam@example.org', to: 'victim@elsewhere.example', text: 'relay me' })
      .catch((failure: unknown) => failure);
    expect(error).toMatchObject({ code: 'EENVELOPE', responseCode: 550 });
    expect(store.ingests).toEqual([]);
  });

  it('delivers to our recipients when others in the same envelope are refused', async () => {
    const info = await customerClient(connector).sendMail({
      from: 'ada@example.com',
      to: ['support@acme.example', 'someone@elsewhere.example'],
      text: 'Hello',
    });
    expect(info.rejected).toEqual(['someone@elsewhere.example']);
    expect(onlyMessage(store).to).toEqual({ channel: 'email', address: 'support@acme.example' });
  });

  it('answers 451 when the store fails, so the sender retries, and accepts the retry', async () => {
    store.failNextIngests(1);
    const mail = {
      from: 'ada@example.com',
      to: 'support@acme.example',
      text: 'Hello?',
      messageId: '<retry@example.com>',
    };
    const error = await customerClient(connector)
      .sendMail(mail)
      .catch((failure: unknown) => failure);
    expect(error).toMatchObject({ responseCode: 451 });
    expect(store.ingests).toEqual([]);
    await customerClient(connector).sendMail(mail);
    expect(onlyMessage(store).externalId).toBe('retry@example.com');
  });

  it('quarantines mail it cannot read and accepts it, so it is not bounced forever', async () => {
    const raw = 'To: support@acme.example\r\nSubject: who am I\r\n\r\nno sender anywhere\r\n';
    const info = await customerClient(connector).sendMail({
      envelope: { from: '', to: ['support@acme.example'] },
      raw,
    });
    expect(info.response).toMatch(/^250 /);
    expect(store.ingests).toEqual([]);
    expect(store.quarantined).toEqual([
      {
        reason: 'invalid payload at from: the message has no sender address',
        path: 'from',
        contentType: 'message/rfc822',
        body: raw,
      },
    ]);
  });

  it('marks our message failed when its bounce arrives', async () => {
    await customerClient(connector).sendMail({
      envelope: { from: '', to: ['support@acme.example'] },
      raw: readFixture('dsn-bounce.eml'),
    });
    expect(store.ingests[0]!.events).toMatchObject([
      {
        type: 'status',
        externalId: 'threadline.01J8Z4K7Q9X2M3N4P5R6S7T8V9@acme.example',
        status: 'failed',
        error: { code: '5.1.1' },
      },
    ]);
    expect(store.media).toEqual([]);
  });

  it('keeps an 8-bit GB2312 message byte for byte and decodes its text', async () => {
    // "请问我的包裹在哪里？" in GB2312, sent as raw 8-bit bytes
    const body = Buffer.from('c7ebcecaced2b5c4b0fcb9fcd4dac4c4c0efa3bf0d0a', 'hex');
    const raw = Buffer.concat([
      Buffer.from(
        'From: wang@example.cn\r\nTo: support@acme.example\r\nMessage-ID: <gb8bit@example.cn>\r\nContent-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
      ),
      body,
    ]);
    await customerClient(connector).sendMail({
      envelope: { from: 'wang@example.cn', to: ['support@acme.example'] },
      raw,
    });
    const { raw: stored } = store.ingests[0]!;
    expect(stored.contentType).toBe(base64MailContentType);
    expect(Buffer.from(stored.body, 'base64')).toEqual(raw);
    expect(onlyMessage(store).content).toEqual({ type: 'text', text: '请问我的包裹在哪里？' });
  });

  it('stops listening on stop()', async () => {
    const port = connector.inboundPort!;
    await connector.stop();
    expect(connector.inboundPort).toBeUndefined();
    const error = await nodemailer
      .createTransport({ host: '127.0.0.1', port, ignoreTLS: true })
      .sendMail({ from: 'a@example.com', to: 'support@acme.example', text: 'x' })
      .catch((failure: unknown) => failure);
    expect(error).toMatchObject({ code: 'ESOCKET' });
  });
});

describe('inbound limits and start-up', () => {
  it('refuses a message over the size limit with 552', async () => {
    const { connector, store } = await startConnector({ maxMessageBytes: 2048 });
    try {
      const error = await customerClient(connector)
        .sendMail({ from: 'ada@example.com', to: 'support@acme.example', text: 'x'.repeat(5000) })
        .catch((failure: unknown) => failure);
      expect(error).toMatchObject({ responseCode: 552 });
      expect(store.ingests).toEqual([]);
    } finally {
      await connector.stop();
    }
  });

  it('accepts the domains it is told to and no others', async () => {
    const { connector, store } = await startConnector({
      inboundDomains: ['help.acme.example'],
    });
    try {
      const client = customerClient(connector);
      await client.sendMail({ from: 'ada@example.com', to: 'desk@HELP.acme.example', text: 'Hi' });
      const refused = await client
        .sendMail({ from: 'ada@example.com', to: 'support@acme.example', text: 'Hi' })
        .catch((failure: unknown) => failure);
      expect(refused).toMatchObject({ responseCode: 550 });
      expect(onlyMessage(store).to?.address).toBe('desk@help.acme.example');
    } finally {
      await connector.stop();
    }
  });

  it('fails to start with configuration_invalid when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const connector = createEmailConnector({
      from: 'support@acme.example',
      inboundPort: port,
      env: {},
    });
    const store = createTestRuntime();
    try {
      await expect(connector.start(store.runtime)).rejects.toMatchObject({
        code: 'configuration_invalid',
      });
      expect(store.statuses).toMatchObject([{ state: 'disconnected' }]);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('runs from the gateway environment', async () => {
    const connector = emailConnectorFromEnv({
      env: {
        EMAIL_FROM: 'Acme Support <support@acme.example>',
        SMTP_URL: sink.url,
        SMTP_INBOUND_PORT: '0',
        EMAIL_INBOUND_DOMAINS: 'acme.example',
      },
      publicUrl: undefined,
      dataDirectory: '/tmp/threadline-test',
    });
    expect(connector?.id).toBe('email');
    const store = createTestRuntime();
    await connector!.start(store.runtime);
    try {
      await customerClient(connector!).sendMail({
        from: 'ada@example.com',
        to: 'support@acme.example',
        text: 'From the environment',
      });
      expect(onlyMessage(store).content).toEqual({ type: 'text', text: 'From the environment' });
    } finally {
      await connector!.stop();
    }
  });
});

describe('outbound over SMTP', () => {
  let connector: EmailConnector;
  let store: TestRuntime;

  beforeEach(async () => {
    ({ connector, store } = await startConnector());
    sink.reset();
  });
  afterEach(() => connector.stop());

  it('sends a reply with threading headers, Re: subject, text and HTML parts and an attachment', async () => {
    const result = await connector.send({
      id: '01J8Z9A0B1C2D3E4F5G6H7J8K9',
      conversationId: 'conversation-1',
      to: { channel: 'email', address: 'Ada.Lovelace@Example.com' },
      content: {
        type: 'text',
        text: 'Your return label is attached.\nPrint it & stick it on the box.',
        attachments: [
          { kind: 'image', url: media.url('/media/label.png'), filename: 'Rücksendung.png' },
          { kind: 'file', url: media.url('/media/missing.pdf'), filename: 'terms.pdf' },
        ],
      },
      replyToExternalId: 'CAFx9s=Qm1Z8f3kP+vH2@mail.gmail.com',
      threadExternalIds: [
        '3F2A9C1E-7B4D-4E8A-9C61-1D2E3F4A5B6C@example.com',
        'threadline.01J8Z4K7Q9X2M3N4P5R6S7T8V9@acme.example',
        'CAFx9s=Qm1Z8f3kP+vH2@mail.gmail.com',
      ],
      channelData: { subject: 'Re: Order 1234 has not arrived' },
    });
    expect(result).toEqual({
      externalId: 'threadline.01J8Z9A0B1C2D3E4F5G6H7J8K9@acme.example',
      status: 'sent',
    });
    expect(sink.messages).toHaveLength(1);
    const { parsed, envelope, externalId } = sink.messages[0]!;
    expect(externalId).toBe(result.externalId);
    expect(envelope.mailFrom).toMatchObject({ address: 'support@acme.example' });
    expect(envelope.rcptTo.map((recipient) => recipient.address)).toEqual([
      'ada.lovelace@example.com',
    ]);
    // bounces come back naming the message: ENVID is our Message-ID, only headers returned
    expect(envelope.dsn).toEqual({ ret: 'HDRS', envid: result.externalId });
    expect(envelope.rcptTo[0]?.dsn).toMatchObject({ notify: ['FAILURE', 'DELAY'] });
    expect(parsed.from?.value).toEqual([{ name: 'Acme Support', address: 'support@acme.example' }]);
    expect(parsed.subject).toBe('Re: Order 1234 has not arrived');
    expect(parsed.inReplyTo).toBe('<CAFx9s=Qm1Z8f3kP+vH2@mail.gmail.com>');
    expect(parsed.references).toEqual([
      '<3F2A9C1E-7B4D-4E8A-9C61-1D2E3F4A5B6C@example.com>',
      '<threadline.01J8Z4K7Q9X2M3N4P5R6S7T8V9@acme.example>',
      '<CAFx9s=Qm1Z8f3kP+vH2@mail.gmail.com>',
    ]);
    expect(parsed.text?.trim()).toBe(
      `Your return label is attached.\nPrint it & stick it on the box.\n\nterms.pdf: ${media.url('/media/missing.pdf')}`,
    );
    expect(parsed.html).toContain(
      '<p>Your return label is attached.<br>\nPrint it &amp; stick it on the box.</p>',
    );
    expect(parsed.html).toContain(`<a href="${media.url('/media/missing.pdf')}">terms.pdf</a>`);
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]).toMatchObject({
      filename: 'Rücksendung.png',
      contentType: 'image/png',
    });
    expect(parsed.attachments[0]!.content).toEqual(pixelPng);
    expect(store.logs).toContainEqual(
      expect.objectContaining({ message: 'email attachment sent as a link' }),
    );
  });

  it('starts a thread with the default subject and no threading headers', async () => {
    await connector.send({
      id: 'm-new',
      conversationId: 'conversation-2',
      to: { channel: 'email', address: 'ada@example.com' },
      content: { type: 'text', text: 'Hello from Acme' },
    });
    const { parsed } = sink.messages[0]!;
    expect(parsed.subject).toBe('Message from Acme Support');
    expect(parsed.inReplyTo).toBeUndefined();
    expect(parsed.references).toBeUndefined();
    expect(parsed.messageId).toBe('<threadline.m-new@acme.example>');
  });

  it('maps SMTP answers and connection failures to typed errors', async () => {
    const outbound = {
      id: 'm-fail',
      conversationId: 'conversation-3',
      to: { channel: 'email', address: 'ada@example.com' },
      content: { type: 'text' as const, text: 'Hello' },
    };
    sink.failNext(550, '5.1.1 <ada@example.com>: Recipient address rejected');
    await expect(connector.send(outbound)).rejects.toMatchObject({
      code: 'provider_rejected',
      retryable: false,
      providerCode: '550',
    });
    sink.failNext(451, '4.7.1 Greylisted, try again in 120 seconds');
    await expect(connector.send(outbound)).rejects.toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: 120_000,
    });
    const closed = createEmailConnector({
      from: 'support@acme.example',
      smtpUrl: 'smtp://127.0.0.1:1',
      env: {},
    });
    await expect(closed.send(outbound)).rejects.toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
    expect(sink.messages).toEqual([]);
  });

  it('refuses to send without SMTP_URL and to send to something that is not an address', async () => {
    const receiveOnly = createEmailConnector({ from: 'support@acme.example', env: {} });
    const outbound = {
      id: 'm-x',
      conversationId: 'c',
      to: { channel: 'email', address: 'ada@example.com' },
      content: { type: 'text' as const, text: 'Hello' },
    };
    await expect(receiveOnly.send(outbound)).rejects.toMatchObject({
      code: 'configuration_invalid',
    });
    await expect(
      connector.send({ ...outbound, to: { channel: 'email', address: 'not an address' } }),
    ).rejects.toMatchObject({ code: 'payload_invalid', path: 'to.address' });
  });
});

describe('continuity', () => {
  let connector: EmailConnector;
  let store: TestRuntime;

  beforeEach(async () => {
    ({ connector, store } = await startConnector());
    sink.reset();
  });
  afterEach(() => connector.stop());

  it("threads a customer's reply to our email, with only the new text, from any of their addresses", async () => {
    const sent = await connector.send({
      id: '01J8ZB0C1D2E3F4G5H6J7K8M9N',
      conversationId: 'conversation-9',
      to: { channel: 'email', address: 'ada.lovelace@example.com' },
      content: { type: 'text', text: 'Your parcel is on its way and should arrive tomorrow.' },
      channelData: { subject: 'Order 1234' },
    });
    const ours = sink.messages[0]!;
    expect(ours.externalId).toBe(sent.externalId);

    // the customer answers from their work address, quoting our message as Gmail does
    const quoted = (ours.parsed.text ?? '')
      .trim()
      .split('\n')
      .map((line) => `> ${line}`)
      .join('\n');
    await customerClient(connector).sendMail({
      from: 'Ada Lovelace <ada@analytical-engines.example>',
      to: 'support@acme.example',
      subject: `Re: ${ours.parsed.subject}`,
      inReplyTo: ours.parsed.messageId,
      references: [ours.parsed.messageId!],
      text: `Great, I will be home.\n\nOn Tue, Mar 5, 2024 at 10:14 AM Acme Support <\nsupport@acme.example> wrote:\n\n${quoted}\n`,
    });

    const reply = onlyMessage(store);
    expect(reply.content).toEqual({ type: 'text', text: 'Great, I will be home.' });
    expect(reply.replyToExternalId).toBe(sent.externalId);
    expect(reply.references).toEqual([sent.externalId]);
    expect(reply.from.address).toBe('ada@analytical-engines.example');
    expect(reply.channelData?.subject).toBe('Re: Order 1234');
    expect(reply.channelData?.text).toContain('> Your parcel is on its way');
  });

  it('accepts the same message over the HTTP ingress, storing attachments once started', async () => {
    const body = readFixture('attachments.eml').toString('utf8');
    const result = await connector.parse({
      method: 'POST',
      url: 'https://gateway.test/webhooks/email/email',
      headers: {
        'content-type': 'message/rfc822',
        [emailSignatureHeader]: signInboundEmail('ingress-secret', body),
      },
      body,
    });
    const event = result.events[0];
    if (event?.type !== 'message' || event.message.content.type !== 'text') {
      throw new Error('expected a text message');
    }
    expect(event.message.content.attachments?.map((attachment) => attachment.url)).toEqual([
      'https://gateway.test/v1/media/media-1',
      'https://gateway.test/v1/media/media-2',
    ]);
    expect(store.media.map((item) => item.filename)).toEqual([
      'tracking.png',
      'Rechnung März 2024.pdf',
    ]);
  });
});
