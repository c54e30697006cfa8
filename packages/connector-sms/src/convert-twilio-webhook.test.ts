import { type InboundEvent, type InboundMessage, parseFormBody } from '@threadline/connector-kit';
import { describe, expect, it } from 'vitest';
import { convertTwilioWebhook, isTwilioStatusCallback } from './convert-twilio-webhook.js';
import {
  accountSid,
  customerNumber,
  type FixtureName,
  fixtureBody,
  ourNumber,
  outboundSid,
} from './test-support/twilio-fixtures.js';

const fieldsOf = (name: FixtureName, changes: Record<string, string | null> = {}) => {
  const { fields } = parseFormBody(fixtureBody(name));
  for (const [field, value] of Object.entries(changes)) {
    if (value === null) delete fields[field];
    else fields[field] = value;
  }
  return fields;
};
const convert = (name: FixtureName, changes?: Record<string, string | null>) =>
  convertTwilioWebhook(fieldsOf(name, changes), { accountSid });

function messageOf(event: InboundEvent): InboundMessage {
  if (event.type !== 'message') throw new Error(`expected a message, got ${event.type}`);
  return event.message;
}

function statusOf(event: InboundEvent) {
  if (event.type !== 'status') throw new Error(`expected a status, got ${event.type}`);
  return event;
}

describe('convertTwilioWebhook: incoming messages', () => {
  it('normalizes an inbound text', () => {
    const message = messageOf(convert('inbound-text'));
    expect(message.externalId).toBe('SM9b2e4f61c08d4a7e95f3b1d2c6a8e0f4');
    expect(message.from).toEqual({ channel: 'sms', address: customerNumber });
    expect(message.to).toEqual({ channel: 'sms', address: ourNumber });
    expect(message.content).toEqual({
      type: 'text',
      text: "Hi, my order #4521 hasn't arrived yet. Can you check?",
    });
    expect(message.createdAt).toBeUndefined();
    expect(message.channelData).toEqual({
      segments: 1,
      messagingServiceSid: 'MG2d7c0b5e9f1a4c3b8e6d0a9f7c5b3e1d',
    });
  });

  it('keeps full Unicode text as sent', () => {
    const message = messageOf(convert('inbound-unicode'));
    expect(message.externalId).toBe('SMd41c7a90e2b54f38a6c9e1f0b7d3a528');
    expect(message.from.address).toBe(customerNumber);
    expect(message.content).toEqual({
      type: 'text',
      text: 'Привет! Où est ma commande? 订单 #4521 📦🙏',
    });
    expect(message.optOut).toBeUndefined();
  });

  it('turns an MMS with two media into text with two attachments named by media id', () => {
    const message = messageOf(convert('inbound-mms-two-media'));
    expect(message.externalId).toBe('MM7a3f9c2e1b0d4e6f8a5c3b1d9e7f2a40');
    expect(message.from.address).toBe(customerNumber);
    expect(message.content).toEqual({
      type: 'text',
      text: 'Here is the damaged box and the receipt',
      attachments: [
        {
          kind: 'image',
          mediaId: 'MM7a3f9c2e1b0d4e6f8a5c3b1d9e7f2a40.ME1c9e7a5b3d1f4e2a8c6b0d9f7e5a3c10',
          mimeType: 'image/jpeg',
        },
        {
          kind: 'file',
          mediaId: 'MM7a3f9c2e1b0d4e6f8a5c3b1d9e7f2a40.ME8f6d4b2a0c9e4f7b5d3a1c8e6f4b2d90',
          mimeType: 'application/pdf',
        },
      ],
    });
    expect(JSON.stringify(message)).not.toContain(accountSid);
  });

  it('turns an MMS with one media item and no text into media content', () => {
    const message = messageOf(convert('inbound-mms-photo-only'));
    expect(message.externalId).toBe('MM0e8c6a4f2d1b4c9a7e5f3d1b0c8a6e42');
    expect(message.content).toEqual({
      type: 'media',
      kind: 'image',
      mediaId: 'MM0e8c6a4f2d1b4c9a7e5f3d1b0c8a6e42.ME4b2d0f8e6c4a4b1d9f7e5c3a1b0d8f61',
      mimeType: 'image/png',
    });
  });

  it('keeps a media URL that is not a resource of this account as a URL, without credentials', () => {
    const message = messageOf(
      convert('inbound-mms-photo-only', {
        MediaUrl0: 'https://user:secret@cdn.example.com/photo.png',
        MediaContentType0: 'video/mp4; codecs=avc1',
      }),
    );
    expect(message.content).toEqual({
      type: 'media',
      kind: 'video',
      url: 'https://cdn.example.com/photo.png',
      mimeType: 'video/mp4',
    });
  });

  it('marks STOP as an opt-out, and still delivers it as a message', () => {
    const message = messageOf(convert('inbound-stop'));
    expect(message.externalId).toBe('SM3e1c9a7f5d2b4e8c6a0f9d7b5e3c1a22');
    expect(message.from.address).toBe(customerNumber);
    expect(message.content).toEqual({ type: 'text', text: 'Stop ' });
    expect(message.optOut).toBe('stop');
  });

  it('marks START and HELP, and the keyword Advanced Opt-Out matched', () => {
    expect(messageOf(convert('inbound-stop', { Body: 'unstop' })).optOut).toBe('start');
    expect(messageOf(convert('inbound-stop', { Body: ' INFO' })).optOut).toBe('help');
    expect(messageOf(convert('inbound-stop', { Body: 'Arrêt', OptOutType: 'STOP' })).optOut).toBe(
      'stop',
    );
  });

  it('keeps a short code we were written to as it is', () => {
    expect(messageOf(convert('inbound-text', { To: '89757' })).to).toEqual({
      channel: 'sms',
      address: '89757',
    });
  });

  it('ignores WhatsApp traffic sent to the SMS webhook', () => {
    expect(convert('inbound-text', { From: `whatsapp:${customerNumber}` })).toEqual({
      type: 'ignored',
      kind: 'twilio.whatsapp',
      reason: expect.stringContaining('own connector'),
    });
  });

  it('names the field of an unreadable message', () => {
    const expectInvalidAt = (
      path: string,
      changes: Record<string, string | null>,
      name: FixtureName = 'inbound-text',
    ) =>
      expect(() => convert(name, changes)).toThrowError(
        expect.objectContaining({ code: 'payload_invalid', path }),
      );
    expectInvalidAt('From', { From: null });
    expectInvalidAt('From', { From: '+1 (nope)' });
    expectInvalidAt('MessageSid', { MessageSid: null, SmsSid: null });
    expectInvalidAt('NumMedia', { NumMedia: '11' });
    expectInvalidAt('MediaUrl1', { MediaUrl1: null }, 'inbound-mms-two-media');
    expectInvalidAt('MediaUrl0', { MediaUrl0: 'ftp://example.com/x' }, 'inbound-mms-two-media');
    expectInvalidAt('MediaUrl0', { MediaUrl0: 'not a url' }, 'inbound-mms-two-media');
    expectInvalidAt('Body', { Body: null, NumMedia: null });
  });
});

