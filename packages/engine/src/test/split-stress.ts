import { MockConnector } from '@threadline/connector-kit';
import type { Address, Channel } from '@threadline/schema';
import { createIdGenerator, systemClock } from '../clock.js';
import { createEngine } from '../engine.js';
import type { Store } from '../ports.js';
import type {
  SplitStressKind,
  SplitStressOptions,
  SplitStressReport,
} from './split-stress-types.js';

export type { SplitStressKind, SplitStressOptions, SplitStressReport };

/**
 * The split hunt: two engines (two gateway instances) on one database, many customers
 * writing on SMS, WhatsApp and Telegram at once, and an app that replies (some replies on
 * WhatsApp, which fails, falling back to SMS), resolves conversations after one or two
 * turns, and links each customer's Telegram identity to their phone contact while they
 * write. Every customer stays inside the continuity window, so continuity says: one contact
 * and one conversation per person once linked, and never two open conversations for one
 * contact.
 *
 * Customers come in three kinds (by index):
 * - `racing`: the first messages arrive on SMS and WhatsApp (one phone) on both instances at
 *   once, Telegram at the same moment; the app links while messages are in flight;
 * - `link-after-resolve`: SMS, a reply, resolved; then Telegram (a second contact, with an
 *   open conversation); then the link — the sequential case;
 * - `mixed`: random channels and instances, replies, resolves and the link in random order.
 */
