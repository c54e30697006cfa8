import { inboundEventSchema } from '@threadline/connector-kit';
import { describe, expect, it } from 'vitest';
import { convertWhatsAppWebEvent } from './convert-whatsapp-web-event.js';
import { mapWhatsAppWebAck } from './map-whatsapp-web-ack.js';
import { serializeWhatsAppWebMessage } from './serialize-whatsapp-web-event.js';
import {
  FakeWhatsAppWebClient,
  type RawMessageModel,
} from './test-support/fake-whatsapp-web-client.js';
import { readJsonFixture } from './test-support/read-fixture.js';
import { groupAddress, toWhatsAppWebChatId } from './whatsapp-web-address.js';

const client = new FakeWhatsAppWebClient();
const model = (name: string) => readJsonFixture<RawMessageModel>(`web/${name}.json`);
const ada = { channel: 'whatsapp', address: '+15551234567' };
const us = { channel: 'whatsapp', address: '+15550001111' };
const savedImage = {
  mediaId: 'media-7',
  url: 'https://gateway.test/v1/media/media-7',
  mimeType: 'image/jpeg',
  size: 48213,
};

function convert(...args: Parameters<typeof convertWhatsAppWebEvent>) {
  const events = convertWhatsAppWebEvent(...args);
  for (const event of events) expect(inboundEventSchema.safeParse(event).success).toBe(true);
  return events;
}

function received(name: string, extras: Parameters<typeof serializeWhatsAppWebMessage>[1] = {}) {
  const events = convert('message', {
    message: serializeWhatsAppWebMessage(client.message(model(name)), extras),
  });
  expect(events).toHaveLength(1);
  return events[0]!;
}

function receivedMessage(
  name: string,
  extras: Parameters<typeof serializeWhatsAppWebMessage>[1] = {},
) {
  const event = received(name, extras);
  if (event.type !== 'message') throw new Error(`expected a message, got ${event.type}`);
  return event.message;
}

describe('convertWhatsAppWebEvent: message', () => {
  it('reads a text: phone id to E.164, time, profile name, our number', () => {
    expect(receivedMessage('text')).toEqual({
      externalId: 'false_15551234567@c.us_3EB0A0B5C2D4E6F80912',
      from: ada,
      to: us,
      content: { type: 'text', text: 'Hi, my order #1042 has not arrived yet' },
      createdAt: '2025-11-22T09:00:00.000Z',
      senderName: 'Ada',
    });
  });

  it('reads an image saved by the gateway, with its caption (not the preview thumbnail)', () => {
    expect(receivedMessage('image', { media: savedImage }).content).toEqual({
      type: 'media',
      kind: 'image',
      mediaId: 'media-7',
      url: 'https://gateway.test/v1/media/media-7',
      mimeType: 'image/jpeg',
      size: 48213,
      caption: 'The parcel label',
    });
  });

  it('keeps media that could not be downloaded as its caption, and says so', () => {
    const message = receivedMessage('image');
    expect(message.content).toEqual({ type: 'text', text: 'The parcel label' });
    expect(message.channelData).toEqual({ mediaUnavailable: 'image' });
  });

  it('reads a voice note as audio marked as voice, and a document as a file', () => {
    const voice = receivedMessage('ptt', {
      media: { mediaId: 'media-8', mimeType: 'audio/ogg; codecs=opus', size: 11834 },
    });
    expect(voice.content).toEqual({
      type: 'media',
      kind: 'audio',
      mediaId: 'media-8',
      mimeType: 'audio/ogg; codecs=opus',
      size: 11834,
    });
    expect(voice.channelData).toEqual({ voice: true });
    expect(
      receivedMessage('document', {
        media: { mediaId: 'media-9', mimeType: 'application/pdf', filename: 'invoice-1042.pdf' },
      }).content,
    ).toEqual({
      type: 'media',
      kind: 'file',
      mediaId: 'media-9',
      mimeType: 'application/pdf',
      filename: 'invoice-1042.pdf',
      caption: 'My invoice',
    });
  });

  it('reads a location with the name and address WhatsApp puts in its description', () => {
    expect(receivedMessage('location').content).toEqual({
      type: 'location',
      latitude: 48.8584,
      longitude: 2.2945,
      name: 'Eiffel Tower',
      address: 'Champ de Mars, 75007 Paris',
    });
  });

  it('reads a vCard as a contact', () => {
    expect(receivedMessage('vcard').content).toEqual({
      type: 'contact',
      name: 'Grace Hopper',
      phones: ['+14155550123'],
      emails: ['grace@example.com'],
    });
  });

  it('reads a reply: the quoted message id is the one replied to', () => {
    const message = receivedMessage('reply', {
      quotedMessageId: 'true_15551234567@c.us_3EB0000000000000000A',
    });
    expect(message.replyToExternalId).toBe('true_15551234567@c.us_3EB0000000000000000A');
    expect(message.content).toEqual({ type: 'text', text: 'Yes, Tuesday works' });
  });

  it('keeps a group chat apart: the author is the sender, the group is the conversation', () => {
    expect(receivedMessage('group-text')).toEqual({
      externalId: 'false_120363025246125486@g.us_3EB01728394051627384_15557654321@c.us',
      from: { channel: 'whatsapp', address: '+15557654321' },
      to: us,
      conversationAddress: { channel: 'whatsapp', address: 'group:120363025246125486' },
      content: { type: 'text', text: 'Is the shop open on Sunday?' },
      createdAt: '2025-11-22T09:07:00.000Z',
      senderName: 'Bob',
      channelData: { groupId: '120363025246125486@g.us' },
    });
  });

  it('reads a privacy id once the session resolved it to a phone id', () => {
    expect(receivedMessage('lid-text', { from: '15551234567@c.us' }).from).toEqual(ada);
  });

  it('refuses a privacy id it cannot read as a phone number, naming the field', () => {
    expect(() =>
      convert('message', {
        message: serializeWhatsAppWebMessage(client.message(model('lid-text'))),
      }),
    ).toThrow(expect.objectContaining({ code: 'payload_invalid', path: 'message.from' }));
  });

  it('ignores status updates and WhatsApp notifications', () => {
    expect(received('status-broadcast')).toMatchObject({
      type: 'ignored',
      kind: 'whatsapp-web.broadcast',
    });
    expect(received('e2e-notification')).toMatchObject({
      type: 'ignored',
      kind: 'whatsapp-web.e2e_notification',
    });
  });
});

