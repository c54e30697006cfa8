import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStoreJobQueue, type Store } from '@threadline/engine';
import { testEngine, testJobQueue, testStore, testSwitchboard } from '@threadline/engine/test';
import { afterAll } from 'vitest';
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

testJobQueue('SQLite outbox (embedded)', async () => {
  const store = open();
  return {
    queue: createStoreJobQueue(store),
    add: (jobs) =>
      store.write(async (tx) => {
        for (const job of jobs) {
          if ((await tx.listJobs()).some((existing) => existing.id === job.id)) continue;
          await tx.insertJob(job);
        }
      }),
    close: () => store.close(),
  };
});
