import type {
  ConnectorRuntime,
  ConnectorStatus,
  HistoryEntry,
  InboundEvent,
  IngestReceipt,
  OutboundMessage,
} from '@threadline/connector-kit';
import type { Address, Content, MessageStatus } from '@threadline/schema';
import { isStatusAdvance } from '@threadline/schema';

interface StoredMessage extends HistoryEntry {
  address: string;
}

/**
 * A small stand-in for the gateway behind `ConnectorRuntime`: it stores messages in memory,
 * dedupes on external id, applies statuses forward only and answers history per address.
 * `deliver` plays the engine's part for outbound messages: store, then send.
 */
export function createInMemoryRuntime() {
  const messages: StoredMessage[] = [];
  const ingested: Array<{ events: InboundEvent[]; raw: { contentType: string; body: string } }> =
    [];
  const statuses: ConnectorStatus[] = [];
  const logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  let failures = 0;
  let counter = 0;
  const nextId = () => {
    counter += 1;
    return `msg_${String(counter).padStart(4, '0')}`;
  };

  const runtime: ConnectorRuntime = {
    async ingest(events, raw) {
      if (failures > 0) {
        failures -= 1;
        throw new Error('the store is unavailable');
      }
      ingested.push({ events, raw });
      return events.map((event): IngestReceipt => {
        if (event.type === 'message') {
          const duplicate = messages.find(
            (message) => message.externalId === event.message.externalId,
          );
          if (duplicate) return { messageId: duplicate.id, conversationId: 'c1', duplicate: true };
          const stored: StoredMessage = {
            id: nextId(),
            direction: 'inbound',
            content: event.message.content,
            status: 'received',
            externalId: event.message.externalId,
            createdAt: new Date().toISOString(),
            address: event.message.from.address,
          };
          messages.push(stored);
          return { messageId: stored.id, conversationId: 'c1', duplicate: false };
        }
        if (event.type === 'status') {
          const message = messages.find((candidate) => candidate.externalId === event.externalId);
          if (!message) return { messageId: null, conversationId: null, duplicate: false };
          const advance = isStatusAdvance(message.status, event.status);
          if (advance) message.status = event.status;
          return { messageId: message.id, conversationId: 'c1', duplicate: !advance };
        }
        return { messageId: null, conversationId: null, duplicate: false };
      });
    },
    async saveMedia() {
      throw new Error('web chat stores no media');
    },
    async history(address, options = {}) {
      return messages
        .filter((message) => message.address === address.address)
        .slice(-(options.limit ?? 200))
        .map(({ address: _address, ...entry }) => structuredClone(entry));
    },
    async quarantine() {},
    reportStatus(status) {
      statuses.push(status);
    },
    log(level, message, fields) {
      logs.push({ level, message, ...(fields ? { fields } : {}) });
    },
  };

  return {
    runtime,
    messages,
    ingested,
    statuses,
    logs,
    /** The next `count` ingests fail, as a store outage would. */
    failIngests(count = 1) {
      failures = count;
    },
    /** Stores an outbound message as the engine does, then sends it through the connector. */
    async deliver(
      connector: { send(message: OutboundMessage): Promise<{ externalId: string }> },
      to: Address,
      content: Content,
    ) {
      const stored: StoredMessage = {
        id: nextId(),
        direction: 'outbound',
        content,
        status: 'queued' as MessageStatus,
        externalId: null,
        createdAt: new Date().toISOString(),
        address: to.address,
      };
      messages.push(stored);
      const result = await connector.send({ id: stored.id, conversationId: 'c1', to, content });
      stored.externalId = result.externalId;
      stored.status = 'sent';
      return stored;
    },
    /** The message events ingested so far, oldest first. */
    inboundMessages() {
      return ingested.flatMap(({ events }) =>
        events.flatMap((event) => (event.type === 'message' ? [event.message] : [])),
      );
    },
    statusEvents() {
      return ingested.flatMap(({ events }) =>
        events.flatMap((event) => (event.type === 'status' ? [event] : [])),
      );
    },
  };
}

export type InMemoryRuntime = ReturnType<typeof createInMemoryRuntime>;
