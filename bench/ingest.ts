/**
 * Ingest throughput and latency, measured in one run against a bare Hono baseline on this
 * machine: `npx tsx --conditions=@threadline/source bench/ingest.ts [--seconds 10]`.
 *
 * 1. req/s at 50 connections: bare Hono (same ~1 KB JSON body) vs the gateway ingesting
 *    Telegram updates and signed Twilio webhooks (signature, normalize, dedupe, identity,
 *    conversation, durable commit, fan-out to one SSE consumer).
 * 2. latency at a fixed 1,000 msg/s (an open-loop schedule, see fixed-rate-load.ts):
 *    provider→ack (HTTP) and inbound→app (the SSE consumer receives message.received),
 *    p50/p99, with bare Hono — which answers and writes each body to one SSE consumer — as
 *    the baseline for both; the difference is what the gateway adds.
 */

import { join } from 'node:path';
import autocannon from 'autocannon';
import {
  apiKey,
  freePort,
  option,
  percentile,
  root,
  startChild,
  startGateway,
  stopChild,
  table,
  telegramSecret,
  telegramUpdate,
  twilioInbound,
} from './bench-support.js';
import { fixedRateLoad, processCpuMs } from './fixed-rate-load.js';

const seconds = option('--seconds', 10);
const rate = option('--rate', 1000);
const connections = 50;

interface Load {
  url: string;
  path: string;
  rate?: number;
  body: (sequence: number) => { body: string; headers: Record<string, string> };
}

let sequence = Date.now() % 1_000_000_000;
async function load({ url, path, rate, body }: Load, duration = seconds) {
  const result = await autocannon({
    url,
    connections: rate ? 20 : connections,
    duration,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (request) => {
          sequence += 1;
          const built = body(sequence);
          return {
            ...request,
            body: built.body,
            headers: { ...request.headers, ...built.headers },
          };
        },
      },
    ],
  });
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
    total: result.requests.total,
  };
}

const telegramLoad = (url: string): Load => ({
  url,
  path: '/webhooks/telegram/telegram',
  body: (n) => ({
    body: telegramUpdate(n),
    headers: {
      'content-type': 'application/json',
      'x-telegram-bot-api-secret-token': telegramSecret,
    },
  }),
});
const twilioLoad = (url: string): Load => ({
  url,
  path: '/webhooks/sms/sms',
  body: (n) => {
    const signed = twilioInbound(url, n);
    return {
      body: signed.body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signed.signature,
      },
    };
  },
});

/** An SSE consumer that records inbound→app latency from the `t=` stamp in each message. */
function consume(url: string, headers: Record<string, string> = {}) {
  const latencies: number[] = [];
  let received = 0;
  const abort = new AbortController();
  const done = (async () => {
    const response = await fetch(url, { headers, signal: abort.signal });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done: finished } = await reader.read();
      if (finished) break;
      buffer += decoder.decode(value, { stream: true });
      let boundary = buffer.indexOf('\n\n');
      while (boundary >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const data = block.split('\n').find((line) => line.startsWith('data:'));
        const stamp = data ? /t=([\d.]+)/.exec(data) : null;
        if (stamp) {
          received += 1;
          latencies.push(performance.timeOrigin + performance.now() - Number(stamp[1]));
        }
        boundary = buffer.indexOf('\n\n');
      }
    }
  })().catch(() => {});
  return {
    get received() {
      return received;
    },
    reset() {
      latencies.length = 0;
      received = 0;
    },
    latencies: () => [...latencies].sort((a, b) => a - b),
    async stop() {
      abort.abort();
      await done;
    },
  };
}

const rows: Array<Record<string, string | number>> = [];

/**
 * `rate` Telegram-sized webhooks a second on an open-loop schedule, each stamped with its
 * scheduled time; `consumer` sees them come out on its SSE stream.
 */
