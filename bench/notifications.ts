/**
 * Notifications: a batch through `POST /v1/notifications/batch` against plain
 * `POST /v1/messages`, to the (fake) provider, in one run:
 * `npx tsx --conditions=@threadline/source bench/notifications.ts [--count 10000]`.
 *
 * The fake Twilio Messages API runs in this process and counts arrivals. Each phase sends
 * `--count` messages to distinct numbers and is timed from the first request until the
 * provider has them all: plain messages 50 requests at a time, notifications in batches of
 * 1,000 (two requests in flight). Prints a table with notifications/s, messages/s and the ratio.
 */
import { createServer } from 'node:http';
import { apiKey, freePort, option, startGateway, stopChild, table } from './bench-support.js';

const count = option('--count', 10_000);
let received = 0;
const providerPort = await freePort();
const provider = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    received += 1;
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ sid: `SM${String(received).padStart(32, '0')}`, status: 'queued' }),
    );
  });
});
await new Promise<void>((resolve) => provider.listen(providerPort, '127.0.0.1', resolve));
// the API's per-key rate limit would answer 429 to the plain sends: this measures throughput
const gateway = await startGateway({
  TWILIO_API_BASE: `http://127.0.0.1:${providerPort}`,
  THREADLINE_API_RATE_LIMIT: '1000000',
});
const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
const address = (phase: number, index: number) =>
  `+14155${phase}5${String(index).padStart(4, '0')}`;

/** Resolves when the provider has `target` messages in all (no deadline: the run is bounded by hand). */
async function providerHas(target: number): Promise<void> {
  let last = Date.now();
  while (received < target) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (Date.now() - last > 5_000) {
      console.error(`waiting: the provider has ${received} of ${target}`);
      last = Date.now();
    }
  }
}

/** Runs `work(0..total-1)` with `concurrency` in flight; counts non-2xx answers. */
async function pool(
  total: number,
  concurrency: number,
  work: (index: number) => Promise<Response>,
) {
  let next = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const response = await work(next++);
        if (!response.ok) {
          errors += 1;
          console.error(`${response.status}: ${(await response.clone().text()).slice(0, 300)}`);
        }
        await response.arrayBuffer();
      }
    }),
  );
  return errors;
}

async function phase(name: string, run: () => Promise<number>) {
  const before = received;
  const started = performance.now();
  const errors = await run();
  const answeredMs = performance.now() - started;
  // what was refused never reaches the provider
  await providerHas(before + count - errors);
  const deliveredMs = performance.now() - started;
  return { name, answeredMs, deliveredMs, errors, perSecond: count / (deliveredMs / 1000) };
}

const messages = await phase('POST /v1/messages', () =>
  pool(count, 50, (index) =>
    fetch(`${gateway.base}/v1/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        to: { channel: 'sms', address: address(1, index) },
        content: { type: 'text', text: `your order ${index} has shipped` },
      }),
    }),
  ),
);
const batchSize = Math.min(1000, count);
const notifications = await phase('POST /v1/notifications/batch', async () => {
  const batches = Math.ceil(count / batchSize);
  let failed = 0;
  const errors = await pool(batches, 2, async (batch) => {
    const response = await fetch(`${gateway.base}/v1/notifications/batch`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        notifications: Array.from(
          { length: Math.min(batchSize, count - batch * batchSize) },
          (_, offset) => ({
            to: { channel: 'sms', address: address(2, batch * batchSize + offset) },
            category: 'orders',
            content: { type: 'text', text: `your order ${batch * batchSize + offset} is ready` },
          }),
        ),
      }),
    });
    const body = (await response.clone().json()) as { results?: { status?: string }[] };
    const refused = (body.results ?? []).filter((result) => result.status !== 'queued');
    if (refused.length) console.error('not queued:', JSON.stringify(refused[0]));
    failed += refused.length;
    return response;
  });
  return errors + failed;
});
await stopChild(gateway.child);
provider.close();

const row = (run: typeof messages) => ({
  run: run.name,
  messages: count,
  'API answered s': (run.answeredMs / 1000).toFixed(2),
  'at provider s': (run.deliveredMs / 1000).toFixed(2),
  'per second': Math.round(run.perSecond),
  errors: run.errors,
});
console.log(`\nNotifications vs plain messages (${count} each, SMS through a fake Twilio API)\n`);
console.log(table([row(messages), row(notifications)]));
console.log(
  `\nratio notifications/s ÷ messages/s: ${(notifications.perSecond / messages.perSecond).toFixed(2)}`,
);
