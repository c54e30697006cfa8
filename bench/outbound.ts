/**
 * Outbound: `POST /v1/messages` → the (fake) provider receiving the call, measured in one run:
 * `npx tsx --conditions=@threadline/source bench/outbound.ts [--seconds 10]`.
 *
 * The fake Twilio Messages API runs in this process and stamps when each message arrives;
 * the body carries the time the app sent it. Reports the API's accepted req/s at 50
 * connections, and app→provider latency p50/p99 at a fixed 1,000 msg/s.
 */
import { createServer } from 'node:http';
import autocannon from 'autocannon';
import {
  apiKey,
  freePort,
  option,
  percentile,
  startGateway,
  stopChild,
  table,
  twilioAccount,
} from './bench-support.js';

const seconds = option('--seconds', 10);
const latencies: number[] = [];
let received = 0;
const providerPort = await freePort();
const provider = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const stamp = /t=(\d+)/.exec(form.get('Body') ?? '');
    if (stamp) latencies.push(Date.now() - Number(stamp[1]));
    received += 1;
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ sid: `SM${String(received).padStart(32, '0')}`, status: 'queued' }),
    );
  });
});
await new Promise<void>((resolve) => provider.listen(providerPort, '127.0.0.1', resolve));

const gateway = await startGateway({
  TWILIO_API_BASE: `http://127.0.0.1:${providerPort}`,
  THREADLINE_API_RATE_LIMIT: '1000000',
});
let sequence = 0;
const run = (rate?: number) =>
  autocannon({
    url: gateway.base,
    connections: rate ? 20 : 50,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        method: 'POST',
        path: '/v1/messages',
        setupRequest: (request) => {
          sequence += 1;
          const body = JSON.stringify({
            to: {
              channel: 'sms',
              address: `+1415555${String(1000 + (sequence % 5000)).padStart(4, '0')}`,
            },
            content: { type: 'text', text: `t=${Date.now()} your order ${sequence} has shipped` },
          });
          return {
            ...request,
            body,
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

await run(500);
const throughput = await run();
// let the queue drain completely, so the fixed-rate run starts from an empty queue
const accepted = sequence;
const drainDeadline = Date.now() + 120_000;
while (received < accepted && Date.now() < drainDeadline)
  await new Promise((resolve) => setTimeout(resolve, 200));

latencies.length = 0;
const fixed = await run(1000);
await new Promise((resolve) => setTimeout(resolve, 2_000));
const sorted = [...latencies].sort((a, b) => a - b);
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

console.log(
  `\nprovider call (connector.send) mean: ${((sum / count) * 1000).toFixed(2)} ms over ${count} sends`,
);
console.log(
  `\nOutbound (${seconds} s per run, SMS through a fake Twilio API, account ${twilioAccount.slice(0, 6)}…)\n`,
);
console.log(
  table([
    {
      run: 'POST /v1/messages, 50 connections',
      'req/s': Math.round(throughput.requests.average),
      'p50 ms': throughput.latency.p50,
      'p99 ms': throughput.latency.p99,
      errors: throughput.non2xx + throughput.errors,
    },
    {
      run: 'POST /v1/messages at 1,000/s (API answer)',
      'req/s': Math.round(fixed.requests.average),
      'p50 ms': fixed.latency.p50,
      'p99 ms': fixed.latency.p99,
      errors: fixed.non2xx + fixed.errors,
    },
    {
      run: 'app → provider at 1,000/s',
      'req/s': '',
      'p50 ms': percentile(sorted, 50),
      'p99 ms': percentile(sorted, 99),
      errors: `${sorted.length} delivered`,
    },
  ]),
);
