import { MockConnector } from '@threadline/connector-kit';
import { createEngine, type Job } from '@threadline/engine';
import { testJobQueue } from '@threadline/engine/test';
import { createSqliteStore } from '@threadline/store-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisJobQueue, type RedisJobQueue } from './redis-job-queue.js';
import { createRedisRateLimiter } from './redis-rate-limiter.js';
import { deletePrefix, redisUnavailable, testRedisUrl, uniquePrefix } from './test/index.js';

const unavailable = await redisUnavailable();

/** Waits for `condition`, checking every 25 ms, up to `timeoutMs`. */
async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.skipIf(unavailable !== undefined)('BullMQ job queue', () => {
  testJobQueue('BullMQ on Redis', async () => {
    const prefix = uniquePrefix('queue');
    const queue = createRedisJobQueue({ connection: testRedisUrl, prefix });
    return {
      queue,
      add: (jobs) => queue.enqueue(jobs),
      async close() {
        await queue.close();
        await deletePrefix(prefix);
      },
    };
  });

  describe('across instances', () => {
    const cleanup: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step();
    });

    function instance(prefix: string, settings: { maxStalls?: number } = {}): RedisJobQueue {
      const queue = createRedisJobQueue({ connection: testRedisUrl, prefix, ...settings });
      cleanup.push(() => queue.close());
      return queue;
    }

    const job = (id: string, runAt = new Date()): Job => ({
      id,
      kind: 'send',
      orderKey: null,
      connectorId: 'sms',
      payload: { messageId: id },
      runAt: runAt.toISOString(),
      attempts: 0,
      lastError: null,
      createdAt: new Date().toISOString(),
    });

    it('runs the jobs of an instance that died mid-job on another instance', async () => {
      const prefix = uniquePrefix('failover');
      cleanup.push(() => deletePrefix(prefix));
      const dying = createRedisJobQueue({ connection: testRedisUrl, prefix });
      const survivor = instance(prefix);
      await dying.enqueue([job('in-flight-1'), job('in-flight-2'), job('waiting-3')]);
      const taken = await dying.claim(new Date(), 400, 2);
      expect(taken.map((claimed) => claimed.id)).toEqual(['in-flight-1', 'in-flight-2']);
      // the instance dies holding two jobs: no complete, no reschedule
      await dying.close();
      const recovered = new Set<string>();
      await until(async () => {
        for (const claimed of await survivor.claim(new Date(), 400, 10)) {
          recovered.add(claimed.id);
          await survivor.complete(claimed);
        }
        return recovered.size === 3;
      });
      expect([...recovered].sort()).toEqual(['in-flight-1', 'in-flight-2', 'waiting-3']);
      expect(await survivor.counts()).toMatchObject({ waiting: 0, active: 0, deadLettered: 0 });
    });

    it('keeps a batch being worked through to its worker, however long it takes in all', async () => {
      const prefix = uniquePrefix('batch');
      cleanup.push(() => deletePrefix(prefix));
      const busy = instance(prefix);
      const other = instance(prefix);
      await busy.enqueue([job('slow-1'), job('slow-2'), job('slow-3'), job('slow-4')]);
      const batch = await busy.claim(new Date(), 400, 10);
      expect(batch).toHaveLength(4);
      const stolen: string[] = [];
      // each send takes 250 ms: the batch outlives one lease by far
      for (const claimed of batch) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        stolen.push(...(await other.claim(new Date(), 400, 10)).map((entry) => entry.id));
        await busy.complete(claimed);
      }
      expect(stolen).toEqual([]);
      expect(await busy.counts()).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
    });

    it('dead-letters a job abandoned more often than maxStalls, instead of running it forever', async () => {
      const prefix = uniquePrefix('dead');
      cleanup.push(() => deletePrefix(prefix));
      const queue = instance(prefix, { maxStalls: 1 });
      await queue.enqueue([job('poison')]);
      let runs = 0;
      await until(async () => {
        // every run "crashes": the job is claimed and never finished
        runs += (await queue.claim(new Date(), 300, 1)).length;
        return (await queue.counts()).deadLettered === 1;
      });
      expect(runs).toBe(2);
      const [dead] = await queue.listDeadLetters();
      expect(dead?.job).toMatchObject({
        id: 'poison',
        kind: 'send',
        payload: { messageId: 'poison' },
      });
      expect(dead?.reason).toMatch(/stalled/i);
      expect(await queue.claim(new Date(), 300, 1)).toEqual([]);
    });
  });

  describe('under the engine', () => {
    const cleanup: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step();
    });

    class RateLimitedMock extends MockConnector {
      readonly rateLimit = { perSecond: 2 };
    }

    async function setup() {
      const prefix = uniquePrefix('engine');
      const store = createSqliteStore({ filename: ':memory:' });
      const queue = createRedisJobQueue({ connection: testRedisUrl, prefix });
      const rateLimiter = createRedisRateLimiter({ connection: testRedisUrl, prefix });
      cleanup.push(
        () => store.close(),
        () => queue.close(),
        () => rateLimiter.close(),
        () => deletePrefix(prefix),
      );
      const sms = new RateLimitedMock({ channel: 'sms' });
      const whatsapp = new MockConnector({ channel: 'whatsapp' });
      const engine = createEngine({
        store,
        queue,
        rateLimiter,
        jobLeaseMs: 2_000,
        connectors: new Map<string, MockConnector>([
          ['whatsapp', whatsapp],
          ['sms', sms],
        ]),
        sendBackoff: { baseMs: 50, maxMs: 200, maxAttempts: 5 },
      });
      return { store, queue, engine, sms, whatsapp };
    }

    it('hands committed jobs over, retries with the provider’s retryAfterMs, and sends once', async () => {
      const { store, engine, sms } = await setup();
      sms.failNext({ kind: 'rate_limited', retryAfterMs: 300 });
      sms.failNext({ kind: 'unavailable' });
      const message = await engine.send({
        to: { channel: 'sms', address: '+14155550123' },
        content: { type: 'text', text: 'your order shipped' },
      });
      // handed over to Redis and cleared from the store's outbox
      expect(await store.read.listJobs()).toEqual([]);
      await until(async () => {
        await engine.runDueJobs();
        return (await store.read.getMessage(message.id))?.status === 'sent';
      });
      expect(sms.attempts).toBe(3);
      expect(sms.sent.map((sent) => sent.id)).toEqual([message.id]);
    });

    it('fires a fallback timer held as a delayed job', async () => {
      const { store, engine, whatsapp } = await setup();
      const first = await engine.send({
        to: { channel: 'sms', address: '+14155550124' },
        content: { type: 'text', text: 'are you there?' },
        fallback: [{ channel: 'whatsapp', when: 'undelivered', afterMs: 300 }],
      });
      await until(async () => {
        await engine.runDueJobs();
        return whatsapp.sent.length === 1;
      });
      expect(whatsapp.sent[0]?.content).toEqual({ type: 'text', text: 'are you there?' });
      const copy = await store.read.getMessage(whatsapp.sent[0]!.id);
      expect(copy?.fallbackOfId).toBe(first.id);
    });

    it('waits for the shared per-connector rate limit without counting it as a failed attempt', async () => {
      const { store, engine, sms } = await setup();
      const messages = [];
      for (let index = 0; index < 5; index++) {
        messages.push(
          await engine.send({
            to: { channel: 'sms', address: `+1415555013${index}` },
            content: { type: 'text', text: `notice ${index}` },
          }),
        );
      }
      await until(async () => {
        await engine.runDueJobs();
        return sms.sent.length === 5;
      });
      expect(sms.attempts).toBe(5);
      for (const message of messages)
        expect((await store.read.getMessage(message.id))?.status).toBe('sent');
    });
  });
});
