import { afterEach, describe, expect, it } from 'vitest';
import { createRedisBroadcast } from './redis-broadcast.js';
import { createRedisEventSignal } from './redis-event-signal.js';
import { redisUnavailable, testRedisUrl, uniquePrefix } from './test/index.js';

const unavailable = await redisUnavailable();

describe.skipIf(unavailable !== undefined)('cross-instance event signal', () => {
  const signals: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const signal of signals.splice(0)) await signal.close();
  });

  it('wakes a consumer on instance B when instance A commits, and only within one deployment', async () => {
    const prefix = uniquePrefix('signal');
    const a = createRedisEventSignal({ url: testRedisUrl, prefix });
    const b = createRedisEventSignal({ url: testRedisUrl, prefix });
    const elsewhere = createRedisEventSignal({ url: testRedisUrl, prefix: uniquePrefix('other') });
    signals.push(a, b, elsewhere);
    await Promise.all([a.ready, b.ready, elsewhere.ready]);
    const heardElsewhere: number[] = [];
    elsewhere.subscribe((cursor) => heardElsewhere.push(cursor));
    const heard = new Promise<number[]>((resolve) => {
      const cursors: number[] = [];
      b.subscribe((cursor) => {
        cursors.push(cursor);
        if (cursors.length === 2) resolve(cursors);
      });
    });
    await a.publish(41);
    await a.publish(42);
    expect(await heard).toEqual([41, 42]);
    expect(heardElsewhere).toEqual([]);
  });

  it('stops calling a listener once it unsubscribes', async () => {
    const prefix = uniquePrefix('signal');
    const a = createRedisEventSignal({ url: testRedisUrl, prefix });
    signals.push(a);
    await a.ready;
    const early: number[] = [];
    const unsubscribe = a.subscribe((cursor) => early.push(cursor));
    const late = new Promise<number>((resolve) => a.subscribe(resolve));
    unsubscribe();
    await a.publish(7);
    expect(await late).toBe(7);
    expect(early).toEqual([]);
  });

  it('broadcasts a payload to every instance of the deployment', async () => {
    const prefix = uniquePrefix('broadcast');
    const a = createRedisBroadcast({ url: testRedisUrl, prefix, name: 'webchat' });
    const b = createRedisBroadcast({ url: testRedisUrl, prefix, name: 'webchat' });
    const otherName = createRedisBroadcast({ url: testRedisUrl, prefix, name: 'other' });
    signals.push(a, b, otherName);
    await Promise.all([a.ready, b.ready, otherName.ready]);
    const elsewhere: string[] = [];
    otherName.subscribe((payload) => elsewhere.push(payload));
    const heard = Promise.all(
      [a, b].map((instance) => new Promise<string>((resolve) => instance.subscribe(resolve))),
    );
    await a.publish('{"visitor":"v1"}');
    expect(await heard).toEqual(['{"visitor":"v1"}', '{"visitor":"v1"}']);
    expect(elsewhere).toEqual([]);
  });
});
