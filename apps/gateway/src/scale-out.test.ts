import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockConnector, type MockPayload } from '@threadline/connector-kit';
import {
  deletePrefix,
  redisUnavailable,
  testRedisUrl,
  uniquePrefix,
} from '@threadline/queue-redis/test';
import type { Message, ThreadlineEvent } from '@threadline/schema';
import {
  createTestDatabase,
  postgresUnavailable,
  type TestDatabase,
} from '@threadline/store-postgres/test';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ThreadlineApp } from './create-app.js';

/**
 * Two gateway instances in one process, sharing PostgreSQL and Redis: events fan out
 * across instances, listeners that must run once run on the lease holder only, and sends
 * through such a connector leave from the holder.
 */
const [postgresMissing, redisMissing] = await Promise.all([
  postgresUnavailable(),
  redisUnavailable(),
]);
const apiKey = 'scale-out-test-key';
const authorization = { authorization: `Bearer ${apiKey}` };

/** A connector whose listener must run on one instance at a time (like the SMTP server). */
class ListenerMock extends MockConnector {
  readonly singleListener = true;
  listening = false;
  private waiters: Array<{ listening: boolean; resolve: () => void }> = [];
  async start() {
    this.set(true);
  }
  async stop() {
    this.set(false);
  }
  /** Resolves when the listener is (or becomes) started or stopped. */
  becomes(listening: boolean): Promise<void> {
    if (this.listening === listening) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ listening, resolve }));
  }
  private set(listening: boolean) {
    this.listening = listening;
    for (const waiter of this.waiters.filter((entry) => entry.listening === listening))
      waiter.resolve();
    this.waiters = this.waiters.filter((entry) => entry.listening !== listening);
  }
}

/** A connector that delivers into sockets held by one instance (like the web chat widget's). */
class SocketMock extends MockConnector {
  readonly visitors = new Set<string>();
  private waiters: Array<() => void> = [];
  openSockets(address: string): number {
    return this.visitors.has(address) ? 1 : 0;
  }
  override async send(message: Parameters<MockConnector['send']>[0]) {
    const result = await super.send(message);
    for (const waiter of this.waiters.splice(0)) waiter();
    return result;
  }
  /** Resolves after the next send through this instance's connector. */
  nextSend(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

interface Instance {
  app: ThreadlineApp;
  sms: MockConnector;
  email: ListenerMock;
  chat: SocketMock;
  deliver(connector: MockConnector, payload: MockPayload): Promise<Response>;
  api(path: string, init?: RequestInit): Promise<Response>;
}

/** Reads SSE frames with an id until `count` arrived. */
async function readFrames(response: Response, count: number) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: ThreadlineEvent[] = [];
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    for (let boundary = buffer.indexOf('\n\n'); boundary >= 0; boundary = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const data = block
        .split('\n')
        .find((line) => line.startsWith('data:'))
        ?.slice(5)
        .trim();
      if (block.split('\n').some((line) => line.startsWith('id:')) && data)
        events.push(JSON.parse(data) as ThreadlineEvent);
    }
  }
  await reader.cancel();
  return events;
}

