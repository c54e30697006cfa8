import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints off the event loop: a worker thread with its own connection copies the WAL
 * back into the database file on a timer (PASSIVE: it never blocks the writer). The writer's
 * automatic checkpoint is switched off, so no commit pays for a checkpoint inline — which
 * showed as rare ~250 ms stalls in the ingest latency tail.
 */
const source = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const db = new Database(workerData.filename);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  try { db.close(); } catch {}
  parentPort.postMessage('stopped');
});
`;

export function startCheckpointWorker(filename: string, intervalMs = 1_000) {
  const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(source, {
    eval: true,
    workerData: { filename, modulePath, intervalMs },
  });
  worker.unref();
  return {
    async stop(): Promise<void> {
      const stopped = new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.once('exit', () => resolve());
      });
      worker.postMessage('stop');
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 2_000))]);
      await worker.terminate();
    },
  };
}
