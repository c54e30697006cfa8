import { ThreadlineError } from '@threadline/connector-kit';
import type { EventOf } from '@threadline/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngineHarness, type StoreFactory } from './engine-suite.js';

/**
 * The switchboard over a real store: control on new and reopened conversations, pass, offer
 * and accept, release, not_in_control and takeControl, and the response timeout as a durable
 * job that fires once. Every store runs it.
 */
export function testSwitchboard(name: string, factory: StoreFactory): void {
  describe(`switchboard over ${name}`, () => {
    let harness: Awaited<ReturnType<typeof createEngineHarness>>;
    let bot: string;
    let desk: string;
    beforeEach(async () => {
      harness = await createEngineHarness(factory);
      const board = harness.engine.switchboard;
      desk = (await board.createIntegration({ name: 'desk' })).id;
      bot = (await board.createIntegration({ name: 'bot', next: desk, responseTimeout: '2s' })).id;
      await board.putSettings({ enabled: true, defaultIntegrationId: bot });
    });
    afterEach(async () => {
      await harness.store.close();
    });

    const passes = () =>
      harness.events.filter(
        (event): event is EventOf<'conversation.control_passed'> =>
          event.type === 'conversation.control_passed',
      );
    const reply = (contactId: string, integrationId: string, takeControl = false) =>
      harness.engine.send({
        contactId,
        content: { type: 'text', text: 'on it' },
        integrationId,
        takeControl,
      });

    it('starts a new conversation with the default integration, as of the first message', async () => {
      const first = await harness.inbound(harness.sms, '+14155550140', 'Where is my refund?');
      const received = harness.events.find((event) => event.type === 'message.received');
      expect(received?.type === 'message.received' && received.data.control).toMatchObject({
        activeIntegrationId: bot,
        pendingIntegrationId: null,
      });
      expect(passes().map((event) => [event.data.to, event.data.reason])).toEqual([
        [bot, 'new_conversation'],
      ]);
      expect(await harness.engine.switchboard.control(first.conversationId!)).toMatchObject({
        activeIntegrationId: bot,
      });
    });

    it('passes with metadata: the desk may send, the bot gets not_in_control, takeControl barges in', async () => {
      const first = await harness.inbound(harness.sms, '+14155550141', 'I want a refund');
      const contactId = first.message!.contactId;
      await harness.engine.switchboard.passControl(
        first.conversationId!,
        { metadata: { intent: 'refund' } },
        { integrationId: bot },
      );
      expect(await harness.engine.switchboard.control(first.conversationId!)).toMatchObject({
        activeIntegrationId: desk,
        metadata: { intent: 'refund' },
      });
      const refused = await reply(contactId, bot).catch((error: unknown) => error);
      expect(ThreadlineError.isInstance(refused) && refused.code).toBe('not_in_control');
      expect((await reply(contactId, desk)).status).toBe('queued');
      await reply(contactId, bot, true);
      expect(passes().at(-1)?.data).toMatchObject({ from: desk, to: bot, reason: 'api' });
    });

    it('moves control on offer only when the other integration accepts', async () => {
      const first = await harness.inbound(harness.sms, '+14155550142', 'hello');
      const board = harness.engine.switchboard;
      const offered = await board.offerControl(
        first.conversationId!,
        { to: desk, metadata: { summary: 'wants a refund' } },
        { integrationId: bot },
      );
      expect(offered).toMatchObject({ activeIntegrationId: bot, pendingIntegrationId: desk });
      const early = await board
        .acceptControl(first.conversationId!, { integrationId: bot })
        .catch((error: unknown) => error);
      expect(ThreadlineError.isInstance(early) && early.code).toBe('conflict');
      const accepted = await board.acceptControl(first.conversationId!, { integrationId: desk });
      expect(accepted).toMatchObject({
        activeIntegrationId: desk,
        pendingIntegrationId: null,
        metadata: { summary: 'wants a refund' },
      });
      const released = await board.releaseControl(first.conversationId!, { integrationId: desk });
      expect(released.activeIntegrationId).toBe(bot);
      expect(passes().at(-1)?.data.reason).toBe('release');
    });

    it('passes to next when the bot stays silent past its response timeout, once', async () => {
      const first = await harness.inbound(harness.sms, '+14155550143', 'hello?');
      await harness.engine.drainJobs();
      expect(passes()).toHaveLength(1);
      harness.clock.advance(2_001);
      await harness.engine.drainJobs();
      harness.clock.advance(60_000);
      await harness.engine.drainJobs();
      expect(passes().map((event) => [event.data.from, event.data.to, event.data.reason])).toEqual([
        [null, bot, 'new_conversation'],
        [bot, desk, 'timeout'],
      ]);
      expect(
        (await harness.engine.switchboard.control(first.conversationId!))?.activeIntegrationId,
      ).toBe(desk);
    });

    it('keeps control with a bot that answered in time', async () => {
      const first = await harness.inbound(harness.sms, '+14155550144', 'hello?');
      harness.clock.advance(1_000);
      await reply(first.message!.contactId, bot);
      harness.clock.advance(5_000);
      await harness.engine.drainJobs();
      expect(passes().map((event) => event.data.reason)).toEqual(['new_conversation']);
      expect(
        (await harness.engine.switchboard.control(first.conversationId!))?.activeIntegrationId,
      ).toBe(bot);
    });

    it('keeps the integration a reopened conversation had', async () => {
      const first = await harness.inbound(harness.sms, '+14155550145', 'hello');
      await harness.engine.switchboard.passControl(
        first.conversationId!,
        { to: desk },
        { integrationId: null },
      );
      await harness.engine.resolveConversation(first.conversationId!);
      harness.clock.advance(60_000);
      const again = await harness.inbound(harness.sms, '+14155550145', 'me again');
      expect(again.conversationId).toBe(first.conversationId!);
      const received = harness.events.filter((event) => event.type === 'message.received').at(-1);
      expect(
        received?.type === 'message.received' && received.data.control?.activeIntegrationId,
      ).toBe(desk);
    });

    it('answers field errors for bad integrations and metadata', async () => {
      const board = harness.engine.switchboard;
      const bad = await board
        .createIntegration({ name: 'x', responseTimeout: 'soon' })
        .catch((error: unknown) => error);
      expect(ThreadlineError.isInstance(bad) && bad.details?.path).toBe('responseTimeout');
      const missing = await board
        .createIntegration({ name: 'x', next: 'nobody' })
        .catch((error: unknown) => error);
      expect(ThreadlineError.isInstance(missing) && missing.details?.path).toBe('next');
      const first = await harness.inbound(harness.sms, '+14155550146', 'hello');
      const big = await board
        .passControl(
          first.conversationId!,
          { to: desk, metadata: { notes: 'x'.repeat(17_000) } },
          { integrationId: bot },
        )
        .catch((error: unknown) => error);
      expect(ThreadlineError.isInstance(big) && big.details?.path).toBe('metadata');
    });
  });
}
