import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, metaSignature, twilioSignature } from '@threadline/connector-kit';
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Real processes: two gateway instances on different ports share PostgreSQL and Redis.
 * Customers write on SMS and WhatsApp (one phone number, so one contact), each message to
 * either instance at random, with some provider redeliveries sent to both at once; an
 * answering app replies through either instance. Then one instance is killed with SIGKILL
 * while it has sends in flight: traffic fails over to the other (as a provider retries an
 * unanswered webhook), and the dead instance's outbound jobs complete there.
 * Checked at the end: every acknowledged message stored once, every customer in one
 * conversation, every accepted reply delivered to the provider.
 */
const [postgresMissing, redisMissing] = await Promise.all([
  postgresUnavailable(),
  redisUnavailable(),
]);

const gatewayDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const accountSid = 'AC11111111111111111111111111111111';
const authToken = 'multi-instance-token';
const appSecret = 'multi-instance-app-secret';
const apiKey = 'multi-instance-key';
const businessNumber = '+14155550000';
const phoneNumberId = '106540352242922';

/** A small seeded generator, so a failing run can be replayed. */
function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The fake Twilio Messaging and WhatsApp Cloud APIs one instance sends to; slow on purpose. */
interface FakeProvider {
  server: Server;
  url: string;
  /** Text bodies of sends that are being answered right now. */
  inFlight: Set<string>;
}

interface Instance {
  name: string;
  port: number;
  child: ChildProcess;
  output: string;
  provider: FakeProvider;
}