/** A small seeded generator (mulberry32), so a run can be repeated. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function createInstance(store: Store) {
  const connectors = {
    sms: new MockConnector({ channel: 'sms' }),
    whatsapp: new MockConnector({ channel: 'whatsapp' }),
    telegram: new MockConnector({ channel: 'telegram' }),
  };
  // every WhatsApp send fails: replies sent there fall back to SMS
  connectors.whatsapp.failAlways({ kind: 'rejected' });
  const engine = createEngine({
    store,
    clock: systemClock,
    ids: createIdGenerator(systemClock),
    connectors: new Map(Object.entries(connectors)),
  });
  return { engine, connectors };
}

type Instance = ReturnType<typeof createInstance>;

export async function runSplitStress(options: SplitStressOptions): Promise<SplitStressReport> {
  const customers = options.customers ?? 24;
  const turns = options.turns ?? 6;
  const next = random(options.seed ?? 1);
  const instances = options.stores.map(createInstance) as [Instance, Instance];
  const report: SplitStressReport = {
    customers,
    inbound: 0,
    replies: 0,
    links: 0,
    resolves: 0,
    samples: 0,
    failedIngests: [],
    refusedAppCalls: [],
    twoOpen: [],
    contactSplits: [],
    conversationSplits: [],
  };
  const messagesOf = new Map<number, string[]>();
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  let sequence = 0;
  const runId = Math.floor(next() * 1e9).toString(36);

  const addresses = (customer: number) => ({
    phone: `+1555${String(2_000_000 + customer).padStart(7, '0')}`,
    telegram: String(7_000_000 + customer),
  });

  /** The customer writes on `channel` through `instance`; resolves to the receipt, if stored. */
  async function write(customer: number, channel: Channel, instance: Instance) {
    const { phone, telegram } = addresses(customer);
    const connector = instance.connectors[channel as keyof Instance['connectors']];
    sequence += 1;
    const id = `${runId}-${customer}-${sequence}`;
    try {
      const parsed = await connector.parse(
        connector.request({
          kind: 'message',
          id,
          from: channel === 'telegram' ? telegram : phone,
          content: { type: 'text', text: `turn ${sequence} from customer ${customer}` },
        }),
      );
      const [receipt] = await instance.engine.ingest(connector.id, parsed.events);
      report.inbound += 1;
      if (receipt?.messageId) messagesOf.get(customer)!.push(receipt.messageId);
      return receipt;
    } catch (error) {
      report.failedIngests.push(`customer ${customer} on ${channel}: ${String(error)}`);
      return undefined;
    }
  }

  async function app<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      report.refusedAppCalls.push(`${what}: ${String(error)}`);
      return undefined;
    }
  }

  /** The app answers the conversation a message landed in (WhatsApp replies fall back to SMS). */
  async function reply(customer: number, messageId: string | null | undefined) {
    if (!messageId) return;
    const instance = pick(instances);
    const message = await instance.engine.store.read.getMessage(messageId);
    if (!message) return;
    const onWhatsapp = next() < 0.4;
    const sent = await app('reply', () =>
      instance.engine.send({
        contactId: message.contactId,
        content: { type: 'text', text: `reply to customer ${customer}` },
        ...(onWhatsapp
          ? {
              channel: 'whatsapp' as const,
              fallback: [{ channel: 'sms' as const, when: 'failed' as const }],
            }
          : { channel: 'sms' as const }),
      }),
    );
    if (sent) {
      report.replies += 1;
      messagesOf.get(customer)!.push(sent.id);
    }
  }

  async function resolve(conversationId: string | null | undefined) {
    if (!conversationId) return;
    const resolved = await app('resolve', () =>
      pick(instances).engine.resolveConversation(conversationId),
    );
    if (resolved) report.resolves += 1;
  }

  /** The app links the customer's Telegram identity to their phone contact. */
  async function link(customer: number) {
    const { phone, telegram } = addresses(customer);
    const instance = pick(instances);
    const found = await instance.engine.store.read.findIdentity({ channel: 'sms', address: phone });
    const contactId =
      found?.contactId ??
      (await instance.engine.store.read.findIdentity({ channel: 'whatsapp', address: phone }))
        ?.contactId;
    if (!contactId) return;
    const linked = await app('link', () =>
      instance.engine.linkIdentity(contactId, { channel: 'telegram', address: telegram }),
    );
    if (linked) report.links += 1;
  }

  async function racing(customer: number) {
    const [a, b] = instances;
    const first = await Promise.all([
      write(customer, 'sms', a),
      write(customer, 'whatsapp', b),
      write(customer, 'telegram', pick(instances)),
    ]);
    await Promise.all([reply(customer, first[0]?.messageId), link(customer)]);
    await mixedTurns(customer);
  }

  async function linkAfterResolve(customer: number) {
    const first = await write(customer, 'sms', pick(instances));
    await reply(customer, first?.messageId);
    await resolve(first?.conversationId);
    await write(customer, 'telegram', pick(instances));
    await link(customer);
    await mixedTurns(customer);
  }

  async function mixed(customer: number) {
    let linked = false;
    await write(customer, pick(['sms', 'whatsapp'] as const), pick(instances));
    for (let turn = 0; turn < 2; turn++) {
      const doing: Array<Promise<unknown>> = [write(customer, 'telegram', pick(instances))];
      if (!linked && next() < 0.5) {
        linked = true;
        doing.push(link(customer));
      }
      await Promise.all(doing);
    }
    if (!linked) await link(customer);
    await mixedTurns(customer);
  }

  /** After the link: turns on any channel, replies, a resolve every one or two turns. */
  async function mixedTurns(customer: number) {
    let sinceResolve = 0;
    let resolveAfter = 1 + Math.floor(next() * 2);
    for (let turn = 0; turn < turns; turn++) {
      const channel = pick(['sms', 'whatsapp', 'telegram'] as const);
      const receipt = await write(customer, channel, pick(instances));
      const doing: Array<Promise<unknown>> = [];
      if (next() < 0.7) doing.push(reply(customer, receipt?.messageId));
      sinceResolve += 1;
      if (sinceResolve >= resolveAfter) {
        sinceResolve = 0;
        resolveAfter = 1 + Math.floor(next() * 2);
        doing.push(resolve(receipt?.conversationId));
      }
      // sometimes the next message arrives while the app is still acting
      if (next() < 0.3)
        doing.push(write(customer, pick(['sms', 'telegram'] as const), pick(instances)));
      await Promise.all(doing);
    }
  }

  // --- sends and fallbacks run on both instances while customers write
  let running = true;
  const workers = instances.map(async (instance) => {
    while (running) {
      const ran = await instance.engine.runDueJobs().catch(() => 0);
      if (ran === 0) await pause(5);
    }
  });

  // --- exactly one open conversation per contact, sampled while everything runs
  const sampler = (async () => {
    while (running) {
      const open = await options.stores[0].read.listConversations({
        status: 'open',
        limit: 10_000,
      });
      report.samples += 1;
      const perContact = new Map<string, number>();
      for (const conversation of open)
        perContact.set(conversation.contactId, (perContact.get(conversation.contactId) ?? 0) + 1);
      for (const [contactId, count] of perContact)
        if (count > 1) report.twoOpen.push(`contact ${contactId}: ${count} open conversations`);
      await pause(options.sampleEveryMs ?? 10);
    }
  })();

  const scripts: Record<SplitStressKind, (customer: number) => Promise<void>> = {
    racing,
    'link-after-resolve': linkAfterResolve,
    mixed,
  };
  const kinds = options.kinds ?? (['racing', 'link-after-resolve', 'mixed'] as const);
  const kindOf = (customer: number) => kinds[customer % kinds.length]!;
  await Promise.all(
    Array.from({ length: customers }, async (_, customer) => {
      messagesOf.set(customer, []);
      await pause(Math.floor(next() * 20));
      await scripts[kindOf(customer)](customer);
    }),
  );
  // let sends and fallbacks finish
  for (let round = 0; round < 200; round++) {
    if ((await options.stores[0].read.listJobs()).length === 0) break;
    await pause(20);
  }
  running = false;
  await Promise.all([...workers, sampler]);

  // --- one contact per person, one conversation per person
  const reader = options.stores[0].read;
  const liveContact = async (id: string) => {
    let contact = await reader.getContact(id);
    for (let hops = 0; contact?.mergedIntoId && hops < 16; hops++)
      contact = await reader.getContact(contact.mergedIntoId);
    return contact?.id;
  };
  const liveConversation = async (id: string) => {
    let conversation = await reader.getConversation(id);
    for (let hops = 0; conversation?.mergedIntoId && hops < 16; hops++)
      conversation = await reader.getConversation(conversation.mergedIntoId);
    return conversation?.id;
  };
  for (let customer = 0; customer < customers; customer++) {
    const { phone, telegram } = addresses(customer);
    const owners = new Set<string>();
    for (const address of [
      { channel: 'sms', address: phone },
      { channel: 'whatsapp', address: phone },
      { channel: 'telegram', address: telegram },
    ] satisfies Address[]) {
      const found = await reader.findIdentity(address);
      if (found) owners.add((await liveContact(found.contactId)) ?? found.contactId);
    }
    if (owners.size > 1)
      report.contactSplits.push(
        `customer ${customer} (${kindOf(customer)}): ${owners.size} contacts`,
      );
    const conversations = new Set<string>();
    for (const messageId of messagesOf.get(customer)!) {
      const message = await reader.getMessage(messageId);
      if (message) conversations.add((await liveConversation(message.conversationId)) ?? '?');
    }
    if (conversations.size > 1)
      report.conversationSplits.push(
        `customer ${customer} (${kindOf(customer)}): messages in ${conversations.size} conversations`,
      );
  }
  return report;
}

/** One line per finding, for a test failure message or a bench table. */
export function describeSplitStress(report: SplitStressReport): string {
  return [
    `${report.customers} customers, ${report.inbound} inbound, ${report.replies} replies, ${report.links} links, ${report.resolves} resolves, ${report.samples} samples`,
    ...report.failedIngests.map((line) => `failed ingest: ${line}`),
    ...report.twoOpen.slice(0, 10).map((line) => `two open: ${line}`),
    ...report.contactSplits.map((line) => `contact split: ${line}`),
    ...report.conversationSplits.map((line) => `conversation split: ${line}`),
  ].join('\n');
}
