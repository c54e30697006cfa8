import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Store, StoreTransaction } from '@threadline/engine';
import Database from 'better-sqlite3';
import { startCheckpointWorker } from './checkpoint-worker.js';
import { migrate } from './migrations.js';
import { Queries } from './sqlite-queries.js';
import { Transaction } from './sqlite-transaction.js';

export type Durability = 'normal' | 'fsync';

export interface SqliteStoreSettings {
  /** Database file; `:memory:` for a throwaway store. */
  filename: string;
  /**
   * `normal` (default): WAL without an fsync per commit — survives a killed process, may lose
   * the last commits on power loss. `fsync`: every commit reaches the disk before it resolves.
   */
  durability?: Durability;
  /** Run WAL checkpoints in a worker thread instead of inside commits (default true). */
  checkpointInWorker?: boolean;
  /** Most writes one group commit may carry. */
  maxBatch?: number;
}

interface PendingWrite {
  work: (transaction: StoreTransaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The embedded store: one SQLite file in WAL mode. Writes from concurrent requests are
 * batched into one transaction (group commit), and each caller is answered only after the
 * batch commits; a failing write fails alone. Reads use a second, read-only connection, so
 * they only ever see committed data.
 */
export function createSqliteStore(settings: SqliteStoreSettings): Store {
  const inMemory = settings.filename === ':memory:';
  if (!inMemory) mkdirSync(dirname(settings.filename), { recursive: true });
  const writer = new Database(settings.filename);
  writer.pragma('journal_mode = WAL');
  writer.pragma(`synchronous = ${settings.durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
  writer.pragma('foreign_keys = ON');
  writer.pragma('busy_timeout = 5000');
  // Checkpoints run in a worker thread, never inside a commit (see checkpoint-worker.ts).
  const checkpoints =
    inMemory || settings.checkpointInWorker === false
      ? undefined
      : startCheckpointWorker(settings.filename);
  if (checkpoints) writer.pragma('wal_autocheckpoint = 0');
  migrate(writer);
  // An embedded store belongs to one process: jobs a previous (crashed) process had leased
  // are free again at once, so queued sends resume right after a restart.
  writer.prepare('UPDATE jobs SET lease_until = NULL WHERE lease_until IS NOT NULL').run();
  const reader = inMemory ? writer : new Database(settings.filename, { readonly: true });
  if (!inMemory) reader.pragma('busy_timeout = 5000');
  const transaction = new Transaction(writer);
  const reads = new Queries(reader);
  const maxBatch = settings.maxBatch ?? 512;
  const queue: PendingWrite[] = [];
  let scheduled = false;
  let flushing = false;
  let closed = false;

  const begin = writer.prepare('BEGIN IMMEDIATE');
  const commit = writer.prepare('COMMIT');
  const rollback = writer.prepare('ROLLBACK');

  function schedule(): void {
    if (scheduled || flushing) return;
    scheduled = true;
    setImmediate(() => {
      void flush();
    });
  }

  /** Run writes in one transaction; the first failure rolls all of them back and is thrown. */
  async function commitTogether(items: PendingWrite[]): Promise<unknown[]> {
    begin.run();
    try {
      const values: unknown[] = [];
      for (const item of items) values.push(await item.work(transaction));
      commit.run();
      return values;
    } catch (error) {
      if (writer.inTransaction) rollback.run();
      throw error;
    }
  }

  /**
   * Group commit: every queued write shares one transaction. Failures are rare, so writes run
   * without savepoints; if one fails, the batch rolls back and each write runs again alone,
   * so only the failing one fails (work functions only touch the transaction: re-running is safe).
   */
  async function flush(): Promise<void> {
    scheduled = false;
    flushing = true;
    const batch = queue.splice(0, maxBatch);
    try {
      const values = await commitTogether(batch);
      for (const [index, item] of batch.entries()) item.resolve(values[index]);
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else {
        for (const item of batch) {
          try {
            const [value] = await commitTogether([item]);
            item.resolve(value);
          } catch (failure) {
            item.reject(failure);
          }
        }
      }
    }
    flushing = false;
    if (queue.length) schedule();
  }

  return {
    kind: 'sqlite',
    read: reads,
    write<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
      if (closed) return Promise.reject(new Error('the store is closed'));
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        schedule();
      });
    },
    async ping() {
      reader.prepare('SELECT 1').get();
    },
    async close() {
      while (queue.length || flushing || scheduled)
        await new Promise((resolve) => setImmediate(resolve));
      closed = true;
      if (!inMemory) {
        await checkpoints?.stop();
        writer.pragma('wal_checkpoint(TRUNCATE)');
        reader.close();
      }
      writer.close();
    },
  };
}
