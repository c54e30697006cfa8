import type { EventData, EventType, ThreadlineEvent } from '@threadline/schema';
import type { JobQueue } from './job-queue.js';
import type { Clock, IdGenerator, Job, NewJob, Store, StoreTransaction } from './ports.js';

/** One transaction's work: the events it appends and the jobs it writes or finishes. */
export interface Unit {
  tx: StoreTransaction;
  now: Date;
  events: ThreadlineEvent[];
  /** Jobs written to the outbox in this transaction. */
  jobs: Job[];
  /** Jobs this transaction finished (completed after commit when the queue is external). */
  completed: Job[];
}

export type UnitOfWork = ReturnType<typeof createUnitOfWork>;

export const isoTime = (date: Date) => date.toISOString();

/**
 * The machinery every decision runs inside: a transaction that collects its events and jobs,
 * announces the events once committed, and hands jobs to an external queue (the outbox).
 */
export function createUnitOfWork(options: {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  queue: JobQueue;
  onCommitted?: ((events: ThreadlineEvent[]) => void) | undefined;
}) {
  const { store, clock, ids, queue } = options;

  async function transact<T>(work: (unit: Unit) => Promise<T>): Promise<T> {
    let committed: Unit | undefined;
    const result = await store.write(async (tx) => {
      const unit: Unit = { tx, events: [], now: clock.now(), jobs: [], completed: [] };
      const value = await work(unit);
      committed = unit;
      return value;
    });
    if (committed && committed.events.length > 0) options.onCommitted?.(committed.events);
    if (committed && !queue.inStore) await handOver(committed.jobs, committed.completed);
    return result;
  }

  /** External queue: hand committed outbox jobs over, then clear them from the outbox. */
  async function handOver(jobs: Job[], completed: Job[]): Promise<void> {
    if (jobs.length > 0) {
      await queue.enqueue(jobs);
      await store.write(async (tx) => {
        for (const job of jobs) await tx.completeJob(job.id);
      });
    }
    for (const job of completed) await queue.complete(job);
  }

  /**
   * External queue: jobs left in the outbox by a crash between commit and hand-over are
   * handed over again (enqueue is idempotent by job id).
   */
  async function relayOutbox(olderThanMs = 2_000): Promise<number> {
    if (queue.inStore) return 0;
    const cutoff = isoTime(new Date(clock.now().getTime() - olderThanMs));
    const stranded = (await store.read.listJobs()).filter((job) => job.createdAt <= cutoff);
    await handOver(stranded, []);
    return stranded.length;
  }

  async function emit<T extends EventType>(unit: Unit, type: T, data: EventData<T>): Promise<void> {
    unit.events.push(await unit.tx.appendEvent(type, data, isoTime(unit.now), ids.next()));
  }

  async function addJob(unit: Unit, job: NewJob): Promise<void> {
    await unit.tx.insertJob(job);
    unit.jobs.push({ ...job, attempts: 0, lastError: null });
  }

  /** Finish a job with the transaction that did its work. */
  async function finishJob(unit: Unit, job: Job): Promise<void> {
    if (queue.inStore) await unit.tx.completeJob(job.id);
    else unit.completed.push(job);
  }

  return { transact, relayOutbox, emit, addJob, finishJob };
}
