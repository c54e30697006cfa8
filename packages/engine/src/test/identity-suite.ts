import { beforeEach, describe, expect, it } from 'vitest';
import {
  type EngineHarness,
  hour,
  type StoreFactory,
  text,
  useEngineHarness,
} from './engine-harness.js';

/** Identity: links, merges, and the journeys that used to split one customer in two. */
export function testIdentity(name: string, factory: StoreFactory): void {
  describe(`identity over ${name}`, () => {
    const use = useEngineHarness(factory);
    let harness: EngineHarness;
    beforeEach(() => {
      harness = use();
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
      const receipt = await harness.inbound(
        harness.telegram,
        '5005',
        { type: 'contact', name: 'Lee', phones: ['+14155550109'], emails: [] },
        'tg-share',
        {
          identityClaims: [
            {
              address: { channel: 'sms', address: '+14155550109' },
              verified: true,
              source: 'contact_share',
            },
          ],
        },
      );
      expect(receipt.conversationId).toBe(sms.conversationId);
    });

    it('sends to an SMS address of a WhatsApp customer as the same contact (same phone number)', async () => {
      const first = await harness.inbound(harness.whatsapp, '+14155550170', 'hi on whatsapp');
      const message = await harness.engine.send({
        to: { channel: 'sms', address: '+14155550170' },
        content: text('by sms'),
      });
      expect(message).toMatchObject({
        contactId: first.message!.contactId,
        conversationId: first.conversationId,
        channel: 'sms',
      });
    });

    for (const joined of ['linked', 'merged'] as const) {
      it(`keeps one open conversation when the app ${joined === 'linked' ? 'links' : 'merges'} a customer who came back on another channel inside the window`, async () => {
        // SMS, answered and resolved; the same person writes on Telegram inside the window.
        const sms = await harness.inbound(harness.sms, '+14155550160', 'my card was charged twice');
        const smsContact = sms.message!.contactId;
        await harness.engine.send({ contactId: smsContact, content: text('refunded') });
        await harness.engine.drainJobs();
        await harness.engine.resolveConversation(sms.conversationId!);
        harness.clock.advance(2 * hour);
        const telegram = await harness.inbound(harness.telegram, '7160', 'it happened again');
        const telegramContact = telegram.message!.contactId;
        expect(telegramContact).not.toBe(smsContact);
        harness.clock.advance(10 * 60_000);
        const from = harness.events.length;
        if (joined === 'linked')
          await harness.engine.linkIdentity(smsContact, { channel: 'telegram', address: '7160' });
        else await harness.engine.mergeContacts(telegramContact, smsContact, 'same customer');
        expect(harness.events.slice(from).map((event) => event.type)).toEqual([
          'conversation.reopened',
          'contact.merged',
        ]);

        const contactId = (await harness.engine.getContact(telegramContact))!.id;
        const open = await harness.store.read.listConversations({
          contactId,
          status: 'open',
          limit: 10,
        });
        expect(open.map((conversation) => conversation.id)).toEqual([sms.conversationId]);
        const folded = await harness.store.read.getConversation(telegram.conversationId!);
        expect(folded).toMatchObject({ status: 'resolved', mergedIntoId: sms.conversationId });
        const history = await harness.store.read.listConversationMessages(sms.conversationId!, {
          limit: 10,
        });
        expect(history.map((message) => message.direction)).toEqual([
          'inbound',
          'outbound',
          'inbound',
        ]);

        // Whatever channel the customer writes on next, it lands there, and nothing fails.
        harness.clock.advance(10 * 60_000);
        const next = await harness.inbound(harness.sms, '+14155550160', 'thanks');
        const after = await harness.inbound(harness.telegram, '7160', 'really, thanks');
        expect([next.conversationId, after.conversationId]).toEqual([
          sms.conversationId,
          sms.conversationId,
        ]);
        const reply = await harness.engine.send({ contactId, content: text('welcome') });
        expect(reply.conversationId).toBe(sms.conversationId);
      });
    }

    it('expires a stale open conversation when a merge brings a newer one', async () => {
      const old = await harness.inbound(harness.sms, '+14155550161', 'hello');
      harness.clock.advance(3 * 24 * hour);
      const recent = await harness.inbound(harness.telegram, '7161', 'hello from telegram');
      await harness.engine.resolveConversation(recent.conversationId!);
      harness.clock.advance(hour);
      const from = harness.events.length;
      await harness.engine.mergeContacts(old.message!.contactId, recent.message!.contactId);
      expect(harness.events.slice(from).map((event) => event.type)).toEqual([
        'conversation.resolved',
        'contact.merged',
      ]);
      const next = await harness.inbound(harness.sms, '+14155550161', 'still there?');
      expect(next.conversationId).toBe(recent.conversationId);
      expect((await harness.store.read.getConversation(recent.conversationId!))?.status).toBe(
        'open',
      );
    });

    it('follows a chain of merged conversations to its end for an email reply', async () => {
      const first = await harness.inbound(harness.email, 'bo@example.com', 'question');
      const contactId = first.message!.contactId;
      const ours = await harness.engine.send({ contactId, content: text('answer') });
      await harness.engine.drainJobs();
      const sent = (await harness.store.read.getMessage(ours.id))!;
      await harness.engine.resolveConversation(first.conversationId!);
      // The thread's conversation was folded twice since (written as a merge leaves it).
      const [middle, end] = [`${first.conversationId}-b`, `${first.conversationId}-c`];
      await harness.store.write(async (tx) => {
        const base = (await tx.getConversation(first.conversationId!))!;
        await tx.insertConversation({ ...base, id: middle, mergedIntoId: end });
        await tx.insertConversation({ ...base, id: end, status: 'open', resolvedAt: null });
        await tx.updateConversation({ ...base, mergedIntoId: middle });
      });
      harness.clock.advance(hour);
      const from = harness.events.length;
      const reply = await harness.inbound(harness.email, 'bo@example.com', 'one more', undefined, {
        references: [sent.externalId!],
      });
      expect(reply.conversationId).toBe(end);
      expect(harness.events.slice(from).map((event) => event.type)).toEqual(['message.received']);
    });
  });
}
