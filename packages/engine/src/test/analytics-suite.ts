import type { Channel } from '@threadline/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine } from '../engine.js';
import { createEngineHarness, type StoreFactory, text } from './engine-harness.js';

type Harness = Awaited<ReturnType<typeof createEngineHarness>>;

const day = { from: '2026-03-01T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z' };
const duration = (
  count: number,
  mean: number,
  min: number,
  max: number,
  p50: number,
  p90: number,
  p99 = p90,
) => ({
  count,
  mean,
  min,
  max,
  p50,
  p90,
  p99,
});
const none = { count: 0, mean: null, min: null, max: null, p50: null, p90: null, p99: null };

/**
 * The analytics over a real store, with a fixed clock: the customer journey whose figures are
 * known exactly, by channel and over time; the same figures rebuilt from the event log;
 * handoffs with the switchboard; merges; notification events. Every store runs it.
 */
export function testAnalytics(name: string, factory: StoreFactory): void {
  describe(`analytics over ${name}`, () => {
    let harness: Harness;
    beforeEach(async () => {
      harness = await createEngineHarness(factory);
    });
    afterEach(async () => {
      await harness.store.close();
    });

    const at = (time: string) => harness.clock.set(time);
    const reply = async (contactId: string, integrationId?: string) => {
      await harness.engine.send({
        contactId,
        content: text('on it'),
        ...(integrationId ? { integrationId } : {}),
      });
      await harness.engine.drainJobs();
    };

    /**
     * SMS at 09:00, a reply after 90 s; WhatsApp at 09:03, a reply after 30 s; resolved at
     * 09:10 (10 min after it opened); reopened by email at 08:00 next morning, resolved 08:20.
     */
    async function journey(): Promise<string> {
      at('2026-03-01T09:00:00.000Z');
      const first = await harness.inbound(harness.sms, '+14155550180', 'My order is late');
      const contactId = first.message!.contactId;
      await harness.engine.linkIdentity(contactId, {
        channel: 'email',
        address: 'ada@example.com',
      });
      at('2026-03-01T09:01:30.000Z');
      await reply(contactId);
      at('2026-03-01T09:03:00.000Z');
      await harness.inbound(harness.whatsapp, '+14155550180', 'Any news?');
      at('2026-03-01T09:03:30.000Z');
      await reply(contactId);
      at('2026-03-01T09:10:00.000Z');
      await harness.engine.resolveConversation(first.conversationId!);
      at('2026-03-02T08:00:00.000Z');
      const again = await harness.inbound(harness.email, 'ada@example.com', 'It came broken');
      expect(again.conversationId).toBe(first.conversationId);
      at('2026-03-02T08:20:00.000Z');
      await harness.engine.resolveConversation(first.conversationId!);
      return first.conversationId!;
    }

    it('gives the journey its exact figures', async () => {
      await journey();
      const summary = await harness.engine.analytics.summary(day);
      expect(summary.conversations).toEqual({
        opened: 1,
        reopened: 1,
        resolved: 2,
        reopenRate: 0.5,
        messagesReceived: 3,
        replies: 2,
      });
      expect(summary.firstResponse).toEqual(duration(1, 90, 90, 90, 90, 90));
      expect(summary.response).toEqual(duration(2, 60, 30, 90, 30, 90));
      expect(summary.resolution).toEqual(duration(2, 900, 600, 1200, 600, 1200));
      expect(summary.continuity).toEqual({
        channelSwitches: 2,
        crossChannelConversations: 1,
        crossChannelShare: 1,
        continuityKept: 1,
        continuityKeptShare: 1,
        breaksRepaired: 0,
      });
      expect(summary.handoffs.passes.total).toBe(0);
      expect(summary.handoffs.containment).toEqual({ resolved: 0, contained: 0, rate: null });
      expect(summary.notifications).toEqual({
        sent: 0,
        suppressed: { total: 0, byReason: {} },
        replied: 0,
        replyRate: null,
      });
    });

    it('splits the journey by channel and over time', async () => {
      await journey();
      const of = (channel: Channel) => harness.engine.analytics.summary({ ...day, channel });
      const sms = await of('sms');
      expect(sms.conversations.opened).toBe(1);
      expect(sms.firstResponse).toEqual(duration(1, 90, 90, 90, 90, 90));
      expect(sms.response.count).toBe(1);
      const whatsapp = await of('whatsapp');
      expect(whatsapp.response).toEqual(duration(1, 30, 30, 30, 30, 30));
      expect(whatsapp.resolution).toEqual(duration(1, 600, 600, 600, 600, 600));
      expect(whatsapp.continuity.channelSwitches).toBe(1);
      const email = await of('email');
      expect(email.conversations).toMatchObject({ reopened: 1, resolved: 1, opened: 0 });
      expect(email.resolution).toEqual(duration(1, 1200, 1200, 1200, 1200, 1200));
      expect(email.firstResponse).toEqual(none);

      const daily = await harness.engine.analytics.timeseries({
        ...day,
        metric: 'resolution_seconds',
        interval: 'day',
      });
      expect(daily.buckets).toEqual([
        { start: '2026-03-01T00:00:00.000Z', count: 1, mean: 600, p50: 600, p90: 600, p99: 600 },
        {
          start: '2026-03-02T00:00:00.000Z',
          count: 1,
          mean: 1200,
          p50: 1200,
          p90: 1200,
          p99: 1200,
        },
      ]);
      const hourly = await harness.engine.analytics.timeseries({
        from: '2026-03-01T08:00:00.000Z',
        to: '2026-03-01T11:00:00.000Z',
        metric: 'messages_received',
        interval: 'hour',
      });
      expect(hourly.buckets.map((bucket) => bucket.count)).toEqual([0, 2, 0]);
      const later = await harness.engine.analytics.summary({
        from: '2026-03-02T00:00:00.000Z',
        to: day.to,
      });
      expect(later.conversations).toMatchObject({ opened: 0, reopened: 1, resolved: 1 });
      // hours of a partial day and a whole day read together give the same figures
      const mixed = await harness.engine.analytics.summary({
        from: '2026-03-01T09:00:00.000Z',
        to: '2026-03-02T08:59:00.000Z',
      });
      const { from: _from, to: _to, ...whole } = await harness.engine.analytics.summary(day);
      expect(mixed).toEqual({
        ...whole,
        from: '2026-03-01T09:00:00.000Z',
        to: '2026-03-02T09:00:00.000Z',
      });
      const split = await harness.engine.analytics.summary({
        from: '2026-03-01T09:00:00.000Z',
        to: '2026-03-03T05:00:00.000Z',
      });
      expect(split.resolution).toEqual(duration(2, 900, 600, 1200, 600, 1200));
    });

    it('folds each event once when engines on one store take turns, and resumes after a restart', async () => {
      await harness.store.close();
      // this engine commits and folds nothing: the folders below take turns at its events
      harness = await createEngineHarness(factory, { analytics: false });
      const folder = () =>
        createEngine({ store: harness.store, clock: harness.clock, connectors: new Map() });
      const [one, two] = [folder(), folder()];
      at('2026-03-01T09:00:00.000Z');
      const first = await harness.inbound(harness.sms, '+14155550180', 'My order is late');
      const contactId = first.message!.contactId;
      await one.analytics.catchUp();
      at('2026-03-01T09:01:30.000Z');
      await reply(contactId);
      // the position moves past what `one` holds in memory: it must read the states again
      await two.analytics.catchUp();
      at('2026-03-01T09:03:00.000Z');
      await harness.inbound(harness.sms, '+14155550180', 'Any news?');
      at('2026-03-01T09:03:30.000Z');
      await reply(contactId);
      const summary = await one.analytics.summary(day);
      expect(summary.firstResponse).toEqual(duration(1, 90, 90, 90, 90, 90));
      expect(summary.response).toEqual(duration(2, 60, 30, 90, 30, 90));
      // folded by no one before a restart: the position in the store says where to go on
      at('2026-03-01T09:10:00.000Z');
      await harness.engine.resolveConversation(first.conversationId!);
      await one.stop();
      await two.stop();
      const restarted = folder();
      const after = await restarted.analytics.summary(day);
      expect(after.conversations).toMatchObject({ opened: 1, resolved: 1, messagesReceived: 2 });
      expect(after.resolution).toEqual(duration(1, 600, 600, 600, 600, 600));
      await restarted.analytics.rebuild();
      expect(await restarted.analytics.summary(day)).toEqual(after);
    });

    it('rebuilds from the event log the figures the rollups kept as events committed', async () => {
      await journey();
      await harness.inbound(harness.telegram, '4242', 'hello from telegram');
      const incremental = await harness.engine.analytics.summary(day);
      const rebuilt = await harness.engine.analytics.rebuild({ pageSize: 3 });
      expect(rebuilt.events).toBe(harness.events.length);
      expect(await harness.engine.analytics.summary(day)).toEqual(incremental);
      expect(incremental.conversations.opened).toBe(2);
    });

    it('counts handoffs, time in the first integration and containment with the switchboard', async () => {
      const board = harness.engine.switchboard;
      const desk = (await board.createIntegration({ name: 'desk' })).id;
      const bot = (await board.createIntegration({ name: 'bot', next: desk })).id;
      await board.putSettings({ enabled: true, defaultIntegrationId: bot });
      at('2026-03-01T10:00:00.000Z');
      const kept = await harness.inbound(harness.sms, '+14155550181', 'What are your hours?');
      at('2026-03-01T10:00:20.000Z');
      await reply(kept.message!.contactId, bot);
      await harness.engine.resolveConversation(kept.conversationId!);
      at('2026-03-01T10:05:00.000Z');
      const handed = await harness.inbound(harness.sms, '+14155550182', 'I want a refund');
      at('2026-03-01T10:07:00.000Z');
      await board.passControl(
        handed.conversationId!,
        { metadata: { intent: 'refund' } },
        { integrationId: bot },
      );
      at('2026-03-01T10:08:00.000Z');
      await reply(handed.message!.contactId, desk);
      await harness.engine.resolveConversation(handed.conversationId!);

      const summary = await harness.engine.analytics.summary(day);
      expect(summary.handoffs).toEqual({
        passes: { total: 3, byReason: { new_conversation: 2, api: 1 } },
        handoffs: 1,
        timeInFirstIntegration: duration(1, 120, 120, 120, 120, 120),
        containment: { resolved: 2, contained: 1, rate: 0.5 },
      });
      const ofBot = await harness.engine.analytics.summary({ ...day, integrationId: bot });
      expect(ofBot.firstResponse).toEqual(duration(1, 20, 20, 20, 20, 20));
      const ofDesk = await harness.engine.analytics.summary({ ...day, integrationId: desk });
      expect(ofDesk.response).toEqual(duration(1, 180, 180, 180, 180, 180));
    });

    it('reports a merge that folded two conversations as a break repaired, not as continuity kept', async () => {
      at('2026-03-01T11:00:00.000Z');
      const bySms = await harness.inbound(harness.sms, '+14155550183', 'hi by sms');
      at('2026-03-01T11:01:00.000Z');
      const byMail = await harness.inbound(harness.email, 'grace@example.com', 'hi by mail');
      expect(byMail.conversationId).not.toBe(bySms.conversationId);
      at('2026-03-01T11:02:00.000Z');
      await harness.engine.mergeContacts(bySms.message!.contactId, byMail.message!.contactId);
      at('2026-03-01T11:04:00.000Z');
      await reply(bySms.message!.contactId);

      const summary = await harness.engine.analytics.summary(day);
      expect(summary.continuity).toMatchObject({
        crossChannelConversations: 1,
        continuityKept: 0,
        breaksRepaired: 1,
      });
      // the customer waited since the first of the two messages
      expect(summary.response).toEqual(duration(1, 240, 240, 240, 240, 240));
      expect((await harness.engine.analytics.rebuild()).events).toBe(harness.events.length);
      expect(await harness.engine.analytics.summary(day)).toEqual(summary);
    });

    it('folds notification events as the notifications module writes them, by channel and reason', async () => {
      const time = '2026-03-01T12:00:00.000Z';
      let next = 0;
      await harness.store.write(async (tx) => {
        const append = (type: string, data: Record<string, unknown>) =>
          tx.appendEvent(type as never, data as never, time, `notification-event-${++next}`);
        await append('notification.sent', {
          notification: { id: 'n1', status: 'sent', channel: 'sms', contactId: 'c1' },
          message: { id: 'm1', channel: 'sms', conversationId: 'x' },
        });
        await append('notification.sent', {
          notification: { id: 'n2', status: 'sent', channel: 'whatsapp', contactId: 'c2' },
          message: { id: 'm2', channel: 'whatsapp', conversationId: 'y' },
        });
        await append('notification.suppressed', {
          notification: { id: 'n3', status: 'suppressed', reason: 'quiet_hours', channel: 'sms' },
        });
        await append('notification.suppressed', {
          notification: { id: 'n4', status: 'suppressed', reason: 'opted_out', channel: 'sms' },
        });
        await append('notification.replied', {
          notification: { id: 'n1', status: 'sent', channel: 'sms', contactId: 'c1' },
          message: { id: 'm3', channel: 'telegram', conversationId: 'x' },
        });
      });
      const summary = await harness.engine.analytics.summary(day);
      expect(summary.notifications).toEqual({
        sent: 2,
        suppressed: { total: 2, byReason: { quiet_hours: 1, opted_out: 1 } },
        replied: 1,
        replyRate: 0.5,
      });
      expect(
        (await harness.engine.analytics.summary({ ...day, channel: 'sms' })).notifications.sent,
      ).toBe(1);
      await harness.engine.analytics.rebuild();
      expect((await harness.engine.analytics.summary(day)).notifications).toEqual(
        summary.notifications,
      );
    });
  });
}
