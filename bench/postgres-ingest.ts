/**
 * Ingest throughput per instance, embedded SQLite vs PostgreSQL + Redis, in one run on this
 * machine: `npx tsx --conditions=@threadline/source bench/postgres-ingest.ts [--seconds 10]`.
 *
 * Signed Twilio webhooks from 5,000 customers at 50 connections against: the default gateway
 * (SQLite file); one gateway on PostgreSQL and Redis; two such gateways sharing them, loaded
 * at once (msg/s per instance and in all); then sends (`POST /v1/messages` to a fake Twilio
 * API) on the single PostgreSQL gateway. Each store is measured once every customer has
 * written to it (so every run sees the same traffic: known customers with open
 * conversations), and each ingest setting in two rounds, in the order SQLite, one, two, two,
 * one, SQLite, so drift in the machine's load weighs on all alike.
 *
 * For each setting it prints CPU per message in the gateway(s), from /proc, and in
 * PostgreSQL: the backends serving the bench's database, from /proc of their pids
 * (background processes — WAL writer, checkpointer — are shared with whatever else the server
 * runs and are not counted). For PostgreSQL it also prints what the store sent per message
 * (statements and round trips, from the gateways' /metrics) and the WAL written per message
 * (`pg_current_wal_lsn` before and after: server-wide, so other databases' writes during the
 * run count too). PostgreSQL and Redis must answer on 127.0.0.1 (or set
 * THREADLINE_TEST_DATABASE_URL / THREADLINE_TEST_REDIS_URL); a throwaway database and key
 * prefix are created and removed.
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

/** What a run cost, summed over the gateways measured (and their database, when given). */
interface Cost {
  gatewayMs: number;
  postgresMs: number;
  walBytes: number;
  commits: number;
  statements: number;
  roundTrips: number;
}

const addCosts = (a: Cost, b: Cost): Cost => ({
  gatewayMs: a.gatewayMs + b.gatewayMs,
  postgresMs: a.postgresMs + b.postgresMs,
  walBytes: a.walBytes + b.walBytes,
  commits: a.commits + b.commits,
  statements: a.statements + b.statements,
  roundTrips: a.roundTrips + b.roundTrips,
});

/** Measures what `run` costs the gateways (and the database `database`, when given). */
async function measured<T>(
  gateways: Gateway[],
  database: string | undefined,
  run: () => Promise<T>,
): Promise<{ result: T; cost: Cost }> {
  const gatewayBefore = gateways.map((gateway) => processCpuMs(gateway.child.pid!));
  const backendsBefore = database ? await backendCpu(database) : undefined;
  const countersBefore = database
    ? await Promise.all(gateways.map((gateway) => scrape(gateway.base)))
    : undefined;
  const lsnBefore = database ? await walLsn() : undefined;
  const result = await run();
  const cost: Cost = {
    gatewayMs: gateways.reduce(
      (sum, gateway, index) => sum + processCpuMs(gateway.child.pid!) - gatewayBefore[index]!,
      0,
    ),
    postgresMs: 0,
    walBytes: 0,
    commits: 0,
    statements: 0,
    roundTrips: 0,
  };
  if (database) {
    const backendsAfter = await backendCpu(database);
    for (const [pid, ms] of backendsAfter) cost.postgresMs += ms - (backendsBefore!.get(pid) ?? 0);
    cost.walBytes = Number(
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
      cost.commits += after.threadline_store_commits_total - before.threadline_store_commits_total;
      cost.statements +=
        after.threadline_store_statements_total - before.threadline_store_statements_total;
      cost.roundTrips +=
        after.threadline_store_round_trips_total - before.threadline_store_round_trips_total;
    }
  }
  return { result, cost };
}

