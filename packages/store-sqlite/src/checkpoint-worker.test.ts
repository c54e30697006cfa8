import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.js';

describe('WAL checkpoints in a worker thread', () => {
  it('copies committed pages into the database file without a checkpoint in any commit', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'threadline-checkpoint-'));
    const filename = join(directory, 'threadline.db');
    const store = createSqliteStore({ filename });
    try {
      const before = statSync(filename).size;
      await Promise.all(
        Array.from({ length: 300 }, (_, index) =>
          store.write((tx) =>
            tx.appendEvent(
              'connector.status_changed',
              { connectorId: `c${index}`, status: 'ready', detail: 'x'.repeat(500) },
              '2026-01-01T00:00:00.000Z',
              `evt-${index}`,
            ),
          ),
        ),
      );
      expect(statSync(filename).size).toBe(before);
      const deadline = Date.now() + 10_000;
      while (statSync(filename).size === before && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(statSync(filename).size).toBeGreaterThan(before);
      expect((await store.read.listEvents(0, 1000)).length).toBe(300);
    } finally {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
