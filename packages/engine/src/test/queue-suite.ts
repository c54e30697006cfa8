import { afterEach, describe, expect, it } from 'vitest';
import { createStoreJobQueue, type JobQueue } from '../job-queue.js';
import type { Job, Store } from '../ports.js';

export interface QueueHarness {
  queue: JobQueue;
  /** Put committed jobs where the queue takes them from (the outbox for embedded queues). */
  add(jobs: Job[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The job queue contract every queue keeps: due jobs only, one worker per job at a time,
 * leases that hand a dead worker's job to another, retries that count attempts, waits that
 * do not, and idempotent hand-over. Runs against the embedded queue and BullMQ alike.
 */
export function testJobQueue(name: string, open: () => Promise<QueueHarness>): void {
  describe(`queue contract: ${name}`, () => {
    const harnesses: QueueHarness[] = [];
    const start = async () => {
      const harness = await open();
      harnesses.push(harness);
      return harness;
    };
    afterEach(async () => {
      for (const harness of harnesses.splice(0)) await harness.close();
    });

    // Real time, short durations: an external queue (BullMQ) keeps time with its own clock.
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const lease = 600;
    let counter = 0;
    const job = (runAtOffsetMs = 0, kind: Job['kind'] = 'send'): Job => {
      counter += 1;
      return {
        id: `job-${process.pid}-${Date.now()}-${counter}`,
        kind,
        orderKey: null,
        connectorId: 'sms',
        payload: { messageId: `m-${counter}` },
        runAt: new Date(Date.now() + runAtOffsetMs).toISOString(),
        attempts: 0,
        lastError: null,
        createdAt: new Date().toISOString(),
      };
    };
    const claim = (queue: JobQueue, limit = 10) => queue.claim(new Date(), lease, limit);

    it('hands out only due jobs, and delayed jobs when their time comes', async () => {
      const { queue, add } = await start();
      const later = job(800, 'fallback');
      const now = job(0);
      await add([later, now]);
      const first = await claim(queue);
      expect(first.map((claimed) => claimed.id)).toEqual([now.id]);
      await queue.complete(first[0]!);
      expect(await claim(queue)).toEqual([]);
      await sleep(1_000);
      const due = await claim(queue);
      expect(due.map((claimed) => [claimed.id, claimed.kind, claimed.payload])).toEqual([
        [later.id, 'fallback', later.payload],
      ]);
    });

    it('gives a claimed job to no one else until its lease ends, then to another worker', async () => {
      const { queue, add } = await start();
      const only = job();
      await add([only]);
      const [first, second] = await Promise.all([claim(queue), claim(queue)]);
      expect([...first!, ...second!].map((claimed) => claimed.id)).toEqual([only.id]);
      expect(await claim(queue)).toEqual([]);
      await sleep(lease * 3);
      const afterLease = await claim(queue);
      expect(afterLease.map((claimed) => claimed.id)).toEqual([only.id]);
    });

    it('forgets completed jobs', async () => {
      const { queue, add } = await start();
      const done = job();
      await add([done]);
      const [claimed] = await claim(queue);
      await queue.complete(claimed!);
      await sleep(lease * 2);
      expect(await claim(queue)).toEqual([]);
    });

    it('runs a rescheduled job at its new time, counting failed attempts but not waits', async () => {
      const { queue, add } = await start();
      const retried = job();
      await add([retried]);
      const [first] = await claim(queue);
      await queue.reschedule(first!, new Date(Date.now() + 500), 'provider_unavailable: 503', {
        countAttempt: true,
      });
      expect(await claim(queue)).toEqual([]);
      await sleep(700);
      const [second] = await claim(queue);
      expect(second).toMatchObject({
        id: retried.id,
        attempts: 1,
        lastError: 'provider_unavailable: 503',
      });
      await queue.reschedule(second!, new Date(Date.now() + 100), 'waiting for the rate limit', {
        countAttempt: false,
      });
      await sleep(300);
      const [third] = await claim(queue);
      expect(third).toMatchObject({ id: retried.id, attempts: 1 });
    });

    it('answers a job by id with its attempts and last error until it is completed', async () => {
      const { queue, add } = await start();
      const retried = job();
      await add([retried]);
      expect(await queue.get(retried.id)).toMatchObject({ id: retried.id, attempts: 0 });
      const [first] = await claim(queue);
      await queue.reschedule(first!, new Date(Date.now() + 200), 'provider_unavailable: 503', {
        countAttempt: true,
      });
      expect(await queue.get(retried.id)).toMatchObject({
        id: retried.id,
        attempts: 1,
        lastError: 'provider_unavailable: 503',
      });
      await sleep(400);
      const [second] = await claim(queue);
      await queue.complete(second!);
      expect(await queue.get(retried.id)).toBeUndefined();
      expect(await queue.get('no-such-job')).toBeUndefined();
    });

    it('runs a job handed over twice only once', async () => {
      const { queue, add } = await start();
      const twice = job();
      await add([twice]);
      await add([twice]).catch(() => {});
      const claimed = await claim(queue);
      expect(claimed.map((entry) => entry.id)).toEqual([twice.id]);
      await queue.complete(claimed[0]!);
      expect(await claim(queue)).toEqual([]);
    });

    it('respects the claim limit and hands out the rest to the next claim', async () => {
      const { queue, add } = await start();
      const jobs = Array.from({ length: 5 }, () => job());
      await add(jobs);
      const first = await claim(queue, 3);
      const second = await claim(queue, 3);
      expect(first).toHaveLength(3);
      expect(second).toHaveLength(2);
      expect(new Set([...first, ...second].map((claimed) => claimed.id)).size).toBe(5);
    });
  });
}

/** The embedded queue over `store`'s outbox, as the queue suite drives it. */
export function outboxQueueHarness(store: Store): QueueHarness {
  return {
    queue: createStoreJobQueue(store),
    add: (jobs) =>
      store.write(async (tx) => {
        for (const job of jobs) {
          if ((await tx.listJobs()).some((existing) => existing.id === job.id)) continue;
          await tx.insertJob(job);
        }
      }),
    close: () => store.close(),
  };
}
