import { createRoute } from '@hono/zod-openapi';
import { ConnectorError, ThreadlineError } from '@threadline/connector-kit';
import { EngineError } from '@threadline/engine';
import type { Context } from 'hono';
import QRCode from 'qrcode';
import { z } from 'zod';
import { errorBody } from '../http-errors.js';
import { registerApiReference } from './api-reference.js';
import { type App, bearer, errorResponses, json, type RouteRuntime } from './route-helpers.js';

const connectorSchema = z
  .object({
    id: z.string(),
    channel: z.string(),
    state: z.enum(['starting', 'ready', 'degraded', 'disconnected']),
    detail: z.string().nullable(),
    capabilities: z.record(z.string(), z.unknown()),
    pairing: z
      .boolean()
      .describe(
        'A linked-device session paired by scanning a QR code (GET /v1/connectors/{id}/qr)',
      ),
  })
  .meta({ id: 'Connector' });

const quarantineSchema = z
  .object({
    id: z.string(),
    connectorId: z.string(),
    kind: z.enum(['rejected', 'ignored']),
    reason: z.string(),
    path: z.string().nullable(),
    contentType: z.string(),
    body: z.string(),
    receivedAt: z.string(),
    replayedAt: z.string().nullable(),
  })
  .meta({ id: 'QuarantineEntry' });

/** Media bytes with their type and (non-ASCII safe) file name. */
function mediaResponse(
  context: Context,
  media: { contentType: string; body: Uint8Array; filename?: string | null },
  cacheControl: string,
): never {
  const headers: Record<string, string> = {
    'content-type': media.contentType,
    'cache-control': cacheControl,
  };
  if (media.filename)
    headers['content-disposition'] =
      `inline; filename*=UTF-8''${encodeURIComponent(media.filename)}`;
  return context.body(new Uint8Array(media.body), 200, headers) as never;
}

