import { MockConnector } from '@threadline/connector-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdGenerator, createManualClock } from '../clock.js';
import { createEngine } from '../engine.js';
import type { Store, WebhookSubscription } from '../ports.js';

export interface StoreSuiteOptions {
  /** A fresh, empty store. */
  open(): Promise<Store> | Store;
  /** Close `store` and open the same database again (durability across restarts). */
  reopen(store: Store): Promise<Store>;
}

/**
 * The contract every store keeps: atomic writes that fail alone, concurrent ingests that
 * dedupe and keep commit order, durable jobs with leases and per-conversation order, and
 * data that survives a restart.
 */
export function testStore(name: string, options: StoreSuiteOptions): void {
  describe(`store contract: ${name}`, () => {
    const opened: Store[] = [];
    const open = async () => {
      const store = await options.open();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close().catch(() => {});
    });

    const setup = async (store: Store) => {
      const clock = createManualClock('2026-05-01T10:00:00.000Z');
      const sms = new MockConnector({ channel: 'sms' });
      const engine = createEngine({
        store,
        clock,
        ids: createIdGenerator(clock),
        connectors: new Map([['sms', sms]]),
      });
      const deliver = async (id: string, from: string, body = 'hi') =>
        engine.ingest(
          'sms',
          (
            await sms.parse(
              sms.request({ kind: 'message', id, from, content: { type: 'text', text: body } }),
            )
          ).events,
        );
      return { clock, sms, engine, deliver };
    };

    it('stores 200 concurrent ingests once each, with cursors in commit order', async () => {
      const store = await open();
      const { deliver } = await setup(store);
      const receipts = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          deliver(`SM${index}`, `+1415555${String(3000 + (index % 40))}`, `message ${index}`),
        ),
      );
      expect(receipts.flat().filter((receipt) => !receipt.duplicate)).toHaveLength(200);
      const events = await store.read.listEvents(0, 10_000);
      const received = events.filter((event) => event.type === 'message.received');
      expect(received).toHaveLength(200);
      const cursors = events.map((event) => event.cursor);
      expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
      expect(await store.read.latestCursor()).toBe(cursors.at(-1));
      const conversations = await store.read.listConversations({ limit: 100 });
      expect(conversations).toHaveLength(40);
    });

    it('stores one message when the same delivery arrives 20 times at once', async () => {
      const store = await open();
      const { deliver } = await setup(store);
      const receipts = (
        await Promise.all(Array.from({ length: 20 }, () => deliver('SMdup', '+14155554000')))
      ).flat();
      expect(receipts.filter((receipt) => !receipt.duplicate)).toHaveLength(1);
      expect(new Set(receipts.map((receipt) => receipt.messageId)).size).toBe(1);
      const events = await store.read.listEvents(0, 100);
      expect(events.filter((event) => event.type === 'message.received')).toHaveLength(1);
      expect(events.filter((event) => event.type === 'conversation.opened')).toHaveLength(1);
    });

    it('rolls back a failing write alone, keeping the writes committed with it', async () => {
      const store = await open();
      const now = '2026-05-01T10:00:00.000Z';
      const results = await Promise.allSettled([
        store.write(async (tx) =>
          tx.appendEvent(
            'connector.status_changed',
            { connectorId: 'a', status: 'ready', detail: null },
            now,
            'evt-a',
          ),
        ),
        store.write(async (tx) => {
          await tx.appendEvent(
            'connector.status_changed',
            { connectorId: 'b', status: 'ready', detail: null },
            now,
            'evt-b',
          );
          throw new Error('boom');
        }),
        store.write(async (tx) =>
          tx.appendEvent(
            'connector.status_changed',
            { connectorId: 'c', status: 'ready', detail: null },
            now,
            'evt-c',
          ),
        ),
      ]);
      expect(results.map((result) => result.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      const events = await store.read.listEvents(0, 10);
      expect(events.map((event) => event.id)).toEqual(['evt-a', 'evt-c']);
    });

    it('refuses an identity that already belongs to another contact', async () => {
      const store = await open();
      const now = '2026-05-01T10:00:00.000Z';
      const contact = (id: string) => ({
        id,
        name: null,
        channelPreference: [],
        optedOut: [],
        createdAt: now,
        updatedAt: now,
        mergedIntoId: null,
      });
      const identity = {
        channel: 'sms',
        address: '+14155554001',
        verified: true,
        source: 'inbound' as const,
        createdAt: now,
      };
      await store.write(async (tx) => {
        await tx.insertContact(contact('c1'));
        await tx.insertContact(contact('c2'));
        await tx.insertIdentity('c1', identity);
      });
      await expect(store.write((tx) => tx.insertIdentity('c2', identity))).rejects.toThrow();
      expect(
        (await store.read.findIdentity({ channel: 'sms', address: '+14155554001' }))?.contactId,
      ).toBe('c1');
    });

    it('claims due jobs once per lease, in order per conversation', async () => {
      const store = await open();
      const job = (id: string, orderKey: string | null, runAt: string) => ({
        id,
        kind: 'send' as const,
        orderKey,
        connectorId: 'sms',
        payload: { id },
        runAt,
        createdAt: '2026-05-01T10:00:00.000Z',
      });
      await store.write(async (tx) => {
        await tx.insertJob(job('a1', 'conv-a', '2026-05-01T10:00:00.000Z'));
        await tx.insertJob(job('a2', 'conv-a', '2026-05-01T10:00:00.000Z'));
        await tx.insertJob(job('b1', 'conv-b', '2026-05-01T10:00:00.000Z'));
        await tx.insertJob(job('later', null, '2026-05-01T11:00:00.000Z'));
      });
      const now = '2026-05-01T10:00:01.000Z';
      const lease = '2026-05-01T10:01:01.000Z';
      const first = await store.write((tx) => tx.claimJobs(now, lease, 10));
      expect(first.map((claimed) => claimed.id).sort()).toEqual(['a1', 'b1']);
      expect(await store.write((tx) => tx.claimJobs(now, lease, 10))).toEqual([]);
      await store.write((tx) => tx.completeJob('a1'));
      expect(
        (await store.write((tx) => tx.claimJobs(now, lease, 10))).map((claimed) => claimed.id),
      ).toEqual(['a2']);
      // b1's worker died: its lease ends and it runs again
      const afterLease = await store.write((tx) =>
        tx.claimJobs('2026-05-01T10:02:00.000Z', '2026-05-01T10:03:00.000Z', 10),
      );
      expect(afterLease.map((claimed) => claimed.id).sort()).toEqual(['a2', 'b1']);
      await store.write((tx) =>
        tx.rescheduleJob('b1', '2026-05-01T10:30:00.000Z', 'provider_unavailable'),
      );
      const jobs = await store.read.listJobs();
      expect(jobs.find((candidate) => candidate.id === 'b1')).toMatchObject({
        attempts: 1,
        lastError: 'provider_unavailable',
      });
    });

    it('keeps idempotency records and pending statuses', async () => {
      const store = await open();
      await store.write((tx) =>
        tx.putIdempotency({
          key: 'k1',
          fingerprint: 'f',
          status: 202,
          body: '{"id":"m1"}',
          expiresAt: '2026-05-02T10:00:00.000Z',
        }),
      );
      expect(await store.read.getIdempotency('k1')).toMatchObject({
        status: 202,
        body: '{"id":"m1"}',
      });
      await store.write((tx) =>
        tx.insertPendingStatus({
          connectorId: 'sms',
          externalId: 'SM1',
          event: { status: 'delivered' },
          receivedAt: '2026-05-01T10:00:00.000Z',
        }),
      );
      const taken = await store.write((tx) => tx.takePendingStatuses('sms', 'SM1'));
      expect(taken.map((entry) => entry.event)).toEqual([{ status: 'delivered' }]);
      expect(await store.write((tx) => tx.takePendingStatuses('sms', 'SM1'))).toEqual([]);
    });

    it('keeps webhook settings and delivery progress apart, across a restart', async () => {
      const store = await open();
      const subscription: WebhookSubscription = {
        id: 'wh-1',
        url: 'https://app.example/hooks',
        eventTypes: ['message.received'],
        secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0',
        maxInFlight: 32,
        batch: null,
        replay: null,
        createdAt: '2026-05-01T10:00:00.000Z',
        enabled: true,
        progress: { cursor: 7, readTo: 7, pending: [], failures: [], replayId: null },
      };
      await store.write((tx) => tx.insertWebhook(subscription));
      const progress = {
        cursor: 9,
        readTo: 15,
        pending: [12, 14],
        failures: [
          {
            cursor: 12,
            attempts: 2,
            firstFailureAt: '2026-05-01T10:00:01.000Z',
            nextAttemptAt: '2026-05-01T10:00:03.000Z',
            lastError: 'HTTP 500',
          },
        ],
        replayId: null,
      };
      expect(await store.write((tx) => tx.saveWebhookProgress('wh-1', progress))).toBe(true);
      // settings written from a copy read before the progress moved leave the progress alone
      await store.write((tx) =>
        tx.updateWebhook({
          ...subscription,
          maxInFlight: 8,
          batch: { maxEvents: 50, maxWaitMs: 100 },
        }),
      );
      const reopened = await options.reopen(store);
      opened.push(reopened);
      expect(await reopened.read.getWebhook('wh-1')).toEqual({
        ...subscription,
        maxInFlight: 8,
        batch: { maxEvents: 50, maxWaitMs: 100 },
        progress,
      });
      expect((await reopened.read.listWebhooks()).map((item) => item.progress.cursor)).toEqual([9]);
      await reopened.write((tx) => tx.deleteWebhook('wh-1'));
      expect(await reopened.write((tx) => tx.saveWebhookProgress('wh-1', progress))).toBe(false);
    });

    it('keeps every acknowledged message and queued job across a restart', async () => {
      const store = await open();
      const { engine, deliver } = await setup(store);
      const [receipt] = await deliver('SMpersist', '+14155554002', 'persist me');
      await engine.send({
        contactId: (await store.read.getMessage(receipt!.messageId!))!.contactId,
        content: { type: 'text', text: 'queued reply' },
      });
      const reopened = await options.reopen(store);
      opened.push(reopened);
      expect((await reopened.read.getMessage(receipt!.messageId!))?.externalId).toBe('SMpersist');
      expect((await reopened.read.listJobs()).map((job) => job.kind)).toEqual(['send']);
      expect((await reopened.read.listEvents(0, 100)).map((event) => event.type)).toContain(
        'message.received',
      );
    });
  });
}
