#!/usr/bin/env node
import pg from 'pg';
import { migrate, migrations } from './migrations.js';

/**
 * `threadline-migrate [connection string]`: applies pending migrations to DATABASE_URL (and
 * THREADLINE_DATABASE_SCHEMA, default `public`). Safe to run while gateways start: it takes
 * the same lock they do.
 */
const connectionString = process.argv[2] ?? process.env.DATABASE_URL;
if (!connectionString?.startsWith('postgres')) {
  console.error('usage: threadline-migrate postgres://user:password@host:5432/database');
  console.error('       (or set DATABASE_URL)');
  process.exit(2);
}
const schema = process.env.THREADLINE_DATABASE_SCHEMA ?? 'public';
const pool = new pg.Pool({ connectionString, max: 1 });
try {
  const version = await migrate(pool, schema);
  console.log(`schema "${schema}" is at version ${version} of ${migrations.length}`);
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
