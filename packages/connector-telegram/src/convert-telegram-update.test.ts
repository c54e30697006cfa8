import type { InboundEvent, InboundMessage } from '@threadline/connector-kit';
import { inboundEventSchema } from '@threadline/connector-kit';
import { describe, expect, it } from 'vitest';
import { convertTelegramUpdate } from './convert-telegram-update.js';
import { parseTelegramUpdate } from './telegram-update-schema.js';
import { fixtureUpdate } from './test-support/fixtures.js';

const context = { botId: '7012345678' };
const ada = { channel: 'telegram', address: '412345678' };
const grace = { channel: 'telegram', address: '598765432' };
const bot = { channel: 'telegram', address: '7012345678' };

function convert(name: string): InboundEvent {
  const event = convertTelegramUpdate(fixtureUpdate(name), context);
  expect(inboundEventSchema.safeParse(event).success).toBe(true);
  return event;
}

function convertMessage(name: string): InboundMessage {
  const event = convert(name);
  if (event.type !== 'message') throw new Error(`${name}: expected a message, got ${event.type}`);
  return event.message;
}

describe('convertTelegramUpdate: private messages', () => {
  it('reads a text message with its entities, sender, time and chat', () => {
    const message = convertMessage('private-text');
    expect(message.externalId).toBe('412345678:101');
    expect(message.from).toEqual(ada);
    expect(message.to).toEqual(bot);
    // a private chat's id is the user's id: the conversation follows the sender
    expect(message.conversationAddress).toBeUndefined();
    expect(message.createdAt).toBe('2025-11-22T09:00:00.000Z');
    expect(message.senderName).toBe('Ada Lovelace');
    expect(message.replyToExternalId).toBeUndefined();
    expect(message.identityClaims).toBeUndefined();
    expect(message.content).toEqual({
      type: 'text',
      text: "Hi! My order #8812 hasn't arrived. Tracking: https://track.example.com/8812",
    });
    expect(message.channelData).toEqual({
      username: 'ada_l',
      languageCode: 'en',
      chatType: 'private',
      entities: [
        { offset: 0, length: 3, type: 'bold' },
        { offset: 45, length: 30, type: 'url' },
      ],
    });
  });

  it('keeps the payload of a /start deep link', () => {
    const message = convertMessage('start-deep-link');
    expect(message.externalId).toBe('412345678:102');
    expect(message.content).toEqual({ type: 'text', text: '/start order-8812_web' });
    expect(message.channelData).toMatchObject({
      command: 'start',
      startPayload: 'order-8812_web',
    });
  });

  it('reads a bare /start and a command addressed to the bot by name', () => {
    const bare = withText('/start');
    expect(bare.channelData).toMatchObject({ command: 'start' });
    expect(bare.channelData).not.toHaveProperty('startPayload');
    const named = withText('/start@acme_support_bot ref-42');
    expect(named.channelData).toMatchObject({ command: 'start', startPayload: 'ref-42' });
    const help = withText('/help billing');
    expect(help.channelData).toMatchObject({ command: 'help', commandArgument: 'billing' });
    expect(withText('not /start').channelData).not.toHaveProperty('command');
  });

  it('reads a photo sent in four sizes as one image: the largest', () => {
    const message = convertMessage('photo');
    expect(message.externalId).toBe('412345678:103');
    expect(message.content).toEqual({
      type: 'media',
      kind: 'image',
      mediaId: 'AgACAgQAAxkBAAMFZ0Ptj1aB9xYAAQ1-original',
      mimeType: 'image/jpeg',
      size: 161503,
      caption: 'The box arrived crushed',
    });
    expect(message.channelData).toMatchObject({
      width: 1280,
      height: 960,
      fileUniqueId: 'AQADyK0xG1aB9xUB',
      captionEntities: [{ offset: 16, length: 7, type: 'italic' }],
    });
  });

  it('picks the largest photo size whatever order the sizes come in', () => {
    const update = JSON.parse(JSON.stringify(fixtureUpdate('photo'))) as {
      message: { photo: unknown[] };
    };
    update.message.photo.reverse();
    const event = convertTelegramUpdate(parseTelegramUpdate(update), context);
    expect(event.type === 'message' && event.message.content).toMatchObject({
      mediaId: 'AgACAgQAAxkBAAMFZ0Ptj1aB9xYAAQ1-original',
    });
  });

  it('reads a document with its file name, type and size', () => {
    const message = convertMessage('document');
    expect(message.content).toEqual({
      type: 'media',
      kind: 'file',
      mediaId: 'BQACAgQAAxkBAAMGZ0PtqY3-invoice',
      mimeType: 'application/pdf',
      filename: 'invoice-8812.pdf',
      size: 48213,
    });
  });

  it('reads audio, a voice note and a video', () => {
    const audio = convertMessage('audio');
    expect(audio.content).toEqual({
      type: 'media',
      kind: 'audio',
      mediaId: 'CQACAgQAAxkBAAMHZ0Pt3-audio',
      mimeType: 'audio/mpeg',
      filename: 'hold-music.mp3',
      size: 2993211,
    });
    expect(audio.channelData).toMatchObject({
      performer: 'Acme',
      title: 'Hold music',
      duration: 187,
    });

    const voice = convertMessage('voice');
    expect(voice.content).toEqual({
      type: 'media',
      kind: 'audio',
      mediaId: 'AwACAgQAAxkBAAMIZ0Pt8-voice',
      mimeType: 'audio/ogg',
      size: 15322,
    });
    expect(voice.channelData).toMatchObject({ voice: true, duration: 4 });

    const video = convertMessage('video');
    expect(video.content).toEqual({
      type: 'media',
      kind: 'video',
      mediaId: 'BAACAgQAAxkBAAMJZ0Pu-video',
      mimeType: 'video/mp4',
      filename: 'unboxing.mp4',
      size: 3381027,
      caption: 'See the dent at 0:07',
    });
  });

  it('reads an animation as a video, not as the document Telegram also sends', () => {
    const message = convertMessage('animation');
    expect(message.content).toMatchObject({
      type: 'media',
      kind: 'video',
      mediaId: 'CgACAgQAAxkBAAMKZ0Pu-gif',
      mimeType: 'video/mp4',
    });
    expect(message.channelData).toMatchObject({ animation: true });
  });

  it('reads a sticker with its emoji', () => {
    const message = convertMessage('sticker');
    expect(message.content).toEqual({
      type: 'media',
      kind: 'sticker',
      mediaId: 'CAACAgIAAxkBAAMLZ0Pu-sticker',
      mimeType: 'image/webp',
      size: 28764,
    });
    expect(message.channelData).toMatchObject({ emoji: '👍', stickerSet: 'HotCherry' });
  });

  it('reads a location and a venue', () => {
    expect(convertMessage('location').content).toEqual({
      type: 'location',
      latitude: 48.858244,
      longitude: 2.294528,
    });
    expect(convertMessage('venue').content).toEqual({
      type: 'location',
      latitude: 51.501364,
      longitude: -0.14189,
      name: 'Acme pickup point',
      address: 'Buckingham Palace Rd, London',
    });
  });
});