describe.skipIf(postgresMissing !== undefined || redisMissing !== undefined)(
  'several gateway instances (PostgreSQL + Redis)',
  () => {
    let database: TestDatabase;
    let prefix: string;
    const running: Instance[] = [];
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => {
      await database?.drop();
    });
    afterEach(async () => {
      for (const instance of running.splice(0)) await instance.app.gateway.close();
      await deletePrefix(prefix);
    });

    /** `count` instances of a fresh deployment (its own schema and Redis prefix). */
    async function startInstances(count: number, schema: string): Promise<Instance[]> {
      prefix = uniquePrefix('gateway');
      const instances: Instance[] = [];
      for (let index = 0; index < count; index++) {
        const sms = new MockConnector({ channel: 'sms' });
        const email = new ListenerMock({ channel: 'email' });
        const chat = new SocketMock({ channel: 'webchat' });
        const app = createApp({
          apiKeys: [apiKey],
          connectorsFromEnv: false,
          connectors: [sms, email, chat],
          logLevel: 'silent',
          env: {
            DATABASE_URL: database.url,
            THREADLINE_DATABASE_SCHEMA: schema,
            REDIS_URL: testRedisUrl,
            THREADLINE_REDIS_PREFIX: prefix,
            THREADLINE_LISTENER_LEASE: '900ms',
            THREADLINE_ALLOW_PRIVATE_WEBHOOKS: '1',
            THREADLINE_INSTANCE_ID: `instance-${index}`,
          },
        });
        const instance: Instance = {
          app,
          sms,
          email,
          chat,
          deliver: async (connector, payload) => {
            const request = connector.request(payload);
            return app.request(`/webhooks/${connector.channel}/${connector.id}`, {
              method: 'POST',
              headers: request.headers,
              body: request.body,
            });
          },
          api: async (path, init = {}) =>
            app.request(path, {
              ...init,
              headers: { ...authorization, ...(init.headers as Record<string, string>) },
            }),
        };
        running.push(instance);
        instances.push(instance);
      }
      for (const instance of instances) await instance.app.gateway.start();
      return instances;
    }

    it('streams events ingested on instance B to a consumer on instance A, in cursor order, resumable on either', async () => {
      const [a, b] = await startInstances(2, 'stream');
      const stream = await a!.api('/v1/events?after=0');
      expect(stream.status).toBe(200);
      const reading = readFrames(stream, 10);
      for (let index = 0; index < 5; index++) {
        const response = await b!.deliver(b!.sms, {
          kind: 'message',
          id: `SMcross${index}`,
          from: `+1415555${String(3000 + index)}`,
          content: { type: 'text', text: `hello from B ${index}` },
        });
        expect(response.status).toBe(200);
      }
      const seen = await reading;
      const cursors = seen.map((event) => event.cursor);
      expect(cursors).toEqual([...cursors].sort((x, y) => x - y));
      expect(seen.filter((event) => event.type === 'message.received')).toHaveLength(5);

      // the consumer reconnects to B with its last cursor: exactly the rest
      const resumed = await b!.api('/v1/events', {
        headers: { 'last-event-id': String(seen[3]!.cursor) },
      });
      const rest = await readFrames(resumed, 6);
      expect(rest.map((event) => event.id)).toEqual(seen.slice(4).map((event) => event.id));
    });

    it('runs a single-listener connector on one instance, and moves it when that instance stops', async () => {
      const [a, b] = await startInstances(2, 'lease');
      const listening = [a!, b!].filter((instance) => instance.email.listening);
      expect(listening).toHaveLength(1);
      expect([a!, b!].filter((instance) => instance.app.gateway.scaleOut.holdsListeners)).toEqual(
        listening,
      );
      const holder = listening[0]!;
      const other = holder === a ? b! : a!;
      running.splice(running.indexOf(holder), 1);
      await holder.app.gateway.close();
      await other.email.becomes(true);
      expect(other.app.gateway.scaleOut.holdsListeners).toBe(true);
    });

    it('delivers webhooks from the lease holder only; the next holder goes on where it stopped', async () => {
      const arrivals: ThreadlineEvent[] = [];
      const sink = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk) => {
          body += chunk;
        });
        request.on('end', () => {
          arrivals.push(JSON.parse(body) as ThreadlineEvent);
          response.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
      try {
        const [a, b] = await startInstances(2, 'webhooks');
        const [holder, other] = a!.email.listening ? [a!, b!] : [b!, a!];
        const created = await other.api('/v1/webhooks', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hooks`,
            eventTypes: ['message.received'],
          }),
        });
        expect(created.status).toBe(201);
        const { id } = (await created.json()) as { id: string };
        const ingest = async (instance: Instance, index: number) => {
          const response = await instance.deliver(instance.sms, {
            kind: 'message',
            id: `SMhook${index}`,
            from: `+1415555${String(4000 + (index % 3))}`,
            content: { type: 'text', text: `message ${index}` },
          });
          expect(response.status).toBe(200);
        };
        const arrived = async (count: number) => {
          const deadline = Date.now() + 15_000;
          while (arrivals.length < count && Date.now() < deadline)
            await new Promise((resolve) => setTimeout(resolve, 20));
          expect(arrivals).toHaveLength(count);
        };
        for (let index = 0; index < 6; index++) await ingest(index % 2 ? a! : b!, index);
        await arrived(6);
        running.splice(running.indexOf(holder), 1);
        await holder.app.gateway.close();
        await other.email.becomes(true);
        for (let index = 6; index < 9; index++) await ingest(other, index);
        await arrived(9);
        // each event once (the holder recorded what it delivered before it let go), and every
        // customer's messages in order
        expect(new Set(arrivals.map((event) => event.id)).size).toBe(9);
        const byConversation = new Map<string, number[]>();
        for (const event of arrivals) {
          const message = (event as Extract<ThreadlineEvent, { type: 'message.received' }>).data
            .message;
          byConversation.set(message.conversationId, [
            ...(byConversation.get(message.conversationId) ?? []),
            event.cursor,
          ]);
        }
        expect(byConversation.size).toBe(3);
        for (const cursors of byConversation.values())
          expect(cursors).toEqual([...cursors].sort((x, y) => x - y));
        const deadline = Date.now() + 15_000;
        let view = { pending: -1, lagSeconds: -1, cursor: 0 };
        while (view.pending !== 0 && Date.now() < deadline) {
          view = (await (await other.api(`/v1/webhooks/${id}`)).json()) as typeof view;
          if (view.pending !== 0) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(view).toMatchObject({ pending: 0, lagSeconds: 0 });
        expect(view.cursor).toBe(Math.max(...arrivals.map((event) => event.cursor)));
      } finally {
        sink.closeAllConnections();
        await new Promise((resolve) => sink.close(resolve));
      }
    });

    it('sends through a single-listener connector from the instance that holds it', async () => {
      const [a, b] = await startInstances(2, 'owned');
      const [holder, other] = a!.email.listening ? [a!, b!] : [b!, a!];
      const accepted = await other.api('/v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          to: { channel: 'email', address: 'customer@example.com' },
          content: { type: 'text', text: 'your invoice' },
        }),
      });
      expect(accepted.status).toBe(202);
      const { id } = (await accepted.json()) as Message;
      const deadline = Date.now() + 15_000;
      let status = 'queued';
      while (status === 'queued' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = ((await (await other.api(`/v1/messages/${id}`)).json()) as Message).status;
      }
      expect(status).toBe('sent');
      expect(holder.email.sent.map((sent) => sent.id)).toEqual([id]);
      expect(other.email.sent).toEqual([]);
    });

    it('pushes a reply sent by one instance into the visitor socket another instance holds', async () => {
      const [a, b] = await startInstances(2, 'sockets');
      a!.chat.visitors.add('visitor-1');
      const relayed = a!.chat.nextSend();
      // instance B runs the send job; the visitor's socket is on A
      await b!.app.gateway.connectors.get('webchat')!.send({
        id: 'reply-1',
        conversationId: 'conversation-1',
        to: { channel: 'webchat', address: 'visitor-1' },
        content: { type: 'text', text: 'Hi! How can we help?' },
        channelData: {},
      });
      await relayed;
      expect(a!.chat.sent.map((sent) => [sent.id, sent.to.address])).toEqual([
        ['reply-1', 'visitor-1'],
      ]);
      expect(b!.chat.sent.map((sent) => sent.id)).toEqual(['reply-1']);
    });

    it('runs a switchboard response timeout from the shared queue once, whichever instance takes it', async () => {
      const [a, b] = await startInstances(2, 'switchboard');
      const post = (instance: Instance, path: string, body: unknown, method = 'POST') =>
        instance.api(path, {
          method,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const desk = (await (await post(a!, '/v1/integrations', { name: 'desk' })).json()) as {
        id: string;
      };
      const bot = (await (
        await post(a!, '/v1/integrations', { name: 'bot', next: desk.id, responseTimeout: '1s' })
      ).json()) as { id: string };
      const enabled = await post(
        b!,
        '/v1/switchboard',
        { enabled: true, defaultIntegrationId: bot.id },
        'PUT',
      );
      expect(enabled.status).toBe(200);
      const response = await b!.deliver(b!.sms, {
        kind: 'message',
        id: 'SM-switchboard-timeout',
        from: '+14155550180',
        content: { type: 'text', text: 'anyone?' },
      });
      expect(response.status).toBe(200);
      const timeouts = async () =>
        (
          (await (
            await a!.api('/v1/events?format=json&after=0&types=conversation.control_passed')
          ).json()) as { data: ThreadlineEvent[] }
        ).data.filter(
          (event) =>
            event.type === 'conversation.control_passed' && event.data.reason === 'timeout',
        );
      let fired = await timeouts();
      for (let round = 0; fired.length === 0 && round < 300; round++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        fired = await timeouts();
      }
      expect(fired).toHaveLength(1);
      expect(fired[0]!.data).toMatchObject({ from: bot.id, to: desk.id });
      // counted by the instance whose commit fired it: once across the deployment
      let counted = 0;
      for (const instance of [a!, b!]) {
        const text = await (await instance.app.request('/metrics')).text();
        counted += Number(
          /threadline_control_passes_total\{reason="timeout"\} (\d+)/.exec(text)?.[1] ?? 0,
        );
      }
      expect(counted).toBe(1);
    });
  },
);
