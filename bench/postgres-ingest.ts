/**
 * Ingest throughput per instance, embedded SQLite vs PostgreSQL + Redis, in one run on this
 * machine: `npx tsx --conditions=@threadline/source bench/postgres-ingest.ts [--seconds 10]`.
 *
 * Signed Twilio webhooks from 5,000 customers at 50 connections against: the default gateway
 * (SQLite file); one
 * gateway on PostgreSQL and Redis; then two such gateways sharing them, loaded at once
 * (msg/s per instance and in all); then sends (`POST /v1/messages` to a fake Twilio API) on
 * the single PostgreSQL gateway. Each store is measured once every customer has written to
 * it (so every run sees the same traffic: known customers with open conversations). For each run it prints CPU per message in the gateway(s),
 * from /proc, and in PostgreSQL: the backends serving the bench's database, from /proc of
 * their pids (background processes — WAL writer, checkpointer — are shared with whatever
 * else the server runs and are not counted). For the PostgreSQL runs it also prints what the
 * store sent per message (statements and round trips, from the gateways' /metrics) and the
 * WAL written per message (`pg_current_wal_lsn` before and after: server-wide, so other
 * databases' writes during the run count too). PostgreSQL and Redis must answer on
 * 127.0.0.1 (or set THREADLINE_TEST_DATABASE_URL / THREADLINE_TEST_REDIS_URL); a throwaway
 * database and key prefix are created and removed.
 */

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { deletePrefix, testRedisUrl, uniquePrefix } from '@threadline/queue-redis/test';
import { createTestDatabase, testDatabaseUrl } from '@threadline/store-postgres/test';
import autocannon from 'autocannon';
import pg from 'pg';
import {
  apiKey,
  freePort,
  startGateway,
  stopChild,
  table,
  twilioInbound,
} from './bench-support.js';
import { processCpuMs } from './fixed-rate-load.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1] || 10);
const connections = 50;
let sequence = Date.now() % 1_000_000_000;

const customers = 5_000;

/**
 * Signed Twilio inbound webhooks against `base` for `duration` seconds (or `amount` of them),
 * each from one of 5,000 customers in turn.
 */
