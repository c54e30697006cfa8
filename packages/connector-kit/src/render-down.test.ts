import type { Content } from '@threadline/schema';
import { describe, expect, it } from 'vitest';
import { defineCapabilities, textOnlyCapabilities } from './capabilities.js';
import type { ConnectorError } from './errors.js';
import { matchChoice, renderForChannel } from './render-down.js';
import { splitText } from './split-text.js';

const sms = textOnlyCapabilities;
const menu: Content = {
  type: 'interactive',
  text: 'What do you need?',
  buttons: [
    { id: 'track', title: 'Track my order' },
    { id: 'refund', title: 'Refund' },
    { id: 'human', title: 'Talk to a person' },
  ],
};

describe('render-down', () => {
  it('turns 3 buttons on an SMS-like channel into a numbered list', () => {
    const rendered = renderForChannel(menu, sms);
    expect(rendered.parts).toEqual([
      {
        type: 'text',
        text: 'What do you need?\n\n1. Track my order\n2. Refund\n3. Talk to a person\n\nReply with a number.',
      },
    ]);
    expect(rendered.choices?.map((choice) => choice.id)).toEqual(['track', 'refund', 'human']);
  });

  it('maps a reply of "2" (or the title) back to the second button as a postback', () => {
    const { choices } = renderForChannel(menu, sms);
    expect(matchChoice('2', choices!)).toEqual({
      type: 'postback',
      payload: 'refund',
      title: 'Refund',
    });
    expect(matchChoice(' 2. ', choices!)).toEqual({
      type: 'postback',
      payload: 'refund',
      title: 'Refund',
    });
    expect(matchChoice('refund', choices!)?.payload).toBe('refund');
    expect(matchChoice('4', choices!)).toBeUndefined();
    expect(matchChoice('I want a refund please', choices!)).toBeUndefined();
  });

  it('keeps buttons on a channel that has enough of them', () => {
    const buttons = defineCapabilities({ buttons: { max: 3, titleMaxLength: 20 } });
    expect(renderForChannel(menu, buttons)).toEqual({ parts: [menu], choices: null });
    const tooFew = defineCapabilities({ buttons: { max: 2, titleMaxLength: 20 } });
    expect(renderForChannel(menu, tooFew).choices).toHaveLength(3);
  });

  it('sends media on a text-only channel as a link', () => {
    const photo: Content = {
      type: 'media',
      kind: 'image',
      url: 'https://cdn.example.com/a.jpg',
      caption: 'Your parcel',
    };
    expect(renderForChannel(photo, sms).parts).toEqual([
      { type: 'text', text: 'Your parcel\nhttps://cdn.example.com/a.jpg' },
    ]);
    const mms = defineCapabilities({ media: ['image'], maxAttachments: 10 });
    expect(renderForChannel(photo, mms).parts).toEqual([photo]);
  });

  it('links attachments the channel cannot carry and keeps the ones it can', () => {
    const content: Content = {
      type: 'text',
      text: 'Both files',
      attachments: [
        { kind: 'image', url: 'https://cdn.example.com/a.png' },
        { kind: 'file', url: 'https://cdn.example.com/b.pdf' },
      ],
    };
    const rendered = renderForChannel(
      content,
      defineCapabilities({ media: ['image'], maxAttachments: 1 }),
    );
    expect(rendered.parts).toEqual([
      {
        type: 'text',
        text: 'Both files\nhttps://cdn.example.com/b.pdf',
        attachments: [{ kind: 'image', url: 'https://cdn.example.com/a.png' }],
      },
    ]);
  });

  it('splits a 2,000-character text on a 1,600-character channel into 2 parts in order', () => {
    const words = Array.from({ length: 500 }, (_, index) => `w${String(index).padStart(3, '0')}`);
    const text = words.join(' ').slice(0, 2000);
    expect(text).toHaveLength(2000);
    const { parts } = renderForChannel({ type: 'text', text }, sms);
    expect(parts).toHaveLength(2);
    const texts = parts.map((part) => (part.type === 'text' ? part.text : ''));
    expect(texts.every((part) => part.length <= 1600)).toBe(true);
    expect(texts.join('')).toBe(text);
  });

  it('never splits inside an emoji', () => {
    const parts = splitText('😀'.repeat(5), 2);
    expect(parts).toEqual(['😀😀', '😀😀', '😀']);
  });

  it('renders locations and contact cards as text, and refuses templates', () => {
    const location = renderForChannel(
      { type: 'location', latitude: 1.5, longitude: 2.5, name: 'Depot' },
      sms,
    );
    expect(location.parts[0]).toMatchObject({
      type: 'text',
      text: expect.stringContaining('Depot\nhttps://www.openstreetmap.org/?mlat=1.5&mlon=2.5'),
    });
    const card = renderForChannel(
      { type: 'contact', name: 'Ada', phones: ['+14155550100'], emails: [] },
      sms,
    );
    expect(card.parts).toEqual([{ type: 'text', text: 'Ada\n+14155550100' }]);
    expect(() =>
      renderForChannel(
        { type: 'template', name: 'hi', language: 'en', parameters: [] },
        sms,
        'sms',
      ),
    ).toThrowError(
      expect.objectContaining({ code: 'unsupported_content' }) as unknown as ConnectorError,
    );
  });
});
