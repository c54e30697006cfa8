import type { InboundRequest } from '@threadline/connector-kit';
import {
  type ConformanceFixtures,
  createTestServer,
  testConnector,
} from '@threadline/connector-kit/test';
import { HttpResponse, http } from 'msw';
import {
  type SerializeMessageExtras,
  serializeWhatsAppWebMessage,
  whatsAppWebEventRequest,
} from './serialize-whatsapp-web-event.js';
import {
  FakeWhatsAppWebClient,
  type RawMessageModel,
} from './test-support/fake-whatsapp-web-client.js';
import { readJsonFixture } from './test-support/read-fixture.js';
import { createWhatsAppWebConnector } from './whatsapp-web-connector.js';

createTestServer(
  http.get('https://media.example.com/:file', () =>
    HttpResponse.arrayBuffer(new Uint8Array([0x89, 0x50, 0x4e, 0x47]).buffer, {
      headers: { 'content-type': 'application/octet-stream' },
    }),
  ),
);

const session = 'default';
const client = new FakeWhatsAppWebClient();
const model = (name: string) => readJsonFixture<RawMessageModel>(`web/${name}.json`);
const ada = { channel: 'whatsapp', address: '+15551234567' };

/** A received message as the session serializes it. */
function received(source: RawMessageModel, extras: SerializeMessageExtras = {}): InboundRequest {
  return whatsAppWebEventRequest(session, 'message', {
    message: serializeWhatsAppWebMessage(client.message(source), extras),
  });
}

const text = received(model('text'));

const fixtures: ConformanceFixtures = {
  inbound: [
    {
      name: 'text',
      request: text,
      expect: {
        externalId: 'false_15551234567@c.us_3EB0A0B5C2D4E6F80912',
        from: ada,
        contentType: 'text',
      },
    },
    {
      name: 'image',
      request: received(model('image'), {
        media: {
          mediaId: 'media-1',
          url: 'https://gateway.test/v1/media/media-1',
          mimeType: 'image/jpeg',
          size: 48213,
        },
      }),
      expect: { from: ada, contentType: 'media' },
    },
    {
      name: 'voice note',
      request: received(model('ptt'), {
        media: { mediaId: 'media-2', mimeType: 'audio/ogg; codecs=opus' },
      }),
      expect: { contentType: 'media' },
    },
    {
      name: 'document',
      request: received(model('document'), {
        media: { mediaId: 'media-3', mimeType: 'application/pdf', filename: 'invoice-1042.pdf' },
      }),
      expect: { contentType: 'media' },
    },
    { name: 'location', request: received(model('location')), expect: { contentType: 'location' } },
    { name: 'contact card', request: received(model('vcard')), expect: { contentType: 'contact' } },
    {
      name: 'reply',
      request: received(model('reply'), {
        quotedMessageId: 'true_15551234567@c.us_3EB0000000000000000A',
      }),
      expect: { contentType: 'text' },
    },
    {
      name: 'group message',
      request: received(model('group-text')),
      expect: { from: { channel: 'whatsapp', address: '+15557654321' }, contentType: 'text' },
    },
  ],
  badSignature: { none: 'events come from the in-process linked-device session, never over HTTP' },
  malformed: [
    { ...text, body: '{"message":' },
    {
      ...text,
      body: JSON.stringify({ message: { ...JSON.parse(text.body).message, from: undefined } }),
    },
    received(model('lid-text')),
    received({ ...model('location'), lat: 123.4 }),
    whatsAppWebEventRequest(session, 'message_ack', {
      message: serializeWhatsAppWebMessage(client.message(client.sentModel('true_1@c.us_X'))),
      ack: 'read' as unknown as number,
    }),
  ],
  statuses: (
    [
      [1, 'sent'],
      [2, 'delivered'],
      [3, 'read'],
      [4, 'read'],
      [-1, 'failed'],
    ] as const
  ).map(([ack, expected]) => ({
    providerStatus: `ACK ${ack}`,
    expected,
    request: (externalId: string) =>
      whatsAppWebEventRequest(session, 'message_ack', {
        message: serializeWhatsAppWebMessage(client.message(client.sentModel(externalId))),
        ack,
      }),
  })),
  replyTo: (externalId) => received(model('reply'), { quotedMessageId: externalId }),
  recipient: { channel: 'whatsapp', address: '+15551234567' },
  provider: {
    sent: () => client.sent,
    failNext: (failure) => client.failNext(failure),
    reset: () => client.reset(),
  },
  mediaUrl: 'https://media.example.com/cat.png',
};

testConnector({
  name: 'WhatsApp Web (linked device)',
  // WhatsApp names no wait when it limits a session: the connector waits its configured backoff
  connector: () => createWhatsAppWebConnector({ client, session, rateLimitBackoffMs: 3_000 }),
  fixtures,
});
