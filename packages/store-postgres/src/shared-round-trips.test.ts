import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSharedRoundTrips } from './shared-round-trips.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from './test/index.js';

const postgresMissing = await postgresUnavailable();

describe.skipIf(postgresMissing !== undefined)('shared round trips on PostgreSQL', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    await pool.query('CREATE TABLE settings (key TEXT PRIMARY KEY, data JSON NOT NULL)');
    await pool.query(`INSERT INTO settings VALUES ('switchboard', '{"enabled":false}')`);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('sends BEGIN with the first statements, and a plain read asked twice once, each caller its own rows', async () => {
    const client = await pool.connect();
    try {
      const shared = createSharedRoundTrips(client, { begin: true });
      const read = "SELECT data FROM settings WHERE key = 'switchboard'";
      const [first, second] = await Promise.all([shared.run(read), shared.run(read)]);
      expect(first).toEqual([{ data: { enabled: false } }]);
      expect(second).toEqual(first);
      expect(second).not.toBe(first);
      expect(second![0]).not.toBe(first![0]);
      expect(shared.counts).toEqual({ statements: 2, roundTrips: 1 }); // BEGIN and one read
      expect(shared.beginPending).toBe(false);
      // a write between two reads: the second reads what the write left
      const [before, , after] = await Promise.all([
        shared.run(read),
        shared.run(`UPDATE settings SET data = '{"enabled":true}' WHERE key = 'switchboard'`),
        shared.run(read),
      ]);
      expect(before).toEqual([{ data: { enabled: false } }]);
      expect(after).toEqual([{ data: { enabled: true } }]);
      expect(shared.counts).toEqual({ statements: 5, roundTrips: 2 });
      await client.query('ROLLBACK');
      // the whole of it was one transaction: rolled back, the write is gone
      expect((await pool.query(read)).rows).toEqual([{ data: { enabled: false } }]);
    } finally {
      client.release();
    }
  });
});
