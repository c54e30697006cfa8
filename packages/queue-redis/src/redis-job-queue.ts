import { randomUUID } from 'node:crypto';
import type { Job, JobQueue } from '@threadline/engine';
import { type Job as BullJob, Queue, UnrecoverableError, Worker } from 'bullmq';
import { openRedis, type RedisConnection } from './redis-connection.js';

export interface RedisJobQueueSettings {
  /** REDIS_URL, or a client you own. */
  connection: RedisConnection;
  /** Key prefix shared by every instance of one deployment (default `threadline`). */
  prefix?: string;
  /** Queue name under the prefix (default `outbound`). */
  name?: string;
  /**
   * How many times a job may be found abandoned (its worker died, or the job crashed every
   * time) before it is dead-lettered instead of run again. Default 10.
   */
  maxStalls?: number;
  /** How long finished jobs are remembered, so a job handed over again is not run twice. Default 1 h. */
  rememberCompletedMs?: number;
}

/** A job that was abandoned too often and no longer runs; inspect and fix, then requeue. */
export interface DeadLetteredJob {
  job: Job;
  reason: string;
  failedAt: string | null;
}

export interface RedisJobQueue extends JobQueue {
  /** Jobs dead-lettered after too many abandoned runs, newest first. */
  listDeadLetters(limit?: number): Promise<DeadLetteredJob[]>;
  /** Jobs per state (for metrics): waiting, delayed, active, dead-lettered. */
  counts(): Promise<{ waiting: number; delayed: number; active: number; deadLettered: number }>;
}

/** Jobs handed out by one `claim`, worked through one after another by the caller. */
interface Batch {
  /** When the caller last finished (completed or rescheduled) one of them. */
  lastProgress: number;
}

interface Claimed {
  bullJob: BullJob<Job>;
  token: string;
  leaseMs: number;
  batch: Batch;
}

/** BullMQ's codes for a lock that is gone or held by someone else: another worker owns the job now. */
const lostLeaseCodes = new Set([-1, -2, -3, -6]);

function lostLease(error: unknown): boolean {
  return lostLeaseCodes.has(Number((error as { code?: unknown })?.code));
}

/**
 * The outbound job queue on Redis, with BullMQ, shared by every gateway instance.
 *
 * Jobs are handed over by id (`enqueue` of a known id does nothing), wait until their
 * `runAt` as delayed jobs (retries, backoff, fallback timers), and are claimed manually:
 * a claim moves a job to active under a lock that lasts the lease. A worker works through
 * the jobs of a claim one after another; while it keeps finishing them, the locks of the
 * ones still waiting are renewed, so a long batch is not taken over by another instance
 * half-way. A worker that dies — or stops making progress for a whole lease — renews
 * nothing: its jobs' locks expire, BullMQ's stalled-job check (run by every instance) puts
 * them back, and the next claim anywhere runs them. A job abandoned `maxStalls` times is
 * dead-lettered (BullMQ's failed set) rather than crash workers forever.
 */
