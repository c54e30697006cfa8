import type { Store, StoreTransaction } from '@threadline/engine';
import pg from 'pg';
import { type CommitTicket, createCommitOrder } from './commit-order.js';
import { asStoreError, attemptsFor } from './constraint-errors.js';
import { migrate, quoteIdentifier } from './migrations.js';
import { pipelineFailed, runPipeline } from './pipeline.js';
import { prepared, Queries, type Row, type Run } from './postgres-queries.js';
import { Transaction } from './postgres-transaction.js';
import { createSharedRoundTrips } from './shared-round-trips.js';
import { workKeys } from './work-keys.js';

export interface PostgresStoreSettings {
  /** `postgres://user:password@host:5432/database` (DATABASE_URL). */
  connectionString: string;
  /** Connections in this instance's pool; each group commit holds one for its transaction. Default 10. */
  poolSize?: number;
  /** Schema holding the tables (default `public`); created if missing. */
  schema?: string;
  /** Apply pending migrations when the store opens (default true). */
  migrate?: boolean;
  /** How often a write is run again after a conflict with a concurrent one (default 8). */
  maxWriteAttempts?: number;
  /** Called when a write conflicts and runs again (for logs and metrics). */
  onRetry?: (error: unknown, attempt: number) => void;
  /**
   * Group commits in flight at once, each on its own connection (default 2: one runs its
   * works while the other commits). A lane beyond the first opens only while half of
   * `maxBatch` writes wait.
   */
  commitLanes?: number;
  /** Most writes one group commit carries (default 64). */
  maxBatch?: number;
}

/** What the store has sent to PostgreSQL since it opened (for capacity figures). */
export interface PostgresStoreStats {
  /** Writes answered (committed or failed). */
  writes: number;
  /** Transactions committed (each carries one or more writes). */
  commits: number;
  /** Statements in write transactions, BEGIN and COMMIT included. */
  statements: number;
  /** Round trips of write transactions. */
  roundTrips: number;
  /** Reads outside transactions (event streams, API reads), one round trip each. */
  reads: number;
}

export interface PostgresStore extends Store {
  /** Resolves when the schema is migrated and the store is ready. */
  readonly ready: Promise<void>;
  /** The pool, for diagnostics. */
  readonly pool: pg.Pool;
  readonly stats: Readonly<PostgresStoreStats>;
}

/**
 * Errors a concurrent write can cause, after which the whole work runs again on fresh data:
 * unique and exclusion violations (two instances creating the same row), serialization
 * failures and deadlocks.
 */
const retryableCodes = new Set(['23505', '23P01', '40001', '40P01']);

