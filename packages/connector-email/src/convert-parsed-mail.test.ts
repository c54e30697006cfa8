import type { InboundEvent, InboundMessage } from '@threadline/connector-kit';
import { inboundEventSchema } from '@threadline/connector-kit';
import { describe, expect, it } from 'vitest';
import {
  type ConvertParsedMailOptions,
  convertParsedMail,
  derivedMessageId,
  mediaAttachments,
} from './convert-parsed-mail.js';
import { parseRawMail } from './parse-raw-mail.js';
import { readFixture } from './test-support/fixtures.js';

const receivedAt = new Date('2024-03-05T12:00:00.000Z');

async function convert(
  raw: Buffer | string,
  options: Partial<ConvertParsedMailOptions> = {},
): Promise<InboundEvent[]> {
  const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
  const events = convertParsedMail(await parseRawMail(bytes), {
    raw: bytes,
    receivedAt,
    inboundDomains: ['acme.example'],
    trustedAuthServIds: ['mx.acme.example'],
    ...options,
  });
  for (const event of events) expect(inboundEventSchema.safeParse(event).success).toBe(true);
  return events;
}

async function convertMessage(
  raw: Buffer | string,
  options: Partial<ConvertParsedMailOptions> = {},
): Promise<InboundMessage> {
  const events = await convert(raw, options);
  expect(events).toHaveLength(1);
  const event = events[0]!;
  if (event.type !== 'message') throw new Error(`expected a message, got ${event.type}`);
  return event.message;
}

const ourMessageId = 'threadline.01J8Z4K7Q9X2M3N4P5R6S7T8V9@acme.example';

