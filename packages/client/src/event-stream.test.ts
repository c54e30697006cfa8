import type { ThreadlineEvent } from '@threadline/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { apiKey, startTestGateway, type TestGateway } from './test-support/start-test-gateway.js';
import { createThreadlineClient, type ThreadlineClient } from './threadline-client.js';
import { ThreadlineApiError } from './threadline-client-error.js';

let gateway: TestGateway;
let client: ThreadlineClient;
let counter = 0;

beforeEach(async () => {
  gateway = await startTestGateway();
  client = createThreadlineClient({
    baseUrl: gateway.baseUrl,
    apiKey,
    webSocket: WebSocket,
  });
});
afterEach(async () => {
  await gateway.close();
});

async function customerWrites(count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    counter += 1;
    const response = await gateway.deliver(gateway.sms, {
      kind: 'message',
      id: `SM-stream-${counter}`,
      from: `+1415555${String(4000 + (counter % 3))}`,
      content: { type: 'text', text: `message ${counter}` },
    });
    expect(response.status).toBe(200);
  }
}

/** Resolves once `predicate` holds, checking after every event. */
function collector() {
  const events: ThreadlineEvent[] = [];
  let waiter: { predicate: () => boolean; resolve: () => void } | undefined;
  return {
    events,
    onEvent(event: ThreadlineEvent) {
      events.push(event);
      if (waiter?.predicate()) waiter.resolve();
    },
    until(predicate: () => boolean): Promise<void> {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve) => {
        waiter = { predicate, resolve };
      });
    },
  };
}

async function allCursors(): Promise<number[]> {
  const cursors: number[] = [];
  for await (const event of client.events.iterate()) cursors.push(event.cursor);
  return cursors;
}

describe.each(['sse', 'websocket'] as const)('events.stream over %s', (transport) => {
  it('delivers every event once, in order, across a gateway restart', async () => {
    const seen = collector();
    const readies: Array<{ cursor: number; reconnected: boolean }> = [];
    const stream = client.events.stream({
      after: 0,
      transport,
      onEvent: seen.onEvent,
      onReady: (info) => readies.push(info),
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    });
    await customerWrites(3);
    await seen.until(() => seen.events.filter((e) => e.type === 'message.received').length === 3);

    // the gateway goes away (a deploy) and comes back on the same port and data
    await gateway.restart();
    await customerWrites(3);
    await seen.until(() => seen.events.filter((e) => e.type === 'message.received').length === 6);
    stream.close();
    await stream.done;

    const expected = await allCursors();
    expect(seen.events.map((event) => event.cursor)).toEqual(expected);
    expect(stream.cursor).toBe(expected.at(-1));
    expect(readies[0]).toEqual({ cursor: 0, reconnected: false });
    expect(readies.at(-1)?.reconnected).toBe(true);
  });

  it('starts at the newest event without a cursor and filters by type', async () => {
    await customerWrites(2);
    const seen = collector();
    const ready = new Promise<number>((resolve) => {
      const stream = client.events.stream({
        transport,
        types: ['message.received'],
        onEvent: seen.onEvent,
        onReady: ({ cursor }) => resolve(cursor),
      });
      void seen.until(() => seen.events.length === 2).then(() => stream.close());
    });
    const startedAt = await ready;
    expect(startedAt).toBe((await allCursors()).at(-1));
    await customerWrites(2);
    await seen.until(() => seen.events.length === 2);
    expect(seen.events.map((event) => event.type)).toEqual([
      'message.received',
      'message.received',
    ]);
    expect(seen.events.every((event) => event.cursor > startedAt)).toBe(true);
  });

  it('ends with the handler error and keeps the cursor before the failed event', async () => {
    await customerWrites(1);
    const cursors = await allCursors();
    const failure = new Error('the app could not store the event');
    let calls = 0;
    const stream = client.events.stream({
      after: 0,
      transport,
      onEvent: () => {
        calls += 1;
        if (calls === 2) throw failure;
      },
    });
    await expect(stream.done).rejects.toBe(failure);
    expect(stream.cursor).toBe(cursors[0]);
  });

  it('gives up at once when the key is refused', async () => {
    const stranger = createThreadlineClient({
      baseUrl: gateway.baseUrl,
      apiKey: 'not-a-key',
      webSocket: WebSocket,
    });
    const stream = stranger.events.stream({ transport, onEvent: () => undefined });
    const error = await stream.done.catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ThreadlineApiError);
    expect(error).toMatchObject({ status: 401 });
  });
});

describe('events.stream', () => {
  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    const stream = client.events.stream({
      signal: controller.signal,
      onEvent: () => undefined,
      onReady: () => controller.abort(),
    });
    await expect(stream.done).resolves.toBeUndefined();
    expect(stream.connected).toBe(false);
  });

  it('keeps retrying while the gateway is away and reports each failure', async () => {
    const failures: number[] = [];
    const seen = collector();
    const stream = client.events.stream({
      after: 0,
      onEvent: seen.onEvent,
      onDisconnect: ({ attempt }) => failures.push(attempt),
      reconnect: { initialDelayMs: 10, maxDelayMs: 40 },
    });
    await gateway.restart(async () => {
      // down for a while: several attempts fail
      while (failures.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    });
    await customerWrites(1);
    await seen.until(() => seen.events.some((event) => event.type === 'message.received'));
    stream.close();
    await stream.done;
    expect(failures.slice(0, 3)).toEqual([1, 2, 3]);
  });
});
