import { MockConnector } from '@threadline/connector-kit';
import {
  createEngine,
  createIdGenerator,
  createManualClock,
  createStoreJobQueue,
  type Store,
  StoreConstraintError,
} from '@threadline/engine';
import {
  testAnalytics,
  testConversation,
  testEngine,
  testJobQueue,
  testNotificationStore,
  testNotifications,
  testStore,
  testSwitchboard,
} from '@threadline/engine/test';
import type { ThreadlineEvent } from '@threadline/schema';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrations } from './migrations.js';
import { createPostgresStore, type PostgresStore } from './postgres-store.js';
import { createTestDatabase, postgresUnavailable, type TestDatabase } from './test/index.js';

const unavailable = await postgresUnavailable();

describe.skipIf(unavailable !== undefined)('PostgreSQL store', () => {
  let database: TestDatabase;
  const schemas = new WeakMap<Store, string>();
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** One instance's store: its own pool on `schema` (a fresh schema when none is given). */
  function open(schema = database.schemaName(), poolSize = 4): PostgresStore {
    const store = createPostgresStore({ connectionString: database.url, schema, poolSize });
    schemas.set(store, schema);
    return store;
  }

  testStore('PostgreSQL', {
    open: () => open(),
    async reopen(store) {
      await store.close();
      return open(schemas.get(store));
    },
  });

  testEngine('PostgreSQL', () => open());
  testSwitchboard('PostgreSQL', () => open());
  testAnalytics('PostgreSQL', () => open());
  testNotifications('PostgreSQL', () => open());
  testNotificationStore('PostgreSQL', () => open());

  testJobQueue('PostgreSQL outbox (shared by instances)', async () => {
    const schema = database.schemaName();
    const writer = open(schema);
    // a second instance claims from the same outbox
    const other = open(schema);
    const queue = createStoreJobQueue(writer);
    const otherQueue = createStoreJobQueue(other);
    let turn = 0;
    return {
      queue: {
        ...queue,
        // claims alternate between the two instances: a lease holds across them
        claim: (now, leaseMs, limit) =>
          (turn++ % 2 === 0 ? queue : otherQueue).claim(now, leaseMs, limit),
      },
      add: (jobs) =>
        writer.write(async (tx) => {
          for (const job of jobs) {
            if ((await tx.listJobs()).some((existing) => existing.id === job.id)) continue;
            await tx.insertJob(job);
          }
        }),
      close: async () => {
        await writer.close();
        await other.close();
      },
    };
  });

  it('fails a write that breaks one_open_conversation with a typed error, without eight retries', async () => {
    let retries = 0;
    const store = createPostgresStore({
      connectionString: database.url,
      schema: database.schemaName(),
      onRetry: () => {
        retries += 1;
      },
    });
    try {
      const now = '2026-05-01T10:00:00.000Z';
      const conversation = (id: string) =>
        testConversation(now, {
          id,
          lastInboundChannel: null,
          lastInboundConnectorId: null,
          lastInboundAt: null,
        });
      const failure = await store
        .write(async (tx) => {
          await tx.insertConversation(conversation('c1'));
          await tx.insertConversation(conversation('c2'));
        })
        .catch((error: unknown) => error);
      expect(StoreConstraintError.isStoreConstraintError(failure)).toBe(true);
      expect(failure).toMatchObject({
        code: 'conflict',
        constraint: 'one_open_conversation',
        details: { constraint: 'one_open_conversation', retryable: false },
      });
      expect(retries).toBe(2);
      expect(await store.read.listConversations({ limit: 10 })).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('reads the latest conversation with the identity when asked to, without a round trip of its own, until the work writes', async () => {
    const store = open();
    const at = '2026-05-01T10:00:00.000Z';
    const contact = {
      id: 'contact-latest',
      name: null,
      channelPreference: [],
      optedOut: [],
      mergedIntoId: null,
      createdAt: at,
      updatedAt: at,
    };
    const conversation = (id: string, lastMessageAt: string, inboxId = 'default') =>
      testConversation(lastMessageAt, { id, contactId: contact.id, inboxId });
    const address = { channel: 'sms' as const, address: '+14155557300' };
    await store.write(async (tx) => {
      await tx.insertContact(contact);
      await tx.insertIdentity(contact.id, {
        ...address,
        verified: true,
        source: 'inbound',
        createdAt: at,
      });
      await tx.insertConversation(conversation('conversation-older', '2026-05-01T10:00:00.000Z'));
      await tx.insertConversation({
        ...conversation('conversation-latest', '2026-05-01T11:00:00.000Z'),
        status: 'resolved',
      });
      await tx.insertConversation(
        conversation('conversation-elsewhere', '2026-05-01T12:00:00.000Z', 'sales'),
      );
    });
    const roundTrips = async <T>(work: Parameters<PostgresStore['write']>[0]) => {
      const before = store.stats.roundTrips;
      const value = (await store.write(work)) as T;
      return { value, roundTrips: store.stats.roundTrips - before };
    };
    const alone = await roundTrips(async (tx) => {
      const found = await tx.findIdentity(address);
      return (await tx.findLatestConversation(found!.contactId, 'default'))?.id;
    });
    const together = await roundTrips(async (tx) => {
      const found = await tx.findIdentity(address, { latestConversationIn: 'default' });
      return (await tx.findLatestConversation(found!.contactId, 'default'))?.id;
    });
    expect(alone.value).toBe('conversation-latest');
    expect(together.value).toBe('conversation-latest');
    expect(together.roundTrips).toBe(alone.roundTrips - 1);
    // another inbox is read as before; a write in between, and the read sees it
    const afterWrite = await roundTrips(async (tx) => {
      const found = await tx.findIdentity(address, { latestConversationIn: 'default' });
      const other = await tx.findLatestConversation(found!.contactId, 'sales');
      await tx.updateConversation({
        ...conversation('conversation-older', '2026-05-01T13:00:00.000Z'),
      });
      const latest = await tx.findLatestConversation(found!.contactId, 'default');
      return [other?.id, latest?.id];
    });
    expect(afterWrite.value).toEqual(['conversation-elsewhere', 'conversation-older']);
    await store.close();
  });

  describe('instances sharing one database', () => {
    const stores: Store[] = [];
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
    });

    /** Two gateway instances: two pools over one schema, each with its own engine. */
    async function twoInstances() {
      const schema = database.schemaName();
      const clock = createManualClock('2026-05-01T10:00:00.000Z');
      const instances = [open(schema, 8), open(schema, 8)].map((store) => {
        stores.push(store);
        const whatsapp = new MockConnector({ channel: 'whatsapp' });
        const sms = new MockConnector({ channel: 'sms' });
        // messages this instance's analytics passes folded (their live deltas)
        const folded = { messages: 0 };
        const engine = createEngine({
          store,
          clock,
          ids: createIdGenerator(clock),
          onAnalytics: (deltas) => {
            for (const delta of deltas.counters)
              if (delta.metric === 'messages_received') folded.messages += delta.count;
          },
          connectors: new Map([
            ['whatsapp', whatsapp],
            ['sms', sms],
          ]),
        });
        const deliver = async (
          connector: MockConnector,
          id: string,
          from: string,
          text = `message ${id}`,
        ) =>
          (
            await engine.ingest(
              connector.id,
              (
                await connector.parse(
                  connector.request({
                    kind: 'message',
                    id,
                    from,
                    content: { type: 'text', text },
                  }),
                )
              ).events,
            )
          )[0]!;
        return { store, engine, whatsapp, sms, deliver, folded };
      });
      await Promise.all(instances.map((instance) => instance.store.ping()));
      return { clock, a: instances[0]!, b: instances[1]! };
    }

    it('folds each event into the analytics once while both instances fold after their commits', async () => {
      const { a, b } = await twoInstances();
      // both fold as they commit: a pass finds the position held by the other, or folds
      // the other's events from the log
      await Promise.all(
        Array.from({ length: 60 }, (_, index) => {
          const instance = index % 2 === 0 ? a : b;
          return instance.deliver(instance.sms, `SMfold${index}`, `+1415557${1000 + (index % 15)}`);
        }),
      );
      const range = { from: '2026-05-01T00:00:00.000Z', to: '2026-05-02T00:00:00.000Z' };
      const summary = await a.engine.analytics.summary(range);
      expect(summary.conversations).toMatchObject({ opened: 15, messagesReceived: 60 });
      expect(await b.engine.analytics.summary(range)).toEqual(summary);
      await b.engine.analytics.rebuild();
      expect(await a.engine.analytics.summary(range)).toEqual(summary);
      await Promise.all([a.engine.stop(), b.engine.stop()]);
    });

    it("folds every instance's events on the one that folds, told of the others' commits", async () => {
      const { a, b } = await twoInstances();
      b.engine.analyticsFold.here(false);
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          b.deliver(b.sms, `SMelse${index}`, `+1415558${1000 + (index % 5)}`),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 250));
      // b leaves the fold to a, and a has committed nothing: nothing is folded yet
      expect(b.folded.messages).toBe(0);
      expect(a.folded.messages).toBe(0);
      a.engine.analyticsFold.committedElsewhere();
      await vi.waitFor(() => expect(a.folded.messages).toBe(20), { timeout: 10_000 });
      expect(b.folded.messages).toBe(0);
      const range = { from: '2026-05-01T00:00:00.000Z', to: '2026-05-02T00:00:00.000Z' };
      expect((await b.engine.analytics.summary(range)).conversations).toMatchObject({
        opened: 5,
        messagesReceived: 20,
      });
      // both commit, interleaved: a folds its own events from memory and b's from the log,
      // each once
      for (let round = 0; round < 10; round += 1) {
        await a.deliver(a.sms, `SMmixed-a${round}`, `+1415558${1000 + (round % 5)}`);
        await b.deliver(b.sms, `SMmixed-b${round}`, `+1415558${1000 + (round % 5)}`);
        a.engine.analyticsFold.committedElsewhere();
      }
      await vi.waitFor(() => expect(a.folded.messages).toBe(40), { timeout: 10_000 });
      expect((await a.engine.analytics.summary(range)).conversations).toMatchObject({
        messagesReceived: 40,
      });
      expect(a.folded.messages).toBe(40);
      expect(b.folded.messages).toBe(0);
      // the fold moves to b (as the lease would): b folds its own commits again, a no more
      a.engine.analyticsFold.here(false);
      b.engine.analyticsFold.here(true);
      await b.deliver(b.sms, 'SMelse-after', '+14155581000');
      await vi.waitFor(() => expect(b.folded.messages).toBe(1), { timeout: 10_000 });
      expect(a.folded.messages).toBe(40);
      expect((await a.engine.analytics.summary(range)).conversations).toMatchObject({
        messagesReceived: 41,
      });
      await Promise.all([a.engine.stop(), b.engine.stop()]);
    });

    it('stores one message when two instances ingest the same redelivery at the same moment', async () => {
      const { a, b } = await twoInstances();
      const rounds = Array.from({ length: 25 }, (_, index) => index);
      const receipts = await Promise.all(
        rounds.map(async (index) => {
          const from = `+1415555${String(1000 + index)}`;
          return Promise.all([
            a.deliver(a.sms, `SMredelivered${index}`, from),
            b.deliver(b.sms, `SMredelivered${index}`, from),
          ]);
        }),
      );
      for (const pair of receipts) {
        expect(pair.filter((receipt) => !receipt.duplicate)).toHaveLength(1);
        expect(pair[0]!.messageId).toBe(pair[1]!.messageId);
      }
      const events = await a.store.read.listEvents(0, 10_000);
      expect(events.filter((event) => event.type === 'message.received')).toHaveLength(25);
      expect(events.filter((event) => event.type === 'conversation.opened')).toHaveLength(25);
      expect(await a.store.read.listConversations({ limit: 100 })).toHaveLength(25);
    });

    it('opens one conversation when two instances see the same new customer at once', async () => {
      const { a, b } = await twoInstances();
      const customers = Array.from({ length: 20 }, (_, index) => `+1415556${String(1000 + index)}`);
      // different messages, same new customer; half of them on WhatsApp and SMS (one phone)
      const results = await Promise.all(
        customers.map((from, index) =>
          Promise.all([
            a.deliver(a.sms, `SMfirst${index}`, from),
            index % 2 === 0
              ? b.deliver(b.whatsapp, `wamid.second${index}`, from)
              : b.deliver(b.sms, `SMsecond${index}`, from),
          ]),
        ),
      );
      for (const [first, second] of results) {
        expect(first.duplicate || second.duplicate).toBe(false);
        expect(second.conversationId).toBe(first.conversationId);
      }
      const conversations = await a.store.read.listConversations({ limit: 100 });
      expect(conversations).toHaveLength(20);
      expect(new Set(conversations.map((conversation) => conversation.contactId)).size).toBe(20);
    });

    it('opens one new conversation when two instances reopen a customer after the window at once', async () => {
      const { clock, a, b } = await twoInstances();
      const from = '+14155557000';
      const first = await a.deliver(a.sms, 'SMbefore', from);
      await a.engine.resolveConversation(first.conversationId!);
      clock.advance(2 * 24 * 60 * 60 * 1000);
      const [left, right] = await Promise.all([
        a.deliver(a.sms, 'SMafter1', from),
        b.deliver(b.sms, 'SMafter2', from),
      ]);
      expect(left.conversationId).toBe(right.conversationId);
      expect(left.conversationId).not.toBe(first.conversationId);
      const open = await a.store.read.listConversations({ limit: 10, status: 'open' });
      expect(open.map((conversation) => conversation.id)).toEqual([left.conversationId]);
    });

    it('never lets a reader following "events after N" miss an event while instances commit', async () => {
      const { a, b } = await twoInstances();
      const seen: ThreadlineEvent[] = [];
      let cursor = 0;
      let writing = true;
      const follow = async () => {
        while (writing) {
          const page = await a.store.read.listEvents(cursor, 50);
          seen.push(...page);
          cursor = page.at(-1)?.cursor ?? cursor;
        }
        for (;;) {
          const page = await a.store.read.listEvents(cursor, 500);
          if (page.length === 0) return;
          seen.push(...page);
          cursor = page.at(-1)!.cursor;
        }
      };
      const reader = follow();
      const writers = [a, b].map(async (instance, side) => {
        const inFlight: Array<Promise<unknown>> = [];
        for (let index = 0; index < 200; index++) {
          inFlight.push(
            instance.deliver(
              instance.sms,
              `SMfollow${side}-${index}`,
              `+1415558${String(1000 + (index % 30) + side * 100)}`,
            ),
          );
        }
        await Promise.all(inFlight);
      });
      await Promise.all(writers);
      writing = false;
      await reader;
      const log = await a.store.read.listEvents(0, 100_000);
      expect(log.filter((event) => event.type === 'message.received')).toHaveLength(400);
      expect(seen.map((event) => event.cursor)).toEqual(log.map((event) => event.cursor));
    });

    it('resolves and reopens one conversation from two instances at once: never two open', async () => {
      const { a, b } = await twoInstances();
      const from = '+14155557100';
      const first = await a.deliver(a.sms, 'SMrace0', from);
      for (let round = 1; round <= 10; round++) {
        // one instance resolves while the other ingests the customer's next message
        const [, receipt] = await Promise.all([
          a.engine.resolveConversation(first.conversationId!),
          b.deliver(b.sms, `SMrace${round}`, from),
        ]);
        expect(receipt.conversationId).toBe(first.conversationId);
        const open = await a.store.read.listConversations({ limit: 10, status: 'open' });
        expect(open.length).toBeLessThanOrEqual(1);
      }
      const all = await a.store.read.listConversations({ limit: 10 });
      expect(all.map((conversation) => conversation.id)).toEqual([first.conversationId]);
    });

    it('shares transactions among concurrent writes, and a write the database refuses fails alone', async () => {
      const { a } = await twoInstances();
      const store = a.store as PostgresStore;
      const taken = await a.deliver(a.sms, 'SMowner', '+14155557200');
      const owner = (await store.read.getMessage(taken.messageId!))!.contactId;
      const before = { ...store.stats };
      const results = await Promise.allSettled([
        ...Array.from({ length: 30 }, (_, index) =>
          a.deliver(a.sms, `SMshared${index}`, `+1415557${String(3000 + index)}`),
        ),
        // an identity that already belongs to another contact: a unique violation
        store.write(async (tx) => {
          const contact = {
            id: 'contact-refused',
            name: null,
            channelPreference: [],
            optedOut: [],
            mergedIntoId: null,
            createdAt: '2026-05-01T10:00:00.000Z',
            updatedAt: '2026-05-01T10:00:00.000Z',
          };
          await tx.insertContact(contact);
          await tx.insertIdentity(contact.id, {
            channel: 'sms',
            address: '+14155557200',
            verified: true,
            source: 'api',
            createdAt: '2026-05-01T10:00:00.000Z',
          });
        }),
      ]);
      expect(results.slice(0, 30).every((result) => result.status === 'fulfilled')).toBe(true);
      expect(results[30]!.status).toBe('rejected');
      expect(await store.read.getContact('contact-refused')).toBeUndefined();
      expect(
        (await store.read.findIdentity({ channel: 'sms', address: '+14155557200' }))?.contactId,
      ).toBe(owner);
      const messages = await store.read.listEvents(0, 1000);
      expect(messages.filter((event) => event.type === 'message.received')).toHaveLength(31);
      // fewer transactions than writes: concurrent writes committed together
      expect(store.stats.commits - before.commits).toBeLessThan(31);
    });

    it('answers concurrent writes in the order of their cursors', async () => {
      const store = open(database.schemaName(), 8);
      stores.push(store);
      const answeredCursors: number[] = [];
      await Promise.all(
        Array.from({ length: 300 }, (_, index) =>
          store
            .write((tx) =>
              tx.appendEvent(
                'connector.status_changed',
                { connectorId: `c${index}`, status: 'ready', detail: null },
                '2026-05-01T10:00:00.000Z',
                `evt-order-${index}`,
              ),
            )
            .then((event) => answeredCursors.push(event.cursor)),
        ),
      );
      expect(answeredCursors).toEqual([...answeredCursors].sort((x, y) => x - y));
      expect(new Set(answeredCursors).size).toBe(300);
    });

    it('migrates once when two instances start on an empty database at the same moment', async () => {
      const schema = database.schemaName();
      const starting = [open(schema), open(schema), open(schema)];
      stores.push(...starting);
      await Promise.all(starting.map((store) => store.ready));
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query(
          `SELECT version FROM "${schema}".threadline_migrations ORDER BY version`,
        );
        expect(rows.map((row) => row.version)).toEqual(migrations.map((_, index) => index + 1));
      } finally {
        await client.end();
      }
      await starting[0]!.write((tx) =>
        tx.appendEvent(
          'connector.status_changed',
          { connectorId: 'sms', status: 'ready', detail: null },
          '2026-05-01T10:00:00.000Z',
          'evt-started',
        ),
      );
      expect((await starting[2]!.read.listEvents(0, 10)).map((event) => event.id)).toEqual([
        'evt-started',
      ]);
    });
  });
});
