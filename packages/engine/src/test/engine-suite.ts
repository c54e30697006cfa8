import { beforeEach, describe, expect, it } from 'vitest';
import { testContinuity } from './continuity-suite.js';
import { hour, type StoreFactory, text, useEngineHarness } from './engine-harness.js';
import { testIdentity } from './identity-suite.js';

export { createEngineHarness, type StoreFactory } from './engine-harness.js';

/**
 * The engine's behaviour over a real store: continuity, dedupe, identity, routing, retries,
 * fallbacks. Every store runs it, so the rules hold whichever store is deployed.
 */
export function testEngine(name: string, factory: StoreFactory): void {
  testContinuity(name, factory);
  testIdentity(name, factory);
  describe(`engine over ${name}`, () => {
    const use = useEngineHarness(factory);
    let harness: ReturnType<typeof use>;
    beforeEach(() => {
      harness = use();
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

    it('records STOP as an SMS opt-out and fails later SMS sends with a clear code', async () => {
      const first = await harness.inbound(harness.sms, '+14155550110', 'hi');
      const stop = await harness.inbound(harness.sms, '+14155550110', 'STOP', 'stop-1', {
        optOut: 'stop',
      });
      expect(stop.message?.channelData).toMatchObject({ optOut: 'stop' });
      expect((await harness.engine.getContact(first.message!.contactId))?.optedOut).toEqual([
        'sms',
      ]);
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
  });
}
