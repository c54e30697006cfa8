/**
 * Webhook deliveries against an app endpoint (`servers/webhook-sink.ts`, its own process), one
 * table per acceptance line, each with its same-run baseline:
 * `npx tsx --conditions=@threadline/source bench/webhooks.ts [--only 1,2,3,4] [--seconds 10]`.
 *
 * 1. sink answering at once: ingest acked/s at 50 connections (autocannon, Telegram webhooks)
 *    without a subscription (baseline) and with one; events delivered/s over acked/s, and how
 *    long after the load's end the subscription drained;
 * 2. sink taking 100 ms a request: a steady 500 events/s across 200 conversations (open loop),
 *    log → app lag p50/p99 against the same load to a sink answering at once, order checked
 *    by the sink per conversation;
 * 3. the same, with the sink answering 500 to one conversation's events for 30 s: the other
 *    conversations' lag, and when the failing one caught up (in order) after it recovered;
 * 4. SIGKILL of the gateway during a burst, restart on the same data: every stored event
 *    reached the sink at least once, in order per conversation; repeats against maxInFlight.
 */
import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import {
  apiKey,
  freePort,
  numbersOption,
  option,
  percentile,
  root,
  startChild,
  startGateway,
  stopChild,
  table,
  telegramSecret,
  telegramUpdate,
} from './bench-support.js';
import { fixedRateLoad, processCpuMs } from './fixed-rate-load.js';

const seconds = option('--seconds', 10);
const steadySeconds = option('--steady-seconds', 15);
const only = new Set(numbersOption('--only', [1, 2, 3, 4]));
const telegramHeaders = {
  'content-type': 'application/json',
  'x-telegram-bot-api-secret-token': telegramSecret,
};
const api = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

interface SinkStats {
  requests: number;
  failedRequests: number;
  unique: number;
  repeats: number;
  orderViolations: number;
  lags: number[];
  failingLags: number[];
  failingEvents: number;
  failingLastArrival: number;
  lastArrival: number;
  ids?: string[];
}

const sinkPort = await freePort();
const sinkBase = `http://127.0.0.1:${sinkPort}`;
const sink = await startChild(
  join(root, 'bench/servers/webhook-sink.ts'),
  { PORT: String(sinkPort) },
  async () => (await fetch(`${sinkBase}/__stats`)).ok,
);

async function sinkStats(withIds = false): Promise<SinkStats> {
  return (await (
    await fetch(`${sinkBase}/__stats`, { headers: withIds ? { 'x-with-ids': '1' } : {} })
  ).json()) as SinkStats;
}

async function configureSink(settings: {
  delayMs?: number;
  failAddress?: string | null;
  failUntil?: number;
}) {
  await fetch(`${sinkBase}/__control`, {
    method: 'POST',
    body: JSON.stringify({ delayMs: 0, failAddress: null, failUntil: 0, ...settings }),
  });
}

async function subscribe(
  base: string,
  settings: Record<string, unknown> = {},
): Promise<{ id: string; cursor: number }> {
  const response = await fetch(`${base}/v1/webhooks`, {
    method: 'POST',
    headers: api,
    body: JSON.stringify({
      url: `${sinkBase}/hooks`,
      eventTypes: ['message.received'],
      ...settings,
    }),
  });
  if (response.status !== 201) throw new Error(`subscribe: ${await response.text()}`);
  return (await response.json()) as { id: string; cursor: number };
}

async function unsubscribe(base: string, id: string) {
  await fetch(`${base}/v1/webhooks/${id}`, { method: 'DELETE', headers: api });
}

/** Waits until the sink has `count` distinct events (or `limitMs` passed); the time it did. */
async function drained(count: number, limitMs: number): Promise<number | null> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const stats = await sinkStats();
    if (stats.unique >= count) return stats.lastArrival;
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A gateway that may deliver to the sink on 127.0.0.1. */
const startWebhookGateway = (env: Record<string, string> = {}) =>
  startGateway({ THREADLINE_ALLOW_PRIVATE_WEBHOOKS: '1', ...env });

let sequence = Date.now() % 1_000_000_000;

async function ingestAtFullSpeed(base: string, duration: number) {
  const result = await autocannon({
    url: base,
    connections: 50,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/telegram/telegram',
        setupRequest: (request) => ({
          ...request,
          body: telegramUpdate(++sequence),
          headers: { ...request.headers, ...telegramHeaders },
        }),
      },
    ],
  });
  return { acked: result['2xx'], errors: result.non2xx + result.errors + result.timeouts };
}

