import type { InboundRequest } from '@threadline/connector-kit';
import { type ConformanceFixtures, testConnector } from '@threadline/connector-kit/test';
import { afterAll } from 'vitest';
import { createEmailConnector, emailSignatureHeader, signInboundEmail } from './email-connector.js';
import { pixelPng, readFixture } from './test-support/fixtures.js';
import { startMediaServer } from './test-support/media-server.js';
import { startSmtpSink } from './test-support/smtp-sink.js';

const secret = 'conformance-inbound-secret';
// The outbound provider is a real SMTP server on 127.0.0.1; media URLs point at a local
// HTTP server so attachments are really fetched and attached.
const sink = await startSmtpSink();
const media = await startMediaServer({ '/cat.png': { contentType: 'image/png', body: pixelPng } });
afterAll(async () => {
  await sink.close();
  await media.close();
});

function sign(request: InboundRequest): InboundRequest {
  return {
    ...request,
    headers: { ...request.headers, [emailSignatureHeader]: signInboundEmail(secret, request.body) },
  };
}

function inboundRequest(raw: Buffer | string, contentType = 'message/rfc822'): InboundRequest {
  return sign({
    method: 'POST',
    url: 'https://gateway.test/webhooks/email/email',
    headers: { 'content-type': contentType },
    body: typeof raw === 'string' ? raw : raw.toString('utf8'),
  });
}

const report = (reportType: string, part: string) =>
  [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>',
    'To: support@acme.example',
    'Subject: Delivery report',
    'Date: Tue, 5 Mar 2024 09:14:02 +0000',
    'Message-ID: <report.20240305091402@mx.example.net>',
    `Content-Type: multipart/report; report-type=${reportType}; boundary="report-boundary"`,
    '',
    '--report-boundary',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is an automatically generated report.',
    '--report-boundary',
    part,
    '--report-boundary--',
    '',
  ].join('\r\n');

const deliveryReport = (externalId: string, action: string, status: string) =>
  report(
    'delivery-status',
    [
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.net',
      '',
      'Final-Recipient: rfc822; ada.lovelace@example.com',
      `Action: ${action}`,
      `Status: ${status}`,
      ...(action === 'failed'
        ? ['Diagnostic-Code: smtp; 550 5.1.1 <ada.lovelace@example.com>: User unknown']
        : []),
      '--report-boundary',
      'Content-Type: text/rfc822-headers',
      '',
      'From: Acme Support <support@acme.example>',
      `Message-ID: <${externalId}>`,
      'Subject: Re: Order 1234',
      '',
    ].join('\r\n'),
  );

const readReceipt = (externalId: string) =>
  report(
    'disposition-notification',
    [
      'Content-Type: message/disposition-notification',
      '',
      'Final-Recipient: rfc822; ada.lovelace@example.com',
      `Original-Message-ID: <${externalId}>`,
      'Disposition: manual-action/MDN-sent-manually; displayed',
      '',
    ].join('\r\n'),
  );

const reply = (externalId: string) =>
  [
    'From: Ada Lovelace <ada.lovelace@example.com>',
    'To: support@acme.example',
    'Subject: Re: Order 1234',
    'Date: Wed, 6 Mar 2024 08:45:01 +0100',
    'Message-ID: <reply.20240306084501@example.com>',
    `In-Reply-To: <${externalId}>`,
    `References: <${externalId}>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Thanks, got it.',
    '',
    `On Tue, Mar 5, 2024 at 10:14 AM Acme Support <support@acme.example> wrote:`,
    '> Your parcel is on its way.',
    '',
  ].join('\r\n');

const fixtures: ConformanceFixtures = {
  inbound: [
    {
      name: 'multipart/alternative',
      request: inboundRequest(readFixture('multipart-alternative.eml')),
      expect: {
        externalId: '3F2A9C1E-7B4D-4E8A-9C61-1D2E3F4A5B6C@example.com',
        from: { channel: 'email', address: 'ada.lovelace@example.com' },
        contentType: 'text',
      },
    },
    {
      name: 'attachments',
      request: inboundRequest(readFixture('attachments.eml')),
      expect: { externalId: 'CAFx9s=RtY2b7c1Lq@mail.gmail.com', contentType: 'text' },
    },
    {
      name: 'GB2312 quoted-printable',
      request: inboundRequest(readFixture('gb2312-quoted-printable.eml')),
      expect: { from: { channel: 'email', address: 'wang.xiaoming@example.cn' } },
    },
    { name: 'auto-reply', request: inboundRequest(readFixture('auto-reply.eml')) },
    { name: 'malformed but readable', request: inboundRequest(readFixture('malformed.eml')) },
    { name: 'customer reply', request: inboundRequest(readFixture('customer-reply.eml')) },
  ],
  badSignature: [
    {
      ...inboundRequest(readFixture('customer-reply.eml')),
      headers: { 'content-type': 'message/rfc822' },
    },
    {
      ...inboundRequest(readFixture('customer-reply.eml')),
      headers: { 'content-type': 'message/rfc822', [emailSignatureHeader]: 'sha256=forged' },
    },
    {
      ...inboundRequest(readFixture('customer-reply.eml')),
      headers: {
        'content-type': 'message/rfc822',
        [emailSignatureHeader]: signInboundEmail(
          'another-secret',
          readFixture('customer-reply.eml').toString('utf8'),
        ),
      },
    },
  ],
  sign,
  malformed: [
    inboundRequest(''),
    inboundRequest('To: support@acme.example\r\nSubject: no sender\r\n\r\nHello\r\n'),
    inboundRequest('From: not an address\r\nSubject: bad sender\r\n\r\nHello\r\n'),
    inboundRequest('{"from":"ada@example.com"}', 'application/json'),
  ],
  statuses: [
    {
      providerStatus: 'DSN Action: failed',
      expected: 'failed',
      request: (externalId) => inboundRequest(deliveryReport(externalId, 'failed', '5.1.1')),
    },
    {
      providerStatus: 'DSN Action: delivered',
      expected: 'delivered',
      request: (externalId) => inboundRequest(deliveryReport(externalId, 'delivered', '2.0.0')),
    },
    {
      providerStatus: 'DSN Action: relayed',
      expected: 'sent',
      request: (externalId) => inboundRequest(deliveryReport(externalId, 'relayed', '2.0.0')),
    },
    {
      providerStatus: 'MDN Disposition: displayed',
      expected: 'read',
      request: (externalId) => inboundRequest(readReceipt(externalId)),
    },
  ],
  replyTo: (externalId) => inboundRequest(reply(externalId)),
  recipient: { channel: 'email', address: 'ada.lovelace@example.com' },
  mediaUrl: media.url('/cat.png'),
  provider: {
    sent: () => sink.messages.map((message) => ({ externalId: message.externalId })),
    failNext(failure) {
      switch (failure.kind) {
        case 'rate_limited':
          sink.failNext(
            451,
            `4.7.1 Too many messages, try again in ${Math.round(failure.retryAfterMs / 1000)} seconds`,
          );
          break;
        case 'unavailable':
          sink.failNext(421, '4.3.2 Service not available, closing transmission channel');
          break;
        case 'rejected':
          sink.failNext(550, '5.1.1 <ada.lovelace@example.com>: Recipient address rejected');
          break;
      }
    },
    reset: () => sink.reset(),
  },
};

testConnector({
  name: 'EmailConnector',
  connector: () =>
    createEmailConnector({
      from: 'Acme Support <support@acme.example>',
      smtpUrl: sink.url,
      inboundSecret: secret,
      env: {},
    }),
  fixtures,
});
