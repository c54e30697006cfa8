import { canonicalAddress, metaSignature } from '@threadline/connector-kit';
import { describe, expect, it } from 'vitest';
import {
  serializeWhatsAppWebMessage,
  whatsAppWebEventRequest,
} from './serialize-whatsapp-web-event.js';
import {
  FakeWhatsAppWebClient,
  type RawMessageModel,
} from './test-support/fake-whatsapp-web-client.js';
import { readFixture, readJsonFixture } from './test-support/read-fixture.js';
import { createWhatsAppCloudConnector } from './whatsapp-cloud-connector.js';
import { createWhatsAppWebConnector } from './whatsapp-web-connector.js';

describe('one customer, whichever transport carried the message', () => {
  it('names the sender by the same E.164 number on the Cloud API, a linked device and SMS', async () => {
    const cloud = createWhatsAppCloudConnector({
      accessToken: 'token',
      phoneNumberId: '106540352242922',
      appSecret: 'secret',
      verifyToken: 'verify',
    });
    const body = readFixture('cloud/text.json');
    const viaCloud = await cloud.parse({
      method: 'POST',
      url: 'https://gateway.example.com/webhooks/whatsapp/whatsapp',
      headers: { 'x-hub-signature-256': metaSignature('secret', body) },
      body,
    });

    const client = new FakeWhatsAppWebClient();
    const model = readJsonFixture<RawMessageModel>('web/text.json');
    const sameCustomer = {
      ...model,
      from: '14155550100@c.us',
      id: {
        ...model.id,
        remote: '14155550100@c.us',
        _serialized: `false_14155550100@c.us_${model.id.id}`,
      },
    };
    const web = createWhatsAppWebConnector({ client, terminal: null });
    const viaWeb = await web.parse(
      whatsAppWebEventRequest('default', 'message', {
        message: serializeWhatsAppWebMessage(client.message(sameCustomer)),
      }),
    );

    const senders = [...viaCloud.events, ...viaWeb.events].map((event) =>
      event.type === 'message' ? event.message.from : undefined,
    );
    expect(senders).toEqual([
      { channel: 'whatsapp', address: '+14155550100' },
      { channel: 'whatsapp', address: '+14155550100' },
    ]);
    expect(canonicalAddress('sms', '+1 (415) 555-0100')).toBe('+14155550100');
  });
});
