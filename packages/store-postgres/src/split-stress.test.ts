import { describeSplitStress, runSplitStress, type SplitStressKind } from '@threadline/engine/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from './test/index.js';

const unavailable = await postgresUnavailable();

describe.skipIf(unavailable !== undefined)('split hunt on PostgreSQL (two instances)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function hunt(kinds: SplitStressKind[], seed: number) {
    const schema = database.schemaName();
    const stores: [PostgresStore, PostgresStore] = [
      createPostgresStore({ connectionString: database.url, schema, poolSize: 6 }),
      createPostgresStore({ connectionString: database.url, schema, poolSize: 6 }),
    ];
    try {
      await Promise.all(stores.map((store) => store.ready));
      const report = await runSplitStress({ stores, customers: 16, turns: 5, seed, kinds });
      const findings = describeSplitStress(report);
      expect(report.inbound, findings).toBeGreaterThan(16 * 5);
      expect(report.failedIngests, findings).toEqual([]);
      expect(report.twoOpen, findings).toEqual([]);
      expect(report.contactSplits, findings).toEqual([]);
      expect(report.conversationSplits, findings).toEqual([]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  }

  it('keeps one contact and one conversation per customer racing on two instances', async () => {
    await hunt(['racing', 'mixed'], 20);
  });

  // Known split, fixed in the engine's continuity (a merge leaves a resolved conversation
  // inside the window beside the open one). When that fix is in, this fails: make it `it`.
  it('keeps one conversation when the link comes after a resolve', async () => {
    await hunt(['link-after-resolve', 'racing', 'mixed'], 21);
  });
});
