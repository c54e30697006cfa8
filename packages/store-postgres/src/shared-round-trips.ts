import type pg from 'pg';
import { batchRead, isBatchable, splitBatchedRows } from './batched-reads.js';
import { type PipelineStatement, runPipeline } from './pipeline.js';
import type { Row } from './postgres-row.js';

/** A read that neither locks nor calls a function: running it twice in a row reads the same. */
const plainRead =
  /^\s*SELECT\b(?![\s\S]*\b(FOR\s+(UPDATE|SHARE|NO\s+KEY)|threadline_|nextval|pg_advisory))/i;

interface Statement {
  sql: string;
  values: unknown[];
  resolve: (rows: Row[]) => void;
  reject: (error: unknown) => void;
}

/** Reads of one batchable text: where they go in the pipeline, and the values of each. */
interface Batch {
  at: number;
  values: Array<readonly unknown[]>;
}

/** One round trip's pipeline, and where each statement asked for finds its rows in it. */
interface RoundTripPlan {
  pipeline: PipelineStatement[];
  /** Per statement asked for: its pipeline statement, and its place in a batched read. */
  answers: Array<{ at: number; read?: number }>;
  /** Batched reads by pipeline statement: the order their reads ran in (`batchRead`). */
  batched: Map<number, number[]>;
}

/**
 * The pipeline for `statements` (after BEGIN when `begin`). While no statement that may write
 * comes between: a plain read asked for again (every message reads the switchboard's
 * settings) is sent once, since it reads the same rows; and a batchable read
 * (`batched-reads.ts`) asked for by several works goes out as one statement, since reads and
 * locks taken in another order within one transaction read and lock the same rows.
 */
function planRoundTrip(statements: readonly Statement[], begin: boolean): RoundTripPlan {
  const pipeline: PipelineStatement[] = begin ? [{ sql: 'BEGIN' }] : [];
  const answers: RoundTripPlan['answers'] = [];
  const asked = new Map<string, number>();
  const batches = new Map<string, Batch>();
  const opened: Batch[] = [];
  for (const { sql, values } of statements) {
    const plain = plainRead.test(sql);
    const batchableRead = !plain && isBatchable(sql);
    if (!plain && !batchableRead) {
      asked.clear();
      batches.clear();
    }
    if (batchableRead) {
      let batch = batches.get(sql);
      if (!batch) {
        batch = { at: pipeline.length, values: [] };
        batches.set(sql, batch);
        opened.push(batch);
        pipeline.push({ sql, values });
      }
      answers.push({ at: batch.at, read: batch.values.length });
      batch.values.push(values);
      continue;
    }
    const key = plain ? `${sql}\u0000${JSON.stringify(values)}` : '';
    const earlier = plain ? asked.get(key) : undefined;
    if (earlier !== undefined) {
      answers.push({ at: earlier });
      continue;
    }
    answers.push({ at: pipeline.length });
    if (plain) asked.set(key, pipeline.length);
    pipeline.push({ sql, values });
  }
  // a read asked for by more than one work: one statement for them all
  const batched = new Map<number, number[]>();
  for (const batch of opened) {
    if (batch.values.length < 2) continue;
    const { asked: order, ...statement } = batchRead(pipeline[batch.at]!.sql, batch.values);
    pipeline[batch.at] = statement;
    batched.set(batch.at, order);
  }
  return { pipeline, answers, batched };
}

/** Answers each statement with its rows; each gets rows of its own, as if it had asked alone. */
function answer(statements: readonly Statement[], plan: RoundTripPlan, results: Row[][]): void {
  const split = new Map<number, Row[][]>();
  for (const [at, order] of plan.batched) split.set(at, splitBatchedRows(results[at] ?? [], order));
  const answered = new Set<number>();
  for (const [index, statement] of statements.entries()) {
    const { at, read } = plan.answers[index]!;
    const batch = split.get(at);
    if (batch) {
      statement.resolve(batch[read!]!);
      continue;
    }
    const rows = results[at] ?? [];
    statement.resolve(answered.has(at) ? structuredClone(rows) : rows);
    answered.add(at);
  }
}

export interface SharedRoundTrips {
  /** Runs a statement with the others asked for before the next turn of the event loop. */
  run(sql: string, values?: unknown[]): Promise<Row[]>;
  /** Stop: statements waiting and asked for later fail with `reason`. */
  abort(reason: Error): void;
  /** The database error a round trip met (the transaction is then aborted), if any. */
  readonly failure: unknown;
  /** Round trips and statements sent. */
  readonly counts: { statements: number; roundTrips: number };
  /** True while BEGIN (asked for with `begin`) has not gone out with a statement yet. */
  readonly beginPending: boolean;
}

/**
 * Statements from several works, sent together: every statement asked for while the works
 * run up to their next await goes out in one round trip (one pipeline: `pipeline.ts`,
 * results in order). Works that each make four reads and a write then cost the
 * connection five round trips between them, not five each.
 */
export function createSharedRoundTrips(
  client: pg.PoolClient,
  options: { begin?: boolean } = {},
): SharedRoundTrips {
  let waiting: Statement[] = [];
  // BEGIN goes out with the first statements rather than a round trip of its own
  let beginPending = options.begin ?? false;
  let scheduled = false;
  let inFlight = false;
  let failure: unknown;
  let stopped: Error | undefined;
  const counts = { statements: 0, roundTrips: 0 };

  function schedule(): void {
    if (scheduled || inFlight) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void send();
    });
  }

  async function send(): Promise<void> {
    const statements = waiting;
    waiting = [];
    if (statements.length === 0) return;
    inFlight = true;
    try {
      const plan = planRoundTrip(statements, beginPending);
      counts.statements += plan.pipeline.length - (beginPending ? 1 : 0);
      counts.roundTrips += 1;
      const results = await runPipeline(client, plan.pipeline);
      if (beginPending) {
        beginPending = false;
        counts.statements += 1;
      }
      answer(statements, plan, results);
    } catch (error) {
      failure = error;
      for (const statement of statements) statement.reject(error);
    }
    inFlight = false;
    if (waiting.length > 0) schedule();
  }

  return {
    run(sql, values = []) {
      if (stopped) return Promise.reject(stopped);
      if (failure) return Promise.reject(failure);
      return new Promise<Row[]>((resolve, reject) => {
        waiting.push({ sql, values, resolve, reject });
        schedule();
      });
    },
    abort(reason) {
      stopped ??= reason;
      const statements = waiting;
      waiting = [];
      for (const statement of statements) statement.reject(reason);
    },
    get failure() {
      return failure;
    },
    get beginPending() {
      return beginPending;
    },
    counts,
  };
}
