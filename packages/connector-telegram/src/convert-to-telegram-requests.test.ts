import type { OutboundMessage } from '@threadline/connector-kit';
import type { Content } from '@threadline/schema';
import { describe, expect, it } from 'vitest';
import { convertToTelegramRequests } from './convert-to-telegram-requests.js';

function outbound(content: Content, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    id: 'msg-1',
    conversationId: 'conv-1',
    to: { channel: 'telegram', address: '412345678' },
    content,
    ...extra,
  };
}

describe('convertToTelegramRequests', () => {
  it('sends text plain, with no parse_mode, so user text cannot break formatting', () => {
    const text = 'Use *bold* and <b>tags</b> and _under_scores_ freely [x](y)';
    expect(convertToTelegramRequests(outbound({ type: 'text', text }))).toEqual([
      { method: 'sendMessage', payload: { chat_id: '412345678', text } },
    ]);
  });

  it('replies to the message id part of a `<chat>:<message>` external id', () => {
    const [request] = convertToTelegramRequests(
      outbound({ type: 'text', text: 'On it' }, { replyToExternalId: '412345678:101' }),
    );
    expect(request?.payload).toEqual({
      chat_id: '412345678',
      text: 'On it',
      reply_parameters: { message_id: 101, allow_sending_without_reply: true },
    });
  });

  it('names the chat when the original is in another chat, and skips foreign ids', () => {
    const [other] = convertToTelegramRequests(
      outbound({ type: 'text', text: 'x' }, { replyToExternalId: '-1002051234567:2229' }),
    );
    expect(other?.payload.reply_parameters).toEqual({
      message_id: 2229,
      chat_id: '-1002051234567',
    });
    const [foreign] = convertToTelegramRequests(
      outbound({ type: 'text', text: 'x' }, { replyToExternalId: 'callback:1771086397523490146' }),
    );
    expect(foreign?.payload).not.toHaveProperty('reply_parameters');
  });

  it('sends into a forum topic named in channelData', () => {
    const [request] = convertToTelegramRequests(
      outbound(
        { type: 'text', text: 'x' },
        {
          to: { channel: 'telegram', address: '-1002059876543' },
          channelData: { messageThreadId: 41 },
        },
      ),
    );
    expect(request?.payload).toMatchObject({ chat_id: '-1002059876543', message_thread_id: 41 });
  });

  it('sends each media kind by URL with the matching method', () => {
    const url = 'https://media.example.com/file';
    const cases: Array<[Content, string, string]> = [
      [{ type: 'media', kind: 'image', url, caption: 'c' }, 'sendPhoto', 'photo'],
      [{ type: 'media', kind: 'file', url, caption: 'c' }, 'sendDocument', 'document'],
      [{ type: 'media', kind: 'audio', url, mimeType: 'audio/mpeg' }, 'sendAudio', 'audio'],
      [
        { type: 'media', kind: 'audio', url, mimeType: 'audio/ogg; codecs=opus' },
        'sendVoice',
        'voice',
      ],
      [{ type: 'media', kind: 'video', url, caption: 'c' }, 'sendVideo', 'video'],
      [{ type: 'media', kind: 'sticker', url }, 'sendSticker', 'sticker'],
    ];
    for (const [content, method, field] of cases) {
      const requests = convertToTelegramRequests(outbound(content));
      expect(requests).toHaveLength(1);
      expect(requests[0]?.method).toBe(method);
      expect(requests[0]?.payload).toMatchObject({ chat_id: '412345678', [field]: url });
      const caption = content.type === 'media' ? content.caption : undefined;
      if (caption) expect(requests[0]?.payload).toMatchObject({ caption });
    }
  });

  it('sends a Telegram file_id again when media has no URL', () => {
    const [request] = convertToTelegramRequests(
      outbound({ type: 'media', kind: 'image', mediaId: 'AgACAgQAAxkBAAMF' }),
    );
    expect(request).toEqual({
      method: 'sendPhoto',
      payload: { chat_id: '412345678', photo: 'AgACAgQAAxkBAAMF' },
    });
  });

  it('sends text with one attachment as the media with the text as caption', () => {
    const [request, ...rest] = convertToTelegramRequests(
      outbound({
        type: 'text',
        text: 'Your invoice',
        attachments: [{ kind: 'file', url: 'https://media.example.com/invoice.pdf' }],
      }),
    );
    expect(rest).toEqual([]);
    expect(request).toEqual({
      method: 'sendDocument',
      payload: {
        chat_id: '412345678',
        document: 'https://media.example.com/invoice.pdf',
        caption: 'Your invoice',
      },
    });
  });

  it('sends a caption too long for Telegram as a text after the media; only the first replies', () => {
    const caption = 'c'.repeat(1025);
    const requests = convertToTelegramRequests(
      outbound(
        { type: 'media', kind: 'image', url: 'https://media.example.com/a.png', caption },
        { replyToExternalId: '412345678:7' },
      ),
    );
    expect(requests).toEqual([
      {
        method: 'sendPhoto',
        payload: {
          chat_id: '412345678',
          photo: 'https://media.example.com/a.png',
          reply_parameters: { message_id: 7, allow_sending_without_reply: true },
        },
      },
      { method: 'sendMessage', payload: { chat_id: '412345678', text: caption } },
    ]);
  });

  it('sends a sticker caption as a text after the sticker (stickers take none)', () => {
    const requests = convertToTelegramRequests(
      outbound({ type: 'media', kind: 'sticker', url: 'https://m.example/s.webp', caption: 'hi' }),
    );
    expect(requests.map((request) => request.method)).toEqual(['sendSticker', 'sendMessage']);
    expect(requests[0]?.payload).not.toHaveProperty('caption');
  });

  it('sends buttons as an inline keyboard, one row each, with the button id as callback_data', () => {
    const [request] = convertToTelegramRequests(
      outbound({
        type: 'interactive',
        text: 'How would you like to continue?',
        buttons: [
          { id: 'track_order', title: 'Track my order' },
          { id: 'handoff', title: 'Talk to a person' },
        ],
      }),
    );
    expect(request).toEqual({
      method: 'sendMessage',
      payload: {
        chat_id: '412345678',
        text: 'How would you like to continue?',
        reply_markup: {
          inline_keyboard: [
            [{ text: 'Track my order', callback_data: 'track_order' }],
            [{ text: 'Talk to a person', callback_data: 'handoff' }],
          ],
        },
      },
    });
  });

  it('refuses a button id longer than 64 bytes of callback_data', () => {
    // 22 three-byte characters: 22 characters, 66 bytes
    const id = '€'.repeat(22);
    expect(() =>
      convertToTelegramRequests(
        outbound({ type: 'interactive', text: 'Pick', buttons: [{ id, title: 'A' }] }),
      ),
    ).toThrow(expect.objectContaining({ code: 'unsupported_content' }));
    expect(
      convertToTelegramRequests(
        outbound({
          type: 'interactive',
          text: 'Pick',
          buttons: [{ id: 'x'.repeat(64), title: 'A' }],
        }),
      ),
    ).toHaveLength(1);
  });

  it('sends a location, or a venue when it has a name and an address', () => {
    expect(
      convertToTelegramRequests(outbound({ type: 'location', latitude: 48.85, longitude: 2.29 })),
    ).toEqual([
      {
        method: 'sendLocation',
        payload: { chat_id: '412345678', latitude: 48.85, longitude: 2.29 },
      },
    ]);
    expect(
      convertToTelegramRequests(
        outbound({
          type: 'location',
          latitude: 51.5,
          longitude: -0.14,
          name: 'Acme pickup point',
          address: 'Buckingham Palace Rd',
        }),
      ),
    ).toEqual([
      {
        method: 'sendVenue',
        payload: {
          chat_id: '412345678',
          latitude: 51.5,
          longitude: -0.14,
          title: 'Acme pickup point',
          address: 'Buckingham Palace Rd',
        },
      },
    ]);
  });

  it('sends a contact, with a vCard when it has more than one number or an email', () => {
    expect(
      convertToTelegramRequests(
        outbound({ type: 'contact', name: 'Ada', phones: ['+14155550100'], emails: [] }),
      ),
    ).toEqual([
      {
        method: 'sendContact',
        payload: { chat_id: '412345678', phone_number: '+14155550100', first_name: 'Ada' },
      },
    ]);
    const [card] = convertToTelegramRequests(
      outbound({
        type: 'contact',
        name: 'Ada King Lovelace',
        phones: ['+14155550100'],
        emails: ['ada@example.com'],
      }),
    );
    expect(card?.payload).toMatchObject({ first_name: 'Ada', last_name: 'King Lovelace' });
    expect(card?.payload).toHaveProperty(
      'vcard',
      'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada King Lovelace\r\nTEL;TYPE=CELL:+14155550100\r\nEMAIL:ada@example.com\r\nEND:VCARD',
    );
  });

  it('refuses a contact without a phone number and content that must be rendered first', () => {
    expect(() =>
      convertToTelegramRequests(outbound({ type: 'contact', name: 'Ada', phones: [], emails: [] })),
    ).toThrow(expect.objectContaining({ code: 'unsupported_content' }));
    expect(() => convertToTelegramRequests(outbound({ type: 'postback', payload: 'x' }))).toThrow(
      expect.objectContaining({ code: 'unsupported_content' }),
    );
  });
});
