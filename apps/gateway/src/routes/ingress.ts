import { ConnectorError, type InboundRequest, ThreadlineError } from '@threadline/connector-kit';
import { StoreConstraintError } from '@threadline/engine';
import type { Context } from 'hono';
import { errorBody } from '../http-errors.js';
import { nodeIncoming } from '../read-body.js';
import { storeConstraintBreak } from '../store-constraint-break.js';
import type { App, RouteRuntime } from './route-helpers.js';

/** What the provider called, as it called it: the public URL behind a proxy, lower-cased headers. */
export function toInboundRequest(
  request: { method: string; url: string; headers: Record<string, string> },
  body: string,
  publicUrl: string | undefined,
): InboundRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  let url = request.url;
  if (publicUrl) {
    const incoming = new URL(request.url);
    url = `${publicUrl}${incoming.pathname}${incoming.search}`;
  }
  return { method: request.method, url, headers, body };
}

/**
 * The request's headers, lower-cased. Under the Node server they come from the parsed
 * IncomingMessage as they are; `context.req.header()` would build a Fetch `Headers` first.
 */
function requestHeaders(context: Context): Record<string, string> {
  const incoming = nodeIncoming(context);
  if (!incoming) return context.req.header();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * Provider ingress at `/webhooks/<channel>/<connectorId>`: verify and normalize with the
 * connector, persist with the engine, and only then answer 2xx. Rejected requests are
 * answered with a precise error and kept in quarantine with the reason. A request whose write
 * breaks a store rule (a `StoreConstraintError`: redelivering cannot cure it) is kept in
 * quarantine too, and acknowledged: nothing is lost, and it can be replayed after a fix.
 */
export function registerIngressRoutes(app: App, runtime: RouteRuntime): void {
  const { engine, metrics, store, log } = runtime;

  async function quarantine(
    connectorId: string,
    request: InboundRequest,
    reason: string,
    path: string | null,
  ) {
    await store.write((tx) =>
      tx.insertQuarantine({
        id: engine.ids.next(),
        connectorId,
        kind: 'rejected',
        reason,
        path,
        contentType: request.headers['content-type'] ?? 'application/octet-stream',
        body: request.body,
        receivedAt: engine.clock.now().toISOString(),
        replayedAt: null,
        request: { method: request.method, url: request.url, headers: request.headers },
      }),
    );
  }

  app.on(['GET', 'POST'], '/webhooks/:channel/:connectorId', async (context) => {
    const { channel, connectorId } = context.req.param();
    const connector = runtime.connectors.get(connectorId);
    if (!connector || connector.channel !== channel) {
      return context.json(
        errorBody('not_found', `no ${channel} connector "${connectorId}" is configured`),
        404,
      );
    }
    // Read through Hono's request helpers: touching `context.req.raw` would make the Node
    // adapter build a full Fetch Request (and an AbortSignal) for every webhook.
    const body = await context.req.text();
    const request = toInboundRequest(
      { method: context.req.method, url: context.req.url, headers: requestHeaders(context) },
      body,
      runtime.config.publicUrl,
    );
    const stopTimer = metrics.ingestDuration.startTimer({ channel });
    let parsed: Awaited<ReturnType<typeof connector.parse>>;
    try {
      parsed = await connector.parse(request);
    } catch (error) {
      const typed = ConnectorError.isConnectorError(error);
      const reason = error instanceof Error ? error.message : String(error);
      metrics.ingestRequests.inc({ channel, outcome: typed ? error.code : 'connector_error' });
      await quarantine(connector.id, request, reason, typed ? (error.path ?? null) : null).catch(
        (failure) =>
          log.error({ error: String(failure) }, 'could not quarantine a rejected request'),
      );
      if (typed) {
        log.info({ connectorId, code: error.code, path: error.path }, 'provider request rejected');
        // a signature refusal answers as the provider documents (401, or Meta's 403)
        const status =
          error.code === 'signature_invalid' ? ((error.statusCode ?? 401) as 401 | 403) : 400;
        return context.json(
          errorBody(error.code, error.message, error.path ? { path: error.path } : null),
          status,
        );
      }
      log.error({ connectorId, error: reason }, 'connector failed to parse a request');
      return context.json(
        errorBody(
          'internal',
          'the connector could not read this request; it was kept for inspection',
        ),
        500,
      );
    }
    try {
      const receipts = await engine.ingest(connector.id, parsed.events);
      metrics.ingestRequests.inc({ channel, outcome: 'accepted' });
      stopTimer();
      if (parsed.response) {
        return context.body(parsed.response.body, parsed.response.status as 200, {
          ...parsed.response.headers,
        });
      }
      return context.json(
        {
          ok: true,
          received: receipts.length,
          duplicates: receipts.filter((receipt) => receipt.duplicate).length,
        },
        200,
      );
    } catch (error) {
      if (StoreConstraintError.isStoreConstraintError(error)) {
        // Redelivery would break the same rule again: keep the request (replayable after a
        // fix) and acknowledge it, so the provider neither retries forever nor gives up on it.
        const { reason } = storeConstraintBreak(error, connector, { metrics, log });
        await quarantine(connector.id, request, reason, null);
        if (parsed.response) {
          return context.body(parsed.response.body, parsed.response.status as 200, {
            ...parsed.response.headers,
          });
        }
        return context.json({ ok: true, received: 0, duplicates: 0, quarantined: true }, 200);
      }
      metrics.ingestRequests.inc({ channel, outcome: 'store_error' });
      if (ThreadlineError.isInstance(error)) throw error;
      log.error(
        { connectorId, error: String(error), stack: (error as Error).stack },
        'ingest failed; the provider will redeliver',
      );
      return context.json(
        errorBody('unavailable', 'could not store the request; retry later'),
        503,
      );
    }
  });
}
