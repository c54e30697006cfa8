import type { OutboundMessage } from '@threadline/connector-kit';
import type { Content } from '@threadline/schema';
import { describe, expect, it } from 'vitest';
import { buildTwilioMessageForm } from './build-twilio-message-form.js';

const message = (content: Content): OutboundMessage => ({
  id: 'msg_01',
  conversationId: 'conv_01',
  to: { channel: 'sms', address: '+14155550123' },
  content,
});
const callback = 'https://threadline.example.com/webhooks/sms/sms';

describe('buildTwilioMessageForm', () => {
  it('sends text from a number with a status callback', () => {
    const { form, segments, mediaCount } = buildTwilioMessageForm(
      message({ type: 'text', text: 'Your order shipped 📦' }),
      { fromNumber: '+14155550100' },
      callback,
    );
    expect(Array.from(form)).toEqual([
      ['To', '+14155550123'],
      ['From', '+14155550100'],
      ['Body', 'Your order shipped 📦'],
      ['StatusCallback', callback],
    ]);
    expect(segments).toEqual({ segments: 1, encoding: 'UCS-2', units: 21 });
    expect(mediaCount).toBe(0);
  });

  it('sends through a Messaging Service, without a status callback when none is known', () => {
    const { form } = buildTwilioMessageForm(
      message({ type: 'text', text: 'hi' }),
      { messagingServiceSid: 'MG2d7c0b5e9f1a4c3b8e6d0a9f7c5b3e1d' },
      undefined,
    );
    expect(Array.from(form)).toEqual([
      ['To', '+14155550123'],
      ['MessagingServiceSid', 'MG2d7c0b5e9f1a4c3b8e6d0a9f7c5b3e1d'],
      ['Body', 'hi'],
    ]);
  });

  it('repeats MediaUrl for each attachment of an MMS', () => {
    const { form, mediaCount } = buildTwilioMessageForm(
      message({
        type: 'text',
        text: 'Your receipts',
        attachments: [
          { kind: 'image', url: 'https://files.example.com/a.jpg' },
          { kind: 'file', url: 'https://files.example.com/b.pdf' },
        ],
      }),
      { fromNumber: '+14155550100' },
      callback,
    );
    expect(form.getAll('MediaUrl')).toEqual([
      'https://files.example.com/a.jpg',
      'https://files.example.com/b.pdf',
    ]);
    expect(mediaCount).toBe(2);
  });

  it('sends a media item with its caption as the body, or no body without one', () => {
    const captioned = buildTwilioMessageForm(
      message({
        type: 'media',
        kind: 'image',
        url: 'https://files.example.com/a.jpg',
        caption: 'Look',
      }),
      { fromNumber: '+14155550100' },
      undefined,
    );
    expect(captioned.form.get('Body')).toBe('Look');
    const bare = buildTwilioMessageForm(
      message({ type: 'media', kind: 'video', url: 'https://files.example.com/v.mp4' }),
      { fromNumber: '+14155550100' },
      undefined,
    );
    expect(bare.form.has('Body')).toBe(false);
    expect(bare.form.get('MediaUrl')).toBe('https://files.example.com/v.mp4');
    expect(bare.segments.segments).toBe(0);
  });

  it('refuses media without a public URL and empty messages', () => {
    expect(() =>
      buildTwilioMessageForm(
        message({ type: 'media', kind: 'image', mediaId: 'media_01' }),
        { fromNumber: '+14155550100' },
        undefined,
      ),
    ).toThrowError(expect.objectContaining({ code: 'unsupported_content' }));
    expect(() =>
      buildTwilioMessageForm(message({ type: 'text', text: '' }), { fromNumber: '+1' }, undefined),
    ).toThrowError(expect.objectContaining({ code: 'unsupported_content' }));
  });
});
