import type { Server } from 'node:http';
import type { ConnectorStatus, ConnectorV1 } from '@threadline/connector-kit';
import type { Engine, EventHub, Store } from '@threadline/engine';
import type { ApiKeyGuard } from './api-keys.js';
import type { GatewayConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { ScaleOut } from './scale-out.js';
import type { WebhookDispatcher } from './webhook-dispatcher.js';

/** What `createApp` builds besides the routes: the parts the routes and the server use. */
export interface GatewayRuntime {
  config: GatewayConfig;
  store: Store;
  engine: Engine;
  hub: EventHub;
  metrics: Metrics;
  log: Logger;
  connectors: Map<string, ConnectorV1>;
  connectorStatus: Map<string, ConnectorStatus>;
  dispatcher: WebhookDispatcher;
  /** API key checks, scopes and per-key rate limits for /v1 routes. */
  auth: ApiKeyGuard;
  /** Several instances as one (REDIS_URL): shared queue, event signal, listeners' lease. */
  scaleOut: ScaleOut;
  /** Aborted when the gateway shuts down: long-lived streams end. */
  shutdown: AbortSignal;
  /** Start background work: the send queue, webhook deliveries, connector listeners. */
  start(): Promise<void>;
  /** Listen on `port` (0 = any free port) with WebSockets; resolves with the bound port. */
  listen(port?: number, hostname?: string): Promise<{ port: number; server: Server }>;
  /** Graceful shutdown: stop accepting, finish in-flight work, flush the store. */
  close(): Promise<void>;
}
