import type { Notification } from '@threadline/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Store, StoreConstraintError } from '../ports.js';
import type { StoreFactory } from './engine-harness.js';

function notification(id: string, fields: Partial<Notification> = {}): Notification {
  return {
    id,
    contactId: 'contact-1',
    conversationId: null,
    to: null,
    category: 'orders',
    content: { type: 'text', text: 'ready' },
    template: null,
    critical: false,
    status: 'scheduled',
    reason: null,
    scheduledFor: '2026-03-10T08:00:00.000Z',
    expiresAt: null,
    sentAt: null,
    fallback: null,
    channel: null,
    messageId: null,
    replyMessageId: null,
    idempotencyKey: null,
    timeline: [],
    createdAt: '2026-03-10T07:00:00.000Z',
    updatedAt: '2026-03-10T07:00:00.000Z',
    ...fields,
  };
}

/** The notification tables: persisted, queried, idempotency keys unique. Every store runs it. */
export function testNotificationStore(name: string, factory: StoreFactory): void {
  describe(`notification store over ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores, updates, lists and counts notifications', async () => {
      await store.write(async (tx) => {
        await tx.insertNotification(
          notification('n1', { sentAt: '2026-03-10T08:00:00.000Z', conversationId: 'c1' }),
        );
        await tx.insertNotification(
          notification('n2', {
            category: 'billing',
            sentAt: '2026-03-10T09:00:00.000Z',
            conversationId: 'c1',
          }),
        );
        await tx.insertNotification(notification('n3', { contactId: 'contact-2' }));
      });
      await store.write((tx) =>
        tx.updateNotification(
          notification('n3', { contactId: 'contact-2', status: 'suppressed', reason: 'opted_out' }),
        ),
      );
      expect(await store.read.getNotification('n3')).toMatchObject({
        status: 'suppressed',
        reason: 'opted_out',
      });
      expect(await store.read.getNotification('missing')).toBeUndefined();
      const ids = async (query: Parameters<Store['read']['listNotifications']>[0]) =>
        (await store.read.listNotifications(query)).map((item) => item.id);
      expect(await ids({ limit: 10 })).toEqual(['n1', 'n2', 'n3']);
      expect(await ids({ contactId: 'contact-1', limit: 10 })).toEqual(['n1', 'n2']);
      expect(await ids({ contactId: 'contact-1', category: 'billing', limit: 10 })).toEqual(['n2']);
      expect(await ids({ after: 'n1', limit: 1 })).toEqual(['n2']);
      expect(
        await store.read.countNotificationsSent('contact-1', 'orders', '2026-03-10T07:00:00.000Z'),
      ).toBe(1);
      expect(
        await store.read.countNotificationsSent('contact-1', 'orders', '2026-03-10T08:00:00.000Z'),
      ).toBe(0);
      expect(
        (await store.read.findNotificationAwaitingReply('c1', '2026-03-10T07:00:00.000Z'))?.id,
      ).toBe('n2');
      expect(
        await store.read.findNotificationAwaitingReply('c1', '2026-03-10T09:30:00.000Z'),
      ).toBeUndefined();
    });

    it('refuses a second notification with the same idempotencyKey', async () => {
      await store.write((tx) => tx.insertNotification(notification('n1', { idempotencyKey: 'k' })));
      const second = store.write((tx) =>
        tx.insertNotification(notification('n2', { idempotencyKey: 'k' })),
      );
      await expect(second).rejects.toSatisfy(StoreConstraintError.isStoreConstraintError);
      expect((await store.read.findNotificationByIdempotencyKey('k'))?.id).toBe('n1');
      expect(await store.read.getNotification('n2')).toBeUndefined();
    });

    it('stores preferences per contact', async () => {
      const preferences = {
        timezone: 'Asia/Shanghai',
        quietHours: { start: '22:00', end: '08:00' },
        channels: ['sms'],
        categories: { marketing: { optOut: true } },
      };
      await store.write((tx) => tx.putNotificationPreferences('contact-1', preferences));
      expect(await store.read.getNotificationPreferences('contact-1')).toEqual(preferences);
      await store.write((tx) => tx.putNotificationPreferences('contact-1', { timezone: 'UTC' }));
      expect(await store.read.getNotificationPreferences('contact-1')).toEqual({ timezone: 'UTC' });
      expect(await store.read.getNotificationPreferences('contact-2')).toBeUndefined();
    });
  });
}