/** Health, readiness, metrics, API description, connectors, media and quarantine. */
export function registerSystemRoutes(app: App, runtime: RouteRuntime): void {
  const { store, engine, connectors, connectorStatus } = runtime;
  const read = runtime.auth.require('read');
  const admin = runtime.auth.require('admin');

  app.get('/healthz', (context) => context.json({ status: 'ok' }));

  app.get('/readyz', async (context) => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    try {
      await store.ping();
      checks.store = { ok: true };
    } catch (error) {
      checks.store = { ok: false, detail: String(error) };
    }
    for (const connector of connectors.values()) {
      const status = connector.status?.() ??
        connectorStatus.get(connector.id) ?? { state: 'ready' as const };
      checks[`connector:${connector.id}`] = {
        ok: status.state === 'ready' || status.state === 'degraded',
        ...(status.detail
          ? { detail: `${status.state}: ${status.detail}` }
          : { detail: status.state }),
      };
    }
    const ready = Object.values(checks).every((check) => check.ok);
    return context.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
  });

  app.get('/metrics', async (context) => {
    context.header('content-type', runtime.metrics.registry.contentType);
    return context.body(await runtime.metrics.registry.metrics());
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: THREADLINE_API_KEYS at start-up',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    servers: [{ url: runtime.config.publicUrl ?? '/' }],
    info: {
      title: 'Threadline gateway API',
      version: '1.0.0',
      license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
      description:
        'One API for every channel: send and read messages, follow conversations across WhatsApp, SMS, email, Telegram and web chat, and consume a resumable event stream or signed webhooks.',
    },
  });
  registerApiReference(app);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/connectors',
      operationId: 'connectors.list',
      tags: ['Connectors'],
      summary: 'Configured connectors and their state',
      security: bearer,
      middleware: [read] as const,
      responses: {
        200: json(z.object({ data: z.array(connectorSchema) }), 'Connectors'),
        ...errorResponses,
      },
    }),
    async (context) =>
      context.json(
        {
          data: [...connectors.values()].map((connector) => {
            const status = connector.status?.() ??
              connectorStatus.get(connector.id) ?? { state: 'ready' as const };
            return {
              id: connector.id,
              channel: connector.channel,
              state: status.state,
              detail: status.detail ?? null,
              capabilities: connector.capabilities as unknown as Record<string, unknown>,
              pairing: typeof connector.pairingCode === 'function',
            };
          }),
        },
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/connectors/{id}/qr',
      operationId: 'connectors.pairingQr',
      tags: ['Connectors'],
      summary: 'The pairing QR code (PNG) of a linked-device session, until it is ready',
      security: bearer,
      middleware: [admin] as const,
      request: { params: z.object({ id: z.string() }) },
      responses: {
        200: { description: 'PNG image', content: { 'image/png': { schema: z.string() } } },
        ...errorResponses,
      },
    }),
    async (context) => {
      const connector = connectors.get(context.req.valid('param').id);
      if (!connector) throw new EngineError('not_found', 'no such connector');
      const code = connector.pairingCode?.() ?? null;
      if (!code) {
        return context.json(
          errorBody('not_found', 'no pairing code: the session is paired or not started'),
          404,
        ) as never;
      }
      const png = await QRCode.toBuffer(code, { type: 'png', margin: 2, width: 320 });
      return context.body(new Uint8Array(png), 200, {
        'content-type': 'image/png',
        'cache-control': 'no-store',
      }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/media/{id}',
      operationId: 'media.get',
      tags: ['Media'],
      summary: 'Media a customer sent (stored by the gateway)',
      security: bearer,
      middleware: [read] as const,
      request: { params: z.object({ id: z.string() }) },
      responses: {
        200: {
          description: 'The media bytes',
          content: { 'application/octet-stream': { schema: z.string() } },
        },
        ...errorResponses,
      },
    }),
    async (context) => {
      const media = await store.read.getMedia(context.req.valid('param').id);
      if (!media) throw new EngineError('not_found', 'no such media');
      return mediaResponse(context, media, 'private, max-age=3600');
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/connectors/{id}/media/{mediaId}',
      operationId: 'connectors.media',
      tags: ['Media'],
      summary:
        'Media the provider holds, fetched with the connector credentials (never exposed to apps)',
      security: bearer,
      middleware: [read] as const,
      request: { params: z.object({ id: z.string(), mediaId: z.string() }) },
      responses: {
        200: {
          description: 'The media bytes',
          content: { 'application/octet-stream': { schema: z.string() } },
        },
        ...errorResponses,
      },
    }),
    async (context) => {
      const { id, mediaId } = context.req.valid('param');
      const connector = connectors.get(id);
      if (!connector?.fetchMedia)
        throw new EngineError('not_found', 'this connector serves no media');
      try {
        const media = await connector.fetchMedia(mediaId);
        return mediaResponse(context, media, 'private, no-store');
      } catch (error) {
        if (ConnectorError.isConnectorError(error) && error.statusCode === 404)
          throw new EngineError('not_found', 'no such media');
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/quarantine',
      operationId: 'quarantine.list',
      tags: ['Quarantine'],
      summary: 'Rejected and ignored provider input, newest first, with the reason',
      security: bearer,
      middleware: [admin] as const,
      request: {
        query: z.object({
          connectorId: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
      },
      responses: {
        200: json(z.object({ data: z.array(quarantineSchema) }), 'Entries'),
        ...errorResponses,
      },
    }),
    async (context) => {
      const query = context.req.valid('query');
      const entries = await store.read.listQuarantine({
        ...(query.connectorId ? { connectorId: query.connectorId } : {}),
        limit: query.limit,
      });
      return context.json({ data: entries.map(({ request: _request, ...entry }) => entry) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/quarantine/{id}/replay',
      operationId: 'quarantine.replay',
      tags: ['Quarantine'],
      summary: 'Parse a quarantined request again (after a fix) and ingest it',
      security: bearer,
      middleware: [admin] as const,
      request: { params: z.object({ id: z.string() }) },
      responses: {
        200: json(z.object({ replayed: z.boolean(), received: z.number().int() }), 'Replayed'),
        422: json(z.object({ error: z.any() }), 'Still rejected'),
        ...errorResponses,
      },
    }),
    async (context) => {
      const entry = await store.read.getQuarantine(context.req.valid('param').id);
      if (!entry?.request) throw new EngineError('not_found', 'no replayable quarantine entry');
      const connector = connectors.get(entry.connectorId);
      if (!connector)
        throw new EngineError('not_found', `connector ${entry.connectorId} is not configured`);
      try {
        const parsed = await connector.parse({ ...entry.request, body: entry.body });
        const receipts = await engine.ingest(connector.id, parsed.events);
        await store.write((tx) =>
          tx.updateQuarantine({ ...entry, replayedAt: engine.clock.now().toISOString() }),
        );
        return context.json({ replayed: true, received: receipts.length }, 200);
      } catch (error) {
        if (!ThreadlineError.isInstance(error)) throw error;
        return context.json(errorBody(error.code, `still rejected: ${error.message}`), 422);
      }
    },
  );
}
