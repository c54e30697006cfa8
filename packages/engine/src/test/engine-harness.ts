import {
  ConnectorError,
  type ConnectorV1,
  type InboundMessage,
  MockConnector,
} from '@threadline/connector-kit';
import type { Content, ThreadlineEvent } from '@threadline/schema';
import { afterEach, beforeEach } from 'vitest';
import { createIdGenerator, createManualClock } from '../clock.js';
import { createEngine, type EngineOptions } from '../engine.js';
import type { Store } from '../ports.js';

/** Opens a fresh, empty store for one test; the suite closes it. */
export type StoreFactory = () => Promise<Store> | Store;

export const hour = 60 * 60 * 1000;
export const text = (value: string): Content => ({ type: 'text', text: value });

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
    /** Fields a real connector would add (an email's references, an auto-reply mark). */
    extra: Partial<InboundMessage> = {},
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
    const [receipt] = await engine.ingest(
      connector.id,
      parsed.events.map((event) =>
        event.type === 'message' ? { ...event, message: { ...event.message, ...extra } } : event,
      ),
    );
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

export type EngineHarness = Awaited<ReturnType<typeof createEngineHarness>>;

/** A fresh harness for each test of the enclosing `describe`, its store closed after. */
export function useEngineHarness(factory: StoreFactory): () => EngineHarness {
  let harness: EngineHarness | undefined;
  beforeEach(async () => {
    harness = await createEngineHarness(factory);
  });
  afterEach(async () => {
    await harness?.store.close();
  });
  return () => harness!;
}
