import type pg from 'pg';
import type { Row } from './postgres-row.js';

const needsEscape = /['\\]/;

/**
 * A string as an SQL literal, as `pg`'s `escapeLiteral` writes it (quotes doubled; with a
 * backslash, doubled backslashes in an `E''` string), without its character-by-character
 * loop: messages' JSON goes through here on every write.
 */
export function quoteLiteral(text: string): string {
  if (!needsEscape.test(text)) return `'${text}'`;
  const quoted = text.replaceAll("'", "''");
  return text.includes('\\') ? ` E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}

/** A value as an SQL literal, for statements sent together as one simple query. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Uint8Array) return `'\\x${Buffer.from(value).toString('hex')}'::bytea`;
  if (value instanceof Date) return quoteLiteral(value.toISOString());
  if (Array.isArray(value)) {
    const items = value.map((item) =>
      item === null || item === undefined
        ? 'NULL'
        : `"${String(item).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`,
    );
    return quoteLiteral(`{${items.join(',')}}`);
  }
  return quoteLiteral(String(value));
}

/** `sql` with `$1…$n` replaced by the values as literals. */
export function inline(sql: string, values: unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_, index: string) => literal(values[Number(index) - 1]));
}

/**
 * Statements prepared with SQL `PREPARE` (so the server parses and plans them once per
 * connection, as it does the extended protocol's named statements), by text: a name and
 * its parameter count. Bounded like those: past it, statements run inlined.
 */
const sharedStatements = new Map<string, { name: string; parameters: number }>();
const maxSharedStatements = 400;
function sharedStatement(sql: string) {
  let statement = sharedStatements.get(sql);
  if (!statement && sharedStatements.size < maxSharedStatements) {
    let parameters = 0;
    for (const match of sql.matchAll(/\$(\d+)/g))
      parameters = Math.max(parameters, Number(match[1]));
    statement = { name: `threadline_shared_${sharedStatements.size + 1}`, parameters };
    sharedStatements.set(sql, statement);
  }
  return statement;
}

/** A read that neither locks nor calls a function: running it twice in a row reads the same. */
const plainRead =
  /^\s*SELECT\b(?![\s\S]*\b(FOR\s+(UPDATE|SHARE|NO\s+KEY)|threadline_|nextval|pg_advisory))/i;

/** The names prepared on each connection (a connection whose round trip failed is discarded). */
const preparedOn = new WeakMap<pg.PoolClient, Set<string>>();

interface Statement {
  sql: string;
  values: unknown[];
  resolve: (rows: Row[]) => void;
  reject: (error: unknown) => void;
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
 * run up to their next await goes out in one round trip (one simple query, values inlined as
 * literals, results in order). Works that each make four reads and a write then cost the
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
      let prepared = preparedOn.get(client);
      if (!prepared) {
        prepared = new Set();
        preparedOn.set(client, prepared);
      }
      const parts: string[] = beginPending ? ['BEGIN'] : [];
      const resultIndex: number[] = [];
      const preparing: string[] = [];
      // A plain read asked for again (every message reads the switchboard's settings) is sent
      // once, while no statement that may write has come between: it reads the same rows.
      const asked = new Map<string, number>();
      for (const statement of statements) {
        const plain = plainRead.test(statement.sql);
        if (!plain) asked.clear();
        const key = plain ? `${statement.sql}\u0000${JSON.stringify(statement.values)}` : '';
        const earlier = plain ? asked.get(key) : undefined;
        if (earlier !== undefined) {
          resultIndex.push(earlier);
          continue;
        }
        const shared = sharedStatement(statement.sql);
        if (!shared) {
          resultIndex.push(parts.length);
          parts.push(inline(statement.sql, statement.values));
        } else {
          if (!prepared.has(shared.name) && !preparing.includes(shared.name)) {
            preparing.push(shared.name);
            parts.push(`PREPARE ${shared.name} AS ${statement.sql}`);
          }
          const values = Array.from({ length: shared.parameters }, (_, index) =>
            literal(statement.values[index]),
          );
          resultIndex.push(parts.length);
          parts.push(
            values.length > 0
              ? `EXECUTE ${shared.name}(${values.join(', ')})`
              : `EXECUTE ${shared.name}`,
          );
        }
        if (plain) asked.set(key, resultIndex[resultIndex.length - 1]!);
      }
      counts.statements += new Set(resultIndex).size;
      counts.roundTrips += 1;
      const answer = (await client.query(parts.join(';\n'))) as unknown as
        | pg.QueryResult
        | pg.QueryResult[];
      if (beginPending) {
        beginPending = false;
        counts.statements += 1;
      }
      for (const name of preparing) prepared.add(name);
      const results = Array.isArray(answer) ? answer : [answer];
      const answered = new Set<number>();
      for (const [index, statement] of statements.entries()) {
        const at = resultIndex[index]!;
        const rows = (results[at]?.rows ?? []) as Row[];
        // each work gets rows of its own, as if it had asked alone
        statement.resolve(answered.has(at) ? structuredClone(rows) : rows);
        answered.add(at);
      }
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
