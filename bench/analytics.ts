/**
 * CX analytics, measured in one run on this machine:
 * `npx tsx --conditions=@threadline/source bench/analytics.ts [--conversations 1000000] [--seconds 8]`.
 *
 * 1. The summary query (`GET /v1/analytics/summary`, 30 days) and a daily timeseries, p50/p99
 *    over 200 sequential requests, against a gateway whose SQLite store holds the analytics of
 *    `--conversations` conversations. Seeding: synthetic journeys (open, customer messages,
 *    replies after pseudo-random waits, channel switches, handoffs, resolutions, reopenings)
 *    spread over 30 days on five channels, folded by the engine's own `foldEvent` and written
 *    with the store's own `applyAnalytics` in batches — the rollup rows and per-conversation
 *    states ingest would have written, without sending millions of webhooks first.
 * 2. Ingest throughput (signed Twilio webhooks at 50 connections) with the rollups on and off
 *    (THREADLINE_ANALYTICS_ROLLUPS), four runs each in ABBA BAAB order in the same run, and the
 *    ratio of the means.
 * 3. The same without HTTP (`--engine-messages 20000`): `engine.ingest` on a SQLite store, 50
 *    at a time from 2,000 customers, rollups on and off, ABBA BAAB, fresh store each run — the
 *    cost of the fold and its writes alone, less noisy than the HTTP runs on a shared machine.
 * `--conversations 0` skips part 1, `--seconds 0` part 2, `--engine-messages 0` part 3.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockConnector } from '@threadline/connector-kit';
import {
  type ConversationAnalytics,
  combineDeltas,
  createEngine,
  foldEvent,
  type LogEvent,
  type RollupDeltas,
} from '@threadline/engine';
import { createSqliteStore } from '@threadline/store-sqlite';
import autocannon from 'autocannon';
import {
  apiKey,
  option,
  percentile,
  startGateway,
  stopChild,
  table,
  twilioInbound,
} from './bench-support.js';

const conversations = option('--conversations', 1_000_000);
const seconds = option('--seconds', 6);
const days = 30;
const channels = ['whatsapp', 'sms', 'email', 'telegram', 'webchat'];
const end = Date.parse('2026-03-31T00:00:00.000Z');
const start = end - days * 24 * 3_600_000;

/** A deterministic pseudo-random number in [0, 1) for conversation `i`, draw `k`. */
const draw = (i: number, k: number) => {
  let x = (i * 2654435761 + k * 40503) >>> 0;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return (x >>> 0) / 4294967296;
};

/** The events of one synthetic conversation. */
function journey(i: number): LogEvent[] {
  const id = `c${i}`;
  let at = start + Math.floor((i / conversations) * (end - start - 3 * 3_600_000));
  const time = () => new Date(at).toISOString();
  const channel = channels[i % channels.length]!;
  const other = channels[(i + 1 + (i % 3)) % channels.length]!;
  const switchboard = i % 3 !== 0;
  const events: LogEvent[] = [];
  const message = (direction: 'inbound' | 'outbound', on: string) => ({
    conversationId: id,
    channel: on,
    direction,
    fallbackOfId: null,
    channelData: {},
  });
  events.push({
    type: 'conversation.opened',
    time: time(),
    data: { conversation: { id, lastInboundChannel: channel } },
  });
  if (switchboard)
    events.push({
      type: 'conversation.control_passed',
      time: time(),
      data: { conversationId: id, from: null, to: 'bot', reason: 'new_conversation' },
    });
  events.push({
    type: 'message.received',
    time: time(),
    data: {
      message: message('inbound', channel),
      ...(switchboard ? { control: { activeIntegrationId: 'bot' } } : {}),
    },
  });
  at += Math.floor(5_000 + draw(i, 1) ** 3 * 3_600_000);
  events.push({
    type: 'message.sent',
    time: time(),
    data: { message: message('outbound', channel) },
  });
  if (draw(i, 2) < 0.3) {
    at += 60_000;
    events.push({
      type: 'message.received',
      time: time(),
      data: { message: message('inbound', other) },
    });
    events.push({
      type: 'conversation.channel_switched',
      time: time(),
      data: { conversation: { id }, fromChannel: channel, toChannel: other },
    });
    if (switchboard && draw(i, 3) < 0.5)
      events.push({
        type: 'conversation.control_passed',
        time: time(),
        data: {
          conversationId: id,
          from: 'bot',
          to: 'desk',
          reason: draw(i, 4) < 0.5 ? 'api' : 'timeout',
        },
      });
    at += Math.floor(2_000 + draw(i, 5) ** 3 * 600_000);
    events.push({
      type: 'message.sent',
      time: time(),
      data: { message: message('outbound', other) },
    });
  }
  at += Math.floor(60_000 + draw(i, 6) * 1_800_000);
  events.push({ type: 'conversation.resolved', time: time(), data: { conversation: { id } } });
  if (draw(i, 7) < 0.1) {
    at += 3_600_000;
    events.push({ type: 'conversation.reopened', time: time(), data: { conversation: { id } } });
    events.push({
      type: 'message.received',
      time: time(),
      data: { message: message('inbound', channel) },
    });
    at += 600_000;
    events.push({ type: 'conversation.resolved', time: time(), data: { conversation: { id } } });
  }
  return events;
}

