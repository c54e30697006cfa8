import {
  ConnectorError,
  type ConnectorRuntime,
  type InboundRequest,
  type ParseResult,
} from '@threadline/connector-kit';
import { describeError } from './describe-error.js';

/**
 * Stores one session event through the gateway. An event `parse` refuses is quarantined
 * with the reason; an event the gateway cannot store is quarantined too, because the
 * session never delivers it again.
 */
export async function ingestWhatsAppWebEvent(
  runtime: ConnectorRuntime,
  request: InboundRequest,
  parse: (request: InboundRequest) => Promise<ParseResult>,
): Promise<void> {
  const raw = { contentType: 'application/json', body: request.body };
  let result: ParseResult;
  try {
    result = await parse(request);
  } catch (error) {
    const typed = ConnectorError.isConnectorError(error) ? error : undefined;
    await runtime.quarantine({
      reason: typed?.message ?? describeError(error),
      ...(typed?.path ? { path: typed.path } : {}),
      ...raw,
    });
    return;
  }
  if (result.events.length === 0) return;
  try {
    await runtime.ingest(result.events, raw);
  } catch (error) {
    // the session does not redeliver: keep the event for replay rather than lose it
    runtime.log('error', 'a WhatsApp Web event could not be stored; it is quarantined', {
      error: describeError(error),
    });
    await runtime.quarantine({ reason: `not stored: ${describeError(error)}`, ...raw });
  }
}