async function load(
  base: string,
  duration = seconds,
  connectionCount = connections,
  amount?: number,
) {
  const result = await autocannon({
    url: base,
    connections: connectionCount,
    ...(amount ? { amount } : { duration }),
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
    answered: result['2xx'],
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * Before a store is measured, every customer has written once (and the process has run
 * warm): each run measures the same traffic — customers known, conversations open — however
 * fast the store was during its warm-up.
 */
async function warmUp(base: string) {
  await load(base, seconds, connections, customers);
  await load(base, 1);
}

// --- what a run cost: CPU of the gateways and of the database's backends, store counters, WAL

const admin = new pg.Client({ connectionString: testDatabaseUrl });
await admin.connect();

function cpuMsOf(pid: number): number | undefined {
  try {
    return processCpuMs(pid);
  } catch {
    return undefined; // the process has ended
  }
}

/** CPU ms of each backend connected to `database`, by pid. */
async function backendCpu(database: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1',
    [database],
  );
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = cpuMsOf(pid);
    if (ms !== undefined) cpu.set(pid, ms);
  }
  return cpu;
}

async function walLsn(): Promise<string> {
  return (await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!
    .lsn;
}

const storeCounters = [
  'threadline_store_commits_total',
  'threadline_store_statements_total',
  'threadline_store_round_trips_total',
] as const;
async function scrape(base: string): Promise<Record<(typeof storeCounters)[number], number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (name: string) =>
    Number(new RegExp(`^${name} ([\\d.e+]+)$`, 'm').exec(text)?.[1] ?? 0);
  return Object.fromEntries(storeCounters.map((name) => [name, value(name)])) as Record<
    (typeof storeCounters)[number],
    number
  >;
}

interface Gateway {
  base: string;
  child: { pid?: number };
}

/** Measures what `run` costs the gateways (and the database `database`, when given). */
async function measured<T>(
  gateways: Gateway[],
  database: string | undefined,
  run: () => Promise<T>,
): Promise<{ result: T; cost: (messages: number) => Record<string, string> }> {
  const gatewayBefore = gateways.map((gateway) => processCpuMs(gateway.child.pid!));
  const backendsBefore = database ? await backendCpu(database) : undefined;
  const countersBefore = database
    ? await Promise.all(gateways.map((gateway) => scrape(gateway.base)))
    : undefined;
  const lsnBefore = database ? await walLsn() : undefined;
  const result = await run();
  const gatewayMs = gateways.reduce(
    (sum, gateway, index) => sum + processCpuMs(gateway.child.pid!) - gatewayBefore[index]!,
    0,
  );
  let postgresMs = 0;
  let walBytes = 0;
  const counters = { commits: 0, statements: 0, roundTrips: 0 };
  if (database) {
    const backendsAfter = await backendCpu(database);
    for (const [pid, ms] of backendsAfter) postgresMs += ms - (backendsBefore!.get(pid) ?? 0);
    walBytes = Number(
      (
        await admin.query<{ bytes: string }>(
          'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS bytes',
          [lsnBefore],
        )
      ).rows[0]!.bytes,
    );
    const countersAfter = await Promise.all(gateways.map((gateway) => scrape(gateway.base)));
    for (const [index, after] of countersAfter.entries()) {
      const before = countersBefore![index]!;
      counters.commits +=
        after.threadline_store_commits_total - before.threadline_store_commits_total;
      counters.statements +=
        after.threadline_store_statements_total - before.threadline_store_statements_total;
      counters.roundTrips +=
        after.threadline_store_round_trips_total - before.threadline_store_round_trips_total;
    }
  }
  return {
    result,
    cost: (messages) => {
      const per = (value: number, digits = 2) =>
        messages > 0 ? (value / messages).toFixed(digits) : '–';
      return {
        'gateway CPU ms/msg': per(gatewayMs, 3),
        'PostgreSQL CPU ms/msg': database ? per(postgresMs, 3) : '',
        'CPU ms/msg in all': per(gatewayMs + postgresMs, 3),
        'statements/msg': database ? per(counters.statements) : '',
        'round trips/msg': database ? per(counters.roundTrips) : '',
        'msgs/commit':
          database && counters.commits > 0 ? (messages / counters.commits).toFixed(1) : '',
        'WAL bytes/msg': database ? per(walBytes, 0) : '',
      };
    },
  };
}

const rows: Array<Record<string, string | number>> = [];
const row = (
  run: string,
  instances: number,
  result: Awaited<ReturnType<typeof load>>,
  cost: Record<string, string>,
) => {
  rows.push({
    run,
    instances,
    'msg/s per instance': result.rps,
    'ack p50 ms': result.p50,
    'ack p99 ms': result.p99,
    errors: result.errors,
    ...cost,
  });
};

// --- a fake Twilio API for the send run
let sent = 0;
const providerPort = await freePort();
const provider = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    sent += 1;
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ sid: `SMsent${String(sent).padStart(26, '0')}`, status: 'queued' }),
    );
  });
});
await new Promise<void>((resolve) => provider.listen(providerPort, '127.0.0.1', resolve));
const providerEnv = {
  TWILIO_API_BASE: `http://127.0.0.1:${providerPort}`,
  THREADLINE_API_RATE_LIMIT: '1000000',
};

// --- the default: one SQLite file
const sqlite = await startGateway();
await warmUp(sqlite.base);
{
  const { result, cost } = await measured([sqlite], undefined, () => load(sqlite.base));
  row('SQLite (default)', 1, result, cost(result.answered));
}
const sqliteCpu = Number(rows[0]!['gateway CPU ms/msg']);
const sqliteRate = Number(rows[0]!['msg/s per instance']);
await stopChild(sqlite.child);