/** A cost per message, as the table's columns. */
function perMessage(cost: Cost, messages: number, database: boolean): Record<string, string> {
  const per = (value: number, digits = 2) =>
    messages > 0 ? (value / messages).toFixed(digits) : '–';
  return {
    'gateway CPU ms/msg': per(cost.gatewayMs, 3),
    'PostgreSQL CPU ms/msg': database ? per(cost.postgresMs, 3) : '',
    'CPU ms/msg in all': per(cost.gatewayMs + cost.postgresMs, 3),
    'statements/msg': database ? per(cost.statements) : '',
    'round trips/msg': database ? per(cost.roundTrips) : '',
    'msgs/commit': database && cost.commits > 0 ? (messages / cost.commits).toFixed(1) : '',
    'WAL bytes/msg': database ? per(cost.walBytes, 0) : '',
  };
}

type Load = Awaited<ReturnType<typeof load>>;

/** Two rounds of one setting as one: msg/s and p50 their mean, p99 the higher. */
const bothRounds = (a: Load, b: Load): Load => ({
  rps: Math.round((a.rps + b.rps) / 2),
  answered: a.answered + b.answered,
  p50: (a.p50 + b.p50) / 2,
  p99: Math.max(a.p99, b.p99),
  errors: a.errors + b.errors,
});

const rows: Array<Record<string, string | number>> = [];
const row = (run: string, instances: number, result: Load, cost: Record<string, string>) => {
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

// --- the gateways: the SQLite default, and two on one PostgreSQL database and Redis; each
// setting is measured twice, in the order S, P1, P2, P2, P1, S, so a machine whose load
// drifts during the run weighs on every setting alike
const sqlite = await startGateway();
await warmUp(sqlite.base);
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
  const second = await startGateway({ ...scaleOut, THREADLINE_INSTANCE_ID: 'bench-2' });
  await load(second.base, 2); // the customers are in the database already

  const sqliteRound = () => measured([sqlite], undefined, () => load(sqlite.base));
  const singleRound = () => measured([single], databaseName, () => load(single.base));
  const bothRound = () =>
    measured([single, second], databaseName, () =>
      Promise.all([
        load(single.base, seconds, connections / 2),
        load(second.base, seconds, connections / 2),
      ]),
    );
  const sqlite1 = await sqliteRound();
  const single1 = await singleRound();
  const both1 = await bothRound();
  const both2 = await bothRound();
  const single2 = await singleRound();
  const sqlite2 = await sqliteRound();
  await stopChild(sqlite.child);
  await stopChild(second.child);

  const sqliteResult = bothRounds(sqlite1.result, sqlite2.result);
  const sqliteCost = addCosts(sqlite1.cost, sqlite2.cost);
  row('SQLite (default)', 1, sqliteResult, perMessage(sqliteCost, sqliteResult.answered, false));
  const singleResult = bothRounds(single1.result, single2.result);
  const singleCost = addCosts(single1.cost, single2.cost);
  row('PostgreSQL + Redis', 1, singleResult, perMessage(singleCost, singleResult.answered, true));
  const perInstance = [0, 1].map((index) => bothRounds(both1.result[index]!, both2.result[index]!));
  for (const [index, result] of perInstance.entries())
    row(`PostgreSQL + Redis, instance ${index + 1} of 2`, 2, result, {});
  const bothRate = perInstance[0]!.rps + perInstance[1]!.rps;
  rows.push({
    run: 'PostgreSQL + Redis, both instances',
    instances: 2,
    'msg/s per instance': `${bothRate} in all`,
    'ack p50 ms': '',
    'ack p99 ms': '',
    errors: perInstance[0]!.errors + perInstance[1]!.errors,
    ...perMessage(
      addCosts(both1.cost, both2.cost),
      perInstance[0]!.answered + perInstance[1]!.answered,
      true,
    ),
  });
  const sqliteCpu = sqliteCost.gatewayMs / sqliteResult.answered;
  const sqliteRate = sqliteResult.rps;
  const singleRate = singleResult.rps;

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
    ...perMessage(sendRun.cost, sendRun.result['2xx'], true),
  };
  await stopChild(single.child);

  const pgCpu = (singleCost.gatewayMs + singleCost.postgresMs) / singleResult.answered;
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
  `\nIngest throughput, signed Twilio webhooks (two rounds of ${seconds} s per setting, ${connections} connections in all); load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
);
console.log(table(rows));
