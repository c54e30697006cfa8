import type { Job, Store } from './ports.js';

/**
 * The outbound job queue port. The engine writes every job into the store in the same
 * transaction as the message it belongs to (an outbox), so a job exists exactly when its
 * message does. An embedded queue claims jobs straight from the store (`inStore`); an
 * external queue (BullMQ on Redis) is handed the committed jobs with `enqueue`, idempotently
 * by job id, and the engine then removes them from the outbox.
 */
export interface JobQueue {
  readonly kind: string;
  /** True when the store's outbox is the queue itself (nothing to hand over). */
  readonly inStore: boolean;
  /** Hand over committed jobs; enqueuing a job id twice must not run it twice concurrently. */
  enqueue(jobs: Job[]): Promise<void>;
  /** Take up to `limit` due jobs, each leased for `leaseMs` (a dead worker's jobs run again). */
  claim(now: Date, leaseMs: number, limit: number): Promise<Job[]>;
  complete(job: Job): Promise<void>;
  /** A job not yet completed, by id, with its attempts and last error. */
  get(id: string): Promise<Job | undefined>;
  /** Run again at `runAt`; `countAttempt` is false for waits that are not failures (rate limits). */
  reschedule(
    job: Job,
    runAt: Date,
    error: string,
    options: { countAttempt: boolean },
  ): Promise<void>;
  close(): Promise<void>;
}

/**
 * Waits shared by everyone sending through a connector. `take` answers how long to wait
 * before sending (0 = now). The default is in-process; scale-out shares one in Redis.
 */
export interface SendRateLimiter {
  take(key: string, perSecond: number, nowMs: number): Promise<number> | number;
}

/**
 * The id of the job that sends a message: one per message (a fallback copy is a message of its
 * own), so the message's send attempts can be looked up on any queue.
 */
export const sendJobId = (messageId: string) => `send-${messageId}`;

/** The embedded queue: jobs live in the store's jobs table, claimed with a lease. */
export function createStoreJobQueue(store: Store): JobQueue {
  return {
    kind: `${store.kind}-outbox`,
    inStore: true,
    async enqueue() {
      // already in the store
    },
    claim(now, leaseMs, limit) {
      return store.write((tx) =>
        tx.claimJobs(now.toISOString(), new Date(now.getTime() + leaseMs).toISOString(), limit),
      );
    },
    complete(job) {
      return store.write((tx) => tx.completeJob(job.id));
    },
    get: (id) => store.read.getJob(id),
    reschedule(job, runAt, error, options) {
      return store.write((tx) =>
        tx.rescheduleJob(job.id, runAt.toISOString(), error, options.countAttempt),
      );
    },
    async close() {},
  };
}
