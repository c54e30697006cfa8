import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '@threadline/engine';
import {
  outboxQueueHarness,
  testAnalytics,
  testEngine,
  testJobQueue,
  testNotificationStore,
  testNotifications,
  testStore,
  testSwitchboard,
} from '@threadline/engine/test';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from './migrations.js';
import { createSqliteStore } from './sqlite-store.js';

const directory = mkdtempSync(join(tmpdir(), 'threadline-sqlite-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let counter = 0;
const files = new WeakMap<Store, string>();

function open(): Store {
  counter += 1;
  const filename = join(directory, `store-${counter}.db`);
  const store = createSqliteStore({ filename });
  files.set(store, filename);
  return store;
}

testStore('SQLite', {
  open,
  async reopen(store) {
    const filename = files.get(store)!;
    await store.close();
    return createSqliteStore({ filename });
  },
});

testEngine('SQLite', open);
testSwitchboard('SQLite', open);
testAnalytics('SQLite', open);
testNotifications('SQLite', open);
testNotificationStore('SQLite', open);

testJobQueue('SQLite outbox (embedded)', async () => outboxQueueHarness(open()));

describe('migration: webhook delivery progress', () => {
  it('moves a subscription’s cursor into its progress and gives it the default settings', async () => {
    const filename = join(directory, 'before-progress.db');
    const db = new Database(filename);
    for (const [version, sql] of migrations.slice(0, 2).entries()) {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    }
    db.prepare('INSERT INTO webhooks (id, data) VALUES (?, ?)').run(
      'wh-old',
      JSON.stringify({
        id: 'wh-old',
        url: 'https://app.example/hooks',
        eventTypes: [],
        secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0',
        cursor: 41,
        attempts: 3,
        nextAttemptAt: '2026-05-01T10:00:00.000Z',
        firstFailureAt: '2026-05-01T09:00:00.000Z',
        lastError: 'HTTP 500',
        createdAt: '2026-05-01T08:00:00.000Z',
        enabled: true,
      }),
    );
    db.close();
    const store = createSqliteStore({ filename });
    try {
      expect(await store.read.getWebhook('wh-old')).toEqual({
        id: 'wh-old',
        url: 'https://app.example/hooks',
        eventTypes: [],
        secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0',
        createdAt: '2026-05-01T08:00:00.000Z',
        enabled: true,
        maxInFlight: 32,
        batch: null,
        replay: null,
        progress: { cursor: 41, readTo: 41, pending: [], failures: [], replayId: null },
      });
    } finally {
      await store.close();
    }
  });
});
