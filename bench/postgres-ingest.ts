/**
 * Ingest throughput per instance, embedded SQLite vs PostgreSQL + Redis, in one run on this
 * machine: `npx tsx --conditions=@threadline/source bench/postgres-ingest.ts [--seconds 10]`.
 *
 * Signed Twilio webhooks at 50 connections against: the default gateway (SQLite file); one
 * gateway on PostgreSQL and Redis; then two such gateways sharing them, loaded at once
 * (msg/s per instance and in all). PostgreSQL and Redis must answer on 127.0.0.1 (or set
 * THREADLINE_TEST_DATABASE_URL / THREADLINE_TEST_REDIS_URL); a throwaway database and key
 * prefix are created and removed.
 */

import { deletePrefix, testRedisUrl, uniquePrefix } from '@threadline/queue-redis/test';
import { createTestDatabase } from '@threadline/store-postgres/test';
import autocannon from 'autocannon';
import { startGateway, stopChild, table, twilioInbound } from './bench-support.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1] || 10);
const connections = 50;
let sequence = Date.now() % 1_000_000_000;

/** Signed Twilio inbound webhooks against `base` for `duration` seconds. */
async function load(base: string, duration = seconds, connectionCount = connections) {
  const result = await autocannon({
    url: base,
    connections: connectionCount,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/sms/sms',
        setupRequest: (request) => {
          sequence += 1;
          const signed = twilioInbound(base, sequence);
          return {
            ...request,
            body: signed.body,
            headers: {
              ...request.headers,
              'content-type': 'application/x-www-form-urlencoded',
              'x-twilio-signature': signed.signature,
            },
          };
        },
      },
    ],
  });
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

const rows: Array<Record<string, string | number>> = [];
const row = (run: string, instances: number, result: Awaited<ReturnType<typeof load>>) => {
  rows.push({
    run,
    instances,
    'msg/s per instance': result.rps,
    'ack p50 ms': result.p50,
    'ack p99 ms': result.p99,
    errors: result.errors,
  });
};

// --- the default: one SQLite file
const sqlite = await startGateway();
await load(sqlite.base, 2);
row('SQLite (default)', 1, await load(sqlite.base));
await stopChild(sqlite.child);

// --- PostgreSQL + Redis
const database = await createTestDatabase();
const prefix = uniquePrefix('bench');
const scaleOut = {
  DATABASE_URL: database.url,
  REDIS_URL: testRedisUrl,
  THREADLINE_REDIS_PREFIX: prefix,
};
try {
  const single = await startGateway({ ...scaleOut, THREADLINE_INSTANCE_ID: 'bench-1' });
  await load(single.base, 2);
  row('PostgreSQL + Redis', 1, await load(single.base));
  const second = await startGateway({ ...scaleOut, THREADLINE_INSTANCE_ID: 'bench-2' });
  await load(second.base, 2);
  const both = await Promise.all([
    load(single.base, seconds, connections / 2),
    load(second.base, seconds, connections / 2),
  ]);
  for (const [index, result] of both.entries())
    row(`PostgreSQL + Redis, instance ${index + 1} of 2`, 2, result);
  rows.push({
    run: 'PostgreSQL + Redis, both instances',
    instances: 2,
    'msg/s per instance': `${both[0]!.rps + both[1]!.rps} in all`,
    'ack p50 ms': '',
    'ack p99 ms': '',
    errors: both[0]!.errors + both[1]!.errors,
  });
  await stopChild(second.child);
  await stopChild(single.child);
} finally {
  await database.drop();
  await deletePrefix(prefix);
}

console.log(
  `\nIngest throughput, signed Twilio webhooks (${seconds} s per run, ${connections} connections in all)\n`,
);
console.log(table(rows));
