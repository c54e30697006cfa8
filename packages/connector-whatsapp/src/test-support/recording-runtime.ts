import type {
  ConnectorRuntime,
  ConnectorStatus,
  InboundEvent,
  IngestReceipt,
} from '@threadline/connector-kit';

/**
 * The gateway side of a connector that listens on its own, recorded: what the gateway would
 * store, the media it would keep, and the statuses it would show on /readyz.
 */
export class RecordingRuntime implements ConnectorRuntime {
  readonly batches: Array<{ events: InboundEvent[]; raw: { contentType: string; body: string } }> =
    [];
  readonly media: Array<{
    mediaId: string;
    body: Uint8Array;
    contentType: string;
    filename?: string;
  }> = [];
  readonly quarantined: Array<{
    reason: string;
    path?: string;
    contentType: string;
    body: string;
  }> = [];
  readonly statuses: ConnectorStatus[] = [];
  readonly logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  /** Make the next ingest fail, as a store that is down would. */
  failNextIngest: Error | null = null;

  get events(): InboundEvent[] {
    return this.batches.flatMap((batch) => batch.events);
  }

  async ingest(
    events: InboundEvent[],
    raw: { contentType: string; body: string },
  ): Promise<IngestReceipt[]> {
    if (this.failNextIngest) {
      const error = this.failNextIngest;
      this.failNextIngest = null;
      throw error;
    }
    this.batches.push({ events, raw });
    return events.map((_event, index) => ({
      messageId: `message-${this.batches.length}-${index}`,
      conversationId: 'conversation-1',
      duplicate: false,
    }));
  }

  async saveMedia(media: { body: Uint8Array; contentType: string; filename?: string }) {
    const mediaId = `media-${this.media.length + 1}`;
    this.media.push({ mediaId, ...media });
    return { mediaId, url: `https://gateway.test/v1/media/${mediaId}` };
  }

  async history() {
    return [];
  }

  async quarantine(entry: { reason: string; path?: string; contentType: string; body: string }) {
    this.quarantined.push(entry);
  }

  reportStatus(status: ConnectorStatus): void {
    this.statuses.push(status);
  }

  log = (level: string, message: string, fields?: Record<string, unknown>) => {
    this.logs.push({ level, message, ...(fields ? { fields } : {}) });
  };
}
