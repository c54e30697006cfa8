import { afterEach, describe, expect, it } from 'vitest';
import type { JobQueue } from '../job-queue.js';
import type { Job } from '../ports.js';

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

    const base = new Date('2026-08-01T10:00:00.000Z');
    const at = (offsetMs: number) => new Date(base.getTime() + offsetMs);
    let counter = 0;
    const job = (runAtOffsetMs = 0, kind: Job['kind'] = 'send'): Job => {
      counter += 1;
      return {
        id: `job-${Date.now()}-${counter}`,
        kind,
        orderKey: null,
        connectorId: 'sms',
        payload: { messageId: `m-${counter}` },
        runAt: at(runAtOffsetMs).toISOString(),
        attempts: 0,
        lastError: null,
        createdAt: base.toISOString(),
      };
    };

    it('hands out only due jobs, earliest first, and delayed jobs when their time comes', async () => {
      const { queue, add } = await start();
      const later = job(60_000, 'fallback');
      const now = job(0);
      await add([later, now]);
      const first = await queue.claim(at(1_000), 30_000, 10);
      expect(first.map((claimed) => claimed.id)).toEqual([now.id]);
      await queue.complete(first[0]!);
      expect(await queue.claim(at(59_000), 30_000, 10)).toEqual([]);
      const due = await queue.claim(at(61_000), 30_000, 10);
      expect(due.map((claimed) => [claimed.id, claimed.kind, claimed.payload])).toEqual([
        [later.id, 'fallback', later.payload],
      ]);
    });

    it('gives a claimed job to no one else until its lease ends, then to another worker', async () => {
      const { queue, add } = await start();
      const only = job();
      await add([only]);
      const [first, second] = await Promise.all([
        queue.claim(at(1_000), 30_000, 10),
        queue.claim(at(1_000), 30_000, 10),
      ]);
      expect([...first!, ...second!].map((claimed) => claimed.id)).toEqual([only.id]);
      expect(await queue.claim(at(20_000), 30_000, 10)).toEqual([]);
      const afterLease = await queue.claim(at(40_000), 30_000, 10);
      expect(afterLease.map((claimed) => claimed.id)).toEqual([only.id]);
    });

    it('forgets completed jobs', async () => {
      const { queue, add } = await start();
      const done = job();
      await add([done]);
      const [claimed] = await queue.claim(at(1_000), 30_000, 10);
      await queue.complete(claimed!);
      expect(await queue.claim(at(120_000), 30_000, 10)).toEqual([]);
    });

    it('runs a rescheduled job at its new time, counting failed attempts but not waits', async () => {
      const { queue, add } = await start();
      const retried = job();
      await add([retried]);
      const [first] = await queue.claim(at(1_000), 30_000, 10);
      await queue.reschedule(first!, at(10_000), 'provider_unavailable: 503', {
        countAttempt: true,
      });
      expect(await queue.claim(at(5_000), 30_000, 10)).toEqual([]);
      const [second] = await queue.claim(at(10_000), 30_000, 10);
      expect(second).toMatchObject({
        id: retried.id,
        attempts: 1,
        lastError: 'provider_unavailable: 503',
      });
      await queue.reschedule(second!, at(11_000), 'waiting for the rate limit', {
        countAttempt: false,
      });
      const [third] = await queue.claim(at(11_000), 30_000, 10);
      expect(third).toMatchObject({ id: retried.id, attempts: 1 });
    });

    it('runs a job handed over twice only once', async () => {
      const { queue, add } = await start();
      const twice = job();
      await add([twice]);
      await add([twice]).catch(() => {});
      const claimed = await queue.claim(at(1_000), 30_000, 10);
      expect(claimed.map((entry) => entry.id)).toEqual([twice.id]);
      await queue.complete(claimed[0]!);
      expect(await queue.claim(at(100_000), 30_000, 10)).toEqual([]);
    });

    it('respects the claim limit and hands out the rest later', async () => {
      const { queue, add } = await start();
      const jobs = Array.from({ length: 5 }, () => job());
      await add(jobs);
      const first = await queue.claim(at(1_000), 30_000, 3);
      const second = await queue.claim(at(1_000), 30_000, 3);
      expect(first).toHaveLength(3);
      expect(second).toHaveLength(2);
      expect(new Set([...first, ...second].map((claimed) => claimed.id)).size).toBe(5);
    });
  });
}
