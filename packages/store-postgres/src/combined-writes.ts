/**
 * Row writes that several works of a group commit make alike (each ingest inserts a message and
 * updates its conversation), sent as one statement for all their rows: the server binds,
 * starts and ends one executor instead of one a row, and this process writes and reads one
 * statement's messages instead of one a row. The combined text is the same whatever the number
 * of rows (the rows travel as arrays), so it is prepared once per connection like any other.
 *
 * A write opts in with `combinableInsert` or `combinableUpdate`. Only writes of one row by its
 * key whose order against writes of other tables does not matter may: rows no foreign key
 * points from (a contact may be combined — its insert moves earlier, never later — an identity
 * may not), no trigger. `combineWrites` moves such a write back to join an earlier one of its
 * kind only past writes of other tables; a second write of the same row starts a new statement.
 */

interface CombinedForm {
  sql: string;
  /** Index of each column's value in the single-row form's values, text columns first. */
  textColumns: number[];
  jsonColumns: number[];
}

const combinedForms = new Map<string, CombinedForm>();

/**
 * `SELECT` of the rows a combined statement writes: text columns from `unnest` of text arrays,
 * JSON columns from JSON arrays (one document each, not quoted again inside an array literal),
 * in the order the writes were made.
 */
function rowsFrom(textColumns: string[], jsonColumns: string[]): string {
  const arrays = textColumns.map((_, index) => `$${index + 1}::text[]`);
  const output = [
    ...textColumns.map((name) => `r.${name}`),
    ...jsonColumns.map((name) => `${name}.value AS ${name}`),
  ];
  const joins = jsonColumns.map(
    (name, index) =>
      `JOIN json_array_elements($${textColumns.length + index + 1}::json) WITH ORDINALITY AS ${name} (value, position) ON ${name}.position = r.position`,
  );
  return `SELECT ${output.join(', ')} FROM unnest(${arrays.join(', ')})
    WITH ORDINALITY AS r (${[...textColumns, 'position'].join(', ')})
    ${joins.join(' ')} ORDER BY r.position`;
}

function register(
  single: string,
  columns: readonly string[],
  json: ReadonlySet<string>,
  statement: (rows: string, textColumns: string[], jsonColumns: string[]) => string,
  valueIndex: (column: string) => number,
): string {
  const textColumns = columns.filter((name) => !json.has(name));
  const jsonColumns = columns.filter((name) => json.has(name));
  combinedForms.set(single, {
    sql: statement(rowsFrom(textColumns, jsonColumns), textColumns, jsonColumns),
    textColumns: textColumns.map(valueIndex),
    jsonColumns: jsonColumns.map(valueIndex),
  });
  return single;
}

/**
 * `INSERT INTO table (columns) VALUES ($1, …)`, with a combined form for several rows. The
 * table's columns must be text or, when named in `json`, JSON.
 */
export function combinableInsert(
  table: string,
  columns: readonly string[],
  json: ReadonlySet<string> = new Set(),
): string {
  const single = `INSERT INTO ${table} (${columns.join(', ')})
       VALUES (${columns.map((_, index) => `$${index + 1}`).join(', ')})`;
  return register(
    single,
    columns,
    json,
    (rows, text, jsonColumns) =>
      `INSERT INTO ${table} (${[...text, ...jsonColumns].join(', ')}) ${rows}`,
    (column) => columns.indexOf(column),
  );
}

/**
 * `UPDATE table SET column = $1, … WHERE id = $n`: a whole-row update by id, with a combined
 * form for several rows. Column types as for `combinableInsert`.
 */
export function combinableUpdate(
  table: string,
  columns: readonly string[],
  json: ReadonlySet<string> = new Set(),
): string {
  const set = columns.map((name, index) => `${name} = $${index + 1}`);
  const single = `UPDATE ${table} SET ${set.join(', ')} WHERE id = $${columns.length + 1}`;
  const withId = [...columns, 'id'];
  return register(
    single,
    withId,
    json,
    (rows) =>
      `UPDATE ${table} AS t SET ${columns.map((name) => `${name} = s.${name}`).join(', ')}
       FROM (${rows}) AS s WHERE t.id = s.id`,
    (column) => withId.indexOf(column),
  );
}

/** A statement with its values, as the transaction runs it. */
export interface Statement {
  sql: string;
  values: unknown[];
}

export interface KeyedWrite extends Statement {
  /** The row it writes (`table:id`). */
  key: string;
}

/** A group of writes of one combinable text, becoming one statement. */
interface Group {
  sql: string;
  writes: KeyedWrite[];
  keys: Set<string>;
}

/** The table a write's key names (`table:id`). */
const tableOf = (key: string) => {
  const colon = key.indexOf(':');
  return colon < 0 ? key : key.slice(0, colon);
};

/**
 * `writes` as statements, in an order that keeps every table's writes in theirs (so no unique
 * index sees rows in another order): a write of a combinable text joins the latest earlier
 * group of that text when no other write of its table came since and the group holds no write
 * of its row; each group of two or more goes out as the combined statement.
 */
export function combineWrites(writes: readonly KeyedWrite[]): Statement[] {
  if (writes.length < 2) return [...writes];
  const out: Array<KeyedWrite | Group> = [];
  const latestGroup = new Map<string, number>();
  /** Where each table was last written, in `out`. */
  const lastAt = new Map<string, number>();
  for (const write of writes) {
    const table = tableOf(write.key);
    const form = combinedForms.get(write.sql);
    const combinable = form?.jsonColumns.every((column) => write.values[column] != null) === true;
    const at = combinable ? latestGroup.get(write.sql) : undefined;
    if (at !== undefined && (lastAt.get(table) ?? -1) <= at) {
      const group = out[at] as Group;
      if (!group.keys.has(write.key)) {
        group.writes.push(write);
        group.keys.add(write.key);
        continue;
      }
    }
    const index = out.length;
    if (combinable) {
      out.push({ sql: write.sql, writes: [write], keys: new Set([write.key]) });
      latestGroup.set(write.sql, index);
    } else out.push(write);
    lastAt.set(table, index);
  }
  return out.map((item) => {
    if (!('writes' in item)) return item;
    if (item.writes.length === 1) return item.writes[0]!;
    const form = combinedForms.get(item.sql)!;
    return {
      sql: form.sql,
      values: [
        ...form.textColumns.map((column) => item.writes.map((write) => write.values[column])),
        ...form.jsonColumns.map(
          (column) => `[${item.writes.map((write) => write.values[column] as string).join(',')}]`,
        ),
      ],
    };
  });
}
