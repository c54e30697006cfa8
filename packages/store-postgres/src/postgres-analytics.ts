import type {
  AnalyticsChange,
  AnalyticsQuery,
  AnalyticsRows,
  ConversationAnalytics,
} from '@threadline/engine';
import type { Row } from './postgres-row.js';

const json = (value: unknown) => JSON.stringify(value);

/** The analytics tables (a migration of their own): states, counters, histogram bins. */
export const analyticsTables = `
  CREATE TABLE analytics_conversations (conversation_id TEXT PRIMARY KEY, data JSONB NOT NULL);
  CREATE TABLE analytics_counters (
    hour TEXT NOT NULL,
    channel TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    count BIGINT NOT NULL,
    sum DOUBLE PRECISION NOT NULL,
    min DOUBLE PRECISION,
    max DOUBLE PRECISION,
    PRIMARY KEY (hour, channel, integration_id, metric)
  );
  CREATE TABLE analytics_bins (
    hour TEXT NOT NULL,
    channel TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    bin INTEGER NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (hour, channel, integration_id, metric, bin)
  );
`;

export const statesSql = (lock: string) =>
  `SELECT data FROM analytics_conversations WHERE conversation_id = ANY($1::text[])${lock}`;

export const toState = (row: Row) =>
  (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as ConversationAnalytics;

/** The statements that write a change (each an upsert from arrays), with their parameters. */
export function analyticsStatements(
  change: AnalyticsChange,
): { key: string; sql: string; values: unknown[] }[] {
  const writes: { key: string; sql: string; values: unknown[] }[] = [];
  const { states, counters, bins } = change;
  if (states.length > 0)
    writes.push({
      key: 'analytics_conversations',
      sql: `INSERT INTO analytics_conversations (conversation_id, data)
        SELECT * FROM unnest($1::text[], $2::jsonb[])
        ON CONFLICT (conversation_id) DO UPDATE SET data = excluded.data`,
      values: [states.map((state) => state.conversationId), states.map((state) => json(state))],
    });
  if (counters.length > 0)
    writes.push({
      key: 'analytics_counters',
      sql: `INSERT INTO analytics_counters AS c (hour, channel, integration_id, metric, count, sum, min, max)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::float8[], $7::float8[], $8::float8[])
        ON CONFLICT (hour, channel, integration_id, metric) DO UPDATE SET
          count = c.count + excluded.count,
          sum = c.sum + excluded.sum,
          min = LEAST(c.min, excluded.min),
          max = GREATEST(c.max, excluded.max)`,
      values: [
        counters.map((row) => row.hour),
        counters.map((row) => row.channel),
        counters.map((row) => row.integrationId),
        counters.map((row) => row.metric),
        counters.map((row) => row.count),
        counters.map((row) => row.sum),
        counters.map((row) => row.min),
        counters.map((row) => row.max),
      ],
    });
  if (bins.length > 0)
    writes.push({
      key: 'analytics_bins',
      sql: `INSERT INTO analytics_bins AS b (hour, channel, integration_id, metric, bin, count)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[])
        ON CONFLICT (hour, channel, integration_id, metric, bin) DO UPDATE SET count = b.count + excluded.count`,
      values: [
        bins.map((row) => row.hour),
        bins.map((row) => row.channel),
        bins.map((row) => row.integrationId),
        bins.map((row) => row.metric),
        bins.map((row) => row.bin),
        bins.map((row) => row.count),
      ],
    });
  return writes;
}

const bucketExpression = { all: "''", hour: 'hour', day: 'substr(hour, 1, 10)' } as const;

/** The two reads behind the summary and timeseries: summed counters and bins. */
export function analyticsReads(query: AnalyticsQuery): {
  counters: string;
  bins: string;
  values: unknown[];
} {
  const clauses = ['hour >= $1', 'hour < $2'];
  const values: unknown[] = [query.from, query.to];
  if (query.channel !== undefined) {
    values.push(query.channel);
    clauses.push(`channel = $${values.length}`);
  }
  if (query.integrationId !== undefined) {
    values.push(query.integrationId);
    clauses.push(`integration_id = $${values.length}`);
  }
  if (query.metrics !== undefined) {
    values.push(query.metrics);
    clauses.push(`metric = ANY($${values.length}::text[])`);
  }
  const bucket = bucketExpression[query.interval];
  const where = clauses.join(' AND ');
  return {
    counters: `SELECT ${bucket} AS bucket, metric, SUM(count) AS count, SUM(sum) AS sum, MIN(min) AS min, MAX(max) AS max
      FROM analytics_counters WHERE ${where} GROUP BY 1, 2`,
    bins: `SELECT ${bucket} AS bucket, metric, bin, SUM(count) AS count
      FROM analytics_bins WHERE ${where} GROUP BY 1, 2, 3`,
    values,
  };
}

export function toAnalyticsRows(counters: Row[], bins: Row[]): AnalyticsRows {
  return {
    counters: counters.map((row) => ({
      bucket: String(row.bucket),
      metric: String(row.metric),
      count: Number(row.count),
      sum: Number(row.sum),
      min: row.min === null ? null : Number(row.min),
      max: row.max === null ? null : Number(row.max),
    })),
    bins: bins.map((row) => ({
      bucket: String(row.bucket),
      metric: String(row.metric),
      bin: Number(row.bin),
      count: Number(row.count),
    })),
  };
}
