import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '@threadline/engine';
import type { ThreadlineEvent } from '@threadline/schema';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorization, createTestGateway } from './test-support/test-gateway.js';

let harness: ReturnType<typeof createTestGateway>;
beforeEach(() => {
  harness = createTestGateway({
    allowPrivateWebhookUrls: true,
    webhookRetry: { baseMs: 1000, maxMs: 60_000, giveUpAfterMs: 24 * 3_600_000 },
  });
});
afterEach(async () => {
  await harness.close();
});

interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
}

/** Reads SSE frames from a streaming response until `count` events with an id arrived; returns those. */
async function readEvents(
  response: Response,
  count: number,
): Promise<{ frames: SseFrame[]; cancel: () => Promise<void> }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const frames: SseFrame[] = [];
  while (frames.filter((frame) => frame.id).length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const frame: SseFrame = {};
      for (const line of block.split('\n')) {
        const separator = line.indexOf(':');
        if (separator <= 0) continue;
        const field = line.slice(0, separator) as keyof SseFrame;
        const value = line.slice(separator + 1).replace(/^ /, '');
        if (field === 'id' || field === 'event' || field === 'data') frame[field] = value;
      }
      if (frame.id || frame.event) frames.push(frame);
      boundary = buffer.indexOf('\n\n');
    }
  }
  // a consumer that stops after `count` events has seen exactly those, whatever else came in
  // the same chunk
  return {
    frames: frames.filter((frame) => frame.id).slice(0, count),
    cancel: () => reader.cancel(),
  };
}

/** Events by conversation, each list in the order it arrived. */
function groupByConversation(events: ThreadlineEvent[]): Map<string, ThreadlineEvent[]> {
  const groups = new Map<string, ThreadlineEvent[]>();
  for (const event of events) {
    const data = event.data as {
      message?: { conversationId: string };
      conversation?: { id: string };
    };
    const conversationId = data.message?.conversationId ?? data.conversation?.id ?? '';
    groups.set(conversationId, [...(groups.get(conversationId) ?? []), event]);
  }
  return groups;
}

async function ingestMessages(count: number, offset = 0) {
  for (let index = offset; index < offset + count; index++) {
    const response = await harness.deliver(harness.sms, {
      kind: 'message',
      id: `SM-stream-${index}`,
      from: `+1415555${String(1000 + index)}`,
      content: { type: 'text', text: `message ${index}` },
    });
    expect(response.status).toBe(200);
  }
}

