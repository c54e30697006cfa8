import type { Message } from '@threadline/schema';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type EngineHarness,
  hour,
  type StoreFactory,
  text,
  useEngineHarness,
} from './engine-harness.js';

/** The state of the customer's latest conversation when the next message comes. */
type Case = 'none' | 'open inside' | 'open past' | 'resolved inside' | 'resolved past';
/** What the message does to it (the engine README's continuity table). */
type Outcome = 'opens' | 'joins' | 'reopens' | 'attaches' | 'expires and opens';

const inboundTable: [Case, Outcome][] = [
  ['none', 'opens'],
  ['open inside', 'joins'],
  ['open past', 'expires and opens'],
  ['resolved inside', 'reopens'],
  ['resolved past', 'opens'],
];
const sendTable: [Case, Outcome][] = [
  ['none', 'opens'],
  ['open inside', 'joins'],
  ['open past', 'joins'],
  ['resolved inside', 'attaches'],
  ['resolved past', 'opens'],
];
const eventsOf: Record<Outcome, string[]> = {
  opens: ['conversation.opened'],
  joins: [],
  reopens: ['conversation.reopened'],
  attaches: [],
  'expires and opens': ['conversation.resolved', 'conversation.opened'],
};

/** Puts Telegram customer 7001 in `state`; returns their contact and conversation, if any. */
async function arrange(harness: EngineHarness, state: Case) {
  if (state === 'none') return undefined;
  const first = await harness.inbound(harness.telegram, '7001', 'first');
  if (state.startsWith('resolved')) await harness.engine.resolveConversation(first.conversationId!);
  harness.clock.advance(state.endsWith('inside') ? 2 * hour : 25 * hour);
  return { contactId: first.message!.contactId, conversationId: first.conversationId! };
}

/** The `conversation.*` events committed from index `from` on. */
const conversationEvents = (harness: EngineHarness, from: number) =>
  harness.events
    .slice(from)
    .filter((event) => event.type.startsWith('conversation.'))
    .map((event) => event.type);

async function expectOutcome(
  harness: EngineHarness,
  before: Awaited<ReturnType<typeof arrange>>,
  conversationId: string,
  outcome: Outcome,
  eventsFrom: number,
) {
  expect(conversationEvents(harness, eventsFrom)).toEqual(eventsOf[outcome]);
  const placed = await harness.store.read.getConversation(conversationId);
  if (outcome === 'opens' || outcome === 'expires and opens') {
    expect(conversationId).not.toBe(before?.conversationId);
    expect(placed?.previousConversationId).toBe(before?.conversationId ?? null);
    if (before) {
      const previous = await harness.store.read.getConversation(before.conversationId);
      expect(previous?.status).toBe('resolved');
    }
  } else {
    expect(conversationId).toBe(before?.conversationId);
    expect(placed?.status).toBe(outcome === 'attaches' ? 'resolved' : 'open');
  }
}

/**
 * The continuity table (packages/engine/README.md), row by row, for a customer's message and
 * for an app's send, and the journeys that cross the two.
 */
