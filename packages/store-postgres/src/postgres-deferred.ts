import type { ContactRecord } from '@threadline/engine';
import type { EventType, Message } from '@threadline/schema';
import { combineWrites, type KeyedWrite, type Statement } from './combined-writes.js';
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

type DeferredWrite = KeyedWrite;

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

/**
 * The machinery of a PostgreSQL write transaction (the store calls are in `Transaction`):
 * deferred writes sent together in one round trip, reads remembered until the work writes, events
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
  /**
   * Latest conversations read with an identity (`findIdentity`'s `latestConversationIn`), by
   * contact and inbox, locked, not written since: the conversation's row with its latest
   * outbound message and awaiting-reply time, or null for none.
   */
  protected readonly latestConversations = new Map<string, Row | null>();
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
    if (this.latestConversations.size > 0) this.latestConversations.clear();
  }

  protected async defer(key: string, sql: string, values: unknown[]): Promise<void> {
    this.forget();
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
   * Send the deferred writes in one round trip, each row's in the order they were made: alike
   * writes of several rows as one statement (`combined-writes.ts`), each statement prepared
   * (a text planned once per connection).
   */
  async flushWrites(): Promise<void> {
    const statements = this.takeWrites();
    if (statements.length === 0) return;
    this.counts.roundTrips += 1;
    // statements asked for in one turn share a round trip; else one pipeline of them
    if (this.connection.sharesRoundTrips)
      await Promise.all(statements.map((write) => this.runner(write.sql, write.values)));
    else await this.connection.pipeline(statements);
  }

  /** The deferred writes, taken out of the transaction as statements (counted as sent). */
  private takeWrites(): Statement[] {
    const writes = this.writes;
    if (writes.length === 0) return [];
    this.writes = [];
    this.wrote = true;
    const statements = combineWrites(writes);
    this.counts.statements += statements.length;
    return statements;
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
    if (this.connection.writesWithCommit) statements.push(...this.takeWrites());
    else await this.flushWrites();
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
