/**
 * CPU profile of the gateway while it ingests Telegram webhooks:
 * `npx tsx --conditions=@threadline/source bench/profile-ingest.ts` prints the functions with the
 * most self time and writes the .cpuprofile (open it in Chrome DevTools) to bench/profiles/.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { root, startGateway, stopChild, telegramSecret, telegramUpdate } from './bench-support.js';

const directory = join(root, 'bench/profiles');
mkdirSync(directory, { recursive: true });
const before = new Set(readdirSync(directory));
const gateway = await startGateway({}, ['--cpu-prof', `--cpu-prof-dir=${directory}`]);
let sequence = Date.now() % 1_000_000_000;
await autocannon({
  url: gateway.base,
  connections: 50,
  duration: Number(process.env.SECONDS ?? 8),
  requests: [
    {
      method: 'POST',
      path: '/webhooks/telegram/telegram',
      setupRequest: (request) => {
        sequence += 1;
        return {
          ...request,
          body: telegramUpdate(sequence),
          headers: {
            ...request.headers,
            'content-type': 'application/json',
            'x-telegram-bot-api-secret-token': telegramSecret,
          },
        };
      },
    },
  ],
});
await stopChild(gateway.child);
await new Promise((resolve) => setTimeout(resolve, 500));
const file = readdirSync(directory).find(
  (name) => !before.has(name) && name.endsWith('.cpuprofile'),
);
if (!file) throw new Error('no profile written');
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
const profile = JSON.parse(readFileSync(join(directory, file), 'utf8')) as { nodes: Node[] };
const self = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
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
  `profile: bench/profiles/${file}\n\nself time by package:\n${top(byPackage, 15).join('\n')}\n\ntop functions:\n${top(self, 25).join('\n')}`,
);
