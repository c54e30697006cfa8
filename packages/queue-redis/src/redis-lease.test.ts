import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisLease } from './redis-lease.js';
import { deletePrefix, redisUnavailable, testRedisUrl, uniquePrefix } from './test/index.js';

const unavailable = await redisUnavailable();

describe.skipIf(unavailable !== undefined)('single-instance lease', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  function lease(prefix: string, owner: string, connection: string | Redis = testRedisUrl) {
    const changes: boolean[] = [];
    let waiting: { held: boolean; resolve: () => void } | undefined;
    const created = createRedisLease({
      connection,
      prefix,
      name: 'listeners',
      owner,
      ttlMs: 600,
      onChange: (held) => {
        changes.push(held);
        if (waiting?.held === held) waiting.resolve();
      },
    });
    cleanup.push(() => created.stop());
    return {
      lease: created,
      changes,
      /** Resolves when this instance gains (true) or loses (false) the lease. */
      becomes: (held: boolean) =>
        created.held === held
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              waiting = { held, resolve };
            }),
    };
  }

  it('is held by exactly one instance, and handed over when the holder stops', async () => {
    const prefix = uniquePrefix('lease');
    cleanup.push(() => deletePrefix(prefix));
    const a = lease(prefix, 'gateway-a');
    const b = lease(prefix, 'gateway-b');
    await Promise.all([a.lease.start(), b.lease.start()]);
    const holders = [a, b].filter((candidate) => candidate.lease.held);
    expect(holders).toHaveLength(1);
    const [holder, other] = holders[0] === a ? [a, b] : [b, a];
    expect(await holder.lease.holder()).toBe(holder.lease.owner);
    await holder.lease.stop();
    await other.becomes(true);
    expect(await other.lease.holder()).toBe(other.lease.owner);
    expect(holder.changes).toEqual([true, false]);
  });

  it('passes to another instance when the holder dies without giving it up', async () => {
    const prefix = uniquePrefix('lease');
    cleanup.push(() => deletePrefix(prefix));
    const doomedConnection = new Redis(testRedisUrl, { maxRetriesPerRequest: 0 });
    doomedConnection.on('error', () => {});
    const a = lease(prefix, 'gateway-a', doomedConnection);
    await a.lease.start();
    expect(a.lease.held).toBe(true);
    const b = lease(prefix, 'gateway-b');
    await b.lease.start();
    expect(b.lease.held).toBe(false);
    // gateway-a's process is gone: no renewal, no release
    doomedConnection.disconnect();
    await Promise.all([b.becomes(true), a.becomes(false)]);
    expect(await b.lease.holder()).toBe('gateway-b');
  });
});
