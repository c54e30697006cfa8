import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ThreadlineEvent } from '@threadline/schema';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from './config.js';
import { apiKey, createTestGateway } from './test-support/test-gateway.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Collects JSON frames from a socket until `count` events (frames with a cursor) arrived. */
function collect(socket: WebSocket, count: number): Promise<ThreadlineEvent[]> {
  return new Promise((resolve, reject) => {
    const events: ThreadlineEvent[] = [];
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(String(data)) as { type: string };
      if (frame.type !== 'ready') events.push(frame as ThreadlineEvent);
      if (events.length >= count) {
        socket.off('message', onMessage);
        resolve(events);
      }
    };
    socket.on('message', onMessage);
    socket.on('error', reject);
    socket.on('close', () =>
      events.length >= count
        ? resolve(events)
        : reject(new Error(`closed after ${events.length} events`)),
    );
  });
}

describe('event stream (WebSocket)', () => {
  it('streams events from a cursor and resumes after a reconnect with nothing missed or doubled', async () => {
    const harness = createTestGateway();
    cleanups.push(() => harness.close());
    const { port } = await harness.gateway.listen(0);
    const deliver = (index: number) =>
      harness.deliver(harness.sms, {
        kind: 'message',
        id: `SM-ws-${index}`,
        from: `+1415555${String(3000 + index)}`,
        content: { type: 'text', text: `hello ${index}` },
      });
    for (let index = 0; index < 3; index++) await deliver(index);

    const refused = new WebSocket(`ws://127.0.0.1:${port}/v1/events/ws?after=0`);
    const refusal = await new Promise<number>((resolve) =>
      refused.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)),
    );
    expect(refusal).toBe(401);

    const first = new WebSocket(`ws://127.0.0.1:${port}/v1/events/ws?after=0&api_key=${apiKey}`);
    const firstBatch = await collect(first, 4);
    first.close();
    const lastSeen = firstBatch.at(-1)!.cursor;
    for (let index = 3; index < 5; index++) await deliver(index);

    const all = (await (await harness.api('/v1/events?format=json&after=0')).json()) as {
      data: ThreadlineEvent[];
    };
    const second = new WebSocket(`ws://127.0.0.1:${port}/v1/events/ws?after=${lastSeen}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const secondBatch = await collect(second, all.data.length - 4);
    second.close();
    expect([...firstBatch, ...secondBatch].map((event) => event.cursor)).toEqual(
      all.data.map((event) => event.cursor),
    );
  });
});

describe('WebSocket frame limit', () => {
  it('closes a socket that sends a frame larger than the body limit', async () => {
    const harness = createTestGateway({ maxBodyBytes: 4096 });
    cleanups.push(() => harness.close());
    const { port } = await harness.gateway.listen(0);
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/events/ws?after=0&api_key=${apiKey}`);
    await new Promise((resolve) => socket.on('open', resolve));
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.send('x'.repeat(64 * 1024));
    expect(await closed).toBe(1009);
  });
});

describe('configuration', () => {
  it('reads threadline.config.* over the environment, with defaults that work on a fresh clone', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'threadline-config-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const defaults = await loadConfig(directory, {});
    expect(defaults).toMatchObject({
      port: 8787,
      apiKeys: [],
      continuityWindowMs: 24 * 3_600_000,
      durability: 'normal',
    });
    expect(defaults.dataDirectory).toMatch(/data$/);

    const fromEnv = await loadConfig(directory, {
      PORT: '9000',
      THREADLINE_API_KEYS: 'a, b',
      THREADLINE_CONTINUITY_WINDOW: '90m',
      THREADLINE_PUBLIC_URL: 'https://gw.example/',
    });
    expect(fromEnv).toMatchObject({
      port: 9000,
      apiKeys: ['a', 'b'],
      continuityWindowMs: 90 * 60_000,
      publicUrl: 'https://gw.example',
    });

    writeFileSync(
      join(directory, 'threadline.config.mjs'),
      "export default { port: 9100, continuityWindowMs: 3600000, apiKeys: ['from-file'] };\n",
    );
    const fromFile = await loadConfig(directory, { PORT: '9000' });
    expect(fromFile).toMatchObject({
      port: 9100,
      continuityWindowMs: 3_600_000,
      apiKeys: ['from-file'],
    });
  });

  it('resolves the data directory and the config file against where the user ran npm (INIT_CWD)', async () => {
    // `npm start` runs in apps/gateway; npm passes the user's directory as INIT_CWD
    const userDirectory = mkdtempSync(join(tmpdir(), 'threadline-user-'));
    cleanups.push(() => rmSync(userDirectory, { recursive: true, force: true }));
    const env = { INIT_CWD: userDirectory };
    expect((await loadConfig(undefined, env)).dataDirectory).toBe(join(userDirectory, 'data'));
    expect(
      (await loadConfig(undefined, { ...env, THREADLINE_DATA_DIR: 'state/threadline' }))
        .dataDirectory,
    ).toBe(join(userDirectory, 'state', 'threadline'));
    expect(
      (await loadConfig(undefined, { ...env, THREADLINE_DATA_DIR: '/var/lib/threadline' }))
        .dataDirectory,
    ).toBe('/var/lib/threadline');
    writeFileSync(join(userDirectory, 'threadline.config.mjs'), 'export default { port: 9200 };\n');
    expect((await loadConfig(undefined, env)).port).toBe(9200);
  });
});
