import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the PostgreSQL suites use (THREADLINE_TEST_DATABASE_URL). */
export const testDatabaseUrl =
  process.env.THREADLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Why the PostgreSQL suites cannot run here, or undefined when the server answers. With
 * `CI=true` an unreachable server is an error (the run fails), never a skip.
 */
export async function postgresUnavailable(url = testDatabaseUrl): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    const reason = `PostgreSQL is not reachable at ${redact(url)} (${(error as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${reason}; CI requires it`);
    console.warn(
      `\n  SKIPPED the PostgreSQL suites: ${reason}.\n` +
        '  Run them with a local server on 127.0.0.1:5432 (bash .ci/run installs and starts one),\n' +
        '  or point THREADLINE_TEST_DATABASE_URL at one (a role that may CREATE DATABASE).\n',
    );
    return reason;
  } finally {
    await client.end().catch(() => {});
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

export interface TestDatabase {
  /** Connection string of the fresh database. */
  url: string;
  /** A new, unique schema name in it (one empty store per schema). */
  schemaName(): string;
  /** Drops the database (connections still open are ended). */
  drop(): Promise<void>;
}

/** Creates `threadline_test_<random>` on the test server; drop it when done. */
export async function createTestDatabase(url = testDatabaseUrl): Promise<TestDatabase> {
  const name = `threadline_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    // The suites race instances on purpose, and two transactions that lock one customer's rows
    // in opposite orders deadlock; PostgreSQL breaks a deadlock only once a lock has waited
    // `deadlock_timeout` (1 s by default), and the store runs the loser again. A shorter wait
    // keeps a suite's run time from being a count of its deadlocks. It takes a superuser:
    // on a role without it, the server's own setting stays.
    await admin.query(`ALTER DATABASE ${name} SET deadlock_timeout = '100ms'`).catch(() => {});
  } finally {
    await admin.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  let counter = 0;
  return {
    url: target.toString(),
    schemaName: () => `store_${++counter}`,
    async drop() {
      const dropper = new pg.Client({ connectionString: url });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
