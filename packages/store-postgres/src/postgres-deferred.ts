import type { ContactRecord } from '@threadline/engine';
import type { EventType, Message } from '@threadline/schema';
import type { PipelineStatement } from './pipeline.js';
import { json, Queries, type Row, type Run } from './postgres-queries.js';

export interface BufferedEvent {
  event: { id: string; cursor: number; type: EventType; time: string; data: unknown };
}

/** How a transaction reaches its connection besides single statements. */
export interface Connection {
  /** Several statements in one round trip (`pipeline.ts`); the rows of each. */
  pipeline(statements: PipelineStatement[]): Promise<Row[][]>;
  /** True: commit sends the last deferred writes with COMMIT, in its round trip. */
  writesWithCommit?: boolean;
  /**
   * Statements asked for in one turn share a round trip (`shared-round-trips.ts`): a read
   * asked for early, beside others, costs no round trip of its own.
   */
  sharesRoundTrips?: boolean;
}

interface DeferredWrite {
  /** The row it writes (`table:id`): a second write to one row is not combined with the first. */
  key: string;
  sql: string;
  values: unknown[];
}

/** Appends events under the sequencer lock; the documents come as one JSON array, in order. */
const appendEventsSql = `SELECT event_id, event_cursor FROM threadline_append_events($1::text[], $2::text[], $3::text[],
  ARRAY(SELECT document FROM json_array_elements($4::json) WITH ORDINALITY AS item (document, position) ORDER BY position))`;
/** The parameters of `appendEventsSql` (the documents as one array: no quoting of each one). */
const appendEventsValues = (batch: BufferedEvent[]) => [
  batch.map((item) => item.event.id),
  batch.map((item) => item.event.type),
  batch.map((item) => item.event.time),
  `[${batch.map((item) => json(item.event.data)).join(',')}]`,
];

/** `INSERT INTO t (columns) VALUES (…)` with nothing after the one row: its head and its row. */
const plainInsert = /^(INSERT INTO \w+ \([^)]*\)\s+VALUES\s*)(\(.*\))$/s;

/**
 * Updates of one row by id, by their text: several of one kind in a transaction's deferred
 * writes go out as one `UPDATE … FROM (VALUES …)` — one statement to plan, not one a row.
 */
const keyedUpdates = new Map<string, { row: string; combined: (rows: string) => string }>();

/**
 * `UPDATE table SET column = $1, … WHERE id = $n`, registered so that several deferred ones
 * combine into one statement. `cast` names a column's type where a VALUES list would read text
 * (JSON columns).
 */
export function keyedUpdate(table: string, columns: Array<[name: string, cast?: string]>): string {
  const names = columns.map(([name]) => name);
  const sql = `UPDATE ${table} SET ${names.map((name, index) => `${name} = $${index + 1}`).join(', ')} WHERE id = $${names.length + 1}`;
  const set = columns
    .map(([name, cast]) => `${name} = v.${name}${cast ? `::${cast}` : ''}`)
    .join(', ');
  const rowColumns = [...names, 'id'];
  keyedUpdates.set(sql, {
    row: `(${rowColumns.map((_, index) => `$${index + 1}`).join(', ')})`,
    combined: (rows) =>
      `UPDATE ${table} AS t SET ${set} FROM (VALUES ${rows}) AS v(${rowColumns.join(', ')}) WHERE t.id = v.id`,
  });
  return sql;
}

/** `sql` with its parameters `$1…$n` renumbered from `offset + 1` (texts remembered). */
const shiftedTexts = new Map<string, string>();
function shiftParameters(sql: string, offset: number): string {
  if (offset === 0) return sql;
  const cacheKey = `${offset}\u0000${sql}`;
  let shifted = shiftedTexts.get(cacheKey);
  if (shifted === undefined) {
    shifted = sql.replace(/\$(\d+)/g, (_, index: string) => `$${Number(index) + offset}`);
    if (shiftedTexts.size < 2_000) shiftedTexts.set(cacheKey, shifted);
  }
  return shifted;
}