async function seed(directory: string): Promise<{ ms: number; counters: number; bins: number }> {
  const began = performance.now();
  const store = createSqliteStore({ filename: join(directory, 'threadline.db') });
  const batch = 20_000;
  let counters = 0;
  let bins = 0;
  for (let first = 0; first < conversations; first += batch) {
    const states = new Map<string, ConversationAnalytics>();
    const out: RollupDeltas = { counters: [], bins: [] };
    for (let i = first; i < Math.min(conversations, first + batch); i++)
      for (const event of journey(i)) foldEvent(event, states, out);
    const combined = combineDeltas(out);
    counters += combined.counters.length;
    bins += combined.bins.length;
    // seeded beside the event log: the fold's position stays at its end
    await store.write(async (tx) =>
      tx.applyAnalytics(
        { states: [...states.values()], ...combined },
        { cursor: await tx.latestCursor(), token: 'seed' },
      ),
    );
  }
  await store.close();
  return { ms: performance.now() - began, counters, bins };
}

async function timeRequests(url: string, count: number) {
  const times: number[] = [];
  for (let index = 0; index < count; index++) {
    const began = performance.now();
    const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
    if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    await response.json();
    times.push(performance.now() - began);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

let sequence = Date.now() % 1_000_000_000;
async function ingest(rollups: 'on' | 'off') {
  const gateway = await startGateway({ THREADLINE_ANALYTICS_ROLLUPS: rollups });
  try {
    const result = await autocannon({
      url: gateway.base,
      connections: 50,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          path: '/webhooks/sms/sms',
          setupRequest: (request) => {
            sequence += 1;
            const { body, signature } = twilioInbound(gateway.base, sequence);
            return {
              ...request,
              body,
              headers: {
                ...request.headers,
                'content-type': 'application/x-www-form-urlencoded',
                'x-twilio-signature': signature,
              },
            };
          },
        },
      ],
    });
    return {
      rps: result.requests.average,
      p99: result.latency.p99,
      errors: result.non2xx + result.errors + result.timeouts,
    };
  } finally {
    await stopChild(gateway.child);
  }
}

