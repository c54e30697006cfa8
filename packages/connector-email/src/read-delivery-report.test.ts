import { describe, expect, it } from 'vitest';
import {
  mapDeliveryReport,
  readDeliveryStatus,
  readDispositionNotification,
} from './read-delivery-report.js';

const postfixReport = [
  'Reporting-MTA: dns; mail.acme.example',
  'Original-Envelope-Id: threadline.m1@acme.example',
  'Arrival-Date: Tue,  5 Mar 2024 09:14:01 +0000 (UTC)',
  '',
  'Final-Recipient: rfc822; nobody@example.net',
  'Action: failed',
  'Status: 5.1.1',
  'Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: Recipient address',
  '    rejected: User unknown',
  '',
].join('\r\n');

describe('readDeliveryStatus', () => {
  it('reads per-message and per-recipient fields, unfolding continuation lines', () => {
    expect(readDeliveryStatus(postfixReport)).toEqual({
      originalEnvelopeId: 'threadline.m1@acme.example',
      reportingMta: 'mail.acme.example',
      recipients: [
        {
          action: 'failed',
          status: '5.1.1',
          diagnostic: '550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown',
          finalRecipient: 'nobody@example.net',
        },
      ],
    });
  });

  it('reads several recipients and Exchange-style status comments', () => {
    const report = readDeliveryStatus(
      [
        'Reporting-MTA: dns;AM0PR07MB6402.eurprd07.prod.outlook.com',
        '',
        'Final-recipient: RFC822; a@example.com',
        'Action: delivered',
        'Status: 2.0.0',
        '',
        'Final-recipient: RFC822; b@example.com',
        'Action: Delayed',
        'Status: 4.4.7 (persistent transient failure)',
      ].join('\n'),
    );
    expect(report.recipients).toEqual([
      { action: 'delivered', status: '2.0.0', finalRecipient: 'a@example.com' },
      { action: 'delayed', status: '4.4.7', finalRecipient: 'b@example.com' },
    ]);
  });
});

describe('mapDeliveryReport', () => {
  const recipient = (action: string) => ({ action, status: '2.0.0' });
  it.each([
    ['failed', 'failed'],
    ['delivered', 'delivered'],
    ['expanded', 'delivered'],
    ['relayed', 'sent'],
  ] as const)('maps %s to %s', (action, status) => {
    expect(mapDeliveryReport({ recipients: [recipient(action)] })).toMatchObject({ status });
  });

  it('fails the message when any recipient failed', () => {
    const outcome = mapDeliveryReport({
      recipients: [recipient('delivered'), { action: 'failed', status: '5.2.2' }],
    });
    expect(outcome).toEqual({ status: 'failed', recipient: { action: 'failed', status: '5.2.2' } });
  });

  it('changes nothing for a delay, saying why', () => {
    expect(mapDeliveryReport({ recipients: [{ action: 'delayed', status: '4.4.7' }] })).toEqual({
      status: null,
      reason: 'delivery delayed (4.4.7): the server keeps trying',
    });
  });

  it('changes nothing for a report without recipients', () => {
    expect(mapDeliveryReport({ recipients: [] }).status).toBeNull();
  });
});

describe('readDispositionNotification', () => {
  it('reads the original Message-ID and the disposition type', () => {
    expect(
      readDispositionNotification(
        [
          'Reporting-UA: mail.example.com; Thunderbird 115',
          'Final-Recipient: rfc822;ada@example.com',
          'Original-Message-ID: <threadline.m1@acme.example>',
          'Disposition: manual-action/MDN-sent-manually; displayed',
        ].join('\r\n'),
      ),
    ).toEqual({ originalMessageId: '<threadline.m1@acme.example>', disposition: 'displayed' });
  });
});