async function fixedRun(
  url: string,
  path: string,
  headers: Record<string, string>,
  consumer: ReturnType<typeof consume>,
  pid: number,
) {
  consumer.reset();
  const cpuBefore = processCpuMs(pid);
  const answer = await fixedRateLoad({
    url,
    rate,
    seconds,
    build: (_, scheduledAt) => ({
      path,
      body: telegramUpdate(++sequence, Number(scheduledAt.toFixed(2))),
      headers,
    }),
  });
  const deadline = Date.now() + 10_000;
  while (consumer.received < answer.answered && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  return {
    ack: answer.latencies,
    errors: answer.errors,
    delivered: consumer.latencies(),
    cpuPerMessageMs: (processCpuMs(pid) - cpuBefore) / Math.max(1, answer.answered),
  };
}

// --- bare Hono
const barePort = await freePort();
const bare = await startChild(
  join(root, 'bench/servers/bare-hono.ts'),
  { PORT: String(barePort) },
  async () =>
    (
      await fetch(`http://127.0.0.1:${barePort}/webhooks/bare`, {
        method: 'POST',
        body: '{"update_id":1}',
        headers: { 'content-type': 'application/json' },
      })
    ).ok,
);
const bareBase = `http://127.0.0.1:${barePort}`;
const bareLoad: Load = {
  url: bareBase,
  path: '/webhooks/bare',
  body: (n) => ({ body: telegramUpdate(n), headers: { 'content-type': 'application/json' } }),
};
await load(bareLoad, 2);
const bareThroughput = await load(bareLoad);
const bareConsumer = consume(`${bareBase}/events`);
await new Promise((resolve) => setTimeout(resolve, 200));
const bareFixed = await fixedRun(
  bareBase,
  '/webhooks/bare',
  { 'content-type': 'application/json' },
  bareConsumer,
  bare.pid!,
);
await bareConsumer.stop();
await stopChild(bare);
rows.push({
  run: 'bare Hono, 1 KB JSON',
  'req/s': bareThroughput.rps,
  'ratio to bare': '1.00',
  'ack p50 ms': bareThroughput.p50,
  'ack p99 ms': bareThroughput.p99,
  errors: bareThroughput.non2xx,
});

// --- gateway
const gateway = await startGateway();
const consumer = consume(`${gateway.base}/v1/events?types=message.received`, {
  authorization: `Bearer ${apiKey}`,
});
await load(telegramLoad(gateway.base), 2);
for (const [name, workload] of [
  ['gateway ingest, Telegram', telegramLoad(gateway.base)],
  ['gateway ingest, Twilio SMS', twilioLoad(gateway.base)],
] as const) {
  const result = await load(workload);
  rows.push({
    run: name,
    'req/s': result.rps,
    'ratio to bare': (result.rps / bareThroughput.rps).toFixed(2),
    'ack p50 ms': result.p50,
    'ack p99 ms': result.p99,
    errors: result.non2xx,
  });
}
await new Promise((resolve) => setTimeout(resolve, 1000));
const fixed = await fixedRun(
  gateway.base,
  '/webhooks/telegram/telegram',
  { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': telegramSecret },
  consumer,
  gateway.child.pid!,
);
await consumer.stop();
const rss =
  Number(
    (await import('node:fs'))
      .readFileSync(`/proc/${gateway.child.pid}/status`, 'utf8')
      .match(/VmRSS:\s+(\d+)/)?.[1] ?? 0,
  ) / 1024;
await stopChild(gateway.child);

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '–');
console.log(
  `\nIngest throughput (${seconds} s per run, ${connections} connections, one SSE consumer on the gateway)\n`,
);
console.log(table(rows));
console.log(
  `\nLatency at a fixed ${rate} msg/s (Telegram webhooks on an open-loop schedule, ${seconds} s)\n`,
);
const latencyRow = (hop: string, sorted: number[], extra: Record<string, string | number>) => ({
  hop,
  'p50 ms': ms(percentile(sorted, 50)),
  'p99 ms': ms(percentile(sorted, 99)),
  'max ms': ms(sorted.at(-1) ?? Number.NaN),
  samples: sorted.length,
  ...extra,
});
/** What the gateway adds on a hop: its percentile minus the baseline's, in the same run. */
const addedRow = (hop: string, gatewaySorted: number[], bareSorted: number[]) => {
  const added = (p: number) => ms(percentile(gatewaySorted, p) - percentile(bareSorted, p));
  return {
    hop,
    'p50 ms': added(50),
    'p99 ms': added(99),
    'max ms': '',
    samples: '',
    errors: '',
    'CPU ms/msg': '',
  };
};
console.log(
  table([
    latencyRow('bare Hono ack (baseline)', bareFixed.ack, {
      errors: bareFixed.errors,
      'CPU ms/msg': bareFixed.cpuPerMessageMs.toFixed(3),
    }),
    latencyRow('bare Hono → SSE consumer (baseline)', bareFixed.delivered, {
      errors: '',
      'CPU ms/msg': '',
    }),
    latencyRow('provider → gateway ack (durable)', fixed.ack, {
      errors: fixed.errors,
      'CPU ms/msg': fixed.cpuPerMessageMs.toFixed(3),
    }),
    latencyRow('provider → app (SSE message.received)', fixed.delivered, {
      errors: '',
      'CPU ms/msg': '',
    }),
    addedRow('gateway-added ack', fixed.ack, bareFixed.ack),
    addedRow('gateway-added inbound → app', fixed.delivered, bareFixed.delivered),
  ]),
);
console.log(`\ngateway RSS after the run: ${rss.toFixed(0)} MB`);