describe('convertParsedMail: recorded messages', () => {
  it('multipart/alternative (ISO-8859-1 text part, UTF-8 HTML part, trusted authentication)', async () => {
    const message = await convertMessage(readFixture('multipart-alternative.eml'));
    expect(message.externalId).toBe('3F2A9C1E-7B4D-4E8A-9C61-1D2E3F4A5B6C@example.com');
    expect(message.from).toEqual({ channel: 'email', address: 'ada.lovelace@example.com' });
    expect(message.to).toEqual({ channel: 'email', address: 'support@acme.example' });
    expect(message.senderName).toBe('Ada Lovelace');
    expect(message.createdAt).toBe('2024-03-05T08:02:10.000Z');
    expect(message.content).toEqual({
      type: 'text',
      text: 'Hello,\n\nmy order 1234 has not arrived yet. Could you check where it is?\nI ordered the café crème set on 1 March.\n\nThanks,\nAda',
    });
    expect(message.replyToExternalId).toBeUndefined();
    expect(message.references).toBeUndefined();
    expect(message.automated).toBeUndefined();
    const data = message.channelData!;
    expect(data.subject).toBe('Order 1234 has not arrived');
    expect(data.messageId).toBe('3F2A9C1E-7B4D-4E8A-9C61-1D2E3F4A5B6C@example.com');
    expect(data.references).toEqual([]);
    expect(data.text).toContain('-- \nAda Lovelace\nAnalytical Engines Ltd.');
    expect(data.html).toContain('I ordered the café crème set on 1 March.');
    expect(data.to).toEqual(['support@acme.example']);
    expect(data.cc).toEqual(['charles@example.com']);
    expect(data.authentication).toEqual({
      spf: 'pass',
      dkim: 'pass',
      dmarc: 'pass',
      authservId: 'mx.acme.example',
      trusted: true,
      verified: true,
    });
    expect(data.warnings).toBeUndefined();
  });

  it('attachments, one with an RFC 2231 non-ASCII filename, named by stored media', async () => {
    const raw = readFixture('attachments.eml');
    const message = await convertMessage(raw, {
      media: [
        { mediaId: 'media-1', url: 'https://gateway.test/v1/media/media-1' },
        { mediaId: 'media-2', url: 'https://gateway.test/v1/media/media-2' },
      ],
    });
    expect(message.externalId).toBe('CAFx9s=RtY2b7c1Lq@mail.gmail.com');
    expect(message.content).toEqual({
      type: 'text',
      text: 'Here is the screenshot of the tracking page and the invoice.',
      attachments: [
        {
          kind: 'image',
          mediaId: 'media-1',
          url: 'https://gateway.test/v1/media/media-1',
          mimeType: 'image/png',
          filename: 'tracking.png',
          size: 69,
        },
        {
          kind: 'file',
          mediaId: 'media-2',
          url: 'https://gateway.test/v1/media/media-2',
          mimeType: 'application/pdf',
          filename: 'Rechnung März 2024.pdf',
          size: 125,
        },
      ],
    });
    const parts = mediaAttachments(await parseRawMail(raw));
    expect(parts.map((part) => part.content.subarray(0, 4).toString('latin1'))).toEqual([
      '\x89PNG',
      '%PDF',
    ]);
  });

  it('attachments without stored media are named by Message-ID and MIME part', async () => {
    const message = await convertMessage(readFixture('attachments.eml'));
    const content = message.content;
    if (content.type !== 'text') throw new Error('expected text');
    expect(content.attachments?.map((attachment) => attachment.mediaId)).toEqual([
      'CAFx9s=RtY2b7c1Lq@mail.gmail.com#2',
      'CAFx9s=RtY2b7c1Lq@mail.gmail.com#3',
    ]);
  });

  it('a GB2312 quoted-printable body with an encoded-word subject and sender name', async () => {
    const message = await convertMessage(readFixture('gb2312-quoted-printable.eml'));
    expect(message.externalId).toBe('20240305113000.4F2A1B@example.cn');
    expect(message.from.address).toBe('wang.xiaoming@example.cn');
    expect(message.senderName).toBe('王小明');
    expect(message.createdAt).toBe('2024-03-05T03:30:00.000Z');
    expect(message.content).toEqual({
      type: 'text',
      text: '您好，\n\n我的订单 1234 还没有到货，请帮忙查一下物流信息。\n\n谢谢！\n王小明',
    });
    expect(message.channelData?.subject).toBe('关于订单 1234 的问题');
  });

  it('an auto-reply: automated, threaded to our message, not trusted', async () => {
    const message = await convertMessage(readFixture('auto-reply.eml'));
    expect(message.automated).toBe(true);
    expect(message.replyToExternalId).toBe(ourMessageId);
    expect(message.references).toEqual([ourMessageId]);
    expect(message.content).toEqual({
      type: 'text',
      text: 'I am out of the office until 18 March with limited access to email.\nFor urgent matters please contact charles@example.com.',
    });
    expect(message.channelData?.automatedReason).toBe('Auto-Submitted: auto-replied');
    expect(message.channelData?.subject).toBe('Automatic reply: Re: Order 1234 has not arrived');
    expect(message.channelData?.authentication).toMatchObject({ trusted: false, verified: false });
  });

  it('a DSN bounce of our message: a failed status with the status code and diagnostic', async () => {
    const events = await convert(readFixture('dsn-bounce.eml'));
    expect(events).toEqual([
      {
        type: 'status',
        externalId: ourMessageId,
        status: 'failed',
        occurredAt: '2024-03-05T09:14:02.000Z',
        error: {
          code: '5.1.1',
          message:
            '550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table',
          retryable: false,
        },
        channelData: {
          subject: 'Undelivered Mail Returned to Sender',
          messageId: '20240305091402.0F1E2A0F3@mail.acme.example',
          reportType: 'delivery-status',
          recipient: 'nobody@example.net',
          diagnostic:
            '550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table',
          reportingMta: 'mail.acme.example',
        },
      },
    ]);
    expect(mediaAttachments(await parseRawMail(readFixture('dsn-bounce.eml')))).toEqual([]);
  });

  it('a malformed message (8-bit header, bad date, no Message-ID, unclosed boundary) is read', async () => {
    const raw = readFixture('malformed.eml');
    const message = await convertMessage(raw);
    expect(message.externalId).toBe(derivedMessageId(raw));
    expect(message.externalId).toMatch(/^generated\.[0-9a-f]{40}@threadline\.invalid$/);
    expect(message.from).toEqual({ channel: 'email', address: 'joerg.mueller@example.de' });
    expect(message.senderName).toBe('Jörg Müller');
    expect(message.createdAt).toBe(receivedAt.toISOString());
    expect(message.channelData?.subject).toBe('Rückfrage zu Bestellung 1234');
    expect(message.content).toEqual({
      type: 'text',
      text: 'Hallo,\n\nwann kommt meine Bestellung 1234? Die Lieferung war für Montag angekündigt.\n\nGruß\nJörg',
      attachments: [
        {
          kind: 'file',
          mediaId: `${message.externalId}#2`,
          mimeType: 'text/plain',
          filename: 'lieferschein.txt',
          size: 17,
        },
      ],
    });
    expect(message.channelData?.warnings).toEqual([
      'the header contains unencoded 8-bit characters',
      'the multipart body is not closed (no "------=_Part_0_1709632800--")',
      'no Message-ID header: the id is derived from the content',
      'the Date header "Dienstag, 5. März 2024 10:00" is not a date: the receive time is used',
    ]);
  });

  it("a customer's reply: only the new text, threaded to our message", async () => {
    const message = await convertMessage(readFixture('customer-reply.eml'));
    expect(message.content).toEqual({
      type: 'text',
      text: 'Thanks, it arrived this morning!\n\nAda',
    });
    expect(message.replyToExternalId).toBe(ourMessageId);
    expect(message.references).toEqual([
      '3F2A9C1E-7B4D-4E8A-9C61-1D2E3F4A5B6C@example.com',
      ourMessageId,
    ]);
    expect(message.channelData?.inReplyTo).toBe(ourMessageId);
    expect(message.channelData?.text).toContain('> your parcel is on its way');
  });
});

