import { inboundEventSchema, parseProviderPayload } from '@threadline/connector-kit';
import { describe, expect, it } from 'vitest';
import { convertWhatsAppCloudWebhook } from './convert-whatsapp-cloud-webhook.js';
import { readFixture } from './test-support/read-fixture.js';
import { whatsAppCloudWebhookSchema } from './whatsapp-cloud-webhook-schema.js';

const outboundId = 'wamid.HBgLMTQxNTU1NTAxMDAVAgARGBIzQTJCNEU2RjhBMEMyRTRGNjgA';
const ada = { channel: 'whatsapp', address: '+14155550100' };
const business = { channel: 'whatsapp', address: '+15550783881' };

function convert(name: string, phoneNumberId = '106540352242922') {
  const webhook = parseProviderPayload(
    whatsAppCloudWebhookSchema,
    JSON.parse(readFixture(`cloud/${name}.json`)),
  );
  const events = convertWhatsAppCloudWebhook(webhook, { phoneNumberId });
  for (const event of events) expect(inboundEventSchema.safeParse(event).success).toBe(true);
  return events;
}

function onlyMessage(name: string) {
  const events = convert(name);
  expect(events).toHaveLength(1);
  const [event] = events;
  if (event?.type !== 'message') throw new Error(`expected a message, got ${event?.type}`);
  return event.message;
}

describe('convertWhatsAppCloudWebhook: messages', () => {
  it('reads a text message with its sender, business number, time and profile name', () => {
    expect(onlyMessage('text')).toEqual({
      externalId: 'wamid.HBgLMTQxNTU1NTAxMDAVAgASGBQzQTdGNEI2RjE0QjI0NzRGQjU0NQA=',
      from: ada,
      to: business,
      content: { type: 'text', text: 'Hi, my order #1042 has not arrived yet' },
      createdAt: '2025-11-22T09:00:00.000Z',
      senderName: 'Ada Lovelace',
    });
  });

  it('reads an image as media with the Cloud API media id, MIME type and caption', () => {
    const message = onlyMessage('image');
    expect(message.content).toEqual({
      type: 'media',
      kind: 'image',
      mediaId: '1479537139650973',
      mimeType: 'image/jpeg',
      caption: 'The parcel label',
    });
    expect(message.channelData).toEqual({ sha256: 'u8tNQd0Vb3kG7nX4pR9sWq1cYz2eF5hJ6mL8oA0iT3U=' });
    expect(message.createdAt).toBe('2025-11-22T09:01:00.000Z');
  });

  it('reads a voice note as audio and marks it as voice', () => {
    const message = onlyMessage('audio');
    expect(message.content).toEqual({
      type: 'media',
      kind: 'audio',
      mediaId: '1020304050607080',
      mimeType: 'audio/ogg; codecs=opus',
    });
    expect(message.channelData?.voice).toBe(true);
  });

  it('reads a video with its caption', () => {
    expect(onlyMessage('video').content).toEqual({
      type: 'media',
      kind: 'video',
      mediaId: '1122334455667788',
      mimeType: 'video/mp4',
      caption: 'How it arrived',
    });
  });

  it('reads a document as a file with its filename', () => {
    expect(onlyMessage('document').content).toEqual({
      type: 'media',
      kind: 'file',
      mediaId: '2233445566778899',
      mimeType: 'application/pdf',
      filename: 'invoice-1042.pdf',
      caption: 'My invoice',
    });
  });

  it('reads a sticker', () => {
    expect(onlyMessage('sticker').content).toEqual({
      type: 'media',
      kind: 'sticker',
      mediaId: '3344556677889900',
      mimeType: 'image/webp',
    });
  });

  it('reads a location with its name and address', () => {
    expect(onlyMessage('location').content).toEqual({
      type: 'location',
      latitude: 37.4452,
      longitude: -122.1617,
      name: 'Philz Coffee',
      address: '101 Forest Ave, Palo Alto, CA 94301',
    });
  });

  it('reads a shared contact card', () => {
    expect(onlyMessage('contacts').content).toEqual({
      type: 'contact',
      name: 'Grace Hopper',
      phones: ['+1 (415) 555-0123'],
      emails: ['grace@example.com'],
    });
  });

  it('reads a reply button press as a postback replying to our message', () => {
    const message = onlyMessage('interactive-button-reply');
    expect(message.content).toEqual({
      type: 'postback',
      payload: 'reschedule',
      title: 'Reschedule',
    });
    expect(message.replyToExternalId).toBe(outboundId);
  });

  it('reads a list choice as a postback with the row description', () => {
    const message = onlyMessage('interactive-list-reply');
    expect(message.content).toEqual({
      type: 'postback',
      payload: 'slot-2',
      title: 'Tuesday 10:00',
    });
    expect(message.channelData).toEqual({ description: 'Paris Opéra store' });
    expect(message.replyToExternalId).toBe(outboundId);
  });

  it('reads a template quick-reply button as a postback with its payload', () => {
    const message = onlyMessage('button');
    expect(message.content).toEqual({
      type: 'postback',
      payload: 'TRACK_ORDER',
      title: 'Track my order',
    });
    expect(message.channelData).toEqual({ templateQuickReply: true });
    expect(message.replyToExternalId).toBe(
      'wamid.HBgLMTQxNTU1NTAxMDAVAgARGBJBQkNERUYwMTIzNDU2Nzg5MAA=',
    );
  });

  it('reads a reaction, and a removed reaction as an empty emoji', () => {
    expect(onlyMessage('reaction').content).toEqual({
      type: 'reaction',
      emoji: '👍',
      targetId: outboundId,
    });
    expect(onlyMessage('reaction-removed').content).toEqual({
      type: 'reaction',
      emoji: '',
      targetId: outboundId,
    });
  });

  it('reads a reply: context.id names the message replied to', () => {
    const message = onlyMessage('reply');
    expect(message.content).toEqual({ type: 'text', text: 'Yes, Tuesday works' });
    expect(message.replyToExternalId).toBe(outboundId);
  });

  it('keeps an unsupported message, with Meta’s errors', () => {
    const message = onlyMessage('unsupported');
    expect(message.externalId).toBe(
      'wamid.HBgLMTQxNTU1NTAxMDAVAgASGBQzQVVOU1VQUE9SVEVEMTIzNDU2NwA=',
    );
    expect(message.from).toEqual(ada);
    expect(message.content).toEqual({ type: 'text', text: '' });
    expect(message.channelData).toEqual({
      unsupported: true,
      unsupportedType: 'poll_update',
      errors: [
        {
          code: '131051',
          title: 'Message type unknown',
          message: 'Message type unknown',
          details: 'Message type is currently not supported.',
        },
      ],
    });
  });
});

