/**
 * How cost grows with stored conversations:
 * `npx tsx --conditions=@threadline/source bench/growth.ts [--sizes 1000,100000,1000000] [--seconds 5] [--seed-batch 2000]`.
 *
 * For each size, a fresh data directory is seeded with that many Telegram customers (one
 * contact, identity, conversation and message each, with their events), written by the real
 * Telegram connector and the engine in the bench process. A gateway is then started on the
 * directory and measured in the same run:
 *
 * 1. `GET /v1/conversations` latency (the newest page, and the open ones), one at a time;
 * 2. ingest throughput at 50 connections (autocannon): Telegram webhooks from existing
 *    customers picked at random (identity and conversation lookups hit the seeded rows), then
 *    from new customers; with the gateway's CPU time and bytes written per message;
 * 3. ack latency at a fixed 1,000 msg/s from existing customers (open loop, see
 *    fixed-rate-load.ts);
 * 4. the SQLite file size and the gateway's resident memory.
 */

import { closeSync, fsyncSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTelegramConnector, telegramSecretHeader } from '@threadline/connector-telegram';
import { createEngine } from '@threadline/engine';
import { createSqliteStore } from '@threadline/store-sqlite';
import autocannon from 'autocannon';
import {
  apiKey,
  numbersOption,
  option,
  percentile,
  residentMemory,
  startGateway,
  stopChild,
  table,
  telegramSecret,
  telegramToken,
  telegramUpdate,
} from './bench-support.js';
import { fixedRateLoad, processCpuMs } from './fixed-rate-load.js';

const sizes = numbersOption('--sizes', [1_000, 100_000, 1_000_000]);
const seconds = option('--seconds', 5);
const seedBatch = option('--seed-batch', 2_000);
const connections = 50;
const fixedRate = 1_000;
const listRequests = 200;
/** Telegram user ids of the seeded customers start here; new customers are above them all. */
const seededUserBase = 200_000_000;
const newUserBase = 4_000_000_000;
const telegramHeaders = {
  'content-type': 'application/json',
  [telegramSecretHeader]: telegramSecret,
};

const databaseFile = (directory: string) => join(directory, 'threadline.db');
const fileMegabytes = (path: string) => {
  try {
    return statSync(path).size / 1024 / 1024;
  } catch {
    return 0;
  }
};
const storedMegabytes = (directory: string) =>
  fileMegabytes(databaseFile(directory)) + fileMegabytes(`${databaseFile(directory)}-wal`);

/** Bytes a process has written through system calls so far (SQLite's WAL and checkpoints, sockets). */
const bytesWritten = (pid: number) =>
  Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);

/**
 * Seeds `size` customers through the code the gateway runs for a webhook: the Telegram
 * connector parses a ~1 KB update and the engine ingests it. `seedBatch` ingests run at once,
 * so each group commit carries that many.
 */
async function seed(directory: string, size: number): Promise<number> {
  const started = Date.now();
  const store = createSqliteStore({ filename: databaseFile(directory), maxBatch: seedBatch });
  const telegram = createTelegramConnector({
    token: telegramToken,
    webhookSecret: telegramSecret,
    mode: 'webhook',
    apiRoot: 'http://127.0.0.1:9',
  });
  const engine = createEngine({ store, connectors: new Map([[telegram.id, telegram]]) });
  const request = (customer: number) => ({
    method: 'POST',
    url: 'http://127.0.0.1/webhooks/telegram/telegram',
    headers: telegramHeaders,
    body: telegramUpdate(1, started, seededUserBase + customer),
  });
  for (let offset = 0; offset < size; offset += seedBatch) {
    await Promise.all(
      Array.from({ length: Math.min(seedBatch, size - offset) }, async (_, index) => {
        const parsed = await telegram.parse(request(offset + index));
        await engine.ingest(telegram.id, parsed.events);
      }),
    );
  }
  await store.close();
  return (Date.now() - started) / 1000;
}

/**
 * Waits until the seeded file is on disk, so the measured runs do not share the disk with the
 * kernel writing back gigabytes of seeding; returns how long that took, in s.
 */
function flushToDisk(directory: string): number {
  const started = Date.now();
  const descriptor = openSync(databaseFile(directory), 'r');
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  return (Date.now() - started) / 1000;
}

let sequence = Date.now() % 1_000_000_000;
type Customers = 'existing' | 'new';

/** A Telegram update from a new customer, or from a seeded one picked at random. */
function update(customers: Customers, size: number): string {
  sequence += 1;
  const user =
    customers === 'new'
      ? newUserBase + sequence
      : seededUserBase + Math.floor(Math.random() * size);
  return telegramUpdate(sequence, Date.now(), user);
}

