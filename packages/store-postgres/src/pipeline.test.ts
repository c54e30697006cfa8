import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineFailed, runPipeline } from './pipeline.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from './test/index.js';

const postgresMissing = await postgresUnavailable();

describe.skipIf(postgresMissing !== undefined)('pipelines on PostgreSQL', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    await pool.query(
      `CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT, ok BOOLEAN, at TIMESTAMPTZ,
         tags TEXT[], blob BYTEA, doc JSON, note TEXT)`,
    );
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  const insert =
    'INSERT INTO items (id, n, ok, at, tags, blob, doc, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)';
  /** The connection is marked for discarding, takes a rollback, and nothing was written. */
  async function expectFailedAndRolledBack(client: pg.PoolClient): Promise<boolean> {
    const failed = pipelineFailed(client);
    expect(failed).toBe(true);
    await client.query('ROLLBACK');
    const ids = await pool.query('SELECT id FROM items ORDER BY id');
    expect(ids.rows).toEqual([{ id: 'a' }, { id: 'b' }]);
    return failed;
  }
  const awkward = `it's a "quoted" \\ back\\slash, ünïcödé 🚀 \n\t`;

  it('runs many statements in one round trip, values as parameters, rows as pg reads them', async () => {
    const client = await pool.connect();
    try {
      const at = new Date('2026-12-04T10:00:00.000Z');
      const results = await runPipeline(client, [
        { sql: 'BEGIN' },
        {
          sql: insert,
          values: [
            'a',
            9_007_199_254_740_993n,
            true,
            at,
            ['x', 'with "quotes"', 'back\\slash', null, 'comma, brace}'],
            new Uint8Array([0, 1, 254, 255]),
            JSON.stringify({ text: awkward }),
            awkward,
          ],
        },
        { sql: insert, values: ['b', 2, false, null, [], null, 'null', null] },
        { sql: 'SELECT * FROM items ORDER BY id' },
        { sql: 'SELECT count(*) AS count FROM items WHERE note = $1', values: [awkward] },
        { sql: 'COMMIT' },
      ]);
      expect(results).toHaveLength(6);
      const rows = results[3]!;
      // the same rows pg's own query path returns
      expect(rows).toEqual((await pool.query('SELECT * FROM items ORDER BY id')).rows);
      expect(rows[0]).toMatchObject({
        id: 'a',
        n: '9007199254740993',
        ok: true,
        at,
        tags: ['x', 'with "quotes"', 'back\\slash', null, 'comma, brace}'],
        doc: { text: awkward },
        note: awkward,
      });
      expect(rows[0]!.blob).toEqual(Buffer.from([0, 1, 254, 255]));
      expect(rows[1]).toMatchObject({ id: 'b', n: '2', ok: false, at: null, tags: [], doc: null });
      expect(results[4]).toEqual([{ count: '1' }]);
      expect(pipelineFailed(client)).toBe(false);
    } finally {
      client.release();
    }
  });

  it('prepares and describes a statement once per connection, and reads its later rows alike', async () => {
    const client = await pool.connect();
    try {
      const read = { sql: 'SELECT note FROM items WHERE id = $1', values: ['a'] };
      const all = { sql: 'SELECT * FROM items ORDER BY id' };
      const expected = (await pool.query(all.sql)).rows;
      // first use: parsed and described; the second in the same pipeline reads by that description
      expect(await runPipeline(client, [read, all, read, all])).toEqual([
        [{ note: awkward }],
        expected,
        [{ note: awkward }],
        expected,
      ]);
      // later pipelines: neither parsed nor described again
      expect(await runPipeline(client, [all, read])).toEqual([expected, [{ note: awkward }]]);
      const { rows } = await client.query(
        'SELECT count(*)::int AS count FROM pg_prepared_statements WHERE statement = $1',
        [read.sql],
      );
      expect(rows).toEqual([{ count: 1 }]);
    } finally {
      client.release();
    }
  });

  it('fails with the database error, skips the rest, and marks the connection for discarding', async () => {
    const client = await pool.connect();
    let failed = false;
    try {
      const error = await runPipeline(client, [
        { sql: 'BEGIN' },
        { sql: insert, values: ['c', 3, true, null, [], null, '{}', 'kept?'] },
        { sql: insert, values: ['a', 1, true, null, [], null, '{}', 'duplicate'] },
        { sql: insert, values: ['d', 4, true, null, [], null, '{}', 'skipped'] },
        { sql: 'COMMIT' },
      ]).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: '23505', constraint: 'items_pkey' });
      failed = await expectFailedAndRolledBack(client);
    } finally {
      client.release(failed);
    }
  });

  it('fails on a value it cannot write, and leaves the connection answering', async () => {
    const client = await pool.connect();
    let failed = false;
    try {
      const error = await runPipeline(client, [
        { sql: 'BEGIN' },
        { sql: insert, values: ['e', 5, true, new Date(Number.NaN), [], null, '{}', 'bad date'] },
        { sql: 'COMMIT' },
      ]).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RangeError);
      // the server was answered a Sync: the connection takes the rollback
      failed = await expectFailedAndRolledBack(client);
    } finally {
      client.release(failed);
    }
  });
});
