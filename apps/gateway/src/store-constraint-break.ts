import type { ConnectorV1 } from '@threadline/connector-kit';
import type { StoreConstraintError } from '@threadline/engine';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/**
 * An ingest whose write breaks a store rule (`StoreConstraintError`: retrying cannot cure
 * it) is kept in quarantine, replayable after a fix, and acknowledged to whoever delivered it:
 * the webhook route and the connectors that poll (IMAP, Telegram polling, WhatsApp Web, web
 * chat) alike, so one such message neither drops nor blocks the ones behind it. This is the
 * reason it is quarantined under, and the metrics and the log line it leaves.
 */
export function storeConstraintBreak(
  error: StoreConstraintError,
  connector: Pick<ConnectorV1, 'id' | 'channel'>,
  observability: { metrics: Metrics; log: Logger },
): { reason: string } {
  const { channel, id: connectorId } = connector;
  observability.metrics.ingestRequests.inc({ channel, outcome: 'quarantined' });
  observability.metrics.ingressQuarantined.inc({ channel, constraint: error.constraint });
  observability.log.error(
    { connectorId, constraint: error.constraint, error: error.message },
    'ingest broke a store rule; the request is kept in quarantine',
  );
  return { reason: `store_constraint: ${error.message}` };
}
