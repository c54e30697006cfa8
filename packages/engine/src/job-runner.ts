import type { Job } from './ports.js';

/**
 * The queue's worker: keeps up to `concurrency` jobs in flight, claiming more as soon as one
 * finishes or something new is queued (`wake`), and looks for due jobs on a short timer
 * (retries and fallback timers come due without a wake). There is no batch barrier: a slow
 * provider call holds only its own slot, never the sends claimed after it. Jobs are durable in
 * the queue, so a restart loses no queued send; a job claimed by a crashed process runs again
 * when its lease ends.
 */
export function createJobRunner(options: {
  /** Lease up to `limit` due jobs. */
  claim: (limit: number) => Promise<Job[]>;
  run: (job: Job) => Promise<void>;
  concurrency?: number;
  intervalMs?: number;
  onError?: (error: unknown) => void;
}) {
  const intervalMs = options.intervalMs ?? 100;
  const concurrency = Math.max(1, options.concurrency ?? 64);
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let pumping: Promise<void> | undefined;
  let stopped = true;
  // Set when more jobs may be due than the last claim took (woken, or the claim came back full).
  let backlog = false;

  function startJob(job: Job): void {
    const running: Promise<void> = options
      .run(job)
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        inFlight.delete(running);
        if (backlog) pump();
      });
    inFlight.add(running);
  }

  async function fill(): Promise<void> {
    while (!stopped && backlog) {
      const free = concurrency - inFlight.size;
      if (free <= 0) return; // a finishing job pumps again
      backlog = false;
      let jobs: Job[];
      try {
        jobs = await options.claim(free);
      } catch (error) {
        // the timer tries again; no tight loop while the store is failing
        backlog = false;
        options.onError?.(error);
        return;
      }
      for (const job of jobs) startJob(job);
      if (jobs.length === free) backlog = true;
    }
  }

  function pump(): void {
    if (stopped) return;
    if (pumping) {
      backlog = true;
      return;
    }
    backlog = true;
    pumping = fill().finally(() => {
      pumping = undefined;
      // a wake that arrived while the claim was in flight
      if (backlog && !stopped && inFlight.size < concurrency) pump();
    });
  }

  function tick(): void {
    if (stopped) return;
    pump();
    timer = setTimeout(tick, intervalMs);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    /** Run soon: something was queued. */
    wake() {
      pump();
    },
    /** Jobs running now. */
    get running() {
      return inFlight.size;
    },
    /** Stop taking jobs; resolves when the jobs in flight have finished. */
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await pumping;
      await Promise.all(inFlight);
    },
  };
}
