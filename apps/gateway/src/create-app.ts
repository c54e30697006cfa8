import { setMaxListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { ConnectorRuntime, ConnectorStatus, ConnectorV1 } from '@threadline/connector-kit';
import {
  createEngine,
  createEventHub,
  createIdGenerator,
  createJobRunner,
  StoreConstraintError,
  systemClock,
} from '@threadline/engine';
import { observeAnalytics } from './analytics-metrics.js';
import { createApiKeyGuard, registerBootstrapKeys } from './api-keys.js';
import { configFromEnv, type GatewayConfigInput } from './config.js';
import { connectorsFromEnv } from './connectors-from-env.js';
import { ensureErrorEvent } from './error-event.js';
import type { GatewayRuntime } from './gateway-runtime.js';
import { errorResponse, routeNotFound } from './http-errors.js';
import { createLogger } from './logger.js';
import { countNotification, createMetrics, type Metrics } from './metrics.js';
import { readBody } from './read-body.js';
import { registerAnalyticsRoutes } from './routes/analytics.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerConsoleRoutes } from './routes/console.js';
import { registerConsumerRoutes } from './routes/consumer-api.js';
import { registerControlRoutes } from './routes/control.js';
import { registerEventRoutes } from './routes/events.js';
import { registerIngressRoutes } from './routes/ingress.js';
import { registerIntegrationRoutes } from './routes/integrations.js';
import { registerNotificationRoutes } from './routes/notifications.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import { createGatewayStore, createScaleOut } from './scale-out.js';
import { storeConstraintBreak } from './store-constraint-break.js';
import { validationHook } from './validation-hook.js';
import { createWebhookDispatcher } from './webhook-dispatcher.js';

export type { GatewayRuntime } from './gateway-runtime.js';

export type ThreadlineApp = OpenAPIHono & { gateway: GatewayRuntime };

/** Builds the gateway. Tests call `app.request()` on the result; `server.ts` listens. */
export function createApp(input: GatewayConfigInput = {}): ThreadlineApp {
  ensureErrorEvent();
  const config = configFromEnv(input.env ?? process.env, input);
  const clock = config.clock ?? systemClock;
  const ids = createIdGenerator(clock);
  const log = createLogger(config, config.logDestination);
  const metrics = createMetrics();
  const hub = createEventHub();
  const store = createGatewayStore(config, metrics);

  const connectors = new Map<string, ConnectorV1>();
  const fromEnv = config.connectorsFromEnv
    ? connectorsFromEnv({
        env: config.env,
        publicUrl: config.publicUrl,
        dataDirectory: config.dataDirectory,
      })
    : [];
  for (const connector of [...fromEnv, ...config.connectors]) {
    if (connectors.has(connector.id))
      throw new Error(`two connectors share the id "${connector.id}"`);
    connectors.set(connector.id, instrument(connector, metrics));
  }
  const connectorStatus = new Map<string, ConnectorStatus>();
  for (const connector of connectors.values())
    connectorStatus.set(connector.id, connector.status?.() ?? { state: 'ready' });
  const scaleOut = createScaleOut({ config, hub, log, metrics, connectors });

  let runner: ReturnType<typeof createJobRunner> | undefined;
  const engine = createEngine({
    store,
    clock,
    ids,
    connectors,
    continuityWindowMs: config.continuityWindowMs,
    identityPolicy: config.identityPolicy,
    queue: scaleOut.queue,
    rateLimiter: scaleOut.rateLimiter,
    jobLeaseMs: config.jobLeaseMs,
    sendConcurrency: config.sendConcurrency,
    analytics: config.analyticsRollups,
    onAnalytics: (deltas) => observeAnalytics(metrics, deltas),
    notifications: config.notifications,
    onCommitted: (events) => {
      hub.publish(events);
      scaleOut.announce(events);
      for (const event of events) {
        if (event.type === 'message.received')
          metrics.inboundMessages.inc({ channel: event.data.message.channel });
        if (event.type === 'conversation.control_passed')
          metrics.controlPasses.inc({ reason: event.data.reason });
        countNotification(metrics, event);
      }
      // A status can free the next send of its conversation; a new conversation queues none
      // (sends wake the runner where they are queued), and a wake costs a claim from Redis.
      if (events.some((event) => event.type === 'message.status_updated')) runner?.wake();
    },
    log: (level, message, fields) => log[level]({ ...fields }, message),
  });
  const dispatcher = createWebhookDispatcher({
    store,
    hub,
    clock,
    ids,
    retry: config.webhookRetry,
    log,
    metrics,
  });

  const app = new OpenAPIHono({
    defaultHook: validationHook,
  }) as ThreadlineApp;
  const { upgradeWebSocket, injectWebSocket, wss } = createNodeWebSocket({ app });
  const shutdown = new AbortController();
  // No WebSocket frame may be larger than the body limit (ws defaults to 100 MiB); the web
  // chat protocol applies its own, smaller message limit on top.
  wss.options.maxPayload = config.maxBodyBytes;
  // every open event stream listens for shutdown
  setMaxListeners(0, shutdown.signal);

  app.onError((error, context) => {
    const response = errorResponse(context, error);
    if (response.status >= 500)
      log.error(
        { error: String(error), stack: (error as Error).stack, path: context.req.path },
        'request failed',
      );
    return response;
  });
  app.notFound((context) => routeNotFound(context, app.routes));
  app.use('*', readBody(config.maxBodyBytes));

  const bootstrap = registerBootstrapKeys(store, config.apiKeys, clock.now()).catch(() =>
    // another instance may store the same keys at the same moment: a second pass finds them
    registerBootstrapKeys(store, config.apiKeys, clock.now()),
  );
  bootstrap.catch((error) =>
    log.error({ error: String(error) }, 'could not store the bootstrap API keys'),
  );
  app.use('/v1/*', async (_context, next) => {
    await bootstrap;
    await next();
  });

  const runtime: Omit<GatewayRuntime, 'start' | 'listen' | 'close'> = {
    config,
    store,
    engine,
    hub,
    metrics,
    log,
    connectors,
    connectorStatus,
    dispatcher,
    scaleOut,
    auth: createApiKeyGuard({ store, defaultRatePerSecond: config.apiRateLimitPerSecond }),
    shutdown: shutdown.signal,
  };
  registerSystemRoutes(app, runtime);
  registerIngressRoutes(app, runtime);
  registerConsumerRoutes(app, runtime, () => runner?.wake());
  registerEventRoutes(app, runtime, upgradeWebSocket);
  registerWebhookRoutes(app, runtime);
  registerApiKeyRoutes(app, runtime);
  registerIntegrationRoutes(app, runtime);
  registerControlRoutes(app, runtime);
  registerAnalyticsRoutes(app, runtime);
  registerConsoleRoutes(app, log);
  registerNotificationRoutes(app, runtime, () => runner?.wake());
  for (const connector of connectors.values()) connector.mount?.(app, { upgradeWebSocket });

  const servers: Server[] = [];
  let started = false;

  function connectorRuntime(connector: ConnectorV1): ConnectorRuntime {
    const forConnector: ConnectorRuntime = {
      async ingest(events, raw) {
        try {
          return await engine.ingest(connector.id, events);
        } catch (error) {
          if (!StoreConstraintError.isStoreConstraintError(error)) throw error;
          const { reason } = storeConstraintBreak(error, connector, { metrics, log });
          await forConnector.quarantine({ reason, contentType: raw.contentType, body: raw.body });
          return events.map(() => ({ messageId: null, conversationId: null, duplicate: false }));
        }
      },
      async saveMedia(media) {
        const id = ids.next();
        await store.write((tx) =>
          tx.insertMedia({
            id,
            contentType: media.contentType,
            filename: media.filename ?? null,
            size: media.body.byteLength,
            body: media.body,
            createdAt: clock.now().toISOString(),
          }),
        );
        return {
          mediaId: id,
          url: `${config.publicUrl ?? `http://localhost:${config.port}`}/v1/media/${id}`,
        };
      },
      async history(address, options = {}) {
        const found = await store.read.findIdentity(address);
        if (!found) return [];
        const contact = await engine.getContact(found.contactId);
        const conversation = contact
          ? await store.read.findLatestConversation(contact.id, 'default')
          : undefined;
        if (!conversation) return [];
        const messages = await store.read.listConversationMessages(conversation.id, {
          limit: 10_000,
        });
        return messages.slice(-(options.limit ?? 200)).map((message) => ({
          id: message.id,
          direction: message.direction,
          content: message.content,
          status: message.status,
          externalId: message.externalId,
          createdAt: message.createdAt,
        }));
      },
      async quarantine(entry) {
        await store.write((tx) =>
          tx.insertQuarantine({
            id: ids.next(),
            connectorId: connector.id,
            kind: 'rejected',
            reason: entry.reason,
            path: entry.path ?? null,
            contentType: entry.contentType,
            body: entry.body,
            receivedAt: clock.now().toISOString(),
            replayedAt: null,
          }),
        );
      },
      reportStatus(status) {
        const previous = connectorStatus.get(connector.id);
        connectorStatus.set(connector.id, status);
        if (previous?.state !== status.state) {
          log.info(
            { connectorId: connector.id, state: status.state, detail: status.detail },
            'connector status changed',
          );
          void engine
            .reportConnectorStatus(connector.id, status.state, status.detail ?? null)
            .catch(() => {});
        }
      },
      log: (level, message, fields) =>
        log[level]({ connectorId: connector.id, ...fields }, message),
    };
    return forConnector;
  }

  app.gateway = {
    ...runtime,
    async start() {
      if (started) return;
      started = true;
      await bootstrap;
      runner = createJobRunner({
        claim: (limit) => engine.claimJobs(limit),
        run: (job) => engine.runJob(job),
        concurrency: config.sendConcurrency,
        onError: (error) => log.error({ error: String(error) }, 'job runner failed'),
      });
      runner.start();
      const startConnector = async (connector: ConnectorV1) => {
        if (!connector.start) return;
        try {
          await connector.start(connectorRuntime(connector));
        } catch (error) {
          connectorStatus.set(connector.id, { state: 'disconnected', detail: String(error) });
          log.error(
            { connectorId: connector.id, error: String(error) },
            'connector failed to start',
          );
        }
      };
      const single = [...connectors.values()].filter((connector) => connector.singleListener);
      for (const connector of connectors.values())
        if (!connector.singleListener) await startConnector(connector);
      // Webhook deliveries and single-listener connectors: here, or on the lease holder.
      await scaleOut.start(engine, {
        async start() {
          dispatcher.start();
          for (const connector of single) await startConnector(connector);
        },
        async stop() {
          await dispatcher.stop();
          for (const connector of single) await connector.stop?.().catch(() => {});
        },
      });
    },
    async listen(port = config.port, hostname = '127.0.0.1') {
      const server = await new Promise<Server>((resolve) => {
        const created = serve({ fetch: app.fetch, port, hostname, createServer }, () =>
          resolve(created as Server),
        ) as Server;
      });
      injectWebSocket(server);
      servers.push(server);
      return { port: (server.address() as AddressInfo).port, server };
    },
    async close() {
      // Stop accepting, end event streams and sockets, finish in-flight work, flush the store.
      shutdown.abort();
      const closing = servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections?.();
          }),
      );
      for (const client of wss.clients) client.close(1001, 'the gateway is shutting down');
      const force = setTimeout(() => {
        for (const server of servers) server.closeAllConnections?.();
        for (const client of wss.clients) client.terminate();
      }, 2_000);
      force.unref();
      await runner?.stop();
      await engine.stop();
      await dispatcher.stop();
      for (const connector of connectors.values()) await connector.stop?.().catch(() => {});
      await Promise.all(closing);
      clearTimeout(force);
      await bootstrap.catch(() => {});
      await scaleOut.close();
      await engine.queue.close();
      await store.close();
    },
  };
  return app;
}

/** Counts and times every provider send, per channel. */
function instrument(connector: ConnectorV1, metrics: Metrics): ConnectorV1 {
  const send = connector.send.bind(connector);
  connector.send = async (message) => {
    const stop = metrics.sendDuration.startTimer({ channel: connector.channel });
    try {
      const result = await send(message);
      metrics.sends.inc({ channel: connector.channel, outcome: 'sent' });
      return result;
    } catch (error) {
      metrics.sends.inc({ channel: connector.channel, outcome: 'failed' });
      throw error;
    } finally {
      stop();
    }
  };
  return connector;
}