describe('convertTelegramUpdate: contact shares', () => {
  it("links the sender's own shared number to SMS and WhatsApp, verified", () => {
    const message = convertMessage('contact-self');
    expect(message.from).toEqual(ada);
    expect(message.content).toEqual({
      type: 'contact',
      name: 'Ada Lovelace',
      phones: ['+14155550123'],
      emails: [],
    });
    expect(message.identityClaims).toEqual([
      {
        address: { channel: 'sms', address: '+14155550123' },
        verified: true,
        source: 'contact_share',
      },
      {
        address: { channel: 'whatsapp', address: '+14155550123' },
        verified: true,
        source: 'contact_share',
      },
    ]);
  });

  it("keeps someone else's contact as contact content, with no identity claim", () => {
    const message = convertMessage('contact-other');
    expect(message.content).toEqual({
      type: 'contact',
      name: 'Charles Babbage',
      phones: ['+447700900123'],
      emails: [],
    });
    expect(message.identityClaims).toBeUndefined();
  });

  it('claims nothing for an own contact whose number cannot be read', () => {
    const update = JSON.parse(JSON.stringify(fixtureUpdate('contact-self'))) as {
      message: { contact: { phone_number: string } };
    };
    update.message.contact.phone_number = '12';
    const event = convertTelegramUpdate(parseTelegramUpdate(update), context);
    expect(event.type === 'message' && event.message.identityClaims).toBeUndefined();
    expect(event.type === 'message' && event.message.content).toMatchObject({ phones: ['12'] });
  });
});

