import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSplitStress, runSplitStress, type SplitStressKind } from '@threadline/engine/test';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.js';

describe('split hunt on SQLite (two engines, one store)', () => {
  const directories: string[] = [];
  afterEach(() => {
    for (const directory of directories.splice(0))
      rmSync(directory, { recursive: true, force: true });
  });

  async function hunt(kinds: SplitStressKind[], seed: number) {
    const directory = mkdtempSync(join(tmpdir(), 'threadline-split-'));
    directories.push(directory);
    const store = createSqliteStore({ filename: join(directory, 'threadline.db') });
    try {
      const report = await runSplitStress({
        stores: [store, store],
        customers: 16,
        turns: 5,
        seed,
        kinds,
      });
      const findings = describeSplitStress(report);
      expect(report.inbound, findings).toBeGreaterThan(16 * 5);
      expect(report.failedIngests, findings).toEqual([]);
      expect(report.twoOpen, findings).toEqual([]);
      expect(report.contactSplits, findings).toEqual([]);
      expect(report.conversationSplits, findings).toEqual([]);
    } finally {
      await store.close();
    }
  }

  it('keeps one contact and one conversation per customer racing on two engines', async () => {
    await hunt(['racing', 'mixed'], 20);
  });

  // Known split, fixed in the engine's continuity (a merge leaves a resolved conversation
  // inside the window beside the open one). When that fix is in, this fails: make it `it`.
  it('keeps one conversation when the link comes after a resolve', async () => {
    await hunt(['link-after-resolve', 'racing', 'mixed'], 21);
  });
});