// --- PostgreSQL + Redis
const database = await createTestDatabase();
const databaseName = new URL(database.url).pathname.slice(1);
const prefix = uniquePrefix('bench');
const scaleOut = {
  DATABASE_URL: database.url,
  REDIS_URL: testRedisUrl,
  THREADLINE_REDIS_PREFIX: prefix,
  ...providerEnv,
};
let sends: Record<string, string | number> | undefined;
try {
  const single = await startGateway({ ...scaleOut, THREADLINE_INSTANCE_ID: 'bench-1' });
  await warmUp(single.base);
  let singleRate = 0;
  {
    const { result, cost } = await measured([single], databaseName, () => load(single.base));
    row('PostgreSQL + Redis', 1, result, cost(result.answered));
    singleRate = result.rps;
  }
  const second = await startGateway({ ...scaleOut, THREADLINE_INSTANCE_ID: 'bench-2' });
  await load(second.base, 2); // the customers are in the database already
  const { result: both, cost } = await measured([single, second], databaseName, () =>
    Promise.all([
      load(single.base, seconds, connections / 2),
      load(second.base, seconds, connections / 2),
    ]),
  );
  for (const [index, result] of both.entries())
    row(`PostgreSQL + Redis, instance ${index + 1} of 2`, 2, result, {});
  rows.push({
    run: 'PostgreSQL + Redis, both instances',
    instances: 2,
    'msg/s per instance': `${both[0]!.rps + both[1]!.rps} in all`,
    'ack p50 ms': '',
    'ack p99 ms': '',
    errors: both[0]!.errors + both[1]!.errors,
    ...cost(both[0]!.answered + both[1]!.answered),
  });
  const bothRate = both[0]!.rps + both[1]!.rps;
  await stopChild(second.child);

  // sends on the single instance: API request, send job through Redis, provider call, status
  const sendRun = await measured([single], databaseName, async () => {
    const before = sent;
    const result = await autocannon({
      url: single.base,
      connections: 20,
      duration: Math.max(3, Math.round(seconds / 2)),
      requests: [
        {
          method: 'POST',
          path: '/v1/messages',
          setupRequest: (request) => {
            sequence += 1;
            return {
              ...request,
              body: JSON.stringify({
                to: {
                  channel: 'sms',
                  address: `+1415555${String(1000 + (sequence % 5000)).padStart(4, '0')}`,
                },
                content: { type: 'text', text: `your order ${sequence} has shipped` },
              }),
              headers: {
                ...request.headers,
                authorization: `Bearer ${apiKey}`,
                'content-type': 'application/json',
              },
            };
          },
        },
      ],
    });
    const deadline = Date.now() + 60_000;
    while (sent - before < result['2xx'] && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    // the provider's answer is committed after the call: let the last ones land
    await new Promise((resolve) => setTimeout(resolve, 500));
    return result;
  });
  sends = {
    run: 'PostgreSQL + Redis: sends (POST /v1/messages → provider)',
    instances: 1,
    'msg/s per instance': Math.round(sendRun.result.requests.average),
    'ack p50 ms': sendRun.result.latency.p50,
    'ack p99 ms': sendRun.result.latency.p99,
    errors: sendRun.result.non2xx + sendRun.result.errors,
    ...sendRun.cost(sendRun.result['2xx']),
  };
  await stopChild(single.child);

  const pgRow = rows.find((entry) => entry.run === 'PostgreSQL + Redis')!;
  const pgCpu = Number(pgRow['CPU ms/msg in all']);
  console.log(
    `\nacceptance: one PostgreSQL instance ${(singleRate / sqliteRate).toFixed(2)}× SQLite's msg/s (≥ 0.5); ` +
      `two instances ${(bothRate / singleRate).toFixed(2)}× one (≥ 1.0); ` +
      `gateway + PostgreSQL CPU ${(pgCpu / sqliteCpu).toFixed(2)}× the SQLite gateway's (≤ 2.0)`,
  );
} finally {
  await database.drop();
  await deletePrefix(prefix);
  await admin.end();
  provider.close();
}
if (sends) rows.push(sends);

console.log(
  `\nIngest throughput, signed Twilio webhooks (${seconds} s per run, ${connections} connections in all); load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
);
console.log(table(rows));