if (conversations > 0) {
  const gateway = await startGateway();
  await stopChild(gateway.child);
  const seeded = await seed(gateway.dataDirectory);
  console.log(
    `seeded ${conversations} conversations in ${(seeded.ms / 1000).toFixed(1)} s: ${seeded.counters} counter rows, ${seeded.bins} histogram rows`,
  );
  const reader = await startGateway({ THREADLINE_DATA_DIR: gateway.dataDirectory });
  const range = `from=${new Date(start).toISOString()}&to=${new Date(end).toISOString()}`;
  const queries: Record<string, string> = {
    'summary, 30 days': `/v1/analytics/summary?${range}`,
    'summary, 30 days, one channel': `/v1/analytics/summary?${range}&channel=sms`,
    'summary, 1 day': `/v1/analytics/summary?from=2026-03-15T00:00:00.000Z&to=2026-03-16T00:00:00.000Z`,
    'timeseries by day, 30 days': `/v1/analytics/timeseries?metric=first_response_seconds&interval=day&${range}`,
  };
  const queryRows: Array<Record<string, string | number>> = [];
  try {
    const check = await (
      await fetch(`${reader.base}${queries['summary, 30 days']}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      })
    ).json();
    console.log(
      `opened in the 30 days: ${(check as { conversations: { opened: number } }).conversations.opened}`,
    );
    for (const [name, path] of Object.entries(queries)) {
      await timeRequests(`${reader.base}${path}`, 5);
      const { p50, p99 } = await timeRequests(`${reader.base}${path}`, 200);
      queryRows.push({
        query: name,
        conversations,
        'p50 ms': p50.toFixed(1),
        'p99 ms': p99.toFixed(1),
      });
    }
  } finally {
    await stopChild(reader.child);
  }
  console.log(table(queryRows));
}

if (seconds > 0) {
  const runs: Array<{ rollups: 'on' | 'off'; rps: number; p99: number; errors: number }> = [];
  // ABBA BAAB: a load that drifts during the run weighs on both sides alike
  for (const rollups of ['off', 'on', 'on', 'off', 'on', 'off', 'off', 'on'] as const)
    runs.push({ rollups, ...(await ingest(rollups)) });
  const mean = (rollups: 'on' | 'off') => {
    const of = runs.filter((run) => run.rollups === rollups);
    return of.reduce((sum, run) => sum + run.rps, 0) / of.length;
  };
  console.log(
    table([
      ...runs.map((run, index) => ({
        run: `${index + 1}: rollups ${run.rollups}`,
        'msg/s': Math.round(run.rps),
        'ack p99 ms': run.p99,
        errors: run.errors,
      })),
      { run: 'mean, rollups off', 'msg/s': Math.round(mean('off')), 'ack p99 ms': '', errors: '' },
      { run: 'mean, rollups on', 'msg/s': Math.round(mean('on')), 'ack p99 ms': '', errors: '' },
      {
        run: 'ratio on / off',
        'msg/s': (mean('on') / mean('off')).toFixed(3),
        'ack p99 ms': '',
        errors: '',
      },
    ]),
  );
}

const engineMessages = option('--engine-messages', 20_000);

/** Messages per second through `engine.ingest` on a fresh SQLite store. */
async function engineIngest(analytics: boolean): Promise<number> {
  const directory = mkdtempSync(join(tmpdir(), 'threadline-bench-engine-'));
  const store = createSqliteStore({ filename: join(directory, 'threadline.db') });
  const sms = new MockConnector({ channel: 'sms' });
  const engine = createEngine({ store, connectors: new Map([[sms.id, sms]]), analytics });
  const batches = await Promise.all(
    Array.from(
      { length: engineMessages },
      async (_, n) =>
        (
          await sms.parse(
            sms.request({
              kind: 'message',
              id: `m${n}`,
              from: `+1415555${String(1000 + (n % 2000)).padStart(4, '0')}`,
              content: { type: 'text', text: `message ${n}` },
            }),
          )
        ).events,
    ),
  );
  const began = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < batches.length) await engine.ingest(sms.id, batches[next++]!);
    }),
  );
  // the fold runs after the commits: the time counts until it has caught up
  await engine.analytics.catchUp();
  const rate = engineMessages / ((performance.now() - began) / 1000);
  await engine.stop();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
  return rate;
}

if (engineMessages > 0) {
  const engineRuns: Array<{ rollups: 'on' | 'off'; rate: number }> = [];
  for (const rollups of ['off', 'on', 'on', 'off', 'on', 'off', 'off', 'on'] as const)
    engineRuns.push({ rollups, rate: await engineIngest(rollups === 'on') });
  const engineMean = (rollups: 'on' | 'off') =>
    engineRuns.filter((run) => run.rollups === rollups).reduce((sum, run) => sum + run.rate, 0) / 4;
  console.log(
    table([
      ...engineRuns.map((run, index) => ({
        'engine.ingest run': `${index + 1}: rollups ${run.rollups}`,
        'msg/s': Math.round(run.rate),
      })),
      { 'engine.ingest run': 'mean, rollups off', 'msg/s': Math.round(engineMean('off')) },
      { 'engine.ingest run': 'mean, rollups on', 'msg/s': Math.round(engineMean('on')) },
      {
        'engine.ingest run': 'ratio on / off',
        'msg/s': (engineMean('on') / engineMean('off')).toFixed(3),
      },
    ]),
  );
}