/**
 * The machinery of a PostgreSQL write transaction (the store calls are in `Transaction`):
 * deferred writes combined into one statement, reads remembered until the work writes, events
 * buffered until commit and appended under the sequencer lock, statements and round trips
 * counted. See `Transaction` for why.
 */
export abstract class DeferredTransaction extends Queries {
  protected pending: BufferedEvent[] = [];
  protected writes: DeferredWrite[] = [];
  /** Contacts read with their identity, locked, not written since. */
  protected readonly contacts = new Map<string, ContactRecord>();
  /** Latest outbound message per conversation, read with the conversation, not written since. */
  protected readonly latestOutbound = new Map<string, Message | null>();
  /** Every identity of an address whose lock this transaction holds, by channel, not written since. */
  protected readonly addressIdentities = new Map<string, Map<string, Row>>();
  /** Identities found (address known, contact locked) by `channel:address`, not written since. */
  protected readonly foundIdentities = new Map<string, Row>();
  /**
   * When the latest sent, unreplied notification of a conversation was sent (null: none), read
   * with the conversation. Writes of other rows leave it true, so it outlives `forget`; a
   * notification write drops it.
   */
  protected readonly awaitingReplySince = new Map<string, string | null>();
  /** The switchboard's settings as read in this work (asked for early, beside other reads). */
  protected switchboardRead: Promise<Row[]> | undefined;
  /** Contacts this transaction created that have no conversation yet. */
  protected readonly contactsWithoutConversations = new Set<string>();
  /** The first cursor this transaction appended, once it has appended events. */
  firstCursor: number | undefined;
  /** True once a write of this transaction has reached the database. */
  wrote = false;
  /** Statements and round trips sent (for the capacity figures). */
  readonly counts = { statements: 0, roundTrips: 0 };

  constructor(
    runner: Run,
    protected readonly connection: Connection,
  ) {
    super(runner, ' FOR UPDATE');
  }

  protected override async run(sql: string, parameters?: unknown[]): Promise<Row[]> {
    await this.flushWrites();
    this.counts.statements += 1;
    this.counts.roundTrips += 1;
    return this.runner(sql, parameters);
  }

  protected override async runBeside(sql: string, parameters?: unknown[]): Promise<Row[]> {
    this.counts.statements += 1;
    this.counts.roundTrips += 1;
    return this.runner(sql, parameters);
  }

  /** Start the next work of the batch: nothing read for the previous one is reused. */
  beginWork(): void {
    this.forget();
    this.awaitingReplySince.clear();
    this.switchboardRead = undefined;
  }

  protected forget(): void {
    if (this.contacts.size > 0) this.contacts.clear();
    if (this.latestOutbound.size > 0) this.latestOutbound.clear();
    if (this.addressIdentities.size > 0) this.addressIdentities.clear();
    if (this.foundIdentities.size > 0) this.foundIdentities.clear();
  }

  protected async defer(key: string, sql: string, values: unknown[]): Promise<void> {
    this.forget();
    if (this.writes.some((write) => write.key === key)) await this.flushWrites();
    this.writes.push({ key, sql, values });
  }

  /**
   * A whole-row update of a row whose insert is still deferred: the insert takes the new
   * values instead (one write, not a flush and two). False when there is no such insert.
   */
  protected replaceDeferredInsert(key: string, insertValues: unknown[]): boolean {
    const index = this.writes.findIndex((write) => write.key === key);
    if (index < 0 || !this.writes[index]!.sql.startsWith('INSERT')) return false;
    this.forget();
    this.writes[index] = { ...this.writes[index]!, values: insertValues };
    return true;
  }

  /**
   * Send the deferred writes as one statement. Inserts with the same text become one
   * multi-row INSERT, in the order they were made (their `seq` columns keep that order; the
   * parts of one statement run in no set order, which does not matter across tables).
   */
  async flushWrites(): Promise<void> {
    const combined = this.takeWrites();
    if (!combined) return;
    this.counts.roundTrips += 1;
    await this.runner(combined.text, combined.values);
  }