/** `rate` Telegram webhooks a second from `conversations` customers, on an open-loop schedule. */
function steadyLoad(base: string, rate: number, duration: number, conversations: number) {
  return fixedRateLoad({
    url: base,
    rate,
    seconds: duration,
    build: (_, scheduledAt) => {
      sequence += 1;
      return {
        path: '/webhooks/telegram/telegram',
        body: telegramUpdate(sequence, scheduledAt, 100000 + (sequence % conversations)),
        headers: telegramHeaders,
      };
    },
  });
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : '–');
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const output: string[] = [`load average at start: ${load()}`];
let gateway: { child: ChildProcess; base: string; dataDirectory: string } | undefined;

try {
  // --- 1. a sink answering at once, ingest at 50 connections
  if (only.has(1)) {
    gateway = await startWebhookGateway();
    const pid = gateway.child.pid!;
    await ingestAtFullSpeed(gateway.base, 2);
    let cpuBefore = processCpuMs(pid);
    const baseline = await ingestAtFullSpeed(gateway.base, seconds);
    const baselineCpu = (processCpuMs(pid) - cpuBefore) / Math.max(1, baseline.acked);
    const rows: Array<Record<string, string | number>> = [
      {
        run: 'no subscription (baseline)',
        'acked/s': (baseline.acked / seconds).toFixed(0),
        'delivered/s': '',
        'delivered / acked': '',
        'drained after load end s': '',
        requests: '',
        repeats: '',
        'order violations': '',
        'gateway CPU ms/msg': baselineCpu.toFixed(2),
        errors: baseline.errors,
      },
    ];
    for (const [name, settings] of [
      ['one subscription (defaults)', {}],
      ['one subscription, batch 100 / 20 ms', { batch: { maxEvents: 100, maxWaitMs: 20 } }],
    ] as const) {
      const { id: subscription } = await subscribe(gateway.base, settings);
      await configureSink({});
      cpuBefore = processCpuMs(pid);
      const started = Date.now();
      const loaded = await ingestAtFullSpeed(gateway.base, seconds);
      const ended = Date.now();
      const doneAt = await drained(loaded.acked, 60_000);
      const loadedCpu = (processCpuMs(pid) - cpuBefore) / Math.max(1, loaded.acked);
      const stats = await sinkStats();
      const deliveredPerSecond = stats.unique / (((doneAt ?? Date.now()) - started) / 1000);
      const ackedPerSecond = loaded.acked / ((ended - started) / 1000);
      await unsubscribe(gateway.base, subscription);
      rows.push({
        run: name,
        'acked/s': ackedPerSecond.toFixed(0),
        'delivered/s': deliveredPerSecond.toFixed(0),
        'delivered / acked': (deliveredPerSecond / ackedPerSecond).toFixed(2),
        'drained after load end s':
          doneAt === null ? 'not in 60 s' : Math.max(0, (doneAt - ended) / 1000).toFixed(2),
        requests: stats.requests,
        repeats: stats.repeats,
        'order violations': stats.orderViolations,
        'gateway CPU ms/msg': loadedCpu.toFixed(2),
        errors: loaded.errors,
      });
    }
    await stopChild(gateway.child);
    gateway = undefined;
    output.push(
      `\n1. Sink answering at once: ingest at 50 connections (${seconds} s per run)\n`,
      table(rows),
    );
  }

  // --- 2. a sink taking 100 ms, a steady 500/s across 200 conversations
  if (only.has(2)) {
    gateway = await startWebhookGateway();
    const rows: Array<Record<string, string | number>> = [];
    let baselineP99 = Number.NaN;
    // the 200 customers write once first: every measured event joins their conversations
    await steadyLoad(gateway.base, 500, 2, 200);
    for (const [name, delayMs, settings] of [
      ['sink answering at once (baseline)', 0, {}],
      ['sink 100 ms, maxInFlight 100', 100, { maxInFlight: 100 }],
      [
        'sink 100 ms, maxInFlight 32, batch 50 / 20 ms',
        100,
        { batch: { maxEvents: 50, maxWaitMs: 20 } },
      ],
      ['sink 100 ms, maxInFlight 32 (default)', 100, {}],
    ] as const) {
      const { id: subscription } = await subscribe(gateway.base, settings);
      await configureSink({ delayMs });
      const result = await steadyLoad(gateway.base, 500, steadySeconds, 200);
      const doneAt = await drained(result.answered, 60_000);
      const stats = await sinkStats();
      await unsubscribe(gateway.base, subscription);
      const p99 = percentile(stats.lags, 99);
      if (delayMs === 0) baselineP99 = p99;
      rows.push({
        run: name,
        'acked/s': (result.answered / steadySeconds).toFixed(0),
        delivered: `${stats.unique} of ${result.answered}`,
        'lag p50 ms': ms(percentile(stats.lags, 50)),
        'lag p99 ms': ms(p99),
        'lag max ms': ms(stats.lags.at(-1) ?? Number.NaN),
        'p99 ratio to baseline': (p99 / baselineP99).toFixed(1),
        requests: stats.requests,
        repeats: stats.repeats,
        'order violations': stats.orderViolations,
        drained: doneAt === null ? 'no (60 s)' : 'yes',
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await stopChild(gateway.child);
    gateway = undefined;
    output.push(
      `\n2. A steady 500 events/s across 200 conversations (${steadySeconds} s), log → app lag at the sink\n`,
      table(rows),
    );
  }

  // --- 3. one conversation failing for 30 s
  if (only.has(3)) {
    const failSeconds = option('--fail-seconds', 30);
    const runSeconds = failSeconds + 10;
    gateway = await startWebhookGateway();
    const { id: subscription } = await subscribe(gateway.base, { maxInFlight: 100 });
    const failAddress = '100007';
    const failFrom = Date.now() + 2_000;
    const failUntil = failFrom + failSeconds * 1000;
    await configureSink({ delayMs: 100, failAddress, failUntil });
    const result = await steadyLoad(gateway.base, 500, runSeconds, 200);
    const doneAt = await drained(result.answered, 120_000);
    const stats = await sinkStats();
    await unsubscribe(gateway.base, subscription);
    await stopChild(gateway.child);
    gateway = undefined;
    output.push(
      `\n3. Sink 100 ms, one of 200 conversations answered 500 for ${failSeconds} s, 500 events/s for ${runSeconds} s (maxInFlight 100)\n`,
      table([
        {
          conversations: 'the other 199',
          events: stats.lags.length,
          'lag p50 ms': ms(percentile(stats.lags, 50)),
          'lag p99 ms': ms(percentile(stats.lags, 99)),
          'lag max ms': ms(stats.lags.at(-1) ?? Number.NaN),
          'caught up s after recovery': '',
          'order violations': stats.orderViolations,
          'all delivered': doneAt === null ? `no: ${stats.unique} of ${result.answered}` : 'yes',
        },
        {
          conversations: 'the failing one',
          events: stats.failingEvents,
          'lag p50 ms': ms(percentile(stats.failingLags, 50)),
          'lag p99 ms': ms(percentile(stats.failingLags, 99)),
          'lag max ms': ms(stats.failingLags.at(-1) ?? Number.NaN),
          'caught up s after recovery': ((stats.failingLastArrival - failUntil) / 1000).toFixed(1),
          'order violations': '(counted above)',
          'all delivered': `${stats.failedRequests} requests answered 500`,
        },
      ]),
    );
  }

  // --- 4. SIGKILL during a burst
  if (only.has(4)) {
    const maxInFlight = 32;
    gateway = await startWebhookGateway();
    const dataDirectory = gateway.dataDirectory;
    // the 500 customers write once first: the burst is their conversations' next messages
    await steadyLoad(gateway.base, 250, 2, 500);
    const { cursor: from } = await subscribe(gateway.base, { maxInFlight });
    await configureSink({ delayMs: 5 });
    const victim = gateway.child;
    const killAfterMs = 1_500;
    const killed = new Promise<void>((resolve) =>
      setTimeout(() => {
        victim.kill('SIGKILL');
        resolve();
      }, killAfterMs),
    );
    const burst = await steadyLoad(gateway.base, 2000, 3, 500);
    await killed;
    const beforeRestart = await sinkStats();
    gateway = await startWebhookGateway({ THREADLINE_DATA_DIR: dataDirectory });
    const stored: string[] = [];
    for (let after = from; ; ) {
      const page = (await (
        await fetch(
          `${gateway.base}/v1/events?format=json&after=${after}&limit=1000&types=message.received`,
          { headers: api },
        )
      ).json()) as { data: Array<{ id: string }>; nextCursor: number };
      stored.push(...page.data.map((event) => event.id));
      if (page.nextCursor === after) break;
      after = page.nextCursor;
    }
    const doneAt = await drained(stored.length, 60_000);
    const stats = await sinkStats(true);
    const seen = new Set(stats.ids);
    const missing = stored.filter((id) => !seen.has(id)).length;
    await stopChild(gateway.child);
    gateway = undefined;
    output.push(
      `\n4. SIGKILL ${killAfterMs} ms into a burst of 2,000/s over 500 conversations, restart on the same data (maxInFlight ${maxInFlight})\n`,
      table([
        {
          'acked before the kill': burst.answered,
          'stored events': stored.length,
          'at the sink before the kill': beforeRestart.unique,
          'delivered after restart': doneAt === null ? 'not all in 60 s' : 'all',
          missing,
          repeats: stats.repeats,
          maxInFlight,
          'conversations in the burst': 500,
          'order violations': stats.orderViolations,
        },
      ]),
    );
  }
} finally {
  if (gateway) await stopChild(gateway.child);
  await stopChild(sink);
}
output.push(`\nload average at end: ${load()}`);
console.log(output.join('\n'));
