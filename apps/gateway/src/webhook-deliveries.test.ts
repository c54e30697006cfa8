import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message, ThreadlineEvent } from '@threadline/schema';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestGateway } from './test-support/test-gateway.js';

/**
 * Webhook deliveries against a real HTTP receiver on 127.0.0.1: concurrency across
 * conversations, order within one, retries that hold only their conversation, the circuit
 * breaker, and batches. The gateway's clock is a test clock; `runOnce` delivers what is due.
 */
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

type Answer = number | { status: number; headers: Record<string, string> } | 'hold';

let harness: ReturnType<typeof createTestGateway>;
let receiver: Server;
let url: string;
let received: Received[];
let answer: (body: string) => Answer;
let held: Array<{ response: ServerResponse; entry: Received }>;
let open = 0;
let mostOpen = 0;

beforeEach(async () => {
  harness = createTestGateway({
    allowPrivateWebhookUrls: true,
    webhookRetry: { baseMs: 1000, maxMs: 60_000, giveUpAfterMs: 24 * 3_600_000 },
  });
  received = [];
  held = [];
  open = 0;
  mostOpen = 0;
  answer = () => 204;
  receiver = createServer((request, response) => {
    let body = '';
    open += 1;
    mostOpen = Math.max(mostOpen, open);
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const decided = answer(body);
      const entry: Received = { headers: request.headers, body, status: 204 };
      received.push(entry);
      if (decided === 'hold') {
        held.push({ response, entry });
        return;
      }
      const { status, headers } =
        typeof decided === 'number' ? { status: decided, headers: {} } : decided;
      entry.status = status;
      open -= 1;
      response.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});

afterEach(async () => {
  for (const { response } of held.splice(0)) response.writeHead(204).end();
  await harness.close();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

async function subscribe(settings: Record<string, unknown> = {}) {
  const response = await harness.api('/v1/webhooks', {
    json: { url, eventTypes: ['message.received'], ...settings },
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; secret: string };
}

let sequence = 0;
/** An SMS from `customer` (a letter) whose text names it: `A-1`, `A-2`… */
async function customerWrites(customer: string, count: number) {
  for (let index = 1; index <= count; index++) {
    const response = await harness.deliver(harness.sms, {
      kind: 'message',
      id: `SM-lanes-${++sequence}`,
      from: `+1415555${String(customer.charCodeAt(0)).padStart(4, '0')}`,
      content: { type: 'text', text: `${customer}-${index}` },
    });
    expect(response.status).toBe(200);
  }
}

const textOf = (event: ThreadlineEvent) =>
  ((event.data as { message: Message }).message.content as { text: string }).text;
const texts = (entries: Received[]) =>
  entries.map((entry) => textOf(JSON.parse(entry.body) as ThreadlineEvent));
const delivered = () => received.filter((entry) => entry.status < 300);
const ofCustomer = (customer: string, entries: Received[]) =>
  texts(entries).filter((text) => text.startsWith(`${customer}-`));

describe('webhook lanes', () => {
  it('keeps delivering other conversations while one fails; it then catches up in order', async () => {
    const subscription = await subscribe();
    answer = (body) => (body.includes('"A-') ? 500 : 204);
    await customerWrites('A', 3);
    await customerWrites('B', 3);
    await customerWrites('C', 3);
    await harness.gateway.dispatcher.runOnce();
    expect(ofCustomer('B', delivered())).toEqual(['B-1', 'B-2', 'B-3']);
    expect(ofCustomer('C', delivered())).toEqual(['C-1', 'C-2', 'C-3']);
    // A's first message failed once; the ones behind it wait for it
    expect(texts(received.filter((entry) => entry.status === 500))).toEqual(['A-1']);

    harness.clock.advance(500);
    const failing = (await (await harness.api(`/v1/webhooks/${subscription.id}`)).json()) as {
      lagSeconds: number;
      pending: number;
      attempts: number;
      lastError: string;
    };
    expect(failing).toMatchObject({ lagSeconds: 0.5, pending: 3, attempts: 1 });
    expect(failing.lastError).toBe('HTTP 500');

    answer = () => 204;
    harness.clock.advance(500);
    await harness.gateway.dispatcher.runOnce();
    expect(ofCustomer('A', delivered())).toEqual(['A-1', 'A-2', 'A-3']);
    const attemptsOfA1 = received.filter((entry) => texts([entry])[0] === 'A-1');
    expect(attemptsOfA1.map((entry) => entry.status)).toEqual([500, 204]);
    expect(new Set(attemptsOfA1.map((entry) => entry.headers['webhook-id'])).size).toBe(1);
    const caughtUp = (await (await harness.api(`/v1/webhooks/${subscription.id}`)).json()) as {
      lagSeconds: number;
      pending: number;
      cursor: number;
    };
    expect(caughtUp).toMatchObject({ lagSeconds: 0, pending: 0 });
    expect(caughtUp.cursor).toBe(
      (
        (await (await harness.api('/v1/events?format=json&after=0&limit=1000')).json()) as {
          nextCursor: number;
        }
      ).nextCursor,
    );
  });

  it('has up to maxInFlight requests out at once, never more', async () => {
    await subscribe({ maxInFlight: 3 });
    for (const customer of ['A', 'B', 'C', 'D', 'E', 'F']) await customerWrites(customer, 2);
    // hold requests until three are out at once, then answer everything
    answer = () => (mostOpen < 3 ? 'hold' : 204);
    const delivering = harness.gateway.dispatcher.runOnce();
    await new Promise<void>((resolve) => {
      const check = () => (mostOpen >= 3 ? resolve() : setImmediate(check));
      check();
    });
    for (const { response } of held.splice(0)) {
      open -= 1;
      response.writeHead(204).end();
    }
    await delivering;
    expect(mostOpen).toBe(3);
    expect(delivered()).toHaveLength(12);
    for (const customer of ['A', 'B', 'C', 'D', 'E', 'F'])
      expect(ofCustomer(customer, delivered())).toEqual([`${customer}-1`, `${customer}-2`]);
  });

  it('pauses the whole subscription when the endpoint fails everything, probing one request at a time', async () => {
    await subscribe({ maxInFlight: 10 });
    answer = () => 503;
    for (const customer of ['A', 'B', 'C', 'D', 'E', 'F']) await customerWrites(customer, 2);
    await harness.gateway.dispatcher.runOnce();
    // every conversation's first message went out once and failed
    expect(received).toHaveLength(6);
    harness.clock.advance(1000);
    await harness.gateway.dispatcher.runOnce();
    // the retries are due, but the circuit lets one probe through
    expect(received).toHaveLength(7);
    harness.clock.advance(1000);
    await harness.gateway.dispatcher.runOnce();
    expect(received).toHaveLength(7);
    answer = () => 204;
    harness.clock.advance(1000);
    await harness.gateway.dispatcher.runOnce();
    // the probe succeeded: everything flows, each conversation in order
    for (const customer of ['A', 'B', 'C', 'D', 'E', 'F'])
      expect(ofCustomer(customer, delivered())).toEqual([`${customer}-1`, `${customer}-2`]);
  });

  it('waits for Retry-After when the endpoint answers 429', async () => {
    const subscription = await subscribe();
    answer = () => ({ status: 429, headers: { 'retry-after': '120' } });
    await customerWrites('A', 1);
    await customerWrites('B', 1);
    await harness.gateway.dispatcher.runOnce();
    const first = received.length;
    answer = () => 204;
    harness.clock.advance(60_000);
    await harness.gateway.dispatcher.runOnce();
    expect(received).toHaveLength(first);
    harness.clock.advance(60_000);
    await harness.gateway.dispatcher.runOnce();
    expect(ofCustomer('A', delivered())).toEqual(['A-1']);
    expect(ofCustomer('B', delivered())).toEqual(['B-1']);
    // the delivery log shows each request, newest first: the 429s, then the retries that went through
    const log = (await (
      await harness.api(`/v1/webhooks/${subscription.id}/deliveries`)
    ).json()) as { data: Array<Record<string, unknown>> };
    expect(log.data.map((entry) => [entry.outcome, entry.statusCode, entry.attempt])).toEqual([
      ['delivered', 204, 2],
      ['delivered', 204, 2],
      ['failed', 429, 1],
      ['failed', 429, 1],
    ]);
    expect(log.data[3]).toMatchObject({ error: 'HTTP 429', eventTypes: ['message.received'] });
    expect((await harness.api('/v1/webhooks/nope/deliveries')).status).toBe(404);
  });
  it('holds deliveries while a subscription is disabled, and resumes where it stopped', async () => {
    const subscription = await subscribe();
    const patch = (enabled: boolean) =>
      harness.api(`/v1/webhooks/${subscription.id}`, { method: 'PATCH', json: { enabled } });
    expect((await patch(false)).status).toBe(200);
    await customerWrites('A', 2);
    await harness.gateway.dispatcher.runOnce();
    expect(received).toEqual([]);
    expect((await patch(true)).status).toBe(200);
    await harness.gateway.dispatcher.runOnce();
    expect(ofCustomer('A', delivered())).toEqual(['A-1', 'A-2']);
  });
});

describe('webhook batches', () => {
  it('sends a signed JSON array, each conversation in order, with one webhook-id on every retry', async () => {
    const subscription = await subscribe({ batch: { maxEvents: 4, maxWaitMs: 1000 } });
    await customerWrites('A', 2);
    await customerWrites('B', 2);
    answer = () => 500;
    await harness.gateway.dispatcher.runOnce();
    answer = () => 204;
    harness.clock.advance(1000);
    await harness.gateway.dispatcher.runOnce();
    expect(received.map((entry) => entry.status)).toEqual([500, 204]);
    const [failed, retried] = received as [Received, Received];
    expect(retried.headers['webhook-id']).toBe(failed.headers['webhook-id']);
    expect(retried.headers['webhook-id']).toMatch(/^batch_/);
    expect(retried.body).toBe(failed.body);
    // the signature covers the id, the timestamp and the array exactly as sent
    const signedAt = new Date(Number(retried.headers['webhook-timestamp']) * 1000);
    expect(retried.headers['webhook-signature']).toBe(
      new Webhook(subscription.secret).sign(
        String(retried.headers['webhook-id']),
        signedAt,
        retried.body,
      ),
    );
    const events = JSON.parse(retried.body) as ThreadlineEvent[];
    expect(events.map(textOf)).toEqual(['A-1', 'A-2', 'B-1', 'B-2']);
    const cursors = events.map((event) => event.cursor);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
  });

  it('fills a batch up to maxEvents and sends the rest in the next', async () => {
    await subscribe({ batch: { maxEvents: 3, maxWaitMs: 60_000 } });
    await customerWrites('A', 2);
    await customerWrites('B', 2);
    await customerWrites('C', 1);
    await harness.gateway.dispatcher.runOnce();
    const batches = received.map((entry) =>
      (JSON.parse(entry.body) as ThreadlineEvent[]).map(textOf),
    );
    expect(batches.flat().sort()).toEqual(['A-1', 'A-2', 'B-1', 'B-2', 'C-1']);
    expect(Math.max(...batches.map((batch) => batch.length))).toBe(3);
    for (const customer of ['A', 'B'])
      expect(
        batches.flat().filter((text) => text.startsWith(customer)),
        customer,
      ).toEqual([`${customer}-1`, `${customer}-2`]);
  });

  it('changes concurrency and batching with PATCH, and refuses bad values with the field', async () => {
    const subscription = await subscribe();
    const patched = await harness.api(`/v1/webhooks/${subscription.id}`, {
      method: 'PATCH',
      json: { maxInFlight: 64, batch: { maxEvents: 100, maxWaitMs: 50 } },
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      maxInFlight: 64,
      batch: { maxEvents: 100, maxWaitMs: 50 },
    });
    const read = (await (await harness.api(`/v1/webhooks/${subscription.id}`)).json()) as {
      maxInFlight: number;
    };
    expect(read.maxInFlight).toBe(64);
    const refused = await harness.api(`/v1/webhooks/${subscription.id}`, {
      method: 'PATCH',
      json: { maxInFlight: 0 },
    });
    expect(refused.status).toBe(400);
    const error = ((await refused.json()) as { error: { code: string; details: unknown } }).error;
    expect(error.code).toBe('validation_failed');
    expect(error.details).toMatchObject({ issues: [{ path: 'maxInFlight' }] });
    const missing = await harness.api('/v1/webhooks/nope', {
      method: 'PATCH',
      json: { enabled: false },
    });
    expect(missing.status).toBe(404);
  });
});
