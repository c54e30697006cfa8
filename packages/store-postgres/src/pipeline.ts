import pg from 'pg';
import type { Row } from './postgres-row.js';
import { statementNames } from './statement-names.js';

/** One statement of a pipeline: its text and its `$n` values. */
export interface PipelineStatement {
  sql: string;
  values?: readonly unknown[];
}

/** Pipelines' statements, named apart from those `pg` prepares itself (`prepared`). */
const nameOf = statementNames('threadline_p');

/** How a statement's rows read: their column names and each column's parser. */
interface Description {
  names: string[];
  parsers: Parser[];
}
const noRows: Description = { names: [], parsers: [] };

/**
 * The statements prepared on each connection, by name, with how their rows read: described
 * once, when prepared, so later runs are sent without a Describe and their rows read from this.
 */
const preparedOn = new WeakMap<pg.ClientBase, Map<string, Description>>();
/**
 * Connections whose pipeline failed: which of its statements the server prepared before the
 * error is unknown, so such a connection must be discarded, not returned to the pool.
 */
const failedOn = new WeakSet<pg.ClientBase>();

/** True when a pipeline failed on `client` (release it with `release(true)`). */
export function pipelineFailed(client: pg.ClientBase): boolean {
  return failedOn.has(client);
}

/** A value as a parameter in text format, as the column's input function reads it. */
function parameter(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return arrayLiteral(value);
  return String(value);
}

const needsQuoting = /["\\]/;
/** A text array as PostgreSQL's array input reads it: `{"a","b",NULL}`. */
function arrayLiteral(items: readonly unknown[]): string {
  const parts = items.map((item) => {
    if (item === null || item === undefined) return 'NULL';
    const text = String(item);
    return needsQuoting.test(text)
      ? `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
      : `"${text}"`;
  });
  return `{${parts.join(',')}}`;
}

type Parser = (text: string) => unknown;
interface Field {
  name: string;
  dataTypeID: number;
}
const textParsers = new Map<number, Parser>();
function parserFor(oid: number): Parser {
  let parser = textParsers.get(oid);
  if (!parser) {
    parser = pg.types.getTypeParser(oid, 'text') as Parser;
    textParsers.set(oid, parser);
  }
  return parser;
}

/**
 * The statements on the wire at once in the extended protocol — for each, Parse and Describe
 * on the connection's first use of its text, then Bind and Execute; one Sync after them all —
 * and their rows read as they arrive: one round trip whatever their number. Values travel as length-prefixed
 * parameters (the server neither lexes them as literals nor plans an `EXECUTE` per
 * statement), and rows are built with `pg`'s type parsers, so they read as `pg`'s own.
 *
 * After the first error the server skips the rest up to the Sync, as it skips the rest of a
 * simple query; inside a transaction block, the transaction is then aborted.
 */
class Pipeline implements pg.Submittable {
  private readonly results: Row[][] = [];
  private rows: Row[] = [];
  private current: Description = noRows;
  /**
   * Per statement: its name ('' unnamed), and whether a description of its own arrives ahead
   * of its rows (unnamed, or prepared by this pipeline) rather than one described before.
   */
  private readonly plan: Array<{ name: string; describedHere: boolean }> = [];
  /** Names prepared by this pipeline, with their descriptions once they arrive. */
  private readonly learned = new Map<string, Description>();
  private readonly prepared: Map<string, Description>;
  private settled = false;
  /** Why the statements could not all be written, if they could not. */
  private unsent: unknown;

  constructor(
    private readonly client: pg.ClientBase,
    private readonly statements: readonly PipelineStatement[],
    private readonly resolve: (results: Row[][]) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    let prepared = preparedOn.get(client);
    if (!prepared) {
      prepared = new Map();
      preparedOn.set(client, prepared);
    }
    this.prepared = prepared;
  }

  submit(connection: pg.Connection): void {
    const stream = (connection as unknown as { stream: import('node:stream').Writable }).stream;
    const raw = connection as unknown as {
      parse(query: { text: string; name: string; types: number[] }): void;
      bind(config: {
        statement: string;
        values: readonly unknown[];
        valueMapper: (value: unknown) => string | null;
      }): void;
      describe(message: { type: 'P' | 'S'; name: string }): void;
      execute(config: { portal: string; rows: number }): void;
      sync(): void;
    };
    stream.cork();
    try {
      for (const statement of this.statements) {
        const name = nameOf(statement.sql) ?? '';
        const values = statement.values ?? [];
        const describedHere = name === '' || !(this.prepared.has(name) || this.learned.has(name));
        if (describedHere) raw.parse({ text: statement.sql, name, types: [] });
        if (name === '') {
          raw.bind({ statement: name, values, valueMapper: parameter });
          raw.describe({ type: 'P', name: '' });
        } else {
          if (describedHere) {
            raw.describe({ type: 'S', name });
            this.learned.set(name, noRows); // until its description arrives (none: no rows)
          }
          raw.bind({ statement: name, values, valueMapper: parameter });
        }
        this.plan.push({ name, describedHere });
        raw.execute({ portal: '', rows: 0 });
      }
    } catch (error) {
      // a value that cannot be written: what went out before it runs, and the Sync below still
      // goes, so the server answers and the connection is free again; the pipeline fails
      this.unsent = error;
    } finally {
      raw.sync();
      stream.uncork();
    }
    this.expect(0);
  }

  /** How the rows of the `index`th statement read, where no description of its own comes. */
  private expect(index: number): void {
    const statement = this.plan[index];
    this.current =
      statement && !statement.describedHere
        ? (this.learned.get(statement.name) ?? this.prepared.get(statement.name) ?? noRows)
        : noRows;
  }

  handleRowDescription(message: { fields: Field[] }): void {
    const description = {
      names: message.fields.map((field) => field.name),
      parsers: message.fields.map((field) => parserFor(field.dataTypeID)),
    };
    this.current = description;
    const statement = this.plan[this.results.length];
    if (statement?.name) this.learned.set(statement.name, description);
  }

  handleDataRow(message: { fields: Array<string | null> }): void {
    const row: Row = {};
    const { names, parsers } = this.current;
    for (let index = 0; index < names.length; index += 1) {
      const text = message.fields[index];
      row[names[index]!] = text === null || text === undefined ? null : parsers[index]!(text);
    }
    this.rows.push(row);
  }

  handleCommandComplete(): void {
    this.results.push(this.rows);
    this.rows = [];
    this.expect(this.results.length);
  }

  handleEmptyQuery(): void {
    this.handleCommandComplete();
  }

  handlePortalSuspended(): void {}

  handleError(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    failedOn.add(this.client);
    this.reject(error);
  }

  handleReadyForQuery(): void {
    if (this.settled) return;
    if (this.unsent !== undefined) {
      this.handleError(this.unsent as Error);
      return;
    }
    this.settled = true;
    for (const [name, description] of this.learned) this.prepared.set(name, description);
    this.resolve(this.results);
  }
}

/** Runs `statements` in one round trip on `client`; the rows of each, in order. */
export function runPipeline(
  client: pg.ClientBase,
  statements: readonly PipelineStatement[],
): Promise<Row[][]> {
  return new Promise((resolve, reject) => {
    void client.query(new Pipeline(client, statements, resolve, reject) as never);
  });
}
