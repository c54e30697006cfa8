import type { OutboundMessage } from '@threadline/connector-kit';
import type { Content } from '@threadline/schema';
import { describe, expect, it } from 'vitest';
import { convertToWhatsAppCloudMessages } from './convert-to-whatsapp-cloud-messages.js';

const to = { channel: 'whatsapp', address: '+14155550100' };
const envelope = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '14155550100' };

function convert(content: Content, extra: Partial<OutboundMessage> = {}) {
  return convertToWhatsAppCloudMessages({ to, content, ...extra });
}

describe('convertToWhatsAppCloudMessages', () => {
  it('sends text without link previews', () => {
    expect(convert({ type: 'text', text: 'Your parcel left the depot' })).toEqual([
      {
        ...envelope,
        type: 'text',
        text: { body: 'Your parcel left the depot', preview_url: false },
      },
    ]);
  });

  it('puts the reply context on the message', () => {
    const [body] = convert({ type: 'text', text: 'Yes' }, { replyToExternalId: 'wamid.in-1' });
    expect(body?.context).toEqual({ message_id: 'wamid.in-1' });
  });

  it('sends media by link, with caption and filename where Meta takes them', () => {
    expect(
      convert({
        type: 'media',
        kind: 'file',
        url: 'https://media.example.com/invoice.pdf',
        filename: 'invoice.pdf',
        caption: 'Your invoice',
      }),
    ).toEqual([
      {
        ...envelope,
        type: 'document',
        document: {
          link: 'https://media.example.com/invoice.pdf',
          filename: 'invoice.pdf',
          caption: 'Your invoice',
        },
      },
    ]);
  });

  it('sends the caption of audio as a following text, since audio carries none', () => {
    expect(
      convert(
        {
          type: 'media',
          kind: 'audio',
          url: 'https://media.example.com/hello.ogg',
          caption: 'Listen',
        },
        { replyToExternalId: 'wamid.in-1' },
      ),
    ).toEqual([
      {
        ...envelope,
        context: { message_id: 'wamid.in-1' },
        type: 'audio',
        audio: { link: 'https://media.example.com/hello.ogg' },
      },
      { ...envelope, type: 'text', text: { body: 'Listen', preview_url: false } },
    ]);
  });

  it('sends a caption longer than 1,024 characters as a following text', () => {
    const caption = 'c'.repeat(1025);
    const bodies = convert({
      type: 'media',
      kind: 'image',
      url: 'https://media.example.com/a.png',
      caption,
    });
    expect(bodies.map((body) => body.type)).toEqual(['image', 'text']);
    expect(bodies[0]?.image).toEqual({ link: 'https://media.example.com/a.png' });
  });

  it('sends text with one attachment as captioned media', () => {
    expect(
      convert({
        type: 'text',
        text: 'Here is the label',
        attachments: [{ kind: 'image', url: 'https://media.example.com/label.png' }],
      }),
    ).toEqual([
      {
        ...envelope,
        type: 'image',
        image: { link: 'https://media.example.com/label.png', caption: 'Here is the label' },
      },
    ]);
  });

  it('refuses media without a url', () => {
    expect(() => convert({ type: 'media', kind: 'image', mediaId: 'gateway-media-1' })).toThrow(
      expect.objectContaining({ code: 'unsupported_content' }),
    );
  });

  it('sends up to three reply buttons', () => {
    expect(
      convert({
        type: 'interactive',
        text: 'What would you like to do?',
        buttons: [
          { id: 'track', title: 'Track order' },
          { id: 'agent', title: 'Talk to us' },
        ],
      }),
    ).toEqual([
      {
        ...envelope,
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'What would you like to do?' },
          action: {
            buttons: [
              { type: 'reply', reply: { id: 'track', title: 'Track order' } },
              { type: 'reply', reply: { id: 'agent', title: 'Talk to us' } },
            ],
          },
        },
      },
    ]);
  });

  it('sends a list when the message asks for one', () => {
    const [body] = convert(
      {
        type: 'interactive',
        text: 'Pick a slot',
        buttons: [
          { id: 'slot-1', title: 'Monday 09:00' },
          { id: 'slot-2', title: 'Tuesday 10:00' },
        ],
      },
      { channelData: { whatsappList: { buttonText: 'See slots', sectionTitle: 'This week' } } },
    );
    expect(body?.interactive).toEqual({
      type: 'list',
      body: { text: 'Pick a slot' },
      action: {
        button: 'See slots',
        sections: [
          {
            title: 'This week',
            rows: [
              { id: 'slot-1', title: 'Monday 09:00' },
              { id: 'slot-2', title: 'Tuesday 10:00' },
            ],
          },
        ],
      },
    });
  });

  it('sends a template with its language and body parameters', () => {
    expect(
      convert({
        type: 'template',
        name: 'order_update',
        language: 'en_US',
        parameters: ['Ada', '1042'],
      }),
    ).toEqual([
      {
        ...envelope,
        type: 'template',
        template: {
          name: 'order_update',
          language: { code: 'en_US' },
          components: [
            {
              type: 'body',
              parameters: [
                { type: 'text', text: 'Ada' },
                { type: 'text', text: '1042' },
              ],
            },
          ],
        },
      },
    ]);
    const [plain] = convert({
      type: 'template',
      name: 'hello_world',
      language: 'en_US',
      parameters: [],
    });
    expect(plain?.template).toEqual({ name: 'hello_world', language: { code: 'en_US' } });
  });

  it('sends a location, a contact card and a reaction', () => {
    expect(
      convert({ type: 'location', latitude: 48.8584, longitude: 2.2945, name: 'Tower' })[0]
        ?.location,
    ).toEqual({ latitude: 48.8584, longitude: 2.2945, name: 'Tower' });
    expect(
      convert({
        type: 'contact',
        name: 'Grace Brewster Hopper',
        phones: ['+14155550123'],
        emails: [],
      })[0]?.contacts,
    ).toEqual([
      {
        name: {
          formatted_name: 'Grace Brewster Hopper',
          first_name: 'Grace',
          last_name: 'Brewster Hopper',
        },
        phones: [{ phone: '+14155550123' }],
        emails: [],
      },
    ]);
    expect(
      convert(
        { type: 'reaction', emoji: '🎉', targetId: 'wamid.in-1' },
        { replyToExternalId: 'wamid.in-1' },
      )[0],
    ).toEqual({
      ...envelope,
      type: 'reaction',
      reaction: { message_id: 'wamid.in-1', emoji: '🎉' },
    });
  });

  it('refuses a recipient that is not a phone number', () => {
    expect(() =>
      convertToWhatsAppCloudMessages({
        to: { channel: 'whatsapp', address: 'group:120363025246125486' },
        content: { type: 'text', text: 'x' },
      }),
    ).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
