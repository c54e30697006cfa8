/**
 * Fan-out: one ingest stream to many event-stream consumers:
 * `npx tsx --conditions=@threadline/source bench/fanout.ts [--consumers 100] [--rate 100] [--seconds 10]`.
 *
 * Telegram webhooks go to one gateway at a fixed rate (an open-loop schedule, see
 * fixed-rate-load.ts) while consumers follow the event stream, `message.received` only:
 * first one SSE consumer (the same-run baseline), then `--consumers` of them, half on SSE
 * (`GET /v1/events`) and half on the WebSocket stream (`/v1/events/ws`). Per consumer kind it
 * reports the provider→consumer latency (from the scheduled send time stamped as `t=` in
 * each message) and whether every consumer received every message exactly once; per run the
 * ack latency and the CPU the gateway and the bench process used, so a saturated bench
 * process shows instead of passing for gateway latency.
 */

import { rmSync } from 'node:fs';
import { type ClientRequest, get } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon from 'autocannon';
import WebSocket from 'ws';
import {
  apiKey,
  option,
  percentile,
  residentMemory,
  startGateway,
  stopChild,
  table,
  telegramSecret,
  telegramUpdate,
} from './bench-support.js';
import { fixedRateLoad, processCpuMs } from './fixed-rate-load.js';

const consumerCount = option('--consumers', 100);
const rate = option('--rate', 100);
const seconds = option('--seconds', 10);
const messagesPerRun = Math.round(rate * seconds);
/** telegramUpdate() spreads messages over this many customers; the warm-up creates them all. */
const customers = 5_000;
const loopDelayResolution = 5;
const telegramHeaders = {
  'content-type': 'application/json',
  'x-telegram-bot-api-secret-token': telegramSecret,
};

type ConsumerKind = 'SSE' | 'WebSocket';

const externalIdMarker = Buffer.from('"externalId":"');
const stampMarker = Buffer.from('"text":"t=');
const colon = 0x3a;
const period = 0x2e;
const zero = 0x30;
const nine = 0x39;
const isDigit = (byte: number | undefined) => byte !== undefined && byte >= zero && byte <= nine;
const epochNow = () => performance.timeOrigin + performance.now();

/** The decimal number (`123` or `123.45`) at `start`, or -1 when there is none. */
function readNumber(buffer: Buffer, start: number): number {
  let value = 0;
  let index = start;
  while (isDigit(buffer[index])) value = value * 10 + buffer[index++]! - zero;
  if (index === start) return -1;
  if (buffer[index] === period) {
    let scale = 0.1;
    for (index += 1; isDigit(buffer[index]); index += 1, scale /= 10)
      value += (buffer[index]! - zero) * scale;
  }
  return value;
}

/**
 * One consumer's tally for a run: how often each message of the run arrived and how late.
 * Only two fields of each event are read, straight from the bytes without parsing the JSON:
 * the Telegram message id (the bench's sequence number, in
 * `"externalId":"<chat>:<message id>"`) and the `t=` stamp at the start of the text.
 */
class Tally {
  readonly counts: Uint8Array;
  readonly latencies: number[] = [];
  received = 0;
  outsideRun = 0;

  constructor(
    readonly firstSequence: number,
    size: number,
  ) {
    this.counts = new Uint8Array(size);
  }

  /** Reads the event in `buffer[start, end)`; false when it is not a message event. */
  record(buffer: Buffer, start: number, end: number, now: number): boolean {
    const marker = buffer.indexOf(externalIdMarker, start);
    if (marker < 0 || marker >= end) return false;
    const chatEnd = buffer.indexOf(colon, marker + externalIdMarker.length);
    const messageId = readNumber(buffer, chatEnd + 1);
    const stamp = buffer.indexOf(stampMarker, marker);
    const sentAt = stamp >= 0 && stamp < end ? readNumber(buffer, stamp + stampMarker.length) : -1;
    this.received += 1;
    const index = messageId - this.firstSequence;
    if (index < 0 || index >= this.counts.length) {
      this.outsideRun += 1;
      return true;
    }
    this.counts[index] = Math.min(255, this.counts[index]! + 1);
    if (sentAt > 0) this.latencies.push(now - sentAt);
    return true;
  }
}

interface Consumer {
  kind: ConsumerKind;
  /** Resolves when the stream said `ready`: every later commit reaches this consumer. */
  ready: Promise<void>;
  tally: Tally;
  /** Set when the stream ended or failed before the bench closed it. */
  failure: string | undefined;
  close(): void;
}