describe.skipIf(postgresMissing !== undefined || redisMissing !== undefined)(
  'two gateway processes sharing PostgreSQL and Redis',
  () => {
    const dataDirectory = mkdtempSync(join(tmpdir(), 'threadline-multi-'));
    const prefix = uniquePrefix('multi');
    const delivered: Array<{ provider: string; text: string; at: number }> = [];
    let database: TestDatabase;
    const instances: Instance[] = [];

    function fakeProvider(name: string): Promise<FakeProvider> {
      const inFlight = new Set<string>();
      let counter = 0;
      const server = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk) => {
          body += chunk;
        });
        request.on('end', () => {
          const isJson = (request.headers['content-type'] ?? '').includes('json');
          const text = isJson
            ? ((JSON.parse(body) as { text?: { body?: string } }).text?.body ?? '')
            : (new URLSearchParams(body).get('Body') ?? '');
          inFlight.add(text);
          counter += 1;
          const id = `${name}-${String(counter).padStart(6, '0')}`;
          // slow enough that an instance killed mid-run has sends in flight
          setTimeout(() => {
            inFlight.delete(text);
            delivered.push({ provider: name, text, at: Date.now() });
            response.writeHead(isJson ? 200 : 201, { 'content-type': 'application/json' });
            response.end(
              JSON.stringify(
                isJson
                  ? { messaging_product: 'whatsapp', messages: [{ id: `wamid.${id}` }] }
                  : { sid: `SM${id}`, status: 'queued', body: text },
              ),
            );
          }, 150);
        });
      });
      return new Promise((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve({
            server,
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            inFlight,
          }),
        ),
      );
    }

    async function startInstance(name: string): Promise<Instance> {
      const provider = await fakeProvider(name);
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const instance: Instance = {
        name,
        port,
        provider,
        output: '',
        child: spawn(
          process.execPath,
          ['--conditions=@threadline/source', '--import', 'tsx', 'src/server.ts'],
          {
            cwd: gatewayDirectory,
            env: {
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              PORT: String(port),
              HOST: '127.0.0.1',
              THREADLINE_DATA_DIR: join(dataDirectory, name),
              THREADLINE_API_KEYS: apiKey,
              THREADLINE_PUBLIC_URL: base,
              THREADLINE_INSTANCE_ID: name,
              DATABASE_URL: database.url,
              THREADLINE_DATABASE_SCHEMA: 'multi',
              DATABASE_POOL_SIZE: '6',
              REDIS_URL: testRedisUrl,
              THREADLINE_REDIS_PREFIX: prefix,
              THREADLINE_JOB_LEASE: '3s',
              THREADLINE_LISTENER_LEASE: '3s',
              TWILIO_ACCOUNT_SID: accountSid,
              TWILIO_AUTH_TOKEN: authToken,
              TWILIO_FROM_NUMBER: businessNumber,
              TWILIO_API_BASE: provider.url,
              TWILIO_RATE_LIMIT_PER_SECOND: '200',
              WHATSAPP_ACCESS_TOKEN: 'multi-instance-access-token',
              WHATSAPP_PHONE_NUMBER_ID: phoneNumberId,
              WHATSAPP_APP_SECRET: appSecret,
              WHATSAPP_VERIFY_TOKEN: 'multi-instance-verify',
              WHATSAPP_GRAPH_URL: `${provider.url}/v25.0`,
              LOG_LEVEL: 'warn',
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        ),
      };
      instance.child.stdout?.on('data', (chunk) => {
        instance.output += chunk;
      });
      instance.child.stderr?.on('data', (chunk) => {
        instance.output += chunk;
      });
      instances.push(instance);
      return instance;
    }

    async function healthy(instance: Instance): Promise<void> {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        // the gateway's own answer, not whatever else might answer on that port
        const ok = await fetch(`http://127.0.0.1:${instance.port}/readyz`).then(
          async (response) =>
            response.ok && ((await response.json()) as { status?: string }).status === 'ready',
          () => false,
        );
        if (ok) return;
        if (instance.child.exitCode !== null)
          throw new Error(`${instance.name} exited: ${instance.output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${instance.name} did not become ready: ${instance.output}`);
    }

    beforeAll(async () => {
      database = await createTestDatabase();
      // both start at the same moment: migrations take turns under their lock
      const started = [await startInstance('gateway-a'), await startInstance('gateway-b')];
      await Promise.all(started.map(healthy));
    }, 90_000);

    afterAll(async () => {
      for (const instance of instances) {
        instance.child.kill('SIGKILL');
        await new Promise((resolve) => instance.provider.server.close(resolve));
      }
      await database?.drop();
      await deletePrefix(prefix);
      rmSync(dataDirectory, { recursive: true, force: true });
    });

    /** One inbound webhook, signed as the provider signs it, to one instance. */
    function inbound(
      instance: Instance,
      channel: 'sms' | 'whatsapp',
      externalId: string,
      phone: string,
      text: string,
    ): Promise<Response> {
      const base = `http://127.0.0.1:${instance.port}`;
      if (channel === 'sms') {
        const url = `${base}/webhooks/sms/sms`;
        const params: Array<[string, string]> = [
          ['AccountSid', accountSid],
          ['MessageSid', externalId],
          ['From', phone],
          ['To', businessNumber],
          ['Body', text],
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
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: '102290129340398',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: {
                    display_phone_number: businessNumber.slice(1),
                    phone_number_id: phoneNumberId,
                  },
                  contacts: [{ profile: { name: 'Customer' }, wa_id: phone.slice(1) }],
                  messages: [
                    {
                      from: phone.slice(1),
                      id: externalId,
                      timestamp: String(Math.floor(Date.now() / 1000)),
                      type: 'text',
                      text: { body: text },
                    },
                  ],
                },
              },
            ],
          },
        ],
      });
      return fetch(`${base}/webhooks/whatsapp/whatsapp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': metaSignature(appSecret, body),
        },
        body,
      });
    }

    const api = (instance: Instance, path: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${instance.port}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          ...(init.headers as Record<string, string>),
        },
      });

    it('keeps continuity across instances and finishes a killed instance’s sends on the other', async () => {
      const random = seeded(20260509);
      const [a, b] = instances as [Instance, Instance];
      let killed = false;
      const alive = () => (killed ? [b] : [a, b]);
      const pick = () => {
        const candidates = alive();
        return candidates[Math.floor(random() * candidates.length)]!;
      };

      /** Delivers like a provider: retried (on any instance) until acknowledged. */
      async function deliver(
        channel: 'sms' | 'whatsapp',
        externalId: string,
        phone: string,
        text: string,
        redeliverToBoth = false,
      ): Promise<void> {
        for (let attempt = 0; attempt < 100; attempt++) {
          const targets = redeliverToBoth && !killed ? [a, b] : [pick()];
          const outcomes = await Promise.all(
            targets.map((target) =>
              inbound(target, channel, externalId, phone, text).then(
                (response) => response.status,
                () => 0,
              ),
            ),
          );
          if (outcomes.includes(200)) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`${externalId} was never acknowledged`);
      }

      const accepted: Array<{ id: string; text: string; phone: string }> = [];
      async function reply(contactId: string, phone: string, text: string): Promise<void> {
        for (let attempt = 0; attempt < 100; attempt++) {
          // a retry after a lost answer must not create a second message
          const response = await api(pick(), '/v1/messages', {
            method: 'POST',
            headers: { 'idempotency-key': text },
            body: JSON.stringify({ contactId, content: { type: 'text', text } }),
          }).catch(() => undefined);
          if (response?.status === 202) {
            accepted.push({ id: ((await response.json()) as Message).id, text, phone });
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`the reply "${text}" was never accepted`);
      }

      const customers = Array.from({ length: 12 }, (_, index) => `+1415555${4100 + index}`);
      const messagesPerCustomer = 8;
      const sent: Array<{ externalId: string; phone: string }> = [];
      let acknowledged = 0;
      const journey = async (phone: string, customer: number) => {
        for (let step = 0; step < messagesPerCustomer; step++) {
          const channel = random() < 0.5 ? 'sms' : 'whatsapp';
          const externalId =
            channel === 'sms'
              ? `SM${String(customer).padStart(4, '0')}${String(step).padStart(28, '0')}`
              : `wamid.multi-${customer}-${step}`;
          const text = `customer ${customer} message ${step}`;
          sent.push({ externalId, phone });
          await deliver(channel, externalId, phone, text, step % 3 === 1);
          acknowledged += 1;
          const stored = await findInbound(externalId);
          await reply(stored.contactId, phone, `reply to customer ${customer} step ${step}`);
        }
      };

      /** The stored inbound message with this provider id (read through instance B). */
      async function findInbound(externalId: string): Promise<Message> {
        for (let after = 0; ; ) {
          const page = (await (
            await api(b, `/v1/events?format=json&after=${after}&limit=1000&types=message.received`)
          ).json()) as { data: ThreadlineEvent[]; nextCursor: number };
          for (const event of page.data)
            if (event.type === 'message.received' && event.data.message.externalId === externalId)
              return event.data.message;
          if (page.nextCursor === after)
            throw new Error(
              `${externalId} is not stored; ${instances.map((i) => `${i.name}: ${i.output.slice(-3000)}`).join('\n')}`,
            );
          after = page.nextCursor;
        }
      }

      // A journey that fails ends the wait below at once; its error is the test's.
      let journeyFailed = false;
      const journeys = Promise.all(customers.map((phone, index) => journey(phone, index)));
      journeys.catch(() => {
        journeyFailed = true;
      });

      // Kill gateway-a once half the traffic is in and it has sends in flight.
      const total = customers.length * messagesPerCustomer;
      const deadline = Date.now() + 60_000;
      while (
        (acknowledged < total / 2 || a.provider.inFlight.size === 0) &&
        !journeyFailed &&
        Date.now() < deadline
      )
        await new Promise((resolve) => setTimeout(resolve, 5));
      if (journeyFailed) await journeys;
      const inFlightAtKill = [...a.provider.inFlight];
      const killedAt = Date.now();
      a.child.kill('SIGKILL');
      killed = true;
      expect(inFlightAtKill.length, 'gateway-a had no send in flight').toBeGreaterThan(0);
      await journeys;

      // Inbound: every acknowledged message stored once; one conversation per customer.
      const received: Message[] = [];
      for (let after = 0; ; ) {
        const page = (await (
          await api(b, `/v1/events?format=json&after=${after}&limit=1000&types=message.received`)
        ).json()) as { data: ThreadlineEvent[]; nextCursor: number };
        for (const event of page.data)
          if (event.type === 'message.received') received.push(event.data.message);
        if (page.nextCursor === after) break;
        after = page.nextCursor;
      }
      const storedIds = received.map((message) => message.externalId);
      expect(new Set(storedIds).size, 'duplicated inbound messages').toBe(storedIds.length);
      expect(storedIds.sort()).toEqual(sent.map((entry) => entry.externalId).sort());
      for (const phone of customers) {
        const theirs = received.filter((message) => message.from.address === phone);
        expect(theirs).toHaveLength(messagesPerCustomer);
        expect(new Set(theirs.map((message) => message.conversationId)).size, phone).toBe(1);
        expect(new Set(theirs.map((message) => message.contactId)).size, phone).toBe(1);
      }

      // Outbound: every queued reply leaves, including the ones gateway-a died holding. A
      // reply whose 202 was lost with gateway-a may have been stored twice by the client's
      // retry, so the count is taken from the store, per text.
      const conversationIds = [...new Set(received.map((message) => message.conversationId))];
      const outbound = async () => {
        const all: Message[] = [];
        for (const id of conversationIds) {
          const page = (await (
            await api(b, `/v1/conversations/${id}/messages?limit=200`)
          ).json()) as { data: Message[] };
          all.push(...page.data.filter((message) => message.direction === 'outbound'));
        }
        return all;
      };
      const sendDeadline = Date.now() + 60_000;
      let replies = await outbound();
      while (replies.some((message) => message.status === 'queued') && Date.now() < sendDeadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        replies = await outbound();
      }
      const stuck = replies.filter((message) => message.status !== 'sent');
      expect(stuck, `sends not sent; gateway-b: ${b.output.slice(-2000)}`).toEqual([]);
      expect(accepted).toHaveLength(total);
      const replyIds = new Set(replies.map((message) => message.id));
      for (const entry of accepted) expect(replyIds, entry.text).toContain(entry.id);
      const textOf = (message: Message) =>
        message.content.type === 'text' ? message.content.text : '';
      const stored = new Map<string, number>();
      for (const message of replies)
        stored.set(textOf(message), (stored.get(textOf(message)) ?? 0) + 1);
      const sentTimes = new Map<string, number>();
      for (const entry of delivered)
        sentTimes.set(entry.text, (sentTimes.get(entry.text) ?? 0) + 1);
      // every stored reply reached the provider
      for (const [text, count] of stored)
        expect(sentTimes.get(text) ?? 0, text).toBeGreaterThanOrEqual(count);
      // what gateway-a was sending when it died was sent again by gateway-b
      for (const text of inFlightAtKill)
        expect(
          delivered.some((entry) => entry.provider === 'gateway-b' && entry.text === text),
          text,
        ).toBe(true);
      // Outbound is at-least-once: a reply is sent more often than stored only when
      // gateway-a died before storing the provider's answer (in flight, or just answered).
      const answeredJustBefore = delivered
        .filter((entry) => entry.provider === 'gateway-a' && entry.at > killedAt - 500)
        .map((entry) => entry.text);
      const allowed = new Set([...inFlightAtKill, ...answeredJustBefore]);
      for (const [text, count] of sentTimes)
        if (count > (stored.get(text) ?? 0)) expect(allowed, `sent twice: ${text}`).toContain(text);
      b.child.kill('SIGTERM');
    }, 180_000);
  },
);
