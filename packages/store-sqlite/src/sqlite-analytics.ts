import type {
  AnalyticsChange,
  AnalyticsCursor,
  AnalyticsQuery,
  AnalyticsRows,
  BinRow,
  ConversationAnalytics,
  CounterRow,
} from '@threadline/engine';
import type { Statement } from 'better-sqlite3';

/** The analytics tables (a migration of their own): states, counters, histogram bins. */
export const analyticsTables = `
  CREATE TABLE analytics_conversations (conversation_id TEXT PRIMARY KEY, data TEXT NOT NULL);
  CREATE TABLE analytics_counters (
    hour TEXT NOT NULL,
    channel TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    count INTEGER NOT NULL,
    sum REAL NOT NULL,
    min REAL,
    max REAL,
    PRIMARY KEY (hour, channel, integration_id, metric)
  ) WITHOUT ROWID;
  CREATE TABLE analytics_bins (
    hour TEXT NOT NULL,
    channel TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    bin INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (hour, channel, integration_id, metric, bin)
  ) WITHOUT ROWID;
`;

type Prepare = (sql: string) => Statement;
type Row = Record<string, unknown>;

export function sqliteAnalyticsStates(prepare: Prepare, ids: string[]): ConversationAnalytics[] {
  if (ids.length === 0) return [];
  const rows =
    ids.length === 1
      ? (prepare('SELECT data FROM analytics_conversations WHERE conversation_id = ?').all(
          ids[0],
        ) as Row[])
      : (prepare(
          'SELECT data FROM analytics_conversations WHERE conversation_id IN (SELECT value FROM json_each(?))',
        ).all(JSON.stringify(ids)) as Row[]);
  return rows.map((row) => JSON.parse(String(row.data)) as ConversationAnalytics);
}

const putState =
  'INSERT INTO analytics_conversations (conversation_id, data) VALUES (?, ?) ON CONFLICT (conversation_id) DO UPDATE SET data = excluded.data';
const addCounter = `INSERT INTO analytics_counters (hour, channel, integration_id, metric, count, sum, min, max)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (hour, channel, integration_id, metric) DO UPDATE SET
    count = count + excluded.count,
    sum = sum + excluded.sum,
    min = coalesce(min(min, excluded.min), min, excluded.min),
    max = coalesce(max(max, excluded.max), max, excluded.max)`;
const addBin = `INSERT INTO analytics_bins (hour, channel, integration_id, metric, bin, count)
  VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (hour, channel, integration_id, metric, bin) DO UPDATE SET count = count + excluded.count`;

/** The position of the analytics in the event log (one row; the writer holds the only lock). */
export function sqliteAnalyticsCursor(prepare: Prepare): AnalyticsCursor {
  const row = prepare('SELECT cursor, token FROM analytics_cursor WHERE id = 1').get() as
    | Row
    | undefined;
  return { cursor: Number(row?.cursor ?? 0), token: String(row?.token ?? '') };
}

export function applySqliteAnalytics(
  prepare: Prepare,
  change: AnalyticsChange,
  to: AnalyticsCursor,
): void {
  prepare(
    'INSERT INTO analytics_cursor (id, cursor, token) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor, token = excluded.token',
  ).run(to.cursor, to.token);
  const state = prepare(putState);
  for (const row of change.states) state.run(row.conversationId, JSON.stringify(row));
  const counter = prepare(addCounter);
  for (const row of change.counters)
    counter.run(
      row.hour,
      row.channel,
      row.integrationId,
      row.metric,
      row.count,
      row.sum,
      row.min,
      row.max,
    );
  const bin = prepare(addBin);
  for (const row of change.bins)
    bin.run(row.hour, row.channel, row.integrationId, row.metric, row.bin, row.count);
}

export function clearSqliteAnalytics(prepare: Prepare): void {
  prepare("UPDATE analytics_cursor SET cursor = 0, token = ''").run();
  prepare('DELETE FROM analytics_conversations').run();
  prepare('DELETE FROM analytics_counters').run();
  prepare('DELETE FROM analytics_bins').run();
}

const bucketExpression = { all: "''", hour: 'hour', day: 'substr(hour, 1, 10)' } as const;

function where(query: AnalyticsQuery): { sql: string; values: unknown[] } {
  const clauses = ['hour >= ?', 'hour < ?'];
  const values: unknown[] = [query.from, query.to];
  if (query.channel !== undefined) {
    clauses.push('channel = ?');
    values.push(query.channel);
  }
  if (query.integrationId !== undefined) {
    clauses.push('integration_id = ?');
    values.push(query.integrationId);
  }
  if (query.metrics !== undefined) {
    clauses.push('metric IN (SELECT value FROM json_each(?))');
    values.push(JSON.stringify(query.metrics));
  }
  return { sql: clauses.join(' AND '), values };
}

export function readSqliteAnalytics(prepare: Prepare, query: AnalyticsQuery): AnalyticsRows {
  const bucket = bucketExpression[query.interval];
  const filter = where(query);
  const counters = prepare(
    `SELECT ${bucket} AS bucket, metric, SUM(count) AS count, SUM(sum) AS sum, MIN(min) AS min, MAX(max) AS max
     FROM analytics_counters WHERE ${filter.sql} GROUP BY 1, 2`,
  ).all(...filter.values) as Row[];
  const bins = prepare(
    `SELECT ${bucket} AS bucket, metric, bin, SUM(count) AS count
     FROM analytics_bins WHERE ${filter.sql} GROUP BY 1, 2, 3`,
  ).all(...filter.values) as Row[];
  return {
    counters: counters.map(
      (row): CounterRow => ({
        bucket: String(row.bucket),
        metric: String(row.metric),
        count: Number(row.count),
        sum: Number(row.sum),
        min: row.min === null ? null : Number(row.min),
        max: row.max === null ? null : Number(row.max),
      }),
    ),
    bins: bins.map(
      (row): BinRow => ({
        bucket: String(row.bucket),
        metric: String(row.metric),
        bin: Number(row.bin),
        count: Number(row.count),
      }),
    ),
  };
}