describe('convertWhatsAppCloudWebhook: statuses', () => {
  it.each([
    ['sent', 'sent', '2025-11-22T09:00:05.000Z'],
    ['delivered', 'delivered', '2025-11-22T09:00:06.000Z'],
    ['read', 'read', '2025-11-22T09:00:30.000Z'],
  ] as const)('maps %s to %s', (name, status, occurredAt) => {
    const [event] = convert(`status-${name}`);
    expect(event).toMatchObject({ type: 'status', externalId: outboundId, status, occurredAt });
    expect(event).not.toHaveProperty('error');
  });

  it('keeps conversation and pricing details of a delivered message', () => {
    const [event] = convert('status-delivered');
    expect(event).toMatchObject({
      channelData: {
        recipientId: '14155550100',
        conversationId: 'ab4f0e3c2d1a9b8c7d6e5f4a3b2c1d0e',
        conversationOrigin: 'service',
        pricingCategory: 'service',
        billable: false,
      },
    });
  });

  it('maps failed to failed with Meta’s error code and details', () => {
    const [event] = convert('status-failed');
    expect(event).toMatchObject({
      type: 'status',
      externalId: outboundId,
      status: 'failed',
      occurredAt: '2025-11-22T09:00:07.000Z',
      error: {
        code: '131047',
        message:
          'Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
        retryable: false,
      },
    });
  });
});

describe('convertWhatsAppCloudWebhook: bodies', () => {
  it('processes every message and status of one body, in order', () => {
    const events = convert('batch-two-messages-one-status');
    expect(events).toHaveLength(3);
    const [first, second, third] = events;
    expect(first).toEqual({
      type: 'message',
      message: {
        externalId: 'wamid.HBgLMTQxNTU1NTAxMDAVAgASGBQzQUJBVENIMDAwMDAwMDAwMDFBAA==',
        from: ada,
        to: business,
        content: { type: 'text', text: 'Any news about my refund?' },
        createdAt: '2025-11-22T09:16:40.000Z',
        senderName: 'Ada Lovelace',
      },
    });
    expect(second).toEqual({
      type: 'message',
      message: {
        externalId: 'wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQUJBVENIMDAwMDAwMDAwMDJCAA==',
        from: { channel: 'whatsapp', address: '+14155550123' },
        to: business,
        content: {
          type: 'media',
          kind: 'image',
          mediaId: '4455667788990011',
          mimeType: 'image/jpeg',
        },
        createdAt: '2025-11-22T09:16:41.000Z',
        senderName: 'Grace Hopper',
        channelData: { sha256: 'Rt5yU7iO9pA1sD3fG5hJ7kL9zX1cV3bN5mQ7wE9rT1y=' },
      },
    });
    expect(third).toMatchObject({
      type: 'status',
      externalId: outboundId,
      status: 'delivered',
      occurredAt: '2025-11-22T09:16:42.000Z',
    });
  });

  it('acknowledges changes that are not messages as ignored', () => {
    expect(convert('template-status-update')).toEqual([
      {
        type: 'ignored',
        kind: 'whatsapp.message_template_status_update',
        reason: 'not a messages webhook',
      },
    ]);
  });

  it('ignores changes for another phone number of the same app', () => {
    const events = convert('text', '999999999999999');
    expect(events).toEqual([
      {
        type: 'ignored',
        kind: 'whatsapp.other_phone_number',
        reason: 'for phone number id 106540352242922, not 999999999999999',
      },
    ]);
  });

  it('names the offending path when a message lacks its content object', () => {
    const body = JSON.parse(readFixture('cloud/text.json'));
    delete body.entry[0].changes[0].value.messages[0].text;
    expect(() => parseProviderPayload(whatsAppCloudWebhookSchema, body)).toThrow(
      expect.objectContaining({
        code: 'payload_invalid',
        path: 'entry.0.changes.0.value.messages.0.text',
      }),
    );
  });

  it('refuses a sender that is not a phone number, naming the field', () => {
    const body = JSON.parse(readFixture('cloud/text.json'));
    body.entry[0].changes[0].value.messages[0].from = 'not-a-number';
    const webhook = parseProviderPayload(whatsAppCloudWebhookSchema, body);
    expect(() => convertWhatsAppCloudWebhook(webhook)).toThrow(
      expect.objectContaining({
        code: 'payload_invalid',
        path: 'entry.0.changes.0.value.messages.0.from',
      }),
    );
  });
});