describe('convertWhatsAppWebEvent: acknowledgements, edits, deletions', () => {
  const sent = client.message(client.sentModel('true_15551234567@c.us_3EB0000000000000000A'));

  it.each([
    [1, 'sent'],
    [2, 'delivered'],
    [3, 'read'],
    [4, 'read'],
    [-1, 'failed'],
  ] as const)('maps acknowledgement %i to %s', (ack, status) => {
    const [event] = convert('message_ack', { message: serializeWhatsAppWebMessage(sent), ack });
    expect(event).toMatchObject({
      type: 'status',
      externalId: 'true_15551234567@c.us_3EB0000000000000000A',
      status,
    });
    if (status === 'failed') {
      expect(event).toMatchObject({ error: { code: 'ack_error', retryable: false } });
    }
    expect(mapWhatsAppWebAck(ack)).toBe(status);
  });

  it('ignores pending acknowledgements and acknowledgements of customer messages', () => {
    expect(
      convert('message_ack', { message: serializeWhatsAppWebMessage(sent), ack: 0 }),
    ).toMatchObject([{ type: 'ignored' }]);
    expect(
      convert('message_ack', {
        message: serializeWhatsAppWebMessage(client.message(model('text'))),
        ack: 3,
      }),
    ).toMatchObject([
      { type: 'ignored', reason: 'acknowledgement of a message the customer sent' },
    ]);
  });

  it('reads an edit of a text with the new text and the edit time', () => {
    expect(
      convert('message_edit', {
        message: serializeWhatsAppWebMessage(client.message(model('edited'))),
        newBody: 'Hi, my order #1042 has still not arrived',
        prevBody: 'Hi, my order #1042 has not arrived yet',
      }),
    ).toEqual([
      {
        type: 'edit',
        externalId: 'false_15551234567@c.us_3EB0A0B5C2D4E6F80912',
        content: { type: 'text', text: 'Hi, my order #1042 has still not arrived' },
        editedAt: '2025-11-22T09:09:15.000Z',
      },
    ]);
  });

  it('reads a deletion for everyone, naming the original message', () => {
    expect(
      convert('message_revoke_everyone', {
        message: serializeWhatsAppWebMessage(client.message(model('revoked'))),
        before: serializeWhatsAppWebMessage(client.message(model('text'))),
      }),
    ).toEqual([{ type: 'deletion', externalId: 'false_15551234567@c.us_3EB0A0B5C2D4E6F80912' }]);
    expect(
      convert('message_revoke_everyone', {
        message: serializeWhatsAppWebMessage(client.message(model('revoked'))),
        before: null,
      }),
    ).toEqual([{ type: 'deletion', externalId: 'false_15551234567@c.us_3EB0A0B5C2D4E6F80912' }]);
  });
});

describe('whatsapp-web addresses', () => {
  it('maps phone numbers and groups to chat ids and back', () => {
    expect(toWhatsAppWebChatId({ channel: 'whatsapp', address: '+15551234567' })).toBe(
      '15551234567@c.us',
    );
    expect(toWhatsAppWebChatId(groupAddress('120363025246125486@g.us'))).toBe(
      '120363025246125486@g.us',
    );
    expect(() => toWhatsAppWebChatId({ channel: 'whatsapp', address: 'group:../x' })).toThrow(
      expect.objectContaining({ code: 'validation_failed' }),
    );
  });
});
