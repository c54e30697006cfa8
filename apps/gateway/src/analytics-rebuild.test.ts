import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MockConnector } from '@threadline/connector-kit';
import { createEngine, createManualClock } from '@threadline/engine';
import { createSqliteStore } from '@threadline/store-sqlite';
import { afterEach, expect, it } from 'vitest';

const gatewayDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0))
    rmSync(directory, { recursive: true, force: true });
});

it('`analytics:rebuild` folds the event log of the configured store again', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'threadline-rebuild-'));
  directories.push(directory);
  const filename = join(directory, 'threadline.db');
  const clock = createManualClock('2026-06-01T12:00:00.000Z');
  const sms = new MockConnector({ channel: 'sms' });
  let store = createSqliteStore({ filename });
  const engine = createEngine({ store, clock, connectors: new Map([[sms.id, sms]]) });
  const parsed = await sms.parse(
    sms.request({
      kind: 'message',
      id: 'in-1',
      from: '+14155550199',
      content: { type: 'text', text: 'hi' },
    }),
  );
  await engine.ingest(sms.id, parsed.events);
  const range = { from: '2026-06-01T00:00:00.000Z', to: '2026-06-02T00:00:00.000Z' };
  const kept = await engine.analytics.summary(range);
  expect(kept.conversations.opened).toBe(1);
  await store.write((tx) => tx.clearAnalytics());
  await store.close();

  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@threadline/source', '--import', 'tsx', 'src/analytics-rebuild.ts'],
    {
      cwd: gatewayDirectory,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, THREADLINE_DATA_DIR: directory },
    },
  );
  expect(stdout).toMatch(/analytics rebuilt from \d+ events \(1 conversations\)/);
  store = createSqliteStore({ filename });
  expect(
    await createEngine({ store, clock, connectors: new Map() }).analytics.summary(range),
  ).toEqual(kept);
  await store.close();
});