describe('convertParsedMail: charsets', () => {
  it.each([
    [
      'iso-8859-2',
      'quoted-printable',
      'Dzi=EAkuj=EA, zam=F3wienie dotar=B3o.',
      'Dziękuję, zamówienie dotarło.',
    ],
    ['iso-8859-15', 'quoted-printable', 'Prix: 12 =A4', 'Prix: 12 €'],
    // 喆 (0x86B4) exists in GBK only, not in GB2312
    ['gbk', 'base64', 'xOO6w6OshrQ=', '你好，喆'],
    ['windows-1252', 'quoted-printable', '=93Quoted=94 =96 text', '“Quoted” – text'],
  ])('decodes %s bodies', async (charset, encoding, body, expected) => {
    const raw = [
      'From: ada@example.com',
      'To: support@acme.example',
      'Subject: =?ISO-8859-1?Q?Caf=E9?=',
      'Message-ID: <charset@example.com>',
      `Content-Type: text/plain; charset=${charset}`,
      `Content-Transfer-Encoding: ${encoding}`,
      '',
      body,
    ].join('\r\n');
    const message = await convertMessage(raw);
    expect(message.content).toEqual({ type: 'text', text: expected });
    expect(message.channelData?.subject).toBe('Café');
  });
});

describe('convertParsedMail: edge cases', () => {
  const plain = (headers: string[], body = 'Hello') =>
    [...headers, 'Content-Type: text/plain; charset=utf-8', '', body].join('\r\n');

  it('falls back to the envelope sender when the From header has no address', async () => {
    const message = await convertMessage(
      plain(['From: undisclosed', 'Message-ID: <e1@x.example>']),
      {
        envelope: { mailFrom: 'Bob@Example.org', rcptTo: ['help@acme.example'] },
      },
    );
    expect(message.from.address).toBe('bob@example.org');
    expect(message.to?.address).toBe('help@acme.example');
  });

  it('refuses a message without any sender with payload_invalid at from', async () => {
    await expect(convert(plain(['To: support@acme.example']))).rejects.toMatchObject({
      code: 'payload_invalid',
      path: 'from',
    });
  });

  it('refuses a sender that is not an email address', async () => {
    await expect(convert(plain(['From: <not an address>']))).rejects.toMatchObject({
      code: 'payload_invalid',
      path: 'from',
    });
  });

  it('picks our address among several recipients', async () => {
    const message = await convertMessage(
      plain([
        'From: ada@example.com',
        'To: charles@example.com, Acme <Sales@Acme.Example>',
        'Message-ID: <e2@x.example>',
      ]),
    );
    expect(message.to?.address).toBe('sales@acme.example');
    expect(message.channelData?.to).toEqual(['charles@example.com', 'sales@acme.example']);
  });

  it('uses the subject as text when the body is empty', async () => {
    const message = await convertMessage(
      plain(
        ['From: ada@example.com', 'Subject: Call me back please', 'Message-ID: <e3@x.example>'],
        '',
      ),
    );
    expect(message.content).toEqual({ type: 'text', text: 'Call me back please' });
  });

  it('reads the text of an HTML-only message and strips the quoted blockquote', async () => {
    const raw = [
      'From: ada@example.com',
      'Message-ID: <e4@x.example>',
      'In-Reply-To: <threadline.m1@acme.example>',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<div>Yes, Thursday works.</div><div class="gmail_quote">On Tue, Mar 5, 2024 at 10:14 AM Acme &lt;support@acme.example&gt; wrote:<blockquote>Does Thursday work?</blockquote></div>',
    ].join('\r\n');
    const message = await convertMessage(raw);
    expect(message.content).toEqual({ type: 'text', text: 'Yes, Thursday works.' });
    expect(message.channelData?.html).toContain('<blockquote>');
  });

  it('derives the same id for a message without Message-ID whatever hops it took', async () => {
    const body = plain(['From: ada@example.com', 'Subject: no id']);
    const direct = Buffer.from(body);
    const relayed = Buffer.from(
      `Received: from relay.example (relay.example [192.0.2.1]) by mx.acme.example; Tue, 5 Mar 2024 10:00:00 +0000\r\nReturn-Path: <ada@example.com>\r\n${body}`,
    );
    expect(derivedMessageId(direct)).toBe(derivedMessageId(relayed));
    expect(derivedMessageId(direct)).not.toBe(
      derivedMessageId(Buffer.from(body.replace('Hello', 'Hello!'))),
    );
  });

  it('marks mail from a mailer daemon that is not a DSN as automated', async () => {
    const message = await convertMessage(
      plain([
        'From: MAILER-DAEMON@mail.example.com',
        'Subject: failure notice',
        'Message-ID: <qmail1@mail.example.com>',
      ]),
    );
    expect(message.automated).toBe(true);
  });
});

