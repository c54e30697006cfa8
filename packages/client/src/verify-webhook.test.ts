import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey, startTestGateway, type TestGateway } from './test-support/start-test-gateway.js';
import { createThreadlineClient } from './threadline-client.js';
import { WebhookVerificationError } from './threadline-client-error.js';
import { verifyWebhook, verifyWebhookBatch } from './verify-webhook.js';

const secret = `whsec_${Buffer.from('a secret of the receiving app').toString('base64')}`;
const event = {
  id: '01JD0000000000000000000000',
  cursor: 7,
  type: 'conversation.resolved',
  time: '2026-06-01T12:00:00.000Z',
  data: {},
};

function signed(body: string, at = new Date()) {
  return {
    'webhook-id': event.id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(event.id, at, body),
  };
}

describe('verifyWebhook', () => {
  it('returns the event of a correctly signed delivery, whatever the header shape', () => {
    const body = JSON.stringify(event);
    const headers = signed(body);
    expect(verifyWebhook(secret, headers, body)).toEqual(event);
    expect(verifyWebhook(secret, new Headers(headers), Buffer.from(body))).toEqual(event);
    const node: IncomingHttpHeaders = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value]),
    );
    expect(verifyWebhook(secret, node, body).cursor).toBe(7);
  });

  it('refuses a changed body, another secret, a missing header and an old timestamp', () => {
    const body = JSON.stringify(event);
    const headers = signed(body);
    expect(() => verifyWebhook(secret, headers, body.replace('7', '8'))).toThrow(
      WebhookVerificationError,
    );
    const other = `whsec_${Buffer.from('somebody else').toString('base64')}`;
    expect(() => verifyWebhook(other, headers, body)).toThrow(/webhook rejected/);
    const { 'webhook-signature': _signature, ...unsigned } = headers;
    expect(() => verifyWebhook(secret, unsigned, body)).toThrow(WebhookVerificationError);
    const old = signed(body, new Date(Date.now() - 10 * 60_000));
    const error = (() => {
      try {
        verifyWebhook(secret, old, body);
      } catch (failure) {
        return failure;
      }
    })();
    expect(error).toMatchObject({ code: 'webhook_signature_invalid', retryable: false });
  });

  it('refuses a signed body that is not an event', () => {
    const body = JSON.stringify({ hello: 'world' });
    expect(() => verifyWebhook(secret, signed(body), body)).toThrow(/not a Threadline event/);
  });

  it('returns the events of a signed batch, and refuses a batch with a stranger in it', () => {
    const body = JSON.stringify([event, { ...event, id: '01JD0000000000000000000001', cursor: 8 }]);
    expect(verifyWebhookBatch(secret, signed(body), body).map((item) => item.cursor)).toEqual([
      7, 8,
    ]);
    const mixed = JSON.stringify([event, { hello: 'world' }]);
    expect(() => verifyWebhookBatch(secret, signed(mixed), mixed)).toThrow(/array of Threadline/);
    const single = JSON.stringify(event);
    expect(() => verifyWebhookBatch(secret, signed(single), single)).toThrow(
      WebhookVerificationError,
    );
  });
});

describe('webhook subscriptions against a gateway', () => {
  let gateway: TestGateway;
  let receiver: Server;
  let receiverUrl: string;
  const deliveries: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  let arrived: (() => void) | undefined;

  beforeAll(async () => {
    gateway = await startTestGateway();
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        deliveries.push({ headers: request.headers, body });
        response.writeHead(204).end();
        arrived?.();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/threadline`;
  });
  afterAll(async () => {
    await gateway.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('creates a subscription whose deliveries verify with its secret', async () => {
    const client = createThreadlineClient({ baseUrl: gateway.baseUrl, apiKey });
    const subscription = await client.webhooks.create({
      url: receiverUrl,
      eventTypes: ['message.received'],
    });
    expect(subscription.secret).toMatch(/^whsec_/);
    const delivered = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    await gateway.deliver(gateway.sms, {
      kind: 'message',
      id: 'SM-webhook-1',
      from: '+14155550777',
      content: { type: 'text', text: 'is anyone there?' },
    });
    await delivered;
    const [delivery] = deliveries;
    const verified = verifyWebhook(subscription.secret!, delivery!.headers, delivery!.body);
    expect(verified.type).toBe('message.received');
    expect(() =>
      verifyWebhook(
        subscription.secret!,
        delivery!.headers,
        delivery!.body.replace('anyone', 'someone'),
      ),
    ).toThrow(WebhookVerificationError);

    const listed = await client.webhooks.list();
    expect(listed.map((item) => item.id)).toEqual([subscription.id]);
    expect(listed[0]!.secret).toBeUndefined();
    const replay = await client.webhooks.redeliver(subscription.id, 0);
    expect(replay.cursor).toBe(0);
    expect(await client.webhooks.deadLetters(subscription.id)).toEqual([]);
    await client.webhooks.delete(subscription.id);
    expect(await client.webhooks.list()).toEqual([]);
  });

  it('switches a subscription to batches, whose deliveries verifyWebhookBatch checks', async () => {
    const client = createThreadlineClient({ baseUrl: gateway.baseUrl, apiKey });
    const subscription = await client.webhooks.create({
      url: receiverUrl,
      eventTypes: ['message.received'],
    });
    expect(subscription).toMatchObject({ maxInFlight: 32, batch: null, lagSeconds: 0 });
    const updated = await client.webhooks.update(subscription.id, {
      maxInFlight: 8,
      batch: { maxEvents: 2, maxWaitMs: 10 },
    });
    expect(updated).toMatchObject({ maxInFlight: 8, batch: { maxEvents: 2, maxWaitMs: 10 } });
    deliveries.length = 0;
    const delivered = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    for (const index of [1, 2])
      await gateway.deliver(gateway.sms, {
        kind: 'message',
        id: `SM-batch-${index}`,
        from: '+14155550778',
        content: { type: 'text', text: `batch ${index}` },
      });
    await delivered;
    const events = deliveries.flatMap((delivery) =>
      verifyWebhookBatch(subscription.secret!, delivery.headers, delivery.body),
    );
    expect(events.length).toBeGreaterThan(0);
    expect(deliveries[0]!.headers['webhook-id']).toMatch(/^batch_/);
    const read = await client.webhooks.get(subscription.id);
    expect(read.batch).toEqual({ maxEvents: 2, maxWaitMs: 10 });
    await client.webhooks.delete(subscription.id);
  });
});