export function testContinuity(name: string, factory: StoreFactory): void {
  describe(`continuity over ${name}`, () => {
    const use = useEngineHarness(factory);
    let harness: EngineHarness;
    beforeEach(() => {
      harness = use();
    });

    for (const [state, outcome] of inboundTable) {
      it(`inbound, ${state === 'none' ? 'no conversation' : state + ' the window'}: ${outcome}`, async () => {
        const before = await arrange(harness, state);
        const from = harness.events.length;
        const received = await harness.inbound(harness.telegram, '7001', 'hello again');
        await expectOutcome(harness, before, received.conversationId!, outcome, from);
      });
    }

    for (const [state, outcome] of sendTable) {
      it(`send, ${state === 'none' ? 'no conversation' : state + ' the window'}: ${outcome}`, async () => {
        const before = await arrange(harness, state);
        const from = harness.events.length;
        const message = await harness.engine.send(
          before
            ? { contactId: before.contactId, content: text('an update') }
            : { to: { channel: 'telegram', address: '7001' }, content: text('an update') },
        );
        await expectOutcome(harness, before, message.conversationId, outcome, from);
        await harness.engine.drainJobs();
        expect(harness.telegram.sent.map((sent) => sent.conversationId)).toEqual([
          message.conversationId,
        ]);
      });
    }

    it('inbound, automated message: attaches to a resolved conversation inside the window, opens one past it', async () => {
      const before = await arrange(harness, 'resolved inside');
      let from = harness.events.length;
      const auto = await harness.inbound(harness.telegram, '7001', 'auto', undefined, {
        automated: true,
      });
      await expectOutcome(harness, before, auto.conversationId!, 'attaches', from);
      harness.clock.advance(25 * hour);
      from = harness.events.length;
      const later = await harness.inbound(harness.telegram, '7001', 'auto', undefined, {
        automated: true,
      });
      await expectOutcome(harness, before, later.conversationId!, 'opens', from);
    });

    it('send, automated message (a fallback copy): stays with its original, never reopens', async () => {
      const first = await harness.inbound(harness.telegram, '7002', 'hi');
      const contactId = first.message!.contactId;
      await harness.engine.linkIdentity(contactId, { channel: 'email', address: 'jo@example.com' });
      const message = await harness.engine.send({
        contactId,
        content: text('your order shipped'),
        fallback: [{ channel: 'email', when: 'unread', afterMs: 10 * 60_000 }],
      });
      await harness.engine.drainJobs();
      await harness.engine.resolveConversation(first.conversationId!);
      const from = harness.events.length;
      harness.clock.advance(11 * 60_000);
      await harness.engine.drainJobs();
      const copy = await harness.store.read.findMessageByExternalId(
        'email',
        harness.email.sent[0]!.externalId,
      );
      expect(copy).toMatchObject({
        fallbackOfId: message.id,
        conversationId: first.conversationId,
      });
      expect(conversationEvents(harness, from)).toEqual([]);
      expect((await harness.store.read.getConversation(first.conversationId!))?.status).toBe(
        'resolved',
      );
    });

    it('inbound, email reply to an old thread: continues the newer open conversation', async () => {
      const { old, newer, ours } = await oldThreadWithNewerConversation(harness);
      const from = harness.events.length;
      const reply = await harness.inbound(
        harness.email,
        'ada@example.com',
        'about that',
        undefined,
        {
          references: [ours.externalId!],
        },
      );
      expect(reply.conversationId).toBe(newer);
      expect(conversationEvents(harness, from)).toEqual([]);
      expect((await harness.store.read.getConversation(old))?.status).toBe('resolved');
      const open = await harness.store.read.listConversations({
        contactId: reply.message!.contactId,
        status: 'open',
        limit: 10,
      });
      expect(open.map((conversation) => conversation.id)).toEqual([newer]);
    });

    it('inbound, email reply to an old thread with nothing newer: past the window, opens a conversation linked to it', async () => {
      const first = await harness.inbound(harness.email, 'ada@example.com', 'question');
      const ours = await sendAndDeliver(harness, first.message!.contactId, 'answer');
      await harness.engine.resolveConversation(first.conversationId!);
      harness.clock.advance(30 * 24 * hour);
      const from = harness.events.length;
      // From a second address: the thread still says whose conversation it is.
      const reply = await harness.inbound(
        harness.email,
        'ada@work.example',
        'it broke again',
        undefined,
        {
          references: [ours.externalId!],
        },
      );
      expect(conversationEvents(harness, from)).toEqual(['conversation.opened']);
      const opened = await harness.store.read.getConversation(reply.conversationId!);
      expect(opened).toMatchObject({
        contactId: first.message!.contactId,
        previousConversationId: first.conversationId,
      });
      expect(reply.message?.channelData.threadContactId).toBe(first.message!.contactId);
    });

    it('send, reply to an old thread: goes to the newer open conversation, still threaded by email', async () => {
      const { newer, customerFirst } = await oldThreadWithNewerConversation(harness);
      const message = await harness.engine.send({
        contactId: customerFirst.contactId,
        channel: 'email',
        replyToId: customerFirst.id,
        content: text('following up on your first question'),
      });
      expect(message.conversationId).toBe(newer);
      await harness.engine.drainJobs();
      expect(harness.email.sent.at(-1)?.replyToExternalId).toBe(customerFirst.externalId);
    });

    it('resolve, send inside the window, customer replies: one conversation, reopened by the reply', async () => {
      const first = await harness.inbound(harness.sms, '+14155550150', 'where is my order?');
      await harness.engine.resolveConversation(first.conversationId!);
      harness.clock.advance(3 * hour);
      const from = harness.events.length;
      const followUp = await harness.engine.send({
        contactId: first.message!.contactId,
        content: text('it arrives tomorrow, anything else?'),
      });
      await harness.engine.drainJobs();
      expect(followUp.conversationId).toBe(first.conversationId);
      expect((await harness.store.read.getConversation(first.conversationId!))?.status).toBe(
        'resolved',
      );
      harness.clock.advance(22 * hour);
      const reply = await harness.inbound(harness.sms, '+14155550150', 'yes, one more thing');
      expect(reply.conversationId).toBe(first.conversationId);
      expect(harness.events.slice(from).map((event) => event.type)).toEqual([
        'message.sent',
        'conversation.reopened',
        'message.received',
      ]);
    });

    it('keeps a customer who writes on WhatsApp then SMS from the same number in one conversation', async () => {
      const first = await harness.inbound(harness.whatsapp, '+14155550100', 'My parcel is late');
      harness.clock.advance(10 * 60 * 1000);
      const second = await harness.inbound(harness.sms, '+1 415 555 0100', 'Any news?');
      expect(second.conversationId).toBe(first.conversationId);
      expect(second.message?.contactId).toBe(first.message?.contactId);
      const contact = await harness.engine.getContact(first.message!.contactId);
      expect(
        contact?.identities.map(
          (identity) => `${identity.channel}:${identity.address}:${identity.source}`,
        ),
      ).toEqual(['whatsapp:+14155550100:inbound', 'sms:+14155550100:same_phone']);
      const switched = harness.events.filter(
        (event) => event.type === 'conversation.channel_switched',
      );
      expect(switched).toHaveLength(1);
      expect(
        switched[0]!.type === 'conversation.channel_switched' && switched[0]!.data.toChannel,
      ).toBe('sms');
    });

    it('opens a new conversation after the continuity window, linked to the previous one', async () => {
      const first = await harness.inbound(harness.sms, '+14155550101', 'hello');
      harness.clock.advance(25 * hour);
      const second = await harness.inbound(harness.sms, '+14155550101', 'hello again');
      expect(second.conversationId).not.toBe(first.conversationId);
      const conversation = await harness.store.read.getConversation(second.conversationId!);
      expect(conversation?.previousConversationId).toBe(first.conversationId);
      const previous = await harness.store.read.getConversation(first.conversationId!);
      expect(previous?.status).toBe('resolved');
    });

    it('reopens on request only the contact’s latest conversation, and only while none is open', async () => {
      const first = await harness.inbound(harness.sms, '+14155550111', 'hello');
      harness.clock.advance(25 * hour);
      const second = await harness.inbound(harness.sms, '+14155550111', 'hello again');
      // the first was resolved by time; the second is open
      await expect(harness.engine.reopenConversation(first.conversationId!)).rejects.toMatchObject({
        code: 'conflict',
        details: { conversationId: second.conversationId, status: 'open' },
      });
      await harness.engine.resolveConversation(second.conversationId!);
      await expect(harness.engine.reopenConversation(first.conversationId!)).rejects.toMatchObject({
        code: 'conflict',
        details: { conversationId: second.conversationId },
      });
      const reopened = await harness.engine.reopenConversation(second.conversationId!);
      expect(reopened).toMatchObject({
        id: second.conversationId,
        status: 'open',
        resolvedAt: null,
      });
      expect(harness.events.at(-1)?.type).toBe('conversation.reopened');
      // reopening an open conversation changes nothing
      const again = await harness.engine.reopenConversation(second.conversationId!);
      expect(again.updatedAt).toBe(reopened.updatedAt);
      // the customer's next message lands in the reopened conversation
      harness.clock.advance(hour);
      const third = await harness.inbound(harness.sms, '+14155550111', 'still there?');
      expect(third.conversationId).toBe(second.conversationId);
    });

    it('reopens a resolved conversation on a new message inside the window', async () => {
      const first = await harness.inbound(harness.telegram, '5001', 'question');
      await harness.engine.resolveConversation(first.conversationId!);
      harness.clock.advance(2 * hour);
      const second = await harness.inbound(harness.telegram, '5001', 'one more thing');
      expect(second.conversationId).toBe(first.conversationId);
      expect((await harness.store.read.getConversation(first.conversationId!))?.status).toBe(
        'open',
      );
      expect(harness.events.map((event) => event.type)).toContain('conversation.reopened');
    });

    it('never lets an auto-reply reopen a resolved conversation', async () => {
      const first = await harness.inbound(harness.email, 'ada@example.com', 'thanks');
      await harness.engine.resolveConversation(first.conversationId!);
      harness.clock.advance(hour);
      const receipt = await harness.inbound(
        harness.email,
        'ada@example.com',
        'I am out of office',
        'auto-1',
        { automated: true },
      );
      expect(receipt.conversationId).toBe(first.conversationId);
      expect((await harness.store.read.getConversation(first.conversationId!))?.status).toBe(
        'resolved',
      );
    });

    it('sends to a new customer by address, opening a conversation', async () => {
      const message: Message = await harness.engine.send({
        to: { channel: 'sms', address: '+14155550112' },
        content: text('Your table is ready'),
      });
      await harness.engine.drainJobs();
      expect(message.channel).toBe('sms');
      expect(harness.sms.sent[0]?.to).toEqual({ channel: 'sms', address: '+14155550112' });
      expect(harness.events.map((event) => event.type)).toEqual([
        'conversation.opened',
        'message.sent',
      ]);
    });
  });
}

/** Sends `body` to the contact and runs the job: the stored message, with its provider id. */
async function sendAndDeliver(harness: EngineHarness, contactId: string, body: string) {
  const message = await harness.engine.send({ contactId, channel: 'email', content: text(body) });
  await harness.engine.drainJobs();
  return (await harness.store.read.getMessage(message.id))!;
}

/**
 * Ada's first email thread (our answer included) resolved and past the window, and a newer
 * conversation open since she wrote again.
 */
async function oldThreadWithNewerConversation(harness: EngineHarness) {
  const first = await harness.inbound(harness.email, 'ada@example.com', 'question');
  const ours = await sendAndDeliver(harness, first.message!.contactId, 'answer');
  await harness.engine.resolveConversation(first.conversationId!);
  harness.clock.advance(3 * 24 * hour);
  const again = await harness.inbound(harness.email, 'ada@example.com', 'new question');
  expect(again.conversationId).not.toBe(first.conversationId);
  harness.clock.advance(hour);
  return {
    old: first.conversationId!,
    newer: again.conversationId!,
    ours,
    customerFirst: first.message as Message,
  };
}
