import {
  ConnectorError,
  type ConnectorV1,
  type InboundEvent,
  MockConnector,
} from '@threadline/connector-kit';
import type { Content, Message, ThreadlineEvent } from '@threadline/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIdGenerator, createManualClock } from '../clock.js';
import { createEngine, type EngineOptions } from '../engine.js';
import type { Store } from '../ports.js';

/** Opens a fresh, empty store for one test; the suite closes it. */
export type StoreFactory = () => Promise<Store> | Store;

const hour = 60 * 60 * 1000;
const text = (value: string): Content => ({ type: 'text', text: value });

/** A deterministic engine over a real store, with mock connectors for every channel. */
export async function createEngineHarness(
  factory: StoreFactory,
  overrides: Partial<EngineOptions> = {},
) {
  const store = await factory();
  const clock = createManualClock('2026-03-01T09:00:00.000Z');
  const sms = new MockConnector({
    channel: 'sms',
    capabilities: { text: { maxLength: 1600 }, buttons: null, media: [], maxAttachments: 0 },
  });
  const whatsapp = new MockConnector({
    channel: 'whatsapp',
    checkRoute: ({ content, lastInboundAt, now }) =>
      content.type !== 'template' &&
      (!lastInboundAt || now.getTime() - lastInboundAt.getTime() > 24 * hour)
        ? new ConnectorError('route_refused', 'outside the 24-hour customer service window')
        : undefined,
    capabilities: { templates: true },
  });
  const telegram = new MockConnector({ channel: 'telegram' });
  const email = new MockConnector({
    channel: 'email',
    capabilities: { text: { maxLength: 100_000 }, buttons: null },
  });
  const connectors = new Map<string, ConnectorV1>([
    ['whatsapp', whatsapp],
    ['sms', sms],
    ['telegram', telegram],
    ['email', email],
  ]);
  const events: ThreadlineEvent[] = [];
  const engine = createEngine({
    store,
    clock,
    ids: createIdGenerator(clock),
    connectors,
    random: () => 0.5,
    onCommitted: (committed) => events.push(...committed),
    ...overrides,
  });
  let counter = 0;
  const inbound = async (
    connector: MockConnector,
    from: string,
    content: Content | string,
    externalId?: string,
  ) => {
    counter += 1;
    const id = externalId ?? `${connector.id}-in-${counter}`;
    const parsed = await connector.parse(
      connector.request({
        kind: 'message',
        id,
        from,
        content: typeof content === 'string' ? text(content) : content,
      }),
    );
    const [receipt] = await engine.ingest(connector.id, parsed.events);
    return {
      ...receipt!,
      externalId: id,
      message: receipt?.messageId ? await store.read.getMessage(receipt.messageId) : undefined,
    };
  };
  const status = async (
    connector: MockConnector,
    externalId: string,
    providerStatus: 'accepted' | 'delivered' | 'seen' | 'error',
  ) => {
    const parsed = await connector.parse(
      connector.request({ kind: 'status', id: externalId, status: providerStatus }),
    );
    return engine.ingest(connector.id, parsed.events);
  };
  return { store, clock, engine, events, sms, whatsapp, telegram, email, inbound, status };
}

/**
 * The engine's behaviour over a real store: continuity, dedupe, identity, routing, retries,
 * fallbacks. Every store runs it, so the rules hold whichever store is deployed.
 */
