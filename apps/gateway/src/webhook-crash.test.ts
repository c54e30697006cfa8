import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { twilioSignature } from '@threadline/connector-kit';
import type { ThreadlineEvent } from '@threadline/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartableGateway } from './test-support/gateway-process.js';

/**
 * Real processes: a gateway delivering a burst of events to a webhook receiver is killed with
 * SIGKILL while requests are out. After a restart on the same data directory every event
 * reaches the receiver at least once, each conversation's in order, and the only repeats are
 * the requests that were out when the process died.
 */
const accountSid = 'AC00000000000000000000000000000000';
const authToken = 'webhook-crash-token';
const apiKey = 'webhook-crash-key';
const maxInFlight = 4;
const customers = 10;
const messagesEach = 6;

interface Arrival {
  webhookId: string;
  event: ThreadlineEvent;
}

describe('webhook deliveries across SIGKILL', () => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'threadline-webhook-crash-'));
  const gateway = restartableGateway(dataDirectory, () => ({
    THREADLINE_API_KEYS: apiKey,
    THREADLINE_ALLOW_PRIVATE_WEBHOOKS: '1',
    TWILIO_ACCOUNT_SID: accountSid,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_FROM_NUMBER: '+14155550000',
    TWILIO_API_BASE: 'http://127.0.0.1:9',
  }));
  const base = gateway.base;
  const arrivals: Arrival[] = [];
  const held: ServerResponse[] = [];
  /** Answer this many requests, then hold every further one unanswered. */
  let answerFirst = Number.POSITIVE_INFINITY;
  let sink: Server;
  let sinkUrl: string;

  beforeAll(async () => {
    sink = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        arrivals.push({
          webhookId: String(request.headers['webhook-id']),
          event: JSON.parse(body) as ThreadlineEvent,
        });
        if (arrivals.length > answerFirst) held.push(response);
        else response.writeHead(204).end();
      });
      request.on('error', () => {});
      response.on('error', () => {});
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hooks`;
  });

  afterAll(async () => {
    gateway.child?.kill('SIGKILL');
    sink.closeAllConnections();
    await new Promise((resolve) => sink.close(resolve));
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

  function inbound(customer: number, index: number) {
    const url = `${base()}/webhooks/sms/sms`;
    const params: Array<[string, string]> = [
      ['AccountSid', accountSid],
      ['MessageSid', `SMburst${String(customer * 100 + index).padStart(27, '0')}`],
      ['From', `+1415555${String(3000 + customer)}`],
      ['To', '+14155550000'],
      ['Body', `customer ${customer} message ${index}`],
      ['NumMedia', '0'],
    ];
    return fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(authToken, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!condition()) {
      if (Date.now() > deadline)
        throw new Error(`${what} did not happen; gateway: ${gateway.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('delivers every event at least once, in order per conversation, repeating only what was in flight', async () => {
    await gateway.start();
    const created = await fetch(`${base()}/v1/webhooks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ url: sinkUrl, eventTypes: ['message.received'], maxInFlight }),
    });
    expect(created.status, gateway.output()).toBe(201);

    // the receiver answers the first 20 deliveries, then holds the next ones: requests in flight
    answerFirst = 20;
    const burst: Array<Promise<Response>> = [];
    for (let index = 0; index < messagesEach; index++)
      for (let customer = 0; customer < customers; customer++) burst.push(inbound(customer, index));
    for (const response of await Promise.all(burst)) expect(response.status).toBe(200);
    await until(() => held.length === maxInFlight, `${maxInFlight} held deliveries`);
    const inFlight = new Set(arrivals.slice(answerFirst).map((arrival) => arrival.webhookId));
    expect(inFlight.size).toBe(maxInFlight);
    gateway.child!.kill('SIGKILL');
    await new Promise((resolve) => gateway.child!.once('exit', resolve));
    for (const response of held.splice(0)) response.destroy();
    const beforeRestart = arrivals.length;
    expect(beforeRestart).toBe(answerFirst + maxInFlight);

    answerFirst = Number.POSITIVE_INFINITY;
    await gateway.start();
    const stored = (
      (await (
        await fetch(`${base()}/v1/events?format=json&after=0&limit=1000&types=message.received`, {
          headers,
        })
      ).json()) as { data: ThreadlineEvent[] }
    ).data;
    expect(stored).toHaveLength(customers * messagesEach);
    await until(
      () => new Set(arrivals.map((arrival) => arrival.event.id)).size === stored.length,
      'every event delivered',
    );
    const seen = new Set<string>();
    const repeats: string[] = [];
    const firstArrivals = new Map<string, number[]>();
    for (const { webhookId, event } of arrivals) {
      expect(webhookId).toBe(event.id);
      if (seen.has(event.id)) {
        repeats.push(event.id);
        continue;
      }
      seen.add(event.id);
      const conversationId = (event as Extract<ThreadlineEvent, { type: 'message.received' }>).data
        .message.conversationId;
      firstArrivals.set(conversationId, [
        ...(firstArrivals.get(conversationId) ?? []),
        event.cursor,
      ]);
    }
    expect(firstArrivals.size).toBe(customers);
    for (const cursors of firstArrivals.values())
      expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    // repeats are deliveries in flight when the process died: every request still out (its
    // outcome never stored) once, and at most one per conversation answered but not yet stored
    const before = new Set(arrivals.slice(0, beforeRestart).map((arrival) => arrival.webhookId));
    for (const id of repeats) expect(before).toContain(id);
    for (const id of inFlight) expect(repeats.filter((repeat) => repeat === id)).toHaveLength(1);
    const conversationOf = new Map(
      arrivals.map(({ event }) => [
        event.id,
        (event as Extract<ThreadlineEvent, { type: 'message.received' }>).data.message
          .conversationId,
      ]),
    );
    const perConversation = new Map<string, number>();
    for (const id of repeats.filter((repeat) => !inFlight.has(repeat))) {
      const conversationId = conversationOf.get(id)!;
      perConversation.set(conversationId, (perConversation.get(conversationId) ?? 0) + 1);
    }
    for (const count of perConversation.values()) expect(count).toBe(1);
    // and each conversation's arrivals after the restart are in order too
    const afterRestart = new Map<string, number[]>();
    for (const { event } of arrivals.slice(beforeRestart)) {
      const conversationId = (event as Extract<ThreadlineEvent, { type: 'message.received' }>).data
        .message.conversationId;
      afterRestart.set(conversationId, [...(afterRestart.get(conversationId) ?? []), event.cursor]);
    }
    for (const cursors of afterRestart.values())
      expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    gateway.child!.kill('SIGTERM');
  }, 120_000);
});
