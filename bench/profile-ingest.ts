/**
 * CPU profile of the gateway while it ingests Telegram webhooks (with `--webhooks`, also
 * delivering them to a webhook subscription; with `--outbound`, sending SMS at 1,000/s
 * through a fake provider instead):
 * `npx tsx --conditions=@threadline/source bench/profile-ingest.ts [--outbound | --webhooks] [--postgres]` prints the
 * functions with the most self time and writes the .cpuprofile files (open them in Chrome
 * DevTools) to bench/profiles/. `--postgres` runs the gateway on PostgreSQL and Redis (a
 * throwaway database and key prefix, as bench/postgres-ingest.ts does).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { deletePrefix, testRedisUrl, uniquePrefix } from '@threadline/queue-redis/test';
import { createTestDatabase } from '@threadline/store-postgres/test';
import autocannon from 'autocannon';
import {
  apiKey,
  freePort,
  root,
  startGateway,
  stopChild,
  telegramSecret,
  telegramUpdate,
} from './bench-support.js';
import { fixedRateLoad } from './fixed-rate-load.js';

const outbound = process.argv.includes('--outbound');
const webhooks = process.argv.includes('--webhooks');
const directory = join(root, 'bench/profiles');
mkdirSync(directory, { recursive: true });
const before = new Set(readdirSync(directory));

const provider = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ sid: `SM${randomUUID().replace(/-/g, '')}`, status: 'queued' }));
  });
});
const providerPort = await freePort();
await new Promise<void>((resolve) => provider.listen(providerPort, '127.0.0.1', resolve));
const postgres = process.argv.includes('--postgres');
const database = postgres ? await createTestDatabase() : undefined;
const prefix = uniquePrefix('profile');
const gateway = await startGateway(
  {
    TWILIO_API_BASE: `http://127.0.0.1:${providerPort}`,
    THREADLINE_API_RATE_LIMIT: '1000000',
    ...(database
      ? { DATABASE_URL: database.url, REDIS_URL: testRedisUrl, THREADLINE_REDIS_PREFIX: prefix }
      : {}),
    THREADLINE_ALLOW_PRIVATE_WEBHOOKS: '1',
  },
  ['--cpu-prof', `--cpu-prof-dir=${directory}`],
);
if (webhooks) {
  // the fake provider answers every request 2xx: it is the subscription's endpoint too
  const subscribed = await fetch(`${gateway.base}/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      url: `http://127.0.0.1:${providerPort}/hooks`,
      eventTypes: ['message.received'],
    }),
  });
  if (subscribed.status !== 201) throw new Error(`subscribe: ${await subscribed.text()}`);
}

let sequence = Date.now() % 1_000_000_000;
const request: autocannon.Request = {
  method: 'POST',
  path: '/webhooks/telegram/telegram',
  setupRequest: (base) => {
    sequence += 1;
    return {
      ...base,
      body: telegramUpdate(sequence),
      headers: {
        ...base.headers,
        'content-type': 'application/json',
        'x-telegram-bot-api-secret-token': telegramSecret,
      },
    };
  },
};
const duration = Number(process.env.SECONDS ?? 8);
if (outbound) {
  // a true 1,000/s (open loop); autocannon's overallRate sends bursts once a second
  await fixedRateLoad({
    url: gateway.base,
    rate: 1000,
    seconds: duration,
    build: () => {
      sequence += 1;
      return {
        path: '/v1/messages',
        body: JSON.stringify({
          to: {
            channel: 'sms',
            address: `+1415555${String(1000 + (sequence % 5000)).padStart(4, '0')}`,
          },
          content: { type: 'text', text: `order ${sequence} has shipped` },
        }),
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      };
    },
  });
} else {
  await autocannon({ url: gateway.base, connections: 50, duration, requests: [request] });
}
await new Promise((resolve) => setTimeout(resolve, 2_000));
await stopChild(gateway.child);
provider.close();
if (database) {
  await database.drop();
  await deletePrefix(prefix);
}
await new Promise((resolve) => setTimeout(resolve, 500));

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
// The main thread's profile is the larger one (the module loader thread writes its own).
const files = readdirSync(directory).filter(
  (name) => !before.has(name) && name.endsWith('.cpuprofile'),
);
const profiles = files.map((file) => ({
  file,
  profile: JSON.parse(readFileSync(join(directory, file), 'utf8')) as { nodes: ProfileNode[] },
}));
const main = profiles.sort((a, b) => b.profile.nodes.length - a.profile.nodes.length)[0];
if (!main) throw new Error('no profile written');
const self = new Map<string, number>();
let total = 0;
for (const node of main.profile.nodes) {
  const hits = node.hitCount ?? 0;
  total += hits;
  const where = node.callFrame.url.replace(/^.*\/(node_modules|packages|apps)\//, '$1/');
  const key = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + hits);
}
const byPackage = new Map<string, number>();
for (const [key, hits] of self) {
  const match = /(node_modules\/(@[^/]+\/[^/]+|[^/]+)|packages\/[^/]+|apps\/[^/]+)/.exec(key);
  const name = match?.[1] ?? (key.includes('node:') ? 'node internals' : key.split(' ')[0]!);
  byPackage.set(name, (byPackage.get(name) ?? 0) + hits);
}
const top = (entries: Map<string, number>, count: number) =>
  [...entries]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, hits]) => `${((hits / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
console.log(
  `${outbound ? 'outbound' : webhooks ? 'ingest + webhook deliveries' : 'ingest'} profile: bench/profiles/${main.file}\n\nself time by package:\n${top(byPackage, 15).join('\n')}\n\ntop functions:\n${top(self, 25).join('\n')}`,
);