export function createRedisJobQueue(settings: RedisJobQueueSettings): RedisJobQueue {
  const { redis, release } = openRedis(settings.connection);
  const prefix = settings.prefix ?? 'threadline';
  const name = settings.name ?? 'outbound';
  const keepCompletedSeconds = Math.ceil((settings.rememberCompletedMs ?? 60 * 60 * 1000) / 1000);
  const queue = new Queue<Job>(name, { connection: redis, prefix });
  queue.on('error', () => {});
  const workers = new Map<number, Worker<Job>>();
  const renewals = new Map<number, NodeJS.Timeout>();
  const claimed = new Map<string, Claimed>();
  let closed = false;

  /** Renew the locks of claimed jobs whose batch made progress within the lease. */
  async function renew(leaseMs: number): Promise<void> {
    const worker = workers.get(leaseMs);
    const now = Date.now();
    const due = [...claimed.entries()].filter(
      ([, entry]) => entry.leaseMs === leaseMs && now - entry.batch.lastProgress < leaseMs,
    );
    if (!worker || due.length === 0) return;
    const lost = await worker
      .extendJobLocks(
        due.map(([id]) => id),
        due.map(([, entry]) => entry.token),
        leaseMs,
      )
      .catch(() => [] as string[]);
    // a lock that could not be extended belongs to someone else now
    for (const id of lost) claimed.delete(id);
  }

  /** One manual worker per lease length: BullMQ's lock duration is a worker setting. */
  function workerFor(leaseMs: number): Worker<Job> {
    let worker = workers.get(leaseMs);
    if (!worker) {
      worker = new Worker<Job>(name, null, {
        connection: redis,
        prefix,
        autorun: false,
        lockDuration: leaseMs,
        // checks often enough that an abandoned job is free again soon after its lease ends
        stalledInterval: Math.max(100, Math.min(30_000, Math.floor(leaseMs / 4))),
        maxStalledCount: settings.maxStalls ?? 10,
        removeOnComplete: { age: keepCompletedSeconds },
      });
      worker.on('error', () => {});
      void worker.startStalledCheckTimer();
      workers.set(leaseMs, worker);
      const every = Math.max(50, Math.floor(leaseMs / 3));
      renewals.set(leaseMs, setInterval(() => void renew(leaseMs), every).unref());
    }
    return worker;
  }

  function toJob(bullJob: BullJob<Job>): Job {
    return { ...bullJob.data, id: String(bullJob.id) };
  }

  /** Drops jobs this process claimed and then abandoned (their locks have expired). */
  function forget(now: number): void {
    for (const [id, entry] of claimed)
      if (now - entry.batch.lastProgress > entry.leaseMs * 2) claimed.delete(id);
  }

  return {
    kind: 'bullmq',
    inStore: false,
    async enqueue(jobs) {
      if (jobs.length === 0) return;
      const now = Date.now();
      await queue.addBulk(
        jobs.map((job) => ({
          name: job.kind,
          data: job,
          opts: {
            jobId: job.id,
            delay: Math.max(0, new Date(job.runAt).getTime() - now),
            removeOnComplete: { age: keepCompletedSeconds },
            removeOnFail: false,
          },
        })),
      );
    },
    async claim(_now, leaseMs, limit) {
      if (closed) return [];
      const worker = workerFor(leaseMs);
      forget(Date.now());
      const batch: Batch = { lastProgress: Date.now() };
      const jobs: Job[] = [];
      while (jobs.length < limit) {
        const token = randomUUID();
        const bullJob = (await worker.getNextJob(token, { block: false })) as
          | BullJob<Job>
          | undefined;
        if (!bullJob) break;
        if (bullJob.deferredFailure) {
          // abandoned more than `maxStalls` times: dead-letter it rather than run it again
          await bullJob
            .moveToFailed(new UnrecoverableError(bullJob.deferredFailure), token, false)
            .catch((error: unknown) => {
              if (!lostLease(error)) throw error;
            });
          continue;
        }
        const job = toJob(bullJob);
        claimed.set(job.id, { bullJob, token, leaseMs, batch });
        jobs.push(job);
      }
      return jobs;
    },
    async complete(job) {
      const entry = claimed.get(job.id);
      claimed.delete(job.id);
      if (entry) entry.batch.lastProgress = Date.now();
      if (!entry) {
        // not claimed here: remove it if it is waiting; a job another worker holds stays theirs
        await queue.remove(job.id).catch(() => 0);
        return;
      }
      try {
        await entry.bullJob.moveToCompleted(null, entry.token, false);
      } catch (error) {
        // The lease ended first: the job runs again elsewhere and finds its work done.
        if (!lostLease(error)) throw error;
      }
    },
    async reschedule(job, runAt, error, options) {
      const entry = claimed.get(job.id);
      claimed.delete(job.id);
      if (!entry) return;
      entry.batch.lastProgress = Date.now();
      const data: Job = {
        ...entry.bullJob.data,
        attempts: entry.bullJob.data.attempts + (options.countAttempt ? 1 : 0),
        lastError: error,
        runAt: runAt.toISOString(),
      };
      try {
        await entry.bullJob.updateData(data);
        await entry.bullJob.moveToDelayed(runAt.getTime(), entry.token);
      } catch (failure) {
        if (!lostLease(failure)) throw failure;
      }
    },
    async get(id) {
      const bullJob = (await queue.getJob(id)) as BullJob<Job> | undefined;
      if (!bullJob || bullJob.finishedOn) return undefined;
      return toJob(bullJob);
    },
    async listDeadLetters(limit = 100) {
      const failed = (await queue.getFailed(0, limit - 1)) as BullJob<Job>[];
      return failed.map((bullJob) => ({
        job: toJob(bullJob),
        reason: bullJob.failedReason ?? 'unknown',
        failedAt: bullJob.finishedOn ? new Date(bullJob.finishedOn).toISOString() : null,
      }));
    },
    async counts() {
      const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'failed');
      return {
        waiting: counts.waiting ?? 0,
        delayed: counts.delayed ?? 0,
        active: counts.active ?? 0,
        deadLettered: counts.failed ?? 0,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of renewals.values()) clearInterval(timer);
      for (const worker of workers.values()) await worker.close(true).catch(() => {});
      await queue.close().catch(() => {});
      await release();
    },
  };
}
