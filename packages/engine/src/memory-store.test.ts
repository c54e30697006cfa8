import { createMemoryStore } from './memory-store.js';
import type { Store } from './ports.js';
import {
  outboxQueueHarness,
  testAnalytics,
  testEngine,
  testJobQueue,
  testNotificationStore,
  testNotifications,
  testStore,
  testSwitchboard,
} from './test/index.js';

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
testSwitchboard('in memory', open);
testAnalytics('in memory', open);
testNotifications('in memory', open);
testNotificationStore('in memory', open);

testJobQueue('in-memory outbox', async () => outboxQueueHarness(createMemoryStore()));