  /** The deferred writes as one statement, taken out of the transaction (counted as sent). */
  private takeWrites(): { text: string; values: unknown[] } | undefined {
    if (this.writes.length === 0) return undefined;
    const writes = this.writes;
    this.writes = [];
    this.wrote = true;
    this.counts.statements += 1; // one statement, however many rows it writes
    if (writes.length === 1) return { text: writes[0]!.sql, values: writes[0]!.values };
    const groups = new Map<string, DeferredWrite[]>();
    for (const write of writes) {
      const group = groups.get(write.sql);
      if (group) group.push(write);
      else groups.set(write.sql, [write]);
    }
    const statements: string[] = [];
    const values: unknown[] = [];
    for (const [sql, group] of groups) {
      const insert = group.length > 1 ? plainInsert.exec(sql) : null;
      if (insert) {
        const tuples = group.map((write) => {
          const tuple = shiftParameters(insert[2]!, values.length);
          values.push(...write.values);
          return tuple;
        });
        statements.push(`${insert[1]}${tuples.join(', ')}`);
        continue;
      }
      // each key is written once per combined statement, so these rows are distinct
      const update = group.length > 1 ? keyedUpdates.get(sql) : undefined;
      if (update) {
        const rows = group.map((write) => {
          const row = shiftParameters(update.row, values.length);
          values.push(...write.values);
          return row;
        });
        statements.push(update.combined(rows.join(', ')));
        continue;
      }
      for (const write of group) {
        statements.push(shiftParameters(sql, values.length));
        values.push(...write.values);
      }
    }
    const text =
      statements.length === 1
        ? statements[0]!
        : `WITH ${statements.map((statement, index) => `w${index} AS (${statement})`).join(', ')} SELECT 1`;
    return { text, values };
  }

  /** Take over the events another transaction's work buffered (one commit for several works). */
  adoptEvents(other: DeferredTransaction): void {
    this.pending.push(...other.pending);
    other.pending = [];
  }

  /**
   * Take over the writes another transaction's work deferred and has not sent (one commit
   * for several works, their rows disjoint): they go out with this one's COMMIT.
   */
  adoptWrites(other: DeferredTransaction): void {
    this.writes.push(...other.writes);
    other.writes = [];
  }

  /** Append the buffered events now (a read of the log inside the transaction needs them). */
  async flushEvents(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const rows = await this.run(appendEventsSql, appendEventsValues(batch));
    this.assignCursors(batch, rows);
  }

  /**
   * Append the buffered events and commit in one round trip, so the sequencer lock is held
   * for the server's time only, never for a trip through this process. Returns the first
   * cursor the transaction appended.
   */
  async commit(): Promise<number | undefined> {
    // the last writes go in the same round trip, ahead of the events
    const statements: PipelineStatement[] = [];
    if (this.connection.writesWithCommit) {
      const combined = this.takeWrites();
      // combined texts vary with the rows they carry: parsed for this run, not kept prepared
      if (combined)
        statements.push({ sql: combined.text, values: combined.values, prepare: false });
    } else await this.flushWrites();
    const batch = this.pending;
    this.pending = [];
    this.counts.roundTrips += 1;
    if (batch.length > 0) {
      this.counts.statements += 1;
      statements.push({ sql: appendEventsSql, values: appendEventsValues(batch) });
    }
    this.counts.statements += 1;
    statements.push({ sql: 'COMMIT' });
    const results = await this.connection.pipeline(statements);
    if (batch.length > 0) this.assignCursors(batch, results[results.length - 2]!);
    return this.firstCursor;
  }

  private assignCursors(batch: BufferedEvent[], rows: Row[]): void {
    const cursors = new Map(rows.map((row) => [String(row.event_id), Number(row.event_cursor)]));
    for (const item of batch) item.event.cursor = cursors.get(item.event.id)!;
    this.firstCursor ??= Math.min(...cursors.values());
  }
}
