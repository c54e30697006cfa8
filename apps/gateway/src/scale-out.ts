import { join } from 'node:path';
import type { ConnectorV1, OutboundMessage } from '@threadline/connector-kit';
import type { Engine, EventHub, Job, JobQueue, SendRateLimiter, Store } from '@threadline/engine';
import {
  createRedisBroadcast,
  createRedisEventSignal,
  createRedisJobQueue,
  createRedisLease,
  createRedisRateLimiter,
  openRedis,
  type RedisEventSignal,
  type RedisJobQueue,
  type RedisLease,
  type RedisRateLimiter,
} from '@threadline/queue-redis';
import type { ThreadlineEvent } from '@threadline/schema';
import { createPostgresStore } from '@threadline/store-postgres';
import { createSqliteStore } from '@threadline/store-sqlite';
import { Counter, Gauge } from 'prom-client';
import type { GatewayConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** The store the configuration asks for: PostgreSQL with DATABASE_URL, else the embedded SQLite file. */
export function createGatewayStore(config: GatewayConfig, metrics: Metrics): Store {
  if (config.databaseUrl && config.databaseFile === undefined) {
    const retries = new Counter({
      name: 'threadline_store_write_retries_total',
      help: 'Writes run again after colliding with a concurrent write on another connection or instance',
      registers: [metrics.registry],
    });
    const store = createPostgresStore({
      connectionString: config.databaseUrl,
      poolSize: config.databasePoolSize,
      schema: config.databaseSchema,
      onRetry: () => retries.inc(),
    });
    // What the store sends to PostgreSQL: for capacity planning (docs/deploying.md).
    const counted = [
      [
        'threadline_store_commits_total',
        'Write transactions committed (each carries one or more writes)',
        'commits',
      ],
      [
        'threadline_store_statements_total',
        'Statements in write transactions, BEGIN and COMMIT included',
        'statements',
      ],
      [
        'threadline_store_round_trips_total',
        'Round trips to PostgreSQL of write transactions',
        'roundTrips',
      ],
      [
        'threadline_store_reads_total',
        'Reads outside transactions (API and event streams)',
        'reads',
      ],
    ] as const;
    for (const [name, help, field] of counted) {
      new Counter({
        name,
        help,
        registers: [metrics.registry],
        collect() {
          this.reset();
          this.inc(store.stats[field]);
        },
      });
    }
    return store;
  }
  return createSqliteStore({
    filename: config.databaseFile ?? join(config.dataDirectory, 'threadline.db'),
    durability: config.durability,
  });
}

/** Work that runs on one instance at a time: single-listener connectors and webhook deliveries. */
export interface SingleInstanceWork {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type ScaleOut = ReturnType<typeof createScaleOut>;

/** How long a send through a connector owned by another instance waits before it is offered again. */
const handOffDelayMs = 250;
/** How often committed jobs stranded in the outbox (a crash between commit and hand-over) are relayed. */
const relayIntervalMs = 5_000;

/**
 * Several gateway instances as one (REDIS_URL): the outbound queue on BullMQ, per-connector
 * rate limits shared in Redis, a pub/sub signal so a consumer on one instance is woken by
 * events committed on another, and a lease so the work that must run once — connectors
 * with `singleListener` (the SMTP server, the whatsapp-web.js session, Telegram long
 * polling) and webhook deliveries — runs on exactly one instance, and moves to another
 * when that one dies. Without REDIS_URL everything runs here, in process.
 */
export function createScaleOut(options: {
  config: GatewayConfig;
  hub: EventHub;
  log: Logger;
  metrics: Metrics;
  connectors: Map<string, ConnectorV1>;
}) {
  const { config, hub, log, metrics } = options;
  const redisUrl = config.redisUrl;
  const connection = redisUrl ? openRedis(redisUrl) : undefined;
  const prefix = config.redisPrefix;
  const redisQueue: RedisJobQueue | undefined = connection
    ? createRedisJobQueue({ connection: connection.redis, prefix })
    : undefined;
  const rateLimiter: RedisRateLimiter | undefined = connection
    ? createRedisRateLimiter({ connection: connection.redis, prefix })
    : undefined;
  const signal: RedisEventSignal | undefined = redisUrl
    ? createRedisEventSignal({ url: redisUrl, prefix, publisher: connection!.redis })
    : undefined;
  /**
   * Socket deliveries: a reply sent by one instance reaches the visitor's socket on another.
   * Each send is broadcast; every other instance holding a socket of that visitor pushes it.
   */
  // Connectors that deliver into connections held by one instance (the contract's `openSockets`).
  const socketConnectors = [...options.connectors.values()].filter(
    (connector) => connector.openSockets !== undefined,
  );
  const broadcast =
    redisUrl && socketConnectors.length > 0
      ? createRedisBroadcast({
          url: redisUrl,
          prefix,
          name: 'socket-delivery',
          publisher: connection!.redis,
        })
      : undefined;
  const localSends = new Map<string, (message: OutboundMessage) => Promise<unknown>>();
  if (broadcast) {
    for (const connector of socketConnectors) {
      const send = connector.send.bind(connector);
      localSends.set(connector.id, send);
      connector.send = async (message) => {
        const result = await send(message);
        broadcast
          .publish(
            JSON.stringify({ origin: config.instanceId, connectorId: connector.id, message }),
          )
          .catch((error: unknown) =>
            log.warn({ error: String(error) }, 'could not pass a socket delivery on'),
          );
        return result;
      };
    }
  }
  let unsubscribeDeliveries: (() => void) | undefined;

  /** Connectors whose listeners and sends belong to the lease holder. */
  const owned = new Set(
    [...options.connectors.values()]
      .filter((connector) => connector.singleListener)
      .map((connector) => connector.id),
  );
  let lease: RedisLease | undefined;
  let relayTimer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let announced = 0;
  let signalScheduled = false;
  let closed = false;

  const holdsListeners = () => (lease ? lease.held : true);

  new Gauge({
    name: 'threadline_listener_lease_held',
    help: '1 on the instance running the single-instance listeners and webhook deliveries',
    registers: [metrics.registry],
    collect() {
      this.set(holdsListeners() ? 1 : 0);
    },
  });
  if (redisQueue) {
    new Gauge({
      name: 'threadline_outbound_jobs',
      help: 'Outbound jobs in the shared queue by state (dead_lettered: abandoned too often)',
      labelNames: ['state'],
      registers: [metrics.registry],
      async collect() {
        const counts = await redisQueue.counts().catch(() => undefined);
        if (!counts) return;
        this.set({ state: 'waiting' }, counts.waiting);
        this.set({ state: 'delayed' }, counts.delayed);
        this.set({ state: 'active' }, counts.active);
        this.set({ state: 'dead_lettered' }, counts.deadLettered);
      },
    });
  }

  /**
   * Send jobs for a connector another instance owns are offered again shortly, without
   * counting an attempt, until the owner claims them: its session is the only way out.
   */
  const queue: JobQueue | undefined = redisQueue && {
    kind: redisQueue.kind,
    inStore: redisQueue.inStore,
    enqueue: (jobs) => redisQueue.enqueue(jobs),
    complete: (job) => redisQueue.complete(job),
    get: (id) => redisQueue.get(id),
    reschedule: (job, runAt, error, rescheduleOptions) =>
      redisQueue.reschedule(job, runAt, error, rescheduleOptions),
    close: () => redisQueue.close(),
    async claim(now, leaseMs, limit) {
      const jobs = await redisQueue.claim(now, leaseMs, limit);
      if (owned.size === 0 || holdsListeners()) return jobs;
      const runnable: Job[] = [];
      for (const job of jobs) {
        if (job.kind === 'send' && job.connectorId && owned.has(job.connectorId)) {
          await redisQueue.reschedule(
            job,
            new Date(Date.now() + handOffDelayMs),
            'waiting for the instance that holds the connector’s session',
            { countAttempt: false },
          );
        } else runnable.push(job);
      }
      return runnable;
    },
  };

  return {
    /** The shared queue, or undefined for the embedded one. */
    queue,
    rateLimiter: rateLimiter as SendRateLimiter | undefined,
    /** Connectors that run only on the lease holder. */
    owned,
    /** True while this instance runs the single-instance work. */
    get holdsListeners() {
      return holdsListeners();
    },

    /**
     * Tell the other instances that events committed here (call after every commit). Commits
     * finishing together share one signal, carrying the highest cursor.
     */
    announce(events: ThreadlineEvent[]): void {
      const cursor = events.reduce((highest, event) => Math.max(highest, event.cursor), 0);
      if (cursor <= announced) return;
      announced = cursor;
      if (!signal || closed || signalScheduled) return;
      signalScheduled = true;
      setImmediate(() => {
        signalScheduled = false;
        if (closed) return;
        signal.publish(announced).catch((error: unknown) => {
          log.warn({ error: String(error) }, 'could not signal other instances');
        });
      });
    },

    /**
     * Start cross-instance work: listen for other instances' commits, relay stranded
     * outbox jobs, and run `singleInstance` here whenever this instance holds the lease.
     */
    async start(engine: Engine, singleInstance: SingleInstanceWork): Promise<void> {
      if (broadcast) {
        unsubscribeDeliveries = broadcast.subscribe((payload) => {
          const delivery = JSON.parse(payload) as {
            origin: string;
            connectorId: string;
            message: OutboundMessage;
          };
          if (delivery.origin === config.instanceId) return;
          const connector = options.connectors.get(delivery.connectorId);
          if (!connector?.openSockets || connector.openSockets(delivery.message.to.address) === 0)
            return;
          void localSends
            .get(connector.id)?.(delivery.message)
            .catch(() => {});
        });
        await broadcast.ready.catch((error: unknown) =>
          log.error({ error: String(error) }, 'socket deliveries could not subscribe'),
        );
      }
      if (signal) {
        unsubscribe = signal.subscribe((cursor) => {
          // this instance's own commits already woke its consumers
          if (cursor <= announced) return;
          hub.publish([]);
          engine.analyticsFold.committedElsewhere();
        });
        await signal.ready.catch((error: unknown) =>
          log.error({ error: String(error) }, 'the event signal could not subscribe'),
        );
      }
      if (queue) {
        const relay = () => {
          engine
            .relayOutbox()
            .then((relayed) => {
              if (relayed > 0) log.info({ relayed }, 'relayed stranded outbox jobs');
            })
            .catch((error: unknown) =>
              log.warn({ error: String(error) }, 'could not relay the outbox'),
            )
            .finally(() => {
              if (!closed) relayTimer = setTimeout(relay, relayIntervalMs).unref();
            });
        };
        relay();
      }
      if (!connection) {
        await singleInstance.start();
        return;
      }
      // the analytics fold runs where the lease is, like webhook deliveries: one instance folds
      // every instance's events and keeps its states in memory, rather than each reading back
      // what the other folded
      engine.analyticsFold.here(false);
      lease = createRedisLease({
        connection: connection.redis,
        prefix,
        name: 'listeners',
        ttlMs: config.listenerLeaseMs,
        owner: config.instanceId,
        onChange: async (held) => {
          log.info(
            { instanceId: config.instanceId, connectors: [...owned] },
            held
              ? 'this instance holds the listeners lease: starting single-instance listeners, webhook deliveries and the analytics fold'
              : 'the listeners lease moved away: stopping single-instance listeners, webhook deliveries and the analytics fold',
          );
          engine.analyticsFold.here(held);
          try {
            if (held) await singleInstance.start();
            else await singleInstance.stop();
          } catch (error) {
            log.error({ error: String(error) }, 'single-instance work failed to change state');
          }
        },
      });
      await lease.start();
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (relayTimer) clearTimeout(relayTimer);
      unsubscribe?.();
      unsubscribeDeliveries?.();
      await lease?.stop();
      await queue?.close();
      await rateLimiter?.close();
      await signal?.close();
      await broadcast?.close();
      await connection?.release();
    },
  };
}
