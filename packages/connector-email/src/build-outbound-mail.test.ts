import type { OutboundMessage } from '@threadline/connector-kit';
import { describe, expect, it } from 'vitest';
import { buildOutboundMail, replySubject, textToHtml } from './build-outbound-mail.js';

const settings = {
  from: { address: 'support@acme.example', name: 'Acme Support' },
  messageIdDomain: 'acme.example',
  defaultSubject: 'Message from Acme Support',
};

const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => ({
  id: '01J8Z4K7Q9X2M3N4P5R6S7T8V9',
  conversationId: 'c1',
  to: { channel: 'email', address: 'ada@example.com' },
  content: { type: 'text', text: 'Your parcel is on its way.' },
  ...overrides,
});

describe('buildOutboundMail', () => {
  it('starts a thread: our Message-ID, the subject asked for, text and HTML parts', () => {
    const { externalId, mail } = buildOutboundMail(
      message({ channelData: { subject: 'Order 1234' } }),
      settings,
    );
    expect(externalId).toBe('threadline.01J8Z4K7Q9X2M3N4P5R6S7T8V9@acme.example');
    expect(mail).toMatchObject({
      from: { name: 'Acme Support', address: 'support@acme.example' },
      to: 'ada@example.com',
      subject: 'Order 1234',
      messageId: '<threadline.01J8Z4K7Q9X2M3N4P5R6S7T8V9@acme.example>',
      text: 'Your parcel is on its way.',
      dsn: {
        id: 'threadline.01J8Z4K7Q9X2M3N4P5R6S7T8V9@acme.example',
        return: 'headers',
        notify: ['FAILURE', 'DELAY'],
        recipient: 'ada@example.com',
      },
    });
    expect(mail.html).toContain('<p>Your parcel is on its way.</p>');
    expect(mail).not.toHaveProperty('inReplyTo');
    expect(mail).not.toHaveProperty('references');
    expect(mail.disableUrlAccess).toBe(true);
    expect(mail.disableFileAccess).toBe(true);
  });

  it('uses the default subject when none is given', () => {
    expect(buildOutboundMail(message(), settings).mail.subject).toBe('Message from Acme Support');
  });

  it('replies in the thread: In-Reply-To, References and a Re: subject', () => {
    const { mail } = buildOutboundMail(
      message({
        replyToExternalId: 'CAFx9s=Qm1Z8@mail.gmail.com',
        threadExternalIds: ['root@example.com', 'threadline.m1@acme.example'],
        channelData: { subject: 'RE: AW: Order 1234' },
      }),
      settings,
    );
    expect(mail.inReplyTo).toBe('<CAFx9s=Qm1Z8@mail.gmail.com>');
    expect(mail.references).toEqual([
      '<root@example.com>',
      '<threadline.m1@acme.example>',
      '<CAFx9s=Qm1Z8@mail.gmail.com>',
    ]);
    expect(mail.subject).toBe('Re: Order 1234');
  });

  it('replies to the latest message of the thread when no message is named', () => {
    const { mail } = buildOutboundMail(
      message({ threadExternalIds: ['<a@example.com>', 'b@example.com', 'a@example.com'] }),
      settings,
    );
    expect(mail.inReplyTo).toBe('<b@example.com>');
    expect(mail.references).toEqual(['<a@example.com>', '<b@example.com>']);
  });

  it('keeps the thread root and the latest ids of a long thread', () => {
    const ids = Array.from({ length: 30 }, (_, index) => `m${index}@example.com`);
    const { mail } = buildOutboundMail(message({ threadExternalIds: ids }), settings);
    const references = mail.references as string[];
    expect(references).toHaveLength(20);
    expect(references[0]).toBe('<m0@example.com>');
    expect(references.at(-1)).toBe('<m29@example.com>');
  });

  it('attaches fetched files and lists the rest as links in both parts', () => {
    const { mail } = buildOutboundMail(
      message({
        content: { type: 'media', kind: 'image', url: 'https://m.example/a.png', caption: 'Label' },
      }),
      settings,
      {
        files: [{ filename: 'a.png', contentType: 'image/png', content: Buffer.from('png') }],
        links: [
          {
            label: 'manual.pdf',
            url: 'https://m.example/manual.pdf',
            reason: 'too large to attach',
          },
        ],
      },
    );
    expect(mail.text).toBe('Label\n\nmanual.pdf: https://m.example/manual.pdf');
    expect(mail.html).toContain('<a href="https://m.example/manual.pdf">manual.pdf</a>');
    expect(mail.attachments).toEqual([
      { filename: 'a.png', contentType: 'image/png', content: Buffer.from('png') },
    ]);
  });
});

describe('replySubject', () => {
  it.each([
    ['Order 1234', 'Re: Order 1234'],
    ['Re: Order 1234', 'Re: Order 1234'],
    ['RE: Re[2]: AW: Sv: Order 1234', 'Re: Order 1234'],
    ['回复：订单', 'Re: 订单'],
    ['Fwd: Order 1234', 'Re: Fwd: Order 1234'],
  ])('%s → %s', (subject, expected) => {
    expect(replySubject(subject)).toBe(expected);
  });
});

describe('textToHtml', () => {
  it('escapes the text and keeps paragraphs and line breaks', () => {
    expect(textToHtml('a < b & "c"\nnext\n\nsecond')).toContain(
      '<p>a &lt; b &amp; &quot;c&quot;<br>\nnext</p>\n<p>second</p>',
    );
  });
});
