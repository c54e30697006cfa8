import { type InboundRequest, metaSignature } from '@threadline/connector-kit';
import {
  type ConformanceFixtures,
  createTestServer,
  testConnector,
} from '@threadline/connector-kit/test';
import { readFixture } from './test-support/read-fixture.js';
import { createWhatsAppCloudApiFake } from './test-support/whatsapp-cloud-api-fake.js';
import {
  createWhatsAppCloudConnector,
  defaultWhatsAppGraphUrl,
} from './whatsapp-cloud-connector.js';

const settings = {
  accessToken: 'EAAG-conformance-token',
  phoneNumberId: '106540352242922',
  appSecret: 'conformance-app-secret',
  verifyToken: 'conformance-verify',
};
const fake = createWhatsAppCloudApiFake({ ...settings, graphUrl: defaultWhatsAppGraphUrl });
createTestServer(...fake.handlers);

const webhookUrl = 'https://gateway.example.com/webhooks/whatsapp/whatsapp';

function sign(request: InboundRequest): InboundRequest {
  return {
    ...request,
    headers: {
      ...request.headers,
      'x-hub-signature-256': metaSignature(settings.appSecret, request.body),
    },
  };
}

function webhook(body: string): InboundRequest {
  return sign({
    method: 'POST',
    url: webhookUrl,
    headers: { 'content-type': 'application/json' },
    body,
  });
}

const recorded = (name: string) => webhook(readFixture(`cloud/${name}.json`));
const ada = { channel: 'whatsapp', address: '+14155550100' };

/** A recorded payload with its ids replaced, as Meta would send it for another message. */
function withOutboundId(name: string, externalId: string): InboundRequest {
  return webhook(
    readFixture(`cloud/${name}.json`).replaceAll(
      'wamid.HBgLMTQxNTU1NTAxMDAVAgARGBIzQTJCNEU2RjhBMEMyRTRGNjgA',
      externalId,
    ),
  );
}

const textBody = readFixture('cloud/text.json');

const fixtures: ConformanceFixtures = {
  inbound: [
    {
      name: 'text',
      request: recorded('text'),
      expect: {
        externalId: 'wamid.HBgLMTQxNTU1NTAxMDAVAgASGBQzQTdGNEI2RjE0QjI0NzRGQjU0NQA=',
        from: ada,
        contentType: 'text',
      },
    },
    { name: 'image', request: recorded('image'), expect: { from: ada, contentType: 'media' } },
    { name: 'voice note', request: recorded('audio'), expect: { contentType: 'media' } },
    { name: 'video', request: recorded('video'), expect: { contentType: 'media' } },
    { name: 'document', request: recorded('document'), expect: { contentType: 'media' } },
    { name: 'sticker', request: recorded('sticker'), expect: { contentType: 'media' } },
    { name: 'location', request: recorded('location'), expect: { contentType: 'location' } },
    { name: 'contacts', request: recorded('contacts'), expect: { contentType: 'contact' } },
    {
      name: 'reply button',
      request: recorded('interactive-button-reply'),
      expect: { contentType: 'postback' },
    },
    {
      name: 'list reply',
      request: recorded('interactive-list-reply'),
      expect: { contentType: 'postback' },
    },
    {
      name: 'template quick reply',
      request: recorded('button'),
      expect: { contentType: 'postback' },
    },
    { name: 'reaction', request: recorded('reaction'), expect: { contentType: 'reaction' } },
    { name: 'reaction removed', request: recorded('reaction-removed') },
    { name: 'reply', request: recorded('reply'), expect: { contentType: 'text' } },
    { name: 'unsupported', request: recorded('unsupported'), expect: { contentType: 'text' } },
    {
      name: 'two messages and a status',
      request: recorded('batch-two-messages-one-status'),
      expect: { from: ada, contentType: 'text' },
    },
  ],
  badSignature: [
    { ...recorded('text'), headers: { 'content-type': 'application/json' } },
    {
      ...recorded('text'),
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': metaSignature('another-app-secret', textBody),
      },
    },
    {
      ...recorded('text'),
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=forged' },
    },
  ],
  sign,
  malformed: [
    webhook('{"object":"whatsapp_business_account","entry":'),
    webhook(JSON.stringify({ object: 'page', entry: [] })),
    webhook(textBody.replace('"from": "14155550100"', '"from": "not a phone"')),
    webhook(textBody.replace('"text": {', '"txt": {')),
    webhook(readFixture('cloud/status-read.json').replace(/"status": "read",?/, '')),
  ],
  statuses: (['sent', 'delivered', 'read', 'failed'] as const).map((status) => ({
    providerStatus: status,
    expected: status,
    request: (externalId: string) => withOutboundId(`status-${status}`, externalId),
  })),
  replyTo: (externalId) => withOutboundId('reply', externalId),
  recipient: { channel: 'whatsapp', address: '+14155550199' },
  provider: {
    sent: () => fake.sent(),
    failNext: (failure) => fake.failNext(failure),
    reset: () => fake.reset(),
  },
  mediaUrl: 'https://media.example.com/cat.png',
};

testConnector({
  name: 'WhatsApp Cloud API',
  connector: () => createWhatsAppCloudConnector(settings),
  fixtures,
});