export function testEngine(name: string, factory: StoreFactory): void {
  describe(`engine over ${name}`, () => {
    let harness: Awaited<ReturnType<typeof createEngineHarness>>;
    beforeEach(async () => {
      harness = await createEngineHarness(factory);
    });
    afterEach(async () => {
      await harness.store.close();
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
      const request = harness.email.request({
        kind: 'message',
        id: 'auto-1',
        from: 'ada@example.com',
        content: text('I am out of office'),
      });
      const parsed = await harness.email.parse(request);
      const events: InboundEvent[] = parsed.events.map((event) =>
        event.type === 'message'
          ? { ...event, message: { ...event.message, automated: true } }
          : event,
      );
      const [receipt] = await harness.engine.ingest('email', events);
      expect(receipt?.conversationId).toBe(first.conversationId);
      expect((await harness.store.read.getConversation(first.conversationId!))?.status).toBe(
        'resolved',
      );
    });

    it('stores a webhook delivered 3 times once', async () => {
      const receipts = [];
      for (let attempt = 0; attempt < 3; attempt++)
        receipts.push(await harness.inbound(harness.sms, '+14155550102', 'same', 'SM-dup-1'));
      expect(receipts.map((receipt) => receipt.duplicate)).toEqual([false, true, true]);
      expect(new Set(receipts.map((receipt) => receipt.messageId)).size).toBe(1);
      const messages = await harness.store.read.listConversationMessages(
        receipts[0]!.conversationId!,
        { limit: 10 },
      );
      expect(messages).toHaveLength(1);
      expect(harness.events.filter((event) => event.type === 'message.received')).toHaveLength(1);
    });

    it('moves statuses forward only', async () => {
      const received = await harness.inbound(harness.sms, '+14155550103', 'hi');
      const message = await harness.engine.send({
        contactId: received.message!.contactId,
        content: text('hello!'),
      });
      await harness.engine.drainJobs();
      const externalId = (await harness.store.read.getMessage(message.id))!.externalId!;
      await harness.status(harness.sms, externalId, 'seen');
      await harness.status(harness.sms, externalId, 'delivered');
      await harness.status(harness.sms, externalId, 'accepted');
      const stored = await harness.store.read.getMessage(message.id);
      expect(stored?.status).toBe('read');
      const updates = harness.events.filter((event) => event.type === 'message.status_updated');
      expect(
        updates.map(
          (event) => event.type === 'message.status_updated' && event.data.message.status,
        ),
      ).toEqual(['read']);
    });

    it('applies a status callback that arrives before the send result is stored', async () => {
      const received = await harness.inbound(harness.sms, '+14155550113', 'hi');
      const message = await harness.engine.send({
        contactId: received.message!.contactId,
        content: text('fast provider'),
      });
      const externalId = `mock-sms-1-${message.id}`;
      await harness.status(harness.sms, externalId, 'delivered');
      await harness.engine.drainJobs();
      expect((await harness.store.read.getMessage(message.id))?.status).toBe('delivered');
    });

    it('replies on the channel the customer wrote on last', async () => {
      const first = await harness.inbound(harness.whatsapp, '+14155550104', 'hi on whatsapp');
      harness.clock.advance(60_000);
      await harness.inbound(harness.sms, '+14155550104', 'now by sms');
      const reply = await harness.engine.send({
        contactId: first.message!.contactId,
        content: text('we hear you'),
      });
      await harness.engine.drainJobs();
      expect(reply.channel).toBe('sms');
      expect(harness.sms.sent.map((sent) => sent.to.address)).toEqual(['+14155550104']);
      expect(harness.whatsapp.sent).toHaveLength(0);
    });

    it('fires a failed fallback exactly once, as a new linked message', async () => {
      const first = await harness.inbound(harness.whatsapp, '+14155550105', 'hi');
      harness.whatsapp.failAlways({ kind: 'rejected' });
      const message = await harness.engine.send({
        contactId: first.message!.contactId,
        content: text('your code is 1234'),
        fallback: [{ channel: 'sms', when: 'failed' }],
      });
      await harness.engine.drainJobs();
      await harness.engine.drainJobs();
      const original = await harness.store.read.getMessage(message.id);
      expect(original?.status).toBe('failed');
      expect(harness.sms.sent).toHaveLength(1);
      const copy = await harness.store.read.findMessageByExternalId(
        'sms',
        harness.sms.sent[0]!.externalId,
      );
      expect(copy?.fallbackOfId).toBe(message.id);
      expect(copy?.conversationId).toBe(message.conversationId);
    });

    it('fires an undelivered-after-T fallback exactly once, and not for a delivered message', async () => {
      const first = await harness.inbound(harness.whatsapp, '+14155550106', 'hi');
      const fallback = [
        { channel: 'email' as const, when: 'undelivered' as const, afterMs: 5 * 60_000 },
      ];
      await harness.engine.linkIdentity(first.message!.contactId, {
        channel: 'email',
        address: 'sam@example.com',
      });
      const undelivered = await harness.engine.send({
        contactId: first.message!.contactId,
        content: text('one'),
        fallback,
      });
      const delivered = await harness.engine.send({
        contactId: first.message!.contactId,
        content: text('two'),
        fallback,
      });
      await harness.engine.drainJobs();
      await harness.status(
        harness.whatsapp,
        (await harness.store.read.getMessage(delivered.id))!.externalId!,
        'delivered',
      );
      harness.clock.advance(4 * 60_000);
      await harness.engine.drainJobs();
      expect(harness.email.sent).toHaveLength(0);
      harness.clock.advance(2 * 60_000);
      await harness.engine.drainJobs();
      harness.clock.advance(60 * 60_000);
      await harness.engine.drainJobs();
      expect(harness.email.sent.map((sent) => sent.content)).toEqual([text('one')]);
      const copy = await harness.store.read.findMessageByExternalId(
        'email',
        harness.email.sent[0]!.externalId,
      );
      expect(copy?.fallbackOfId).toBe(undelivered.id);
    });

    it('falls back when a channel rule refuses the route (outside the WhatsApp window)', async () => {
      const first = await harness.inbound(harness.whatsapp, '+14155550107', 'hi');
      harness.clock.advance(23 * hour);
      const inside = await harness.engine.send({
        contactId: first.message!.contactId,
        channel: 'whatsapp',
        content: text('at 23h'),
      });
      harness.clock.advance(2 * hour);
      const outside = await harness.engine.send({
        contactId: first.message!.contactId,
        channel: 'whatsapp',
        content: text('at 25h'),
        fallback: [{ channel: 'sms', when: 'failed' }],
      });
      const template = await harness.engine.send({
        contactId: first.message!.contactId,
        channel: 'whatsapp',
        content: { type: 'template', name: 'order_update', language: 'en', parameters: [] },
      });
      await harness.engine.drainJobs();
      expect(inside.status).toBe('queued');
      expect(outside.status).toBe('failed');
      expect(outside.error?.code).toBe('route_refused');
      expect(template.status).toBe('queued');
      expect(harness.whatsapp.sent.map((sent) => sent.content.type)).toEqual(['text', 'template']);
      expect(harness.sms.sent.map((sent) => sent.content)).toEqual([text('at 25h')]);
    });

    it('retries retryable failures with backoff, honouring retryAfterMs, then sends', async () => {
      const first = await harness.inbound(harness.telegram, '5002', 'hi');
      harness.telegram.failNext({ kind: 'rate_limited', retryAfterMs: 30_000 });
      harness.telegram.failNext({ kind: 'unavailable' });
      const message = await harness.engine.send({
        contactId: first.message!.contactId,
        content: text('retry me'),
      });
      await harness.engine.drainJobs();
      expect((await harness.store.read.listJobs())[0]?.runAt).toBe(
        new Date(harness.clock.now().getTime() + 30_000).toISOString(),
      );
      harness.clock.advance(29_000);
      await harness.engine.drainJobs();
      expect(harness.telegram.attempts).toBe(1);
      harness.clock.advance(1_000);
      await harness.engine.drainJobs();
      expect(harness.telegram.attempts).toBe(2);
      harness.clock.advance(60_000);
      await harness.engine.drainJobs();
      expect(harness.telegram.sent).toHaveLength(1);
      expect((await harness.store.read.getMessage(message.id))?.status).toBe('sent');
    });

    it('never lets a later message overtake an earlier one in the same conversation', async () => {
      const first = await harness.inbound(harness.telegram, '5003', 'hi');
      harness.telegram.failNext({ kind: 'unavailable' });
      await harness.engine.send({ contactId: first.message!.contactId, content: text('first') });
      await harness.engine.send({ contactId: first.message!.contactId, content: text('second') });
      await harness.engine.drainJobs();
      expect(harness.telegram.sent).toHaveLength(0);
      harness.clock.advance(60_000);
      await harness.engine.drainJobs();
      expect(
        harness.telegram.sent.map((sent) =>
          sent.content.type === 'text' ? sent.content.text : '',
        ),
      ).toEqual(['first', 'second']);
    });

    it('renders buttons as a numbered list on SMS and maps a reply of "2" to the postback', async () => {
      const first = await harness.inbound(harness.sms, '+14155550108', 'help');
      await harness.engine.send({
        contactId: first.message!.contactId,
        content: {
          type: 'interactive',
          text: 'Pick',
          buttons: [
            { id: 'track', title: 'Track' },
            { id: 'refund', title: 'Refund' },
            { id: 'agent', title: 'Agent' },
          ],
        },
      });
      await harness.engine.drainJobs();
      expect(harness.sms.sent[0]?.content).toEqual({
        type: 'text',
        text: 'Pick\n\n1. Track\n2. Refund\n3. Agent\n\nReply with a number.',
      });
      const answer = await harness.inbound(harness.sms, '+14155550108', '2');
      expect(answer.message?.content).toEqual({
        type: 'postback',
        payload: 'refund',
        title: 'Refund',
      });
      expect(answer.message?.channelData.choiceText).toBe('2');
    });

    it('merges two contacts into one history in time order, and records why', async () => {
      const email = await harness.inbound(harness.email, 'kim@example.com', 'email first');
      harness.clock.advance(60_000);
      const telegram = await harness.inbound(harness.telegram, '5004', 'telegram second');
      harness.clock.advance(60_000);
      await harness.inbound(harness.email, 'kim@example.com', 'email third');
      expect(email.conversationId).not.toBe(telegram.conversationId);
      const merged = await harness.engine.mergeContacts(
        email.message!.contactId,
        telegram.message!.contactId,
        'same customer, confirmed by agent',
      );
      expect(merged.identities.map((identity) => identity.channel).sort()).toEqual([
        'email',
        'telegram',
      ]);
      const messages = await harness.store.read.listConversationMessages(email.conversationId!, {
        limit: 10,
      });
      expect(
        messages.map((message) => (message.content.type === 'text' ? message.content.text : '')),
      ).toEqual(['email first', 'telegram second', 'email third']);
      const event = harness.events.find((candidate) => candidate.type === 'contact.merged');
      expect(event?.type === 'contact.merged' && event.data).toMatchObject({
        contactId: email.message!.contactId,
        mergedContactId: telegram.message!.contactId,
        reason: 'same customer, confirmed by agent',
      });
      expect((await harness.engine.getContact(telegram.message!.contactId))?.id).toBe(
        email.message!.contactId,
      );
      harness.clock.advance(60_000);
      const after = await harness.inbound(harness.telegram, '5004', 'telegram after merge');
      expect(after.conversationId).toBe(email.conversationId);
    });

    it('links a verified Telegram contact share to the SMS identity, so both land in one conversation', async () => {
      const sms = await harness.inbound(harness.sms, '+14155550109', 'sms first');
      const parsed = await harness.telegram.parse(
        harness.telegram.request({
          kind: 'message',
          id: 'tg-share',
          from: '5005',
          content: { type: 'contact', name: 'Lee', phones: ['+14155550109'], emails: [] },
        }),
      );
      const events: InboundEvent[] = parsed.events.map((event) =>
        event.type === 'message'
          ? {
              ...event,
              message: {
                ...event.message,
                identityClaims: [
                  {
                    address: { channel: 'sms', address: '+14155550109' },
                    verified: true,
                    source: 'contact_share',
                  },
                ],
              },
            }
          : event,
      );
      const [receipt] = await harness.engine.ingest('telegram', events);
      expect(receipt?.conversationId).toBe(sms.conversationId);
    });

    it('records STOP as an SMS opt-out and fails later SMS sends with a clear code', async () => {
      const first = await harness.inbound(harness.sms, '+14155550110', 'hi');
      const stop = await harness.sms.parse(
        harness.sms.request({
          kind: 'message',
          id: 'stop-1',
          from: '+14155550110',
          content: text('STOP'),
        }),
      );
      await harness.engine.ingest(
        'sms',
        stop.events.map((event) =>
          event.type === 'message'
            ? { ...event, message: { ...event.message, optOut: 'stop' as const } }
            : event,
        ),
      );
      const message = await harness.engine.send({
        contactId: first.message!.contactId,
        channel: 'sms',
        content: text('promo'),
      });
      expect(message.status).toBe('failed');
      expect(message.error?.code).toBe('recipient_opted_out');
      await harness.engine.drainJobs();
      expect(harness.sms.sent).toHaveLength(0);
    });

    it('applies edits to the stored message and emits message.edited', async () => {
      const first = await harness.inbound(harness.telegram, '5006', 'helo', 'tg-edit-1');
      const edit = await harness.telegram.parse(
        harness.telegram.request({ kind: 'edit', id: 'tg-edit-1', content: text('hello') }),
      );
      await harness.engine.ingest('telegram', edit.events);
      expect((await harness.store.read.getMessage(first.messageId!))?.content).toEqual(
        text('hello'),
      );
      const edited = harness.events.find((event) => event.type === 'message.edited');
      expect(edited?.type === 'message.edited' && edited.data.previousContent).toEqual(
        text('helo'),
      );
    });

    it('splits a long SMS into parts sent in order', async () => {
      const first = await harness.inbound(harness.sms, '+14155550111', 'hi');
      const long = Array.from(
        { length: 500 },
        (_, index) => `w${String(index).padStart(3, '0')}`,
      ).join(' ');
      await harness.engine.send({ contactId: first.message!.contactId, content: text(long) });
      await harness.engine.drainJobs();
      expect(harness.sms.sent).toHaveLength(2);
      const sentText = harness.sms.sent
        .map((sent) => (sent.content.type === 'text' ? sent.content.text : ''))
        .join('');
      expect(sentText).toBe(long);
    });

    it('gives every committed event one cursor, and the log lists them all in cursor order', async () => {
      await Promise.all(
        Array.from({ length: 30 }, (_, index) =>
          harness.inbound(harness.sms, `+1415555${String(2000 + index)}`, `n${index}`),
        ),
      );
      const log = await harness.store.read.listEvents(0, 1000);
      const cursors = log.map((event) => event.cursor);
      expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
      expect(new Set(cursors).size).toBe(cursors.length);
      // every event a commit announced is in the log, once (announcements of concurrent
      // commits may arrive in any order; consumers read the log, which is in cursor order)
      expect(
        [...harness.events].sort((a, b) => a.cursor - b.cursor).map((event) => event.id),
      ).toEqual(log.map((event) => event.id));
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
