import { describe, expect, it } from 'vitest';
import { createJobRunner } from './job-runner.js';
import type { Job } from './ports.js';

function job(id: string): Job {
  return {
    id,
    kind: 'send',
    connectorId: 'sms',
    orderKey: null,
    payload: { messageId: id },
    runAt: new Date(0).toISOString(),
    attempts: 0,
    lastError: null,
    createdAt: new Date(0).toISOString(),
  };
}

/** A queue of due jobs: `claim` leases from the front, as the store does. */
function dueJobs() {
  const due: Job[] = [];
  return {
    add: (...ids: string[]) => due.push(...ids.map(job)),
    claim: async (limit: number) => due.splice(0, limit),
    get left() {
      return due.length;
    },
  };
}

const until = async (condition: () => boolean, timeoutMs = 2_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

describe('createJobRunner', () => {
  it('runs a send queued behind a stalled one without waiting for it', async () => {
    const queue = dueJobs();
    const finished: string[] = [];
    let releaseStalled: () => void = () => {};
    const runner = createJobRunner({
      claim: queue.claim,
      run: async (current) => {
        if (current.id === 'stalled')
          await new Promise<void>((resolve) => {
            releaseStalled = resolve;
          });
        finished.push(current.id);
      },
      intervalMs: 10_000,
    });
    runner.start();
    queue.add('stalled');
    runner.wake();
    await until(() => runner.running === 1);
    queue.add('next');
    runner.wake();
    await until(() => finished.includes('next'));
    expect(finished).toEqual(['next']);
    releaseStalled();
    await runner.stop();
    expect(finished).toEqual(['next', 'stalled']);
  });

  it('keeps at most `concurrency` jobs in flight and runs every one', async () => {
    const queue = dueJobs();
    queue.add(...Array.from({ length: 50 }, (_, index) => `job-${index}`));
    let running = 0;
    let most = 0;
    const finished = new Set<string>();
    const runner = createJobRunner({
      claim: queue.claim,
      run: async (current) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
        running -= 1;
        finished.add(current.id);
      },
      concurrency: 4,
      intervalMs: 10_000,
    });
    runner.start();
    await until(() => finished.size === 50);
    await runner.stop();
    expect(most).toBe(4);
    expect(queue.left).toBe(0);
  });

  it('finds jobs that come due without a wake on its timer', async () => {
    const queue = dueJobs();
    const finished: string[] = [];
    const runner = createJobRunner({
      claim: queue.claim,
      run: async (current) => {
        finished.push(current.id);
      },
      intervalMs: 5,
    });
    runner.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    queue.add('retry-due');
    await until(() => finished.length === 1);
    await runner.stop();
    expect(finished).toEqual(['retry-due']);
  });

  it('reports a failing claim and tries again on the timer', async () => {
    const errors: unknown[] = [];
    let claims = 0;
    const finished: string[] = [];
    const runner = createJobRunner({
      claim: async () => {
        claims += 1;
        if (claims === 1) throw new Error('database is locked');
        return claims === 2 ? [job('after-the-error')] : [];
      },
      run: async (current) => {
        finished.push(current.id);
      },
      intervalMs: 5,
      onError: (error) => errors.push(error),
    });
    runner.start();
    await until(() => finished.length === 1);
    await runner.stop();
    expect(String(errors[0])).toContain('database is locked');
    expect(finished).toEqual(['after-the-error']);
  });

  it('stops claiming on stop and waits for the jobs in flight', async () => {
    const queue = dueJobs();
    queue.add('in-flight');
    let finishedInFlight = false;
    const runner = createJobRunner({
      claim: queue.claim,
      run: async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        finishedInFlight = true;
      },
      intervalMs: 5,
    });
    runner.start();
    await until(() => runner.running === 1);
    await runner.stop();
    expect(finishedInFlight).toBe(true);
    queue.add('after-stop');
    runner.wake();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(queue.left).toBe(1);
  });
});
