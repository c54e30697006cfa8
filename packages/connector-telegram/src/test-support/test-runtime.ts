import type {
  ConnectorRuntime,
  ConnectorStatus,
  InboundEvent,
  IngestReceipt,
} from '@threadline/connector-kit';

type Update = { update_id: number } & Record<string, unknown>;

export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown> | undefined;
}

/**
 * What the gateway gives a connector, kept in memory: a store that can fail on purpose
 * (once for each update id in `failOnceFor`), and the statuses and log lines reported.
 */
export function createRuntime(options: { failOnceFor?: number[] } = {}) {
  const failOnce = new Set(options.failOnceFor ?? []);
  const ingested: Array<{ events: InboundEvent[]; raw: { contentType: string; body: string } }> =
    [];
  const quarantined: Array<Parameters<ConnectorRuntime['quarantine']>[0]> = [];
  const statuses: ConnectorStatus[] = [];
  const logs: LoggedLine[] = [];
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  const runtime: ConnectorRuntime = {
    async ingest(events, raw): Promise<IngestReceipt[]> {
      const id = (JSON.parse(raw.body) as Update).update_id;
      if (failOnce.delete(id)) throw new Error('the store is unavailable');
      ingested.push({ events, raw });
      changed();
      return events.map(() => ({ messageId: null, conversationId: null, duplicate: false }));
    },
    async saveMedia() {
      throw new Error('not used by polling');
    },
    async history() {
      return [];
    },
    async quarantine(entry) {
      quarantined.push(entry);
      changed();
    },
    reportStatus(status) {
      statuses.push(status);
      changed();
    },
    log: (level, message, fields) => {
      logs.push({ level, message, fields });
      changed();
    },
  };
  /** Resolves once `condition` holds (checked on every change). */
  const until = (condition: () => boolean) =>
    new Promise<void>((resolve) => {
      if (condition()) return resolve();
      const listener = () => {
        if (!condition()) return;
        listeners.delete(listener);
        resolve();
      };
      listeners.add(listener);
    });
  return { runtime, ingested, quarantined, statuses, logs, until };
}