describe('convertParsedMail: reports', () => {
  const report = (reportType: string, parts: string[]) =>
    [
      'From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
      'To: support@acme.example',
      'Subject: Delivery Status Notification',
      'Date: Tue, 05 Mar 2024 01:14:05 -0800 (PST)',
      'Message-ID: <report-1@mx.google.com>',
      `Content-Type: multipart/report; report-type=${reportType}; boundary="r"`,
      '',
      '--r',
      'Content-Type: text/plain; charset=UTF-8',
      '',
      'Human readable part.',
      ...parts.flatMap((part) => ['--r', part]),
      '--r--',
      '',
    ].join('\r\n');

  it('a successful delivery notification marks the message delivered', async () => {
    const events = await convert(
      report('delivery-status', [
        'Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; ada@example.com\r\nAction: delivered\r\nStatus: 2.0.0\r\n',
        'Content-Type: text/rfc822-headers\r\n\r\nMessage-ID: <threadline.m2@acme.example>\r\nSubject: Hi\r\n',
      ]),
    );
    expect(events).toMatchObject([
      {
        type: 'status',
        externalId: 'threadline.m2@acme.example',
        status: 'delivered',
        occurredAt: '2024-03-05T09:14:05.000Z',
      },
    ]);
    expect(events[0]).not.toHaveProperty('error');
  });

  it('finds the original Message-ID in a returned message/rfc822 part', async () => {
    const events = await convert(
      report('delivery-status', [
        'Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; x@example.net\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n',
        'Content-Type: message/rfc822\r\n\r\nFrom: support@acme.example\r\nMessage-ID: <threadline.m3@acme.example>\r\nSubject: Hi\r\n\r\nBody of our message.\r\n',
      ]),
    );
    expect(events).toMatchObject([
      {
        type: 'status',
        externalId: 'threadline.m3@acme.example',
        status: 'failed',
        error: { code: '5.2.2', message: '552 5.2.2 Mailbox full', retryable: false },
      },
    ]);
  });

  it('falls back to the ENVID when the report returns no headers', async () => {
    const events = await convert(
      report('delivery-status', [
        'Content-Type: message/delivery-status\r\n\r\nOriginal-Envelope-Id: threadline.m4@acme.example\r\n\r\nFinal-Recipient: rfc822; x@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n',
      ]),
    );
    expect(events).toMatchObject([
      {
        type: 'status',
        externalId: 'threadline.m4@acme.example',
        status: 'failed',
        error: { code: '5.1.1', message: 'delivery to x@example.net failed' },
      },
    ]);
  });

  it('records a delay and a report without an original id as ignored', async () => {
    const delayed = await convert(
      report('delivery-status', [
        'Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; x@example.net\r\nAction: delayed\r\nStatus: 4.4.1\r\n',
        'Content-Type: text/rfc822-headers\r\n\r\nMessage-ID: <threadline.m5@acme.example>\r\n',
      ]),
    );
    expect(delayed).toEqual([
      {
        type: 'ignored',
        kind: 'email.delivery_report',
        reason: 'delivery delayed (4.4.1): the server keeps trying',
      },
    ]);
    const anonymous = await convert(
      report('delivery-status', [
        'Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; x@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n',
      ]),
    );
    expect(anonymous).toMatchObject([{ type: 'ignored', kind: 'email.delivery_report' }]);
  });

  it('a read receipt (displayed) marks the message read; other dispositions are ignored', async () => {
    const receipt = (disposition: string) =>
      report('disposition-notification', [
        `Content-Type: message/disposition-notification\r\n\r\nFinal-Recipient: rfc822; ada@example.com\r\nOriginal-Message-ID: <threadline.m6@acme.example>\r\nDisposition: manual-action/MDN-sent-manually; ${disposition}\r\n`,
      ]);
    expect(await convert(receipt('displayed'))).toMatchObject([
      { type: 'status', externalId: 'threadline.m6@acme.example', status: 'read' },
    ]);
    expect(await convert(receipt('deleted'))).toMatchObject([
      { type: 'ignored', kind: 'email.disposition_notification' },
    ]);
  });

  it('records other reports (abuse feedback) as ignored', async () => {
    expect(
      await convert(
        report('feedback-report', [
          'Content-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n',
        ]),
      ),
    ).toEqual([
      {
        type: 'ignored',
        kind: 'email.report',
        reason: 'report type "feedback-report" is recorded but not acted on',
      },
    ]);
  });
});