/** Throughput at 50 connections for `seconds`, with the gateway's cost per message. */
async function throughput(base: string, pid: number, customers: Customers, size: number) {
  const cpuBefore = processCpuMs(pid);
  const writtenBefore = bytesWritten(pid);
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/telegram/telegram',
        headers: telegramHeaders,
        setupRequest: (request) => ({ ...request, body: update(customers, size) }),
      },
    ],
  });
  const messages = Math.max(1, result.requests.total);
  return {
    rate: Math.round(result.requests.average),
    cpuPerMessage: (processCpuMs(pid) - cpuBefore) / messages,
    kilobytesPerMessage: (bytesWritten(pid) - writtenBefore) / 1024 / messages,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

/** Ack latency at a fixed rate from existing customers, on an open-loop schedule. */
async function fixedRateAcks(base: string, size: number) {
  const started = performance.now();
  const result = await fixedRateLoad({
    url: base,
    rate: fixedRate,
    seconds,
    build: () => ({
      path: '/webhooks/telegram/telegram',
      body: update('existing', size),
      headers: telegramHeaders,
    }),
  });
  return {
    acknowledgedRate: Math.round(result.answered / ((performance.now() - started) / 1000)),
    p50: percentile(result.latencies, 50),
    p99: percentile(result.latencies, 99),
    errors: result.errors,
  };
}

/** Latency of one listing request at a time, in ms, sorted. */
async function listLatencies(base: string, query: string): Promise<number[]> {
  const latencies: number[] = [];
  for (let index = 0; index < listRequests; index++) {
    const started = performance.now();
    const response = await fetch(`${base}/v1/conversations?${query}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`GET /v1/conversations?${query}: ${response.status}`);
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

const milliseconds = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));
const ingestRows: Array<Record<string, string | number>> = [];
const costRows: Array<Record<string, string | number>> = [];
let first: { existing: number; new: number } | undefined;
const runStarted = Date.now();

for (const size of sizes) {
  const directory = await mkdtemp(join(tmpdir(), 'threadline-growth-'));
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  try {
    const seedSeconds = await seed(directory, size);
    const seededMegabytes = storedMegabytes(directory);
    const flushSeconds = flushToDisk(directory);
    console.log(
      `seeded ${size.toLocaleString('en')} conversations in ${seedSeconds.toFixed(1)} s (${seededMegabytes.toFixed(0)} MB, on disk ${flushSeconds.toFixed(1)} s later)`,
    );
    gateway = await startGateway({ THREADLINE_DATA_DIR: directory });
    const pid = gateway.child.pid!;
    const startedMemory = residentMemory(pid);
    const newest = await listLatencies(gateway.base, 'limit=50');
    const open = await listLatencies(gateway.base, 'status=open&limit=50');

    // a warm-up, then existing customers first, so new ones do not add to the size before it
    await throughput(gateway.base, pid, 'existing', size);
    const existing = await throughput(gateway.base, pid, 'existing', size);
    const fixed = await fixedRateAcks(gateway.base, size);
    const fresh = await throughput(gateway.base, pid, 'new', size);
    const afterMemory = residentMemory(pid);
    first ??= { existing: existing.rate, new: fresh.rate };

    ingestRows.push({
      conversations: size.toLocaleString('en'),
      'existing msg/s': existing.rate,
      'ratio to first': (existing.rate / first.existing).toFixed(2),
      'CPU ms/msg': existing.cpuPerMessage.toFixed(2),
      'KB written/msg': existing.kilobytesPerMessage.toFixed(0),
      'new msg/s': fresh.rate,
      'new ratio to first': (fresh.rate / first.new).toFixed(2),
      'new CPU ms/msg': fresh.cpuPerMessage.toFixed(2),
      'new KB written/msg': fresh.kilobytesPerMessage.toFixed(0),
      errors: existing.errors + fresh.errors,
    });
    costRows.push({
      conversations: size.toLocaleString('en'),
      'seed s': seedSeconds.toFixed(1),
      'SQLite MB': seededMegabytes.toFixed(0),
      'KB/conversation': ((seededMegabytes * 1024) / size).toFixed(1),
      [`acked/s at ${fixedRate}/s`]: fixed.acknowledgedRate,
      'ack p50 ms': milliseconds(fixed.p50),
      'ack p99 ms': milliseconds(fixed.p99),
      'list p50 ms': milliseconds(percentile(newest, 50)),
      'list p99 ms': milliseconds(percentile(newest, 99)),
      'open p50 ms': milliseconds(percentile(open, 50)),
      'open p99 ms': milliseconds(percentile(open, 99)),
      'RSS start MB': startedMemory.current.toFixed(0),
      'RSS after MB': afterMemory.current.toFixed(0),
      'RSS peak MB': afterMemory.peak.toFixed(0),
    });
  } finally {
    if (gateway) {
      await stopChild(gateway.child);
      rmSync(gateway.dataDirectory, { recursive: true, force: true });
    }
    rmSync(directory, { recursive: true, force: true });
  }
}

console.log(
  `\nIngest throughput as stored conversations grow (Telegram webhooks, ${seconds} s per run, ${connections} connections; the gateway's CPU time and bytes written per message)\n`,
);
console.log(table(ingestRows));
console.log(
  `\nAck latency at a fixed ${fixedRate.toLocaleString('en')} msg/s from existing customers (open loop), GET /v1/conversations?limit=50 (and &status=open, ${listRequests} requests one at a time), storage and memory (RSS at start, after the runs, peak)\n`,
);
console.log(table(costRows));
console.log(`\ntotal ${((Date.now() - runStarted) / 1000).toFixed(0)} s`);
