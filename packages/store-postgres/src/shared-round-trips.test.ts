import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchable } from './batched-reads.js';
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
    await pool.query(
      'CREATE TABLE notes (owner TEXT NOT NULL, topic TEXT NOT NULL, body TEXT NOT NULL, seq INTEGER NOT NULL)',
    );
    await pool.query(`INSERT INTO notes VALUES ('ann', 'a', 'first', 1), ('ann', 'a', 'second', 2),
      ('bob', 'a', 'only', 1), ('cy', 'b', 'other topic', 1)`);
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

  it('sends a locking read asked for by several works as one statement, each work its own rows, locked', async () => {
    const read = batchable(
      'SELECT body FROM notes WHERE owner = $1 AND topic = $2 ORDER BY seq DESC FOR UPDATE',
    );
    const client = await pool.connect();
    try {
      const shared = createSharedRoundTrips(client, { begin: true });
      const [ann, nobody, bob, cy] = await Promise.all([
        shared.run(read, ['ann', 'a']),
        shared.run(read, ['nobody', 'a']),
        shared.run(read, ['bob', 'a']),
        shared.run(read, ['cy', 'a']),
      ]);
      // in the read's own order, none of another work's rows, no position column
      expect(ann).toEqual([{ body: 'second' }, { body: 'first' }]);
      expect(nobody).toEqual([]);
      expect(bob).toEqual([{ body: 'only' }]);
      expect(cy).toEqual([]);
      expect(shared.counts).toEqual({ statements: 2, roundTrips: 1 }); // BEGIN and one read
      // the rows are locked by this transaction: another one cannot take them
      const other = await pool.connect();
      try {
        await other.query('BEGIN');
        const locked = await other.query(
          "SELECT body FROM notes WHERE owner = 'ann' FOR UPDATE SKIP LOCKED",
        );
        expect(locked.rows).toEqual([]);
        await other.query('ROLLBACK');
      } finally {
        other.release();
      }
      // a write between two reads: the read after it is a statement of its own, and sees it
      const [before, , after] = await Promise.all([
        shared.run(read, ['bob', 'a']),
        shared.run("INSERT INTO notes VALUES ('bob', 'a', 'new', 2)"),
        shared.run(read, ['bob', 'a']),
      ]);
      expect(before).toEqual([{ body: 'only' }]);
      expect(after).toEqual([{ body: 'new' }, { body: 'only' }]);
      expect(shared.counts).toEqual({ statements: 5, roundTrips: 2 });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });
});
