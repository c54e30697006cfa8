import type { EventOf, EventType } from '@threadline/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../engine.js';
import type { NotificationDefaults } from '../notifications/preferences.js';
import { conversationIdOf } from '../switchboard/delivery.js';
import {
  createEngineHarness,
  type EngineHarness,
  type StoreFactory,
  text,
} from './engine-harness.js';

const minute = 60_000;
const day = 24 * 60 * minute;
const phone = '+15550001111';

/**
 * Notifications over a real store: each rule (quiet hours in the contact's zone, opt-out,
 * frequency cap, live conversation, expiry, channel choice, fallback), replies threading in,
 * idempotency, and deferred notifications as durable jobs that run once. Every store runs it.
 */
export function testNotifications(name: string, factory: StoreFactory): void {
  describe(`notifications over ${name}`, () => {
    let harness: EngineHarness;
    afterEach(async () => {
      await harness?.store.close();
    });

    /** A customer who wrote by SMS two days before `now`, so no conversation is live. */
    async function setup(
      defaults: Partial<NotificationDefaults> = {},
      now = '2026-03-10T15:30:00.000Z',
    ) {
      harness = await createEngineHarness(factory, { notifications: defaults });
      harness.clock.set(new Date(new Date(now).getTime() - 2 * day));
      const first = await harness.inbound(harness.sms, phone, 'hello');
      await harness.engine.linkIdentity(first.message!.contactId, {
        channel: 'telegram',
        address: '7001',
      });
      harness.clock.set(now);
      return first.message!.contactId;
    }
    const events = <T extends EventType>(type: T) =>
      harness.events.filter((event): event is EventOf<T> => event.type === type);
    const notify = (contactId: string, extra: Record<string, unknown> = {}) =>
      harness.engine.notifications.notify({
        to: { contactId },
        category: 'orders',
        content: text('your order is ready'),
        ...extra,
      });

    it('Asia/Shanghai, quiet 22:00–08:00, notified at 23:30 local: scheduled for 08:00 local and sent then', async () => {
      const contactId = await setup();
      await harness.engine.notifications.putPreferences(contactId, {
        timezone: 'Asia/Shanghai',
        quietHours: { start: '22:00', end: '08:00' },
      });
      const notification = await notify(contactId);
      expect(notification).toMatchObject({
        status: 'scheduled',
        reason: 'quiet_hours',
        scheduledFor: '2026-03-11T00:00:00.000Z',
      });
      expect(events('notification.scheduled')).toHaveLength(1);
      harness.clock.set('2026-03-10T23:59:00.000Z');
      await harness.engine.drainJobs();
      expect(harness.sms.sent).toHaveLength(0);
      harness.clock.set('2026-03-11T00:00:00.000Z');
      await harness.engine.drainJobs();
      await harness.engine.drainJobs();
      expect(harness.sms.sent.map((sent) => sent.content)).toEqual([text('your order is ready')]);
      const sent = await harness.engine.notifications.get(notification.id);
      expect(sent).toMatchObject({ status: 'sent', channel: 'sms' });
      expect(sent!.timeline.map((item) => item.type)).toEqual(['scheduled', 'queued', 'sent']);
      expect(events('notification.sent')).toHaveLength(1);
    });

    it('critical bypasses quiet hours, never an opt-out', async () => {
      const contactId = await setup({
        timezone: 'Asia/Shanghai',
        quietHours: { start: '22:00', end: '08:00' },
      });
      expect(await notify(contactId, { critical: true })).toMatchObject({
        status: 'queued',
        channel: 'sms',
      });
      await harness.engine.notifications.putPreferences(contactId, {
        categories: { orders: { optOut: true } },
      });
      expect(await notify(contactId, { critical: true })).toMatchObject({
        status: 'suppressed',
        reason: 'opted_out',
      });
      expect(await notify(contactId, { category: 'billing' })).toMatchObject({
        status: 'scheduled',
        reason: 'quiet_hours',
      });
    });

    it('an opted-out category is suppressed; a channel the customer stopped is skipped', async () => {
      const contactId = await setup();
      await harness.engine.notifications.putPreferences(contactId, {
        channels: ['sms', 'telegram'],
        categories: { marketing: { optOut: true } },
      });
      expect(await notify(contactId, { category: 'marketing' })).toMatchObject({
        status: 'suppressed',
        reason: 'opted_out',
      });
      expect(events('notification.suppressed')).toHaveLength(1);
      harness.clock.set(new Date(harness.clock.now().getTime() - day));
      await harness.inbound(harness.sms, phone, 'STOP', undefined, { optOut: 'stop' });
      harness.clock.set('2026-03-10T15:30:00.000Z');
      expect(await notify(contactId)).toMatchObject({ status: 'queued', channel: 'telegram' });
    });

    it('caps notifications per category per contact, critical ones aside', async () => {
      const contactId = await setup({ frequencyCap: { limit: 2, windowMs: day } });
      expect((await notify(contactId)).status).toBe('queued');
      expect((await notify(contactId)).status).toBe('queued');
      expect(await notify(contactId)).toMatchObject({
        status: 'suppressed',
        reason: 'frequency_cap',
      });
      expect((await notify(contactId, { category: 'billing' })).status).toBe('queued');
      expect((await notify(contactId, { critical: true })).status).toBe('queued');
      harness.clock.advance(day);
      expect((await notify(contactId)).status).toBe('queued');
    });

    it('defers a notification while the customer is writing, until the conversation is quiet', async () => {
      const contactId = await setup({ liveWindowMs: 5 * minute });
      await harness.inbound(harness.sms, phone, 'where is my order?');
      harness.clock.advance(minute);
      const notification = await notify(contactId);
      expect(notification).toMatchObject({
        status: 'scheduled',
        reason: 'in_conversation',
        scheduledFor: '2026-03-10T15:35:00.000Z',
      });
      await harness.engine.drainJobs();
      expect(harness.sms.sent).toHaveLength(0);
      harness.clock.advance(4 * minute);
      await harness.engine.drainJobs();
      expect((await harness.engine.notifications.get(notification.id))!.status).toBe('sent');
    });

    it('suppresses instead, under the suppress policy', async () => {
      const contactId = await setup({ livePolicy: 'suppress' });
      await harness.inbound(harness.sms, phone, 'hi');
      expect(await notify(contactId)).toMatchObject({
        status: 'suppressed',
        reason: 'in_conversation',
      });
    });

    it('a notification still deferred at expiresAt is suppressed as expired', async () => {
      const contactId = await setup();
      const notification = await notify(contactId, {
        sendAt: '2026-03-10T18:00:00.000Z',
        expiresAt: '2026-03-10T17:00:00.000Z',
      });
      expect(notification.status).toBe('scheduled');
      harness.clock.set('2026-03-10T17:00:00.000Z');
      await harness.engine.drainJobs();
      expect(await harness.engine.notifications.get(notification.id)).toMatchObject({
        status: 'suppressed',
        reason: 'expired',
      });
      harness.clock.set('2026-03-10T18:00:00.000Z');
      await harness.engine.drainJobs();
      expect(harness.sms.sent).toHaveLength(0);
    });

    it('chooses the category channels; WhatsApp outside its window needs a template', async () => {
      const contactId = await setup();
      await harness.engine.linkIdentity(contactId, { channel: 'whatsapp', address: phone });
      await harness.engine.notifications.putPreferences(contactId, {
        channels: ['whatsapp', 'sms'],
        categories: { billing: { channels: ['telegram'] }, chat: { channels: ['webchat'] } },
      });
      expect((await notify(contactId, { category: 'billing' })).channel).toBe('telegram');
      expect(await notify(contactId, { category: 'chat' })).toMatchObject({
        status: 'suppressed',
        reason: 'no_reachable_channel',
      });
      expect((await notify(contactId)).channel).toBe('sms');
      const template = { type: 'template', name: 'order_ready', language: 'en', parameters: [] };
      expect((await notify(contactId, { template })).channel).toBe('whatsapp');
      await harness.engine.drainJobs();
      expect(harness.whatsapp.sent.map((sent) => sent.content)).toEqual([template]);
    });

    it('falls back to the next channel once when not delivered in time, and only then', async () => {
      const contactId = await setup();
      await harness.engine.notifications.putPreferences(contactId, {
        channels: ['sms', 'telegram'],
      });
      const fallback = { after: '10m', until: 'delivered' };
      const late = await notify(contactId, { fallback });
      const prompt = await notify(contactId, { fallback, category: 'billing' });
      await harness.engine.drainJobs();
      const promptSms = harness.sms.sent.find((sent) => sent.id === prompt.messageId)!;
      await harness.status(harness.sms, promptSms.externalId, 'delivered');
      harness.clock.advance(10 * minute);
      await harness.engine.drainJobs();
      await harness.engine.drainJobs();
      expect(harness.telegram.sent).toHaveLength(1);
      const fell = events('notification.fallback');
      expect(fell.map((event) => event.data.notification.id)).toEqual([late.id]);
      expect(fell[0]!.data.message.channel).toBe('telegram');
      expect((await harness.engine.notifications.get(prompt.id))!.status).toBe('delivered');
      expect(events('notification.delivered')).toHaveLength(1);
      harness.clock.advance(60 * minute);
      await harness.engine.drainJobs();
      expect(harness.telegram.sent).toHaveLength(1);
    });

    it('a Telegram reply to an SMS notification lands in its conversation and emits notification.replied', async () => {
      const contactId = await setup();
      const notification = await notify(contactId);
      await harness.engine.drainJobs();
      expect(notification.channel).toBe('sms');
      harness.clock.advance(30 * minute);
      const reply = await harness.inbound(
        harness.telegram,
        '7001',
        'can you deliver tomorrow instead?',
      );
      expect(reply.conversationId).toBe(notification.conversationId);
      const replied = events('notification.replied');
      expect(replied).toHaveLength(1);
      expect(replied[0]!.data.notification).toMatchObject({
        id: notification.id,
        replyMessageId: reply.messageId,
      });
      expect(replied[0]!.data.message.channel).toBe('telegram');
      // webhook lanes and switchboard delivery place it in the notification's conversation
      expect(conversationIdOf(replied[0]!)).toBe(notification.conversationId);
      await harness.inbound(harness.telegram, '7001', 'thanks');
      expect(events('notification.replied')).toHaveLength(1);
    });

    it('a reply after the continuity window is no reply to a notification sent before it', async () => {
      const contactId = await setup();
      const notification = await notify(contactId);
      await harness.engine.drainJobs();
      expect(events('notification.sent')).toHaveLength(1);
      harness.clock.advance(2 * day);
      const late = await harness.inbound(harness.telegram, '7001', 'hello again');
      expect(late.message!.contactId).toBe(contactId);
      expect(events('notification.replied')).toHaveLength(0);
      const stored = await harness.store.read.getNotification(notification.id);
      expect(stored?.replyMessageId).toBeNull();
    });

    it('deferred notifications run once when two instances drain the same store', async () => {
      await setup();
      const second = createEngine({
        store: harness.store,
        clock: harness.clock,
        connectors: harness.engine.connectors,
      });
      const ids: string[] = [];
      for (let index = 0; index < 20; index++) {
        const to = { channel: 'sms', address: `+1555000${String(2000 + index)}` };
        const notification = await harness.engine.notifications.notify({
          to,
          category: 'orders',
          content: text(`reminder ${index}`),
          sendAt: '2026-03-10T16:00:00.000Z',
        });
        ids.push(notification.id);
      }
      harness.clock.set('2026-03-10T16:00:00.000Z');
      await Promise.all([harness.engine.drainJobs(), second.drainJobs(), second.drainJobs()]);
      await harness.engine.drainJobs();
      const texts = harness.sms.sent.map((sent) => (sent.content as { text: string }).text);
      expect(texts.sort()).toEqual(ids.map((_, index) => `reminder ${index}`).sort());
      for (const id of ids)
        expect(
          (await harness.engine.notifications.get(id))!.timeline.filter(
            (item) => item.type === 'queued',
          ),
        ).toHaveLength(1);
    });

    it('an idempotencyKey makes a retried call a no-op', async () => {
      const contactId = await setup();
      const first = await notify(contactId, { idempotencyKey: 'order-42-ready' });
      const again = await notify(contactId, { idempotencyKey: 'order-42-ready' });
      expect(again.id).toBe(first.id);
      await harness.engine.drainJobs();
      expect(harness.sms.sent).toHaveLength(1);
    });

    it('to an address: the contact is found or created, and it goes to that channel', async () => {
      harness = await createEngineHarness(factory);
      const notification = await harness.engine.notifications.notify({
        to: { channel: 'sms', address: '+15550002222' },
        category: 'orders',
        content: text('ready'),
      });
      expect(notification).toMatchObject({ status: 'queued', channel: 'sms' });
      const listed = await harness.engine.notifications.list({
        contactId: notification.contactId,
        limit: 10,
      });
      expect(listed.map((item) => item.id)).toEqual([notification.id]);
    });
  });
}
