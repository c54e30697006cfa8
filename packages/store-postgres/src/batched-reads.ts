/**
 * Locking reads that every work of a group commit makes once (is this message a duplicate,
 * who is this address, which conversation is the contact's latest), made for all the works of
 * one round trip by one statement: the read becomes a `LATERAL` subquery over the works'
 * parameters, so the server binds, starts and ends one executor instead of one a work.
 *
 * A read opts in with `batchable(sql)`. Its parameters must all be text (they arrive as
 * `text[]` columns); its rows come back tagged with the work they answer, in the read's own
 * order within each work.
 */

/** The column that tells which work a row of a batched read answers (1-based). */
const positionColumn = 'threadline_position';

const batchedTexts = new Map<string, { sql: string; parameters: number }>();

/** Registers `sql` (text parameters only) as one that several works may read at once. */
export function batchable(sql: string): string {
  if (batchedTexts.has(sql)) return sql;
  const parameters = new Set(Array.from(sql.matchAll(/\$(\d+)/g), (match) => Number(match[1])))
    .size;
  const columns = Array.from({ length: parameters }, (_, index) => `p${index + 1}`);
  const arrays = columns.map((_, index) => `$${index + 1}::text[]`);
  const lateral = sql.replace(/\$(\d+)/g, (_, index: string) => `k.p${index}`);
  batchedTexts.set(sql, {
    sql: `SELECT k.position::int AS ${positionColumn}, r.* FROM unnest(${arrays.join(', ')})
      WITH ORDINALITY AS k (${[...columns, 'position'].join(', ')})
      CROSS JOIN LATERAL (${lateral}) AS r`,
    parameters,
  });
  return sql;
}

/** True when `sql` was registered with `batchable`. */
export function isBatchable(sql: string): boolean {
  return batchedTexts.has(sql);
}

/**
 * One statement for the reads of `sql` (registered) with the values `valuesOfEach`; its rows
 * are split back with `splitBatchedRows`. The reads run in the order of their values, not in
 * the order they were asked for, so every transaction that reads a set of rows this way locks
 * them in one order.
 */
export function batchRead(
  sql: string,
  valuesOfEach: ReadonlyArray<readonly unknown[]>,
): { sql: string; values: unknown[][]; asked: number[] } {
  const batched = batchedTexts.get(sql);
  if (!batched) throw new Error(`not a batchable read: ${sql}`);
  const texts = valuesOfEach.map((values) =>
    Array.from({ length: batched.parameters }, (_, parameter) => {
      const value = values[parameter];
      if (value !== null && value !== undefined && typeof value !== 'string')
        throw new TypeError(`a batched read takes text parameters only: ${sql}`);
      return value ?? null;
    }),
  );
  // `asked[n]`: which read the nth one run is
  const asked = texts.map((_, index) => index).sort((a, b) => compareTexts(texts[a]!, texts[b]!));
  const values = Array.from({ length: batched.parameters }, (_, parameter) =>
    asked.map((index) => texts[index]![parameter]!),
  );
  return { sql: batched.sql, values, asked };
}

/** Orders two reads' values, column by column (null first), by code point. */
function compareTexts(a: ReadonlyArray<string | null>, b: ReadonlyArray<string | null>): number {
  for (let index = 0; index < a.length; index += 1) {
    const left = a[index]!;
    const right = b[index]!;
    if (left === right) continue;
    if (left === null) return -1;
    if (right === null) return 1;
    return left < right ? -1 : 1;
  }
  return 0;
}

/**
 * The rows a batched read returned, split by the read they answer: `asked` as `batchRead`
 * returned it.
 */
export function splitBatchedRows<T extends Record<string, unknown>>(
  rows: readonly T[],
  asked: readonly number[],
): T[][] {
  const split: T[][] = asked.map(() => []);
  for (const row of rows) {
    const { [positionColumn]: position, ...rest } = row;
    split[asked[Number(position) - 1]!]!.push(rest as T);
  }
  return split;
}