describe('event stream (SSE)', () => {
  it('resumes with Last-Event-ID: exactly the rest, in order, nothing twice', async () => {
    await ingestMessages(4);
    const all = (await (await harness.api('/v1/events?format=json&after=0&limit=1000')).json()) as {
      data: ThreadlineEvent[];
    };
    expect(all.data).toHaveLength(8);
    const first = await harness.app.request('/v1/events?after=0', { headers: authorization });
    expect(first.headers.get('content-type')).toContain('text/event-stream');
    const firstRead = await readEvents(first, 5);
    await firstRead.cancel();
    expect(firstRead.frames).toHaveLength(5);
    const lastSeen = firstRead.frames.at(-1)!.id!;
    // more events arrive while the consumer is away
    await ingestMessages(2, 10);
    const everything = (await (
      await harness.api('/v1/events?format=json&after=0&limit=1000')
    ).json()) as { data: ThreadlineEvent[] };
    const resumed = await harness.app.request('/v1/events', {
      headers: { ...authorization, 'last-event-id': lastSeen },
    });
    const rest = everything.data.length - 5;
    const secondRead = await readEvents(resumed, rest);
    await secondRead.cancel();
    const seen = [...firstRead.frames, ...secondRead.frames].map((frame) => Number(frame.id));
    expect(seen).toEqual(everything.data.map((event) => event.cursor));
    const parsed = secondRead.frames.map((frame) => JSON.parse(frame.data!) as ThreadlineEvent);
    expect(parsed.map((event) => event.type)).toEqual(
      secondRead.frames.map((frame) => frame.event),
    );
  });

  it('delivers events that commit while the stream is open', async () => {
    const stream = await harness.app.request('/v1/events', { headers: authorization });
    const reading = readEvents(stream, 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await ingestMessages(1, 50);
    const { frames, cancel } = await reading;
    await cancel();
    expect(frames.map((frame) => frame.event)).toEqual(['conversation.opened', 'message.received']);
  });

  it('pages JSON with a cursor and filters by type', async () => {
    await ingestMessages(3, 20);
    const page = (await (await harness.api('/v1/events?format=json&after=0&limit=2')).json()) as {
      data: ThreadlineEvent[];
      nextCursor: number;
    };
    expect(page.data).toHaveLength(2);
    const next = (await (
      await harness.api(`/v1/events?format=json&after=${page.nextCursor}&limit=100`)
    ).json()) as { data: ThreadlineEvent[] };
    expect(next.data).toHaveLength(4);
    const received = (await (
      await harness.api('/v1/events?format=json&after=0&types=message.received')
    ).json()) as { data: ThreadlineEvent[] };
    expect(received.data.map((event) => event.type)).toEqual([
      'message.received',
      'message.received',
      'message.received',
    ]);
  });
});

describe('webhooks', () => {
  let receiver: Server;
  let url: string;
  let failuresLeft = 0;
  const deliveries: Array<{ headers: IncomingHttpHeaders; body: string; status: number }> = [];

  beforeEach(async () => {
    deliveries.length = 0;
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        const status = failuresLeft > 0 ? 500 : 204;
        if (failuresLeft > 0) failuresLeft -= 1;
        deliveries.push({ headers: request.headers, body, status });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  });
  afterEach(async () => {
    await new Promise((resolve) => receiver.close(resolve));
  });

  async function subscribe(eventTypes: string[] = []) {
    const response = await harness.api('/v1/webhooks', { json: { url, eventTypes } });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string; secret: string };
  }

  it('signs every delivery per Standard Webhooks, verified with the standardwebhooks library', async () => {
    // the verifier checks the timestamp against the real time: use the system clock here
    await harness.close();
    harness = createTestGateway({ allowPrivateWebhookUrls: true, clock: systemClock });
    const subscription = await subscribe();
    await ingestMessages(2, 30);
    await harness.gateway.dispatcher.runOnce();
    expect(deliveries).toHaveLength(4);
    const verifier = new Webhook(subscription.secret);
    for (const delivery of deliveries) {
      const event = verifier.verify(delivery.body, {
        'webhook-id': String(delivery.headers['webhook-id']),
        'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
        'webhook-signature': String(delivery.headers['webhook-signature']),
      }) as ThreadlineEvent;
      expect(event.id).toBe(delivery.headers['webhook-id']);
    }
    const tampered = deliveries[0]!;
    expect(() =>
      verifier.verify(tampered.body.replace('"type"', '"kind"'), {
        'webhook-id': String(tampered.headers['webhook-id']),
        'webhook-timestamp': String(tampered.headers['webhook-timestamp']),
        'webhook-signature': String(tampered.headers['webhook-signature']),
      }),
    ).toThrow();
    // two customers, two conversations: each one's events in order
    const events = deliveries.map((delivery) => JSON.parse(delivery.body) as ThreadlineEvent);
    const byConversation = groupByConversation(events);
    expect(byConversation.size).toBe(2);
    for (const conversationEvents of byConversation.values())
      expect(conversationEvents.map((event) => event.type)).toEqual([
        'conversation.opened',
        'message.received',
      ]);
  });

  it('retries a receiver that fails twice, which then gets the event exactly once', async () => {
    await subscribe(['message.received']);
    failuresLeft = 2;
    await ingestMessages(1, 40);
    await harness.gateway.dispatcher.runOnce();
    expect(deliveries.map((delivery) => delivery.status)).toEqual([500]);
    await harness.gateway.dispatcher.runOnce();
    expect(deliveries).toHaveLength(1);
    harness.clock.advance(1000);
    await harness.gateway.dispatcher.runOnce();
    expect(deliveries.map((delivery) => delivery.status)).toEqual([500, 500]);
    harness.clock.advance(2000);
    await harness.gateway.dispatcher.runOnce();
    harness.clock.advance(60_000);
    await harness.gateway.dispatcher.runOnce();
    expect(deliveries.map((delivery) => delivery.status)).toEqual([500, 500, 204]);
    const accepted = deliveries.filter((delivery) => delivery.status === 204);
    expect(accepted).toHaveLength(1);
    expect(new Set(deliveries.map((delivery) => delivery.headers['webhook-id'])).size).toBe(1);
  });

  it('dead-letters an event after 24 hours of failures and moves on', async () => {
    const subscription = await subscribe(['message.received']);
    failuresLeft = 1_000;
    await ingestMessages(1, 60);
    for (let hour = 0; hour <= 25; hour++) {
      await harness.gateway.dispatcher.runOnce();
      harness.clock.advance(3_600_000);
    }
    await harness.gateway.dispatcher.runOnce();
    const deadLetters = (await (
      await harness.api(`/v1/webhooks/${subscription.id}/dead-letters`)
    ).json()) as { data: Array<{ attempts: number }> };
    expect(deadLetters.data).toHaveLength(1);
    expect(deadLetters.data[0]!.attempts).toBeGreaterThan(10);
    failuresLeft = 0;
    await ingestMessages(1, 61);
    await harness.gateway.dispatcher.runOnce();
    expect(deliveries.at(-1)!.status).toBe(204);
  });

  it('replays from a cursor on redeliver, lists and deletes subscriptions', async () => {
    const subscription = await subscribe(['message.received']);
    await ingestMessages(2, 70);
    await harness.gateway.dispatcher.runOnce();
    expect(deliveries).toHaveLength(2);
    const replay = await harness.api(`/v1/webhooks/${subscription.id}/redeliver`, {
      json: { after: 0 },
    });
    expect(replay.status).toBe(202);
    await harness.gateway.dispatcher.runOnce();
    expect(deliveries).toHaveLength(4);
    const list = (await (await harness.api('/v1/webhooks')).json()) as {
      data: Array<{ id: string; secret?: string }>;
    };
    expect(list.data.map((item) => item.id)).toEqual([subscription.id]);
    expect(list.data[0]!.secret).toBeUndefined();
    expect(
      (await harness.api(`/v1/webhooks/${subscription.id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect(
      (await harness.api(`/v1/webhooks/${subscription.id}`, { method: 'DELETE' })).status,
    ).toBe(404);
  });

  it('refuses loopback and private webhook URLs unless allowed', async () => {
    const strict = createTestGateway();
    try {
      for (const target of [
        'http://127.0.0.1:9/x',
        'http://localhost/x',
        'http://10.1.2.3/x',
        'http://[::1]/x',
        'http://169.254.169.254/latest',
      ]) {
        const response = await strict.api('/v1/webhooks', { json: { url: target } });
        expect(response.status, target).toBe(400);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
          'validation_failed',
        );
      }
    } finally {
      await strict.close();
    }
  });
});
