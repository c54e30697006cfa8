import { createEventHub, type Store } from '@threadline/engine';
import { createSqliteStore } from '@threadline/store-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventReader } from './events.js';

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function commitStatusEvent(target: Store, detail: string) {
  return target.write((tx) =>
    tx.appendEvent(
      'connector.status_changed',
      { connectorId: 'sms', status: 'ready', detail },
      new Date().toISOString(),
      `event-${detail}`,
    ),
  );
}

describe('createEventReader', () => {
  it('never hands a stream a page that misses a commit announced before it asked', async () => {
    store = createSqliteStore({ filename: ':memory:' });
    const hub = createEventHub();
    const reader = createEventReader({ store, hub });

    const first = await commitStatusEvent(store, 'first');
    hub.publish([first]);
    const woken = await Promise.all([reader.list(0, 100), reader.list(0, 100)]);
    expect(woken.map((page) => page.map((event) => event.id))).toEqual([
      ['event-first'],
      ['event-first'],
    ]);

    const second = await commitStatusEvent(store, 'second');
    hub.publish([second]);
    const afterAnnouncement = await reader.list(0, 100);
    expect(afterAnnouncement.map((event) => event.id)).toEqual(['event-first', 'event-second']);
  });

  it('serializes each event once, as the JSON the stream sends', async () => {
    store = createSqliteStore({ filename: ':memory:' });
    const hub = createEventHub();
    const reader = createEventReader({ store, hub });
    hub.publish([await commitStatusEvent(store, 'only')]);
    const [event] = await reader.list(0, 10);
    const text = reader.json(event!);
    expect(JSON.parse(text)).toEqual(event);
    expect(reader.json(event!)).toBe(text);
  });
});
