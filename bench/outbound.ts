/**
 * Outbound: `POST /v1/messages` → the (fake) provider receiving the call, measured in one run:
 * `npx tsx --conditions=@threadline/source bench/outbound.ts [--seconds 10] [--rate 1000]`.
 *
 * The fake Twilio Messages API runs in this process and stamps when each message arrives;
 * the body carries the time the app sent it. Reports the API's accepted req/s at 50
 * connections (autocannon), then app→provider latency p50/p99 at a fixed rate (an open-loop
 * schedule, see fixed-rate-load.ts) for the gateway and, as the same-run baseline, for a bare
 * Hono relay that answers and forwards each message with no storage or queue.
 */
import { createServer } from 'node:http';
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
} from './bench-support.js';
import { fixedRateLoad, processCpuMs } from './fixed-rate-load.js';

const seconds = option('--seconds', 10);
const rate = option('--rate', 1000);
let latencies: number[] = [];
/** Only messages of the current fixed-rate run are timed (earlier runs' stragglers are not). */
let currentRun = 0;
let received = 0;
/** Messages the server under test answered 2xx, across runs; `received` catches up with it. */
let accepted = 0;
const providerPort = await freePort();
const provider = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const arrived = performance.now() + performance.timeOrigin;
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const stamp = /t=([\d.]+) run=(\d+)/.exec(form.get('Body') ?? '');
    if (stamp && Number(stamp[2]) === currentRun) latencies.push(arrived - Number(stamp[1]));
    received += 1;
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ sid: `SM${String(received).padStart(32, '0')}`, status: 'queued' }),
    );
  });
});
await new Promise<void>((resolve) => provider.listen(providerPort, '127.0.0.1', resolve));
const providerUrl = `http://127.0.0.1:${providerPort}`;

let sequence = 0;
/** A message body stamped with its scheduled send time (epoch ms, fractional). */
function messageBody(sentAt: number, run = 0): string {
  sequence += 1;
  return JSON.stringify({
    to: { channel: 'sms', address: `+1415555${String(1000 + (sequence % 5000)).padStart(4, '0')}` },
    content: {
      type: 'text',
      text: `t=${sentAt.toFixed(2)} run=${run} your order ${sequence} has shipped`,
    },
  });
}
const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

/** Wait until the provider has every message accepted so far (the queue is empty). */
async function drain() {
  const deadline = Date.now() + 120_000;
  while (received < accepted && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
}

/** app→provider at a fixed rate against `base`; returns the API answer and provider-side latencies. */
async function fixedRun(base: string, pid: number) {
  await drain();
  currentRun += 1;
  const run = currentRun;
  latencies = [];
  const cpuBefore = processCpuMs(pid);
  const answer = await fixedRateLoad({
    url: base,
    rate,
    seconds,
    build: (_, scheduledAt) => ({
      path: '/v1/messages',
      body: messageBody(scheduledAt, run),
      headers,
    }),
  });
  accepted += answer.answered;
  const deadline = Date.now() + 60_000;
  while (latencies.length < answer.answered && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const cpuPerMessageMs = (processCpuMs(pid) - cpuBefore) / Math.max(1, answer.answered);
  return { answer, delivered: [...latencies].sort((a, b) => a - b), cpuPerMessageMs };
}

// --- baseline: the bare relay
const relayPort = await freePort();
const relay = await startChild(
  join(root, 'bench/servers/bare-relay.ts'),
  { PORT: String(relayPort), PROVIDER_URL: providerUrl },
  async () => (await fetch(`http://127.0.0.1:${relayPort}/healthz`)).status === 404,
);
const relayBase = `http://127.0.0.1:${relayPort}`;
accepted += (
  await fixedRateLoad({
    url: relayBase,
    rate,
    seconds,
    build: (_, at) => ({ path: '/v1/messages', body: messageBody(at), headers }),
  })
).answered;
const relayRun = await fixedRun(relayBase, relay.pid!);
await stopChild(relay);

// --- the gateway
const nodeFlags = process.argv.includes('--node-flags')
  ? (process.argv[process.argv.indexOf('--node-flags') + 1] ?? '').split(' ').filter(Boolean)
  : [];
const gateway = await startGateway(
  { TWILIO_API_BASE: providerUrl, THREADLINE_API_RATE_LIMIT: '1000000' },
  nodeFlags,
);
const throughput = await autocannon({
  url: gateway.base,
  connections: 50,
  duration: seconds,
  requests: [
    {
      method: 'POST',
      path: '/v1/messages',
      setupRequest: (request) => ({
        ...request,
        body: messageBody(Date.now()),
        headers: { ...request.headers, ...headers },
      }),
    },
  ],
});
accepted += throughput['2xx'];
await drain();
const gatewayRun = await fixedRun(gateway.base, gateway.child.pid!);
const metrics = await (await fetch(`${gateway.base}/metrics`)).text();
const sum = Number(
  /threadline_send_duration_seconds_sum\{channel="sms"\} ([\d.e+-]+)/.exec(metrics)?.[1] ??
    Number.NaN,
);
const count = Number(
  /threadline_send_duration_seconds_count\{channel="sms"\} (\d+)/.exec(metrics)?.[1] ?? Number.NaN,
);
await stopChild(gateway.child);
provider.close();

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '–');
const rows = [
  {
    run: 'POST /v1/messages, 50 connections (API answer)',
    'req/s': Math.round(throughput.requests.average),
    'p50 ms': ms(throughput.latency.p50),
    'p99 ms': ms(throughput.latency.p99),
    samples: throughput.requests.total,
    errors: throughput.non2xx + throughput.errors,
    'CPU ms/msg': '',
  },
];
for (const [name, run] of [
  ['bare relay', relayRun],
  ['gateway', gatewayRun],
] as const) {
  rows.push(
    {
      run: `${name}: API answer at ${rate}/s`,
      'req/s': Math.round(run.answer.answered / seconds),
      'p50 ms': ms(percentile(run.answer.latencies, 50)),
      'p99 ms': ms(percentile(run.answer.latencies, 99)),
      samples: run.answer.answered,
      errors: run.answer.errors,
      'CPU ms/msg': run.cpuPerMessageMs.toFixed(3),
    },
    {
      run: `${name}: app → provider at ${rate}/s`,
      'req/s': Math.round(run.delivered.length / seconds),
      'p50 ms': ms(percentile(run.delivered, 50)),
      'p99 ms': ms(percentile(run.delivered, 99)),
      samples: run.delivered.length,
      errors: run.answer.answered - run.delivered.length,
      'CPU ms/msg': '',
    },
  );
}
const added = (p: number) =>
  percentile(gatewayRun.delivered, p) - percentile(relayRun.delivered, p);
rows.push({
  run: 'gateway-added app → provider',
  'req/s': '',
  'p50 ms': ms(added(50)),
  'p99 ms': ms(added(99)),
  samples: '',
  errors: '',
  'CPU ms/msg': '',
} as unknown as (typeof rows)[number]);

console.log(
  `\nprovider call (connector.send) mean: ${((sum / count) * 1000).toFixed(2)} ms over ${count} sends`,
);
console.log(`\nOutbound (${seconds} s per run, SMS through a fake Twilio API)\n`);
console.log(table(rows as unknown as Array<Record<string, string | number>>));
