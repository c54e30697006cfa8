import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey, startTestGateway, type TestGateway } from './test-support/start-test-gateway.js';
import { createThreadlineClient, type ThreadlineClient } from './threadline-client.js';
import { ThreadlineApiError } from './threadline-client-error.js';

let gateway: TestGateway;
let client: ThreadlineClient;

beforeAll(async () => {
  gateway = await startTestGateway();
  client = createThreadlineClient({ baseUrl: gateway.baseUrl, apiKey });
});
afterAll(async () => {
  await gateway.close();
});

describe('notifications', () => {
  it('sets preferences, sends one and a batch, and reads them back', async () => {
    const sent = await client.notifications.send({
      to: { channel: 'sms', address: '+14155559001' },
      category: 'orders',
      content: { type: 'text', text: 'your order is ready' },
      idempotencyKey: 'client-order-1',
    });
    expect(sent).toMatchObject({ status: 'queued', channel: 'sms' });
    const stored = await client.notifications.get(sent.id);
    const contactId = stored.contactId;
    const preferences = await client.contacts.putPreferences(contactId, {
      categories: { marketing: { optOut: true } },
    });
    expect(await client.contacts.getPreferences(contactId)).toEqual(preferences);
    const results = await client.notifications.sendBatch([
      { to: { contactId }, category: 'marketing', content: { type: 'text', text: 'sale!' } },
      { to: { contactId: 'nobody' }, category: 'orders', content: { type: 'text', text: 'x' } },
    ]);
    expect(results[0]).toMatchObject({ status: 'suppressed', reason: 'opted_out' });
    expect(results[1]).toMatchObject({ error: { code: 'not_found' } });
    const listed = await client.notifications.list({ contactId, category: 'marketing' });
    expect(listed.map((item) => item.status)).toEqual(['suppressed']);
    await expect(client.notifications.get('missing')).rejects.toBeInstanceOf(ThreadlineApiError);
  });
});
