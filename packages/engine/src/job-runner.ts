/**
 * The embedded queue's worker: runs due jobs from the store on a short timer, and at once
 * when woken (a message was just queued). Jobs are durable in the store, so a restart loses
 * no queued send; a job claimed by a crashed process runs again when its lease ends.
 */
export function createJobRunner(options: {
  runDueJobs: (limit: number) => Promise<number>;
  intervalMs?: number;
  batchSize?: number;
  onError?: (error: unknown) => void;
}) {
  const intervalMs = options.intervalMs ?? 100;
  const batchSize = options.batchSize ?? 64;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let wakeRequested = false;

  async function loop(): Promise<void> {
    do {
      wakeRequested = false;
      let ran = batchSize;
      while (!stopped && ran >= batchSize) {
        try {
          ran = await options.runDueJobs(batchSize);
        } catch (error) {
          options.onError?.(error);
          ran = 0;
        }
      }
    } while (wakeRequested && !stopped);
  }

  function tick(): void {
    if (stopped) return;
    if (running) {
      wakeRequested = true;
      return;
    }
    running = loop().finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    /** Run soon: something was queued. */
    wake() {
      if (stopped) return;
      if (timer) clearTimeout(timer);
      timer = undefined;
      queueMicrotask(tick);
    },
    /** Stop taking jobs; resolves when the current batch has finished. */
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