function sseConsumer(base: string, tally: Tally): Consumer {
  let request: ClientRequest | undefined;
  let closing = false;
  const consumer: Consumer = {
    kind: 'SSE',
    tally,
    failure: undefined,
    ready: new Promise<void>((resolve, reject) => {
      request = get(
        `${base}/v1/events?types=message.received`,
        { headers: { authorization: `Bearer ${apiKey}` }, agent: false },
        (response) => {
          if (response.statusCode !== 200) {
            reject(new Error(`GET /v1/events answered ${response.statusCode}`));
            return;
          }
          let pending: Buffer | undefined;
          response.on('data', (chunk: Buffer) => {
            const now = epochNow();
            const buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
            let position = 0;
            for (;;) {
              const boundary = buffer.indexOf('\n\n', position);
              if (boundary < 0) break;
              if (!tally.record(buffer, position, boundary, now)) {
                if (buffer.subarray(position, boundary).includes('event: ready')) resolve();
              }
              position = boundary + 2;
            }
            pending = position < buffer.length ? Buffer.from(buffer.subarray(position)) : undefined;
          });
          response.on('end', () => {
            if (!closing) consumer.failure = 'the SSE stream ended';
          });
          response.on('error', (error) => {
            if (!closing) consumer.failure = error.message;
          });
        },
      );
      request.on('error', (error) => {
        if (!closing) consumer.failure = error.message;
        reject(error);
      });
    }),
    close() {
      closing = true;
      request?.destroy();
    },
  };
  return consumer;
}