describe('convertTelegramUpdate: edits, buttons and replies', () => {
  it('reads edited_message as an edit of the stored message, not a new message', () => {
    const event = convert('edited-message');
    expect(event).toEqual({
      type: 'edit',
      externalId: '412345678:101',
      content: {
        type: 'text',
        text: "Hi! My order #8812 hasn't arrived yet. Tracking: https://track.example.com/8812",
      },
      editedAt: '2025-11-22T09:01:00.000Z',
    });
  });

  it('reads a callback query as a postback naming the pressed button', () => {
    const message = convertMessage('callback-query');
    expect(message.externalId).toBe('callback:1771086397523490146');
    expect(message.from).toEqual(ada);
    expect(message.to).toEqual(bot);
    expect(message.conversationAddress).toBeUndefined();
    expect(message.content).toEqual({
      type: 'postback',
      payload: 'handoff',
      title: 'Talk to a person',
    });
    // the press answers the message that carried the buttons
    expect(message.replyToExternalId).toBe('412345678:120');
    // a callback query carries no time: the gateway stamps it on receipt
    expect(message.createdAt).toBeUndefined();
    expect(message.channelData).toMatchObject({ callbackQueryId: '1771086397523490146' });
  });

  it('reads a group message: the conversation follows the chat, the sender is kept', () => {
    const message = convertMessage('group-text');
    expect(message.externalId).toBe('-4051234567:121');
    expect(message.from).toEqual(grace);
    expect(message.conversationAddress).toEqual({ channel: 'telegram', address: '-4051234567' });
    expect(message.senderName).toBe('Grace');
    expect(message.channelData).toMatchObject({
      chatType: 'group',
      chatTitle: 'Acme support',
      entities: [{ offset: 0, length: 17, type: 'mention' }],
    });
  });

  it('reads a supergroup reply with the id of the message it answers', () => {
    const message = convertMessage('supergroup-reply');
    expect(message.externalId).toBe('-1002051234567:2231');
    expect(message.from).toEqual(grace);
    expect(message.conversationAddress).toEqual({
      channel: 'telegram',
      address: '-1002051234567',
    });
    expect(message.replyToExternalId).toBe('-1002051234567:2229');
    expect(message.createdAt).toBe('2025-11-22T09:00:00.000Z');
  });

  it('does not take the topic opener of a forum topic for a reply, and keeps the topic', () => {
    const message = convertMessage('forum-topic-message');
    expect(message.replyToExternalId).toBeUndefined();
    expect(message.channelData).toMatchObject({ messageThreadId: 41, chatType: 'supergroup' });
  });
});

describe('convertTelegramUpdate: updates it does not act on', () => {
  it('acknowledges a membership change (the user blocked the bot) as ignored', () => {
    expect(convert('my-chat-member-blocked')).toEqual({
      type: 'ignored',
      kind: 'my_chat_member',
      reason: "a change of the bot's membership (the user blocked, unblocked or added it)",
    });
  });

  it('ignores a poll, naming its kind', () => {
    expect(convert('poll-message')).toMatchObject({ type: 'ignored', kind: 'message.poll' });
  });

  it('ignores channel posts', () => {
    expect(convert('channel-post')).toMatchObject({ type: 'ignored', kind: 'channel_post' });
  });

  it('ignores update kinds it has never heard of', () => {
    const event = convertTelegramUpdate(
      parseTelegramUpdate({ update_id: 1, business_message_reaction: { emoji: '🔥' } }),
    );
    expect(event).toMatchObject({ type: 'ignored', kind: 'business_message_reaction' });
  });

  it('ignores a game button press, which carries no button data', () => {
    const update = JSON.parse(JSON.stringify(fixtureUpdate('callback-query'))) as {
      callback_query: Record<string, unknown>;
    };
    delete update.callback_query['data'];
    update.callback_query['game_short_name'] = 'quiz';
    expect(convertTelegramUpdate(parseTelegramUpdate(update))).toMatchObject({
      type: 'ignored',
      kind: 'callback_query',
    });
  });
});

describe('parseTelegramUpdate', () => {
  it('names the path of a malformed field', () => {
    const update = JSON.parse(JSON.stringify(fixtureUpdate('private-text'))) as {
      message: { chat: Record<string, unknown> };
    };
    update.message.chat['id'] = 'not-a-number';
    expect(() => parseTelegramUpdate(update)).toThrow(
      expect.objectContaining({ code: 'payload_invalid', path: 'message.chat.id' }),
    );
  });

  it('refuses an update without an update_id', () => {
    expect(() => parseTelegramUpdate({ message: {} })).toThrow(
      expect.objectContaining({ code: 'payload_invalid', path: 'update_id' }),
    );
  });
});

function withText(text: string): InboundMessage {
  const update = JSON.parse(JSON.stringify(fixtureUpdate('private-text'))) as {
    message: Record<string, unknown>;
  };
  update.message['text'] = text;
  delete update.message['entities'];
  const event = convertTelegramUpdate(parseTelegramUpdate(update), context);
  if (event.type !== 'message') throw new Error('expected a message');
  return event.message;
}
