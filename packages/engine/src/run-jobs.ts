import type { EngineContext } from './engine-context.js';
import { runFallbackJob } from './fallback.js';
import { notificationJobKind } from './notifications/notification-record.js';
import { runNotificationJob } from './notifications/notifications.js';
import type { Job } from './ports.js';
import { runSendJob } from './send-job.js';
import { controlTimeoutJobKind } from './switchboard/switchboard.js';

/** Claiming and running jobs: what the gateway's job runner calls, and tests drain. */
export function createJobRuns(
  context: EngineContext,
  settings: { leaseMs: number; concurrency: number },
) {
  /** Lease up to `limit` due jobs (the job runner runs each with `runJob`). */
  function claimJobs(limit: number): Promise<Job[]> {
    return context.queue.claim(context.clock.now(), settings.leaseMs, limit);
  }

  /** Run one claimed job. A job that crashes runs again when its lease ends. */
  async function runJob(job: Job): Promise<void> {
    try {
      if (job.kind === 'send') await runSendJob(context, job);
      else if (job.kind === controlTimeoutJobKind) await context.switchboard.runTimeoutJob(job);
      else if (job.kind === notificationJobKind) await runNotificationJob(context, job);
      else await runFallbackJob(context, job);
    } catch (error) {
      context.log('error', 'job crashed; it runs again when its lease ends', {
        jobId: job.id,
        error: String(error),
      });
    }
  }

  /**
   * Run the jobs that are due now and wait for them (tests and the simulator; the gateway's
   * job runner claims and runs continuously). Returns how many jobs ran.
   */
  async function runDueJobs(limit = 64): Promise<number> {
    const jobs = await claimJobs(limit);
    // Claimed jobs belong to different conversations (or wait their turn in the send job),
    // so several provider calls can be in flight at once.
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) await runJob(jobs[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(settings.concurrency, jobs.length) }, worker));
    return jobs.length;
  }

  /** Run due jobs until none is left (tests and the simulator). */
  async function drainJobs(maxRounds = 100): Promise<number> {
    let total = 0;
    for (let round = 0; round < maxRounds; round++) {
      const ran = await runDueJobs();
      total += ran;
      if (ran === 0) break;
    }
    return total;
  }

  return { claimJobs, runJob, runDueJobs, drainJobs };
}