function webSocketConsumer(port: number, tally: Tally): Consumer {
  let closing = false;
  const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/events/ws?types=message.received`, {
    headers: { authorization: `Bearer ${apiKey}` },
    perMessageDeflate: false,
  });
  const consumer: Consumer = {
    kind: 'WebSocket',
    tally,
    failure: undefined,
    ready: new Promise<void>((resolve, reject) => {
      // one frame per event; the first one is {"type":"ready",...}
      socket.on('message', (data: WebSocket.RawData) => {
        const frame = data as Buffer;
        if (!tally.record(frame, 0, frame.length, epochNow())) resolve();
      });
      socket.on('error', (error) => {
        if (!closing) consumer.failure = error.message;
        reject(error);
      });
      socket.on('close', (code) => {
        if (!closing) consumer.failure = `the WebSocket closed (${code})`;
      });
    }),
    close() {
      closing = true;
      socket.terminate();
    },
  };
  return consumer;
}

let sequence = Date.now() % 1_000_000_000;

/** As fast as 50 connections go: creates the customers and warms the gateway up. */
async function warmUp(base: string, amount: number) {
  await autocannon({
    url: base,
    connections: 50,
    amount,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/telegram/telegram',
        headers: telegramHeaders,
        setupRequest: (request) => {
          sequence += 1;
          return { ...request, body: telegramUpdate(sequence) };
        },
      },
    ],
  });
}

/**
 * `messagesPerRun` Telegram webhooks on an open-loop schedule at `rate` a second; message
 * `index` carries sequence `firstSequence + index` and its scheduled send time as `t=`.
 */
async function ingest(base: string, firstSequence: number) {
  sequence = firstSequence + messagesPerRun - 1;
  return fixedRateLoad({
    url: base,
    rate,
    seconds,
    build: (index, scheduledAt) => ({
      path: '/webhooks/telegram/telegram',
      body: telegramUpdate(firstSequence + index, Number(scheduledAt.toFixed(2))),
      headers: telegramHeaders,
    }),
  });
}

/** Waits until every consumer has `expected` events, or nothing arrived for 5 s. */
async function drain(consumers: Consumer[], expected: number) {
  let last = -1;
  let quietSince = Date.now();
  for (;;) {
    if (consumers.every((consumer) => consumer.tally.received >= expected)) return;
    const received = consumers.reduce((sum, consumer) => sum + consumer.tally.received, 0);
    if (received !== last) {
      last = received;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > 5_000) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface KindSummary {
  consumers: number;
  received: number;
  fewest: number;
  most: number;
  /** Messages of the run a consumer never received, summed over consumers. */
  missing: number;
  /** Extra copies of messages, summed over consumers. */
  duplicates: number;
  outsideRun: number;
  failures: number;
  p50: number;
  p99: number;
  max: number;
}

function summarize(consumers: Consumer[]): KindSummary {
  let missing = 0;
  let duplicates = 0;
  const latencies: number[] = [];
  for (const { tally } of consumers) {
    for (const count of tally.counts) {
      if (count === 0) missing += 1;
      else duplicates += count - 1;
    }
    for (const latency of tally.latencies) latencies.push(latency);
  }
  latencies.sort((a, b) => a - b);
  const received = consumers.map((consumer) => consumer.tally.received);
  return {
    consumers: consumers.length,
    received: received.reduce((sum, count) => sum + count, 0),
    fewest: Math.min(...received),
    most: Math.max(...received),
    missing,
    duplicates,
    outsideRun: consumers.reduce((sum, consumer) => sum + consumer.tally.outsideRun, 0),
    failures: consumers.filter((consumer) => consumer.failure !== undefined).length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
  };
}

/** One measured run: open the consumers, send `messagesPerRun` at `rate`, drain, tally. */
async function run(gateway: Awaited<ReturnType<typeof startGateway>>, kinds: ConsumerKind[]) {
  const firstSequence = sequence + 1;
  const consumers = kinds.map((kind) => {
    const tally = new Tally(firstSequence, messagesPerRun);
    return kind === 'SSE'
      ? sseConsumer(gateway.base, tally)
      : webSocketConsumer(gateway.port, tally);
  });
  await Promise.all(consumers.map((consumer) => consumer.ready));
  const pid = gateway.child.pid!;
  const loopDelay = monitorEventLoopDelay({ resolution: loopDelayResolution });
  loopDelay.enable();
  const benchCpuBefore = process.cpuUsage();
  const gatewayCpuBefore = processCpuMs(pid);
  const started = performance.now();
  const load = await ingest(gateway.base, firstSequence);
  const loadSeconds = (performance.now() - started) / 1000;
  await drain(consumers, messagesPerRun);
  const elapsed = performance.now() - started;
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const gatewayCpu = processCpuMs(pid) - gatewayCpuBefore;
  loopDelay.disable();
  const memory = residentMemory(pid);
  for (const consumer of consumers) consumer.close();
  const byKind = new Map<ConsumerKind, KindSummary>();
  for (const kind of new Set(kinds))
    byKind.set(kind, summarize(consumers.filter((consumer) => consumer.kind === kind)));
  return {
    load,
    loadSeconds,
    byKind,
    benchCpuPercent: ((benchCpu.user + benchCpu.system) / 1000 / elapsed) * 100,
    gatewayCpuPercent: (gatewayCpu / elapsed) * 100,
    // the histogram includes the sampling interval itself: an idle loop reads `resolution`
    benchLoopDelayP99: Math.max(0, loopDelay.percentile(99) / 1e6 - loopDelayResolution),
    gatewayRss: memory.current,
  };
}

const milliseconds = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));

const gateway = await startGateway();
try {
  // creates every customer telegramUpdate() uses, so both runs ingest the same way (existing
  // contact and conversation: one message.received event per message)
  await warmUp(gateway.base, customers * 2);
  const baseline = await run(gateway, ['SSE']);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const webSockets = Math.floor(consumerCount / 2);
  const fanout = await run(gateway, [
    ...Array.from({ length: consumerCount - webSockets }, () => 'SSE' as const),
    ...Array.from({ length: webSockets }, () => 'WebSocket' as const),
  ]);

  const runs = [
    ['1 consumer (baseline)', baseline],
    [`${consumerCount} consumers`, fanout],
  ] as const;
  const baselineSse = baseline.byKind.get('SSE')!;
  const latencyRows: Array<Record<string, string | number>> = [];
  for (const [name, result] of runs) {
    for (const [kind, summary] of result.byKind) {
      latencyRows.push({
        run: name,
        kind,
        consumers: summary.consumers,
        'events per consumer': `${summary.fewest}–${summary.most} of ${messagesPerRun}`,
        missing: summary.missing,
        duplicates: summary.duplicates,
        'p50 ms': milliseconds(summary.p50),
        'p99 ms': milliseconds(summary.p99),
        'max ms': milliseconds(summary.max),
        'p50 ratio': (summary.p50 / baselineSse.p50).toFixed(1),
        'p99 ratio': (summary.p99 / baselineSse.p99).toFixed(1),
      });
    }
  }
  const runRows = runs.map(([name, result]) => {
    const summaries = [...result.byKind.values()];
    return {
      run: name,
      'asked msg/s': rate,
      'acked msg/s': Math.round(result.load.answered / result.loadSeconds),
      'ack p50 ms': milliseconds(percentile(result.load.latencies, 50)),
      'ack p99 ms': milliseconds(percentile(result.load.latencies, 99)),
      'ack errors': result.load.errors,
      'events/s delivered': Math.round(
        summaries.reduce((sum, summary) => sum + summary.received, 0) / result.loadSeconds,
      ),
      'gateway CPU %': result.gatewayCpuPercent.toFixed(0),
      'bench CPU %': result.benchCpuPercent.toFixed(0),
      'bench loop delay p99 ms': result.benchLoopDelayP99.toFixed(0),
      'schedule lag max ms': result.load.maxScheduleLagMs.toFixed(0),
      'gateway RSS MB': result.gatewayRss.toFixed(0),
      'streams failed': summaries.reduce((sum, summary) => sum + summary.failures, 0),
    };
  });

  console.log(
    `\nFan-out: Telegram webhooks at ${rate} msg/s for ${seconds} s (${messagesPerRun} messages, open loop) to consumers of message.received; latency is provider → consumer\n`,
  );
  console.log(table(latencyRows));
  console.log(
    '\nPer run: ack latency, events delivered, and the CPU the gateway and the bench process used (100% = one core)\n',
  );
  console.log(table(runRows));
  const outside = [...baseline.byKind.values(), ...fanout.byKind.values()].reduce(
    (sum, summary) => sum + summary.outsideRun,
    0,
  );
  if (outside > 0) console.log(`\n${outside} events arrived that were not sent in the runs`);
} finally {
  await stopChild(gateway.child);
  rmSync(gateway.dataDirectory, { recursive: true, force: true });
}