export function isRetryableConflict(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    retryableCodes.has(String((error as { code?: unknown }).code))
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PendingWrite {
  work: (transaction: StoreTransaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** A group commit's result: every work's value, or the error and where it happened. */
type Outcome = { values: unknown[] } | { error: unknown; failedAt: number | 'commit' };

/** Committed side by side: each work's value, or the error its own logic threw (it wrote nothing). */
type SideBySideOutcome = Array<{ value: unknown } | { error: unknown }>;

type StoreCall = (...args: unknown[]) => Promise<unknown>;
type KeyRule = {
  keys: (...args: unknown[]) => string[];
  resultKeys?: (result: unknown) => string[];
};

/** Where the store calls of works running side by side go: the transaction of work `index`. */
interface SideBySideSession {
  call(index: number, name: string, args: unknown[]): Promise<unknown>;
}

/**
 * A work's transaction while works run side by side: each of `Transaction`'s methods, passed
 * to the session with the work's index (one object a work; the methods are the prototype's).
 */
class SideBySideWork {
  constructor(
    readonly index: number,
    readonly session: SideBySideSession,
  ) {}
}
for (
  let prototype: object | null = Transaction.prototype;
  prototype && prototype !== Object.prototype;
  prototype = Object.getPrototypeOf(prototype)
) {
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
    if (
      name === 'constructor' ||
      typeof descriptor?.value !== 'function' ||
      Object.hasOwn(SideBySideWork.prototype, name)
    )
      continue;
    Object.defineProperty(SideBySideWork.prototype, name, {
      value(this: SideBySideWork, ...args: unknown[]) {
        return this.session.call(this.index, name, args);
      },
    });
  }
}

/** Why works running side by side stopped: they are run one after another instead. */
class RunOneAfterAnother extends Error {}
/** The one such stop, made once: it never leaves the store, so no stack of its own is needed. */
const sameRows = new RunOneAfterAnother('works touched the same rows');

/**
 * The scale-out store: PostgreSQL shared by every gateway instance.
 *
 * **Group commit.** Writes arriving while a transaction is in flight wait, and then share the
 * next one: their works run one after another on one connection, in one transaction, at
 * READ COMMITTED, and each caller is answered once that transaction has committed. Up to
 * `commitLanes` such transactions run at once, each on its own connection. A failing work
 * fails alone: the transaction rolls back, the others run again together, and the failing
 * one runs again alone (unless its own logic threw, which the same data would throw again).
 * A failure at COMMIT belongs to no one work, so each runs again alone.
 *
 * **Races.** Rows a write reads to change (contact, conversation, message) are locked
 * `FOR UPDATE`, and creating an identity takes an address lock, so concurrent work for one
 * customer takes turns, on this instance or another. A write that still collides with a
 * concurrent one (a unique or exclusion violation — the same provider redelivery or the
 * same new conversation on two instances — a deadlock or a serialization failure) rolls back
 * and runs again on fresh data, a bounded number of times.
 *
 * **Cursor order is commit order.** Events are appended at the end of the transaction by
 * `threadline_append_events`, which takes a transaction-scoped advisory lock (the
 * sequencer) before any event gets a cursor, in the same round trip as COMMIT: the lock is
 * held for the server's time to append and commit, never while this process works. It is
 * released only after the commit is visible, so a transaction with a smaller cursor has
 * always committed (or rolled back) before a larger cursor can be seen: a reader of "events
 * after N" never misses one.
 */
export function createPostgresStore(settings: PostgresStoreSettings): PostgresStore {
  const schema = settings.schema ?? 'public';
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    max: settings.poolSize ?? 10,
    options: `-c search_path=${quoteIdentifier(schema)}`,
  });
  // An idle connection that breaks (a database restart) must not crash the process.
  pool.on('error', () => {});
  const maxAttempts = settings.maxWriteAttempts ?? 8;
  const lanes = Math.max(1, settings.commitLanes ?? 2);
  const maxBatch = Math.max(1, settings.maxBatch ?? 64);
  // Another lane opens only for a backlog: a transaction costs the same to begin and commit
  // for two writes as for twenty, so small batches side by side cost more than one larger
  // one (measured in bench/postgres-ingest.ts: a lane for any backlog doubled PostgreSQL's
  // CPU per message and cut msg/s by a third; one for a quarter of maxBatch split the bench's
  // 50 connections into batches of 16 where one lane carries 22).
  const laneBacklog = Math.max(1, Math.floor(maxBatch / 2));
  const stats: PostgresStoreStats = {
    writes: 0,
    commits: 0,
    statements: 0,
    roundTrips: 0,
    reads: 0,
  };
  let closed = false;
  // Migrated once; a failed attempt (the database not up yet) is tried again on next use.
  let readiness: Promise<void> | undefined;
  const ensureReady = (): Promise<void> => {
    if (!readiness) {
      const attempt = (
        settings.migrate === false ? Promise.resolve(0) : migrate(pool, schema)
      ).then(() => undefined);
      readiness = attempt;
      attempt.catch(() => {
        if (readiness === attempt) readiness = undefined;
      });
    }
    return readiness;
  };
  ensureReady().catch(() => {});

  const poolRun: Run = async (sql, parameters) => {
    await ensureReady();
    stats.reads += 1;
    return (await pool.query(prepared(sql, parameters))).rows as Row[];
  };
  const reader = new Queries(poolRun, '');

  const order = createCommitOrder();

  /** Runs `items` in one transaction; throws only when no connection could be had. */
  async function attempt(items: PendingWrite[]): Promise<Outcome> {
    const client = await pool.connect();
    const transaction = new Transaction(
      async (sql, parameters) => (await client.query(prepared(sql, parameters))).rows as Row[],
      { pipeline: (statements) => runPipeline(client, statements) },
    );
    let committing: CommitTicket | undefined;
    let failedAt: number | 'commit' = 'commit';
    try {
      await client.query('BEGIN');
      const values: unknown[] = [];
      for (const [index, item] of items.entries()) {
        failedAt = index;
        transaction.beginWork();
        values.push(await item.work(transaction));
        await transaction.flushWrites();
      }
      failedAt = 'commit';
      committing = order.committing();
      const firstCursor = await transaction.commit();
      client.release();
      stats.commits += 1;
      stats.statements += transaction.counts.statements + 1;
      stats.roundTrips += transaction.counts.roundTrips + 1;
      await order.committed(committing, firstCursor);
      return { values };
    } catch (error) {
      if (committing) order.committed(committing, undefined);
      // A connection that cannot even roll back is discarded, not returned to the pool, and so
      // is one whose pipeline failed (which statements it prepared is unknown).
      let broken = pipelineFailed(client);
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      client.release(broken);
      return { error, failedAt };
    }
  }

  /**
   * Runs the works of `items` side by side in one transaction, their statements sharing
   * round trips (see `shared-round-trips.ts`). Safe only while no two works touch the same
   * row: every store call names what it touches (`work-keys.ts`), and the first key two works
   * share — or a call that names nothing, or a database error — stops them all: the
   * transaction rolls back and undefined is returned, for the caller to run them one after
   * another. A work whose own logic throws before any of its writes went out fails alone.
   */
  async function attemptSideBySide(items: PendingWrite[]): Promise<SideBySideOutcome | undefined> {
    const client = await pool.connect();
    const shared = createSharedRoundTrips(client, { begin: true });
    const stop = sameRows;
    let stopped = false;
    const owners = new Map<string, number>();
    const claim = (index: number, keys: string[]) => {
      for (const key of keys) {
        const owner = owners.get(key);
        if (owner === undefined) owners.set(key, index);
        else if (owner !== index) stopped = true;
      }
      if (stopped) shared.abort(stop);
    };
    const transactions = items.map(
      () =>
        new Transaction(shared.run, {
          pipeline: () => Promise.reject(stop),
          sharesRoundTrips: true,
        }),
    );
    const session: SideBySideSession = {
      call(index, name, args) {
        try {
          const rule = workKeys[name as keyof StoreTransaction] as KeyRule | undefined;
          if (!rule) {
            stopped = true;
            shared.abort(stop);
          } else claim(index, rule.keys(...args));
          if (stopped) throw stop;
          const transaction = transactions[index]! as unknown as Record<string, StoreCall>;
          return transaction[name]!(...args).then((result) => {
            if (rule?.resultKeys) claim(index, rule.resultKeys(result));
            if (stopped) throw stop;
            return result;
          });
        } catch (error) {
          return Promise.reject(error);
        }
      },
    };
    const facades = transactions.map(
      (_, index) => new SideBySideWork(index, session) as unknown as StoreTransaction,
    );
    let committing: CommitTicket | undefined;
    try {
      // BEGIN goes out with the works' first statements; their last writes, with COMMIT
      const settled = await Promise.allSettled(
        items.map((item, index) => item.work(facades[index]!)),
      );
      const blocked =
        stopped ||
        shared.failure !== undefined ||
        settled.some((result, index) => result.status === 'rejected' && transactions[index]!.wrote);
      if (blocked) throw stop;
      const lead = new Transaction(
        async (sql, parameters) => (await client.query(prepared(sql, parameters))).rows as Row[],
        { pipeline: (statements) => runPipeline(client, statements), writesWithCommit: true },
      );
      for (const [index, transaction] of transactions.entries())
        if (settled[index]!.status === 'fulfilled') {
          lead.adoptWrites(transaction);
          lead.adoptEvents(transaction);
        }
      if (shared.beginPending) {
        lead.counts.statements += 1;
        lead.counts.roundTrips += 1;
        await client.query('BEGIN');
      }
      committing = order.committing();
      const firstCursor = await lead.commit();
      client.release();
      stats.commits += 1;
      // BEGIN is counted where it went out: with the first shared round trip, or by the lead
      stats.statements += shared.counts.statements + lead.counts.statements;
      stats.roundTrips += shared.counts.roundTrips + lead.counts.roundTrips;
      await order.committed(committing, firstCursor);
      return settled.map((result) =>
        result.status === 'fulfilled' ? { value: result.value } : { error: result.reason },
      );
    } catch {
      shared.abort(stop);
      if (committing) order.committed(committing, undefined);
      // after a failed round trip, which statements it prepared is unknown: a fresh connection
      let broken = pipelineFailed(client);
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      client.release(broken);
      return undefined;
    }
  }

  /** Answers every write of `batch`: committed together, or each failing alone. */
  async function settle(
    batch: PendingWrite[],
    attemptNumber = 1,
    sideBySide = true,
  ): Promise<void> {
    if (sideBySide) {
      let together: SideBySideOutcome | undefined;
      try {
        together = await attemptSideBySide(batch);
      } catch (error) {
        for (const item of batch) item.reject(error);
        stats.writes += batch.length;
        return;
      }
      if (together) {
        for (const [index, item] of batch.entries()) {
          const result = together[index]!;
          if ('value' in result) item.resolve(result.value);
          else item.reject(result.error);
        }
        stats.writes += batch.length;
        return;
      }
    }
    let outcome: Outcome;
    try {
      outcome = await attempt(batch);
    } catch (error) {
      // no connection: the database is unreachable for all of them
      for (const item of batch) item.reject(error);
      stats.writes += batch.length;
      return;
    }
    if ('values' in outcome) {
      for (const [index, item] of batch.entries()) item.resolve(outcome.values[index]);
      stats.writes += batch.length;
      return;
    }
    const { error, failedAt } = outcome;
    if (batch.length === 1) {
      if (isRetryableConflict(error) && attemptNumber < attemptsFor(error, maxAttempts)) {
        settings.onRetry?.(error, attemptNumber);
        // A short, growing, jittered pause lets the winner of the collision commit.
        await sleep(Math.random() * 5 * attemptNumber);
        return settle(batch, attemptNumber + 1, false);
      }
      batch[0]!.reject(asStoreError(error));
      stats.writes += 1;
      return;
    }
    if (failedAt === 'commit') {
      for (const item of batch) await settle([item], 1, false);
      return;
    }
    const failing = batch[failedAt]!;
    const rest = batch.filter((_, index) => index !== failedAt);
    if (error instanceof pg.DatabaseError) await settle([failing], 1, false);
    else {
      // The work's own logic threw, on the data the writes before it left: so it would again.
      failing.reject(error);
      stats.writes += 1;
    }
    await settle(rest, 1, false);
  }

  const queue: PendingWrite[] = [];
  let busyLanes = 0;
  let pumpScheduled = false;
  /** Transactions of `writeApart` in flight. */
  let apart = 0;
  let idle: (() => void) | undefined;

  function pump(): void {
    pumpScheduled = false;
    while (
      busyLanes < lanes &&
      queue.length > 0 &&
      (busyLanes === 0 || queue.length >= laneBacklog)
    ) {
      const batch = queue.splice(0, maxBatch);
      busyLanes += 1;
      void settle(batch).finally(() => {
        busyLanes -= 1;
        if (queue.length > 0) pump();
        else if (busyLanes === 0 && apart === 0) idle?.();
      });
    }
  }

  return {
    kind: 'postgres',
    get ready() {
      return ensureReady();
    },
    pool,
    stats,
    // a fold transaction costs four round trips: five a second at most take a tenth of them
    backgroundPaceMs: 100,
    read: reader,
    async write<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
      if (closed) throw new Error('the store is closed');
      await ensureReady();
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        // writes made in the same tick share a transaction
        if (!pumpScheduled) {
          pumpScheduled = true;
          queueMicrotask(pump);
        }
      });
    },
    /** Its own transaction and connection, beside the lanes (retried on a conflict). */
    async writeApart<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
      if (closed) throw new Error('the store is closed');
      await ensureReady();
      apart += 1;
      try {
        return await new Promise<T>((resolve, reject) => {
          void settle([{ work, resolve: resolve as (value: unknown) => void, reject }], 1, false);
        });
      } finally {
        apart -= 1;
        if (apart === 0 && queue.length === 0 && busyLanes === 0) idle?.();
      }
    },
    async ping() {
      await ensureReady();
      await pool.query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      if (queue.length > 0 || busyLanes > 0 || apart > 0)
        await new Promise<void>((resolve) => {
          idle = resolve;
        });
      await readiness?.catch(() => {});
      await pool.end();
    },
  };
}
