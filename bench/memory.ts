/**
 * Memory with many stored conversations and many open streams:
 * `npx tsx --conditions=@threadline/source bench/memory.ts [--conversations 100000] [--streams 1000]`.
 *
 * Seeds the conversations through the engine into a fresh data directory (one inbound SMS
 * each, so each is a contact, a conversation, a message and two events), starts the gateway
 * on it, opens the SSE streams, and reads the gateway's resident memory (VmRSS) at each step.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockConnector } from '@threadline/connector-kit';
import { createEngine } from '@threadline/engine';
import { createSqliteStore } from '@threadline/store-sqlite';
import { apiKey, option, startGateway, stopChild, table } from './bench-support.js';

const conversations = option('--conversations', 100_000);
const streams = option('--streams', 1_000);
const rss = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

// seed through the engine, with the same connector id the gateway will mount ("sms")
const gatewayForDirectory = await startGateway();
const dataDirectory = gatewayForDirectory.dataDirectory;
await stopChild(gatewayForDirectory.child);
const store = createSqliteStore({ filename: join(dataDirectory, 'threadline.db') });
const sms = new MockConnector({ channel: 'sms', id: 'sms' });
const engine = createEngine({ store, connectors: new Map([['sms', sms]]) });
const started = Date.now();
const batch = 500;
for (let offset = 0; offset < conversations; offset += batch) {
  await Promise.all(
    Array.from({ length: Math.min(batch, conversations - offset) }, (_, index) => {
      const number = offset + index;
      return engine.ingest('sms', [
        {
          type: 'message',
          message: {
            externalId: `SMseed${number}`,
            from: {
              channel: 'sms',
              address: `+1415${String(2_000_000 + number).padStart(7, '0')}`,
            },
            content: { type: 'text', text: `seed message ${number}` },
          },
        },
      ]);
    }),
  );
}
await store.close();
const seedSeconds = (Date.now() - started) / 1000;

const gateway = await startGateway({ THREADLINE_DATA_DIR: dataDirectory });
const rows: Array<Record<string, string | number>> = [];
rows.push({
  step: `started on ${conversations.toLocaleString('en')} stored conversations`,
  'RSS MB': rss(gateway.child.pid!).toFixed(0),
});
const page = await fetch(`${gateway.base}/v1/conversations?limit=200`, {
  headers: { authorization: `Bearer ${apiKey}` },
});
if (!page.ok) throw new Error(`listing conversations failed: ${page.status}`);
rows.push({ step: 'after listing conversations', 'RSS MB': rss(gateway.child.pid!).toFixed(0) });

const controllers: AbortController[] = [];
const readers: Array<Promise<void>> = [];
for (let index = 0; index < streams; index++) {
  const controller = new AbortController();
  controllers.push(controller);
  const response = await fetch(`${gateway.base}/v1/events`, {
    headers: { authorization: `Bearer ${apiKey}` },
    signal: controller.signal,
  });
  const reader = response.body!.getReader();
  readers.push(
    (async () => {
      for (;;) if ((await reader.read()).done) break;
    })().catch(() => {}),
  );
}
await new Promise((resolve) => setTimeout(resolve, 2_000));
rows.push({
  step: `with ${streams.toLocaleString('en')} open SSE streams`,
  'RSS MB': rss(gateway.child.pid!).toFixed(0),
});
for (const controller of controllers) controller.abort();
await Promise.all(readers);
await stopChild(gateway.child);

console.log(
  `\nMemory (seeded ${conversations.toLocaleString('en')} conversations in ${seedSeconds.toFixed(1)} s)\n`,
);
console.log(table(rows));
