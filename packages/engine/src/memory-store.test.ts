import { createStoreJobQueue } from './job-queue.js';
import { createMemoryStore } from './memory-store.js';
import type { Store } from './ports.js';
import { testEngine, testJobQueue, testStore } from './test/index.js';

const memoryStores = new WeakMap<Store, ReturnType<typeof createMemoryStore>>();

function open(): Store {
  const store = createMemoryStore();
  memoryStores.set(store, store);
  return store;
}

testStore('in memory', {
  open,
  async reopen(store) {
    await store.close();
    return createMemoryStore(memoryStores.get(store)!.data);
  },
});

testEngine('in memory', open);

testJobQueue('in-memory outbox', async () => {
  const store = createMemoryStore();
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
