import type {
  ConnectorRuntime,
  ConnectorStatus,
  InboundEvent,
  IngestReceipt,
} from '@threadline/connector-kit';

export interface IngestCall {
  events: InboundEvent[];
  raw: { contentType: string; body: string };
}

export interface SavedMedia {
  mediaId: string;
  url: string;
  body: Uint8Array;
  contentType: string;
  filename?: string;
}

export interface QuarantineEntry {
  reason: string;
  path?: string;
  contentType: string;
  body: string;
}

/**
 * The gateway's side of `ConnectorRuntime`, in memory: records what the connector ingests,
 * stores and quarantines, and can be told to fail the way a broken store would.
 */
export function createTestRuntime() {
  const ingests: IngestCall[] = [];
  const media: SavedMedia[] = [];
  const quarantined: QuarantineEntry[] = [];
  const statuses: ConnectorStatus[] = [];
  const logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const waiters: Array<() => void> = [];
  let failIngests = 0;
  const settle = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };

  const runtime: ConnectorRuntime = {
    async ingest(events, raw) {
      if (failIngests > 0) {
        failIngests -= 1;
        settle();
        throw new Error('store unavailable');
      }
      ingests.push({ events, raw });
      settle();
      return events.map(
        (): IngestReceipt => ({ messageId: null, conversationId: null, duplicate: false }),
      );
    },
    async saveMedia(item) {
      const mediaId = `media-${media.length + 1}`;
      const url = `https://gateway.test/v1/media/${mediaId}`;
      media.push({ mediaId, url, ...item });
      return { mediaId, url };
    },
    async history() {
      return [];
    },
    async quarantine(entry) {
      quarantined.push(entry);
      settle();
    },
    reportStatus(status) {
      statuses.push(status);
      settle();
    },
    log(level, message, fields) {
      logs.push({ level, message, ...(fields ? { fields } : {}) });
    },
  };

  return {
    runtime,
    ingests,
    media,
    quarantined,
    statuses,
    logs,
    /** Every message event ingested so far. */
    messages: () =>
      ingests.flatMap((call) =>
        call.events.flatMap((event) => (event.type === 'message' ? [event.message] : [])),
      ),
    /** Makes the next `count` ingests throw, as a store that is down would. */
    failNextIngests(count: number) {
      failIngests = count;
    },
    /** Resolves once the runtime has been called to ingest or quarantine `count` times in all. */
    async settled(count: number): Promise<void> {
      while (ingests.length + quarantined.length < count) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

export type TestRuntime = ReturnType<typeof createTestRuntime>;