describe('convertTwilioWebhook: status callbacks', () => {
  it('tells a status callback from a message', () => {
    expect(isTwilioStatusCallback(fieldsOf('status-delivered'))).toBe(true);
    expect(isTwilioStatusCallback(fieldsOf('inbound-text'))).toBe(false);
    expect(isTwilioStatusCallback(fieldsOf('inbound-text', { MessageStatus: 'received' }))).toBe(
      false,
    );
  });

  it.each([
    ['status-queued', 'queued', 'queued'],
    ['status-sending', 'sending', 'sent'],
    ['status-sent', 'sent', 'sent'],
    ['status-delivered', 'delivered', 'delivered'],
    ['status-read', 'read', 'read'],
  ] as const)('maps %s', (fixture, providerStatus, expected) => {
    const event = statusOf(convert(fixture));
    expect(event.externalId).toBe(outboundSid);
    expect(event.status).toBe(expected);
    expect(event.error).toBeUndefined();
    expect(event.channelData).toEqual({ providerStatus });
  });

  it('maps undelivered 30003 to a permanent failure with the Twilio code', () => {
    const event = statusOf(convert('status-undelivered-30003'));
    expect(event.externalId).toBe(outboundSid);
    expect(event.status).toBe('failed');
    expect(event.error).toEqual({
      code: '30003',
      message: 'unreachable destination handset',
      retryable: false,
    });
    expect(event.channelData).toEqual({
      providerStatus: 'undelivered',
      errorCategory: 'recipient_blocked',
    });
  });

  it("maps failed 30008 to a retryable failure with Twilio's message", () => {
    const event = statusOf(convert('status-failed-30008'));
    expect(event.externalId).toBe(outboundSid);
    expect(event.status).toBe('failed');
    expect(event.error).toEqual({ code: '30008', message: 'Unknown error', retryable: true });
    expect(event.channelData).toEqual({
      providerStatus: 'failed',
      errorCategory: 'provider_unavailable',
    });
  });

  it('maps an opted-out recipient (21610) so the engine can fall back', () => {
    const event = statusOf(
      convert('status-failed-30008', { ErrorCode: '21610', ErrorMessage: null }),
    );
    expect(event.error).toMatchObject({ code: '21610', retryable: false });
    expect(event.channelData?.errorCategory).toBe('recipient_opted_out');
  });

  it('gives a failure without an ErrorCode a code of its own', () => {
    const failed = statusOf(
      convert('status-failed-30008', { ErrorCode: null, ErrorMessage: null }),
    );
    expect(failed.error).toEqual({
      code: 'provider_rejected',
      message: 'Twilio reported the message failed',
      retryable: false,
    });
    const canceled = statusOf(
      convert('status-failed-30008', { MessageStatus: 'canceled', ErrorCode: null }),
    );
    expect(canceled.error?.code).toBe('canceled');
  });

  it('ignores statuses it does not track instead of failing the webhook', () => {
    expect(convert('status-sent', { MessageStatus: 'partially_delivered' })).toEqual({
      type: 'ignored',
      kind: 'twilio.status',
      reason: 'status "partially_delivered" is not tracked for outbound messages',
    });
  });
});
