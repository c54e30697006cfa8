import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConnectorV1, Environment } from '@threadline/connector-kit';
import {
  type Clock,
  type IdentityPolicy,
  type NotificationDefaults,
  parseDuration,
} from '@threadline/engine';
import { notificationDefaultsFromEnv } from './notification-config.js';

/** Everything the gateway needs; `threadline.config.ts` exports one with {@link defineConfig}. */
export interface GatewayConfig {
  /** HTTP port (PORT, default 8787). */
  port: number;
  /** Where the embedded store and session files live (THREADLINE_DATA_DIR, default ./data). */
  dataDirectory: string;
  /** Bootstrap API keys (THREADLINE_API_KEYS, comma-separated); stored hashed. */
  apiKeys: string[];
  /** External base URL (THREADLINE_PUBLIC_URL), used for provider signatures behind a proxy. */
  publicUrl: string | undefined;
  /** Continuity window (THREADLINE_CONTINUITY_WINDOW, e.g. 24h). */
  continuityWindowMs: number;
  /** `normal` or `fsync` (THREADLINE_DURABILITY). */
  durability: 'normal' | 'fsync';
  /** Connectors in addition to the ones configured from the environment. */
  connectors: ConnectorV1[];
  /** Build connectors from environment variables (TELEGRAM_BOT_TOKEN, TWILIO_ACCOUNT_SID, ...). */
  connectorsFromEnv: boolean;
  identityPolicy: Partial<IdentityPolicy>;
  /** Requests per second an API key may make unless the key says otherwise (THREADLINE_API_RATE_LIMIT). */
  apiRateLimitPerSecond: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Webhook deliveries: first retry delay and how long to keep retrying before dead-lettering. */
  webhookRetry: { baseMs: number; maxMs: number; giveUpAfterMs: number };
  /** Allow webhook URLs on loopback or private networks (for local development and tests). */
  allowPrivateWebhookUrls: boolean;
  logLevel: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /** Where logs go (default stdout): any writable with a `write(line)` method. */
  logDestination?: { write(line: string): unknown };
  /** Use `:memory:` for a throwaway store (tests); set, it wins over `databaseUrl`. */
  databaseFile?: string;
  /** PostgreSQL instead of the embedded store (DATABASE_URL=postgres://…): several instances share it. */
  databaseUrl: string | undefined;
  /** Connections each instance keeps to PostgreSQL (DATABASE_POOL_SIZE, default 10). */
  databasePoolSize: number;
  /** PostgreSQL schema holding the tables (THREADLINE_DATABASE_SCHEMA, default public). */
  databaseSchema: string;
  /**
   * Redis (REDIS_URL=redis://…): the outbound queue (BullMQ), send rate limits, the event
   * signal between instances, and the lease for listeners that run on one instance only.
   */
  redisUrl: string | undefined;
  /** Prefix of every Redis key of this deployment (THREADLINE_REDIS_PREFIX, default threadline). */
  redisPrefix: string;
  /** How long a claimed send job is leased before another worker may run it (THREADLINE_JOB_LEASE, 60s). */
  jobLeaseMs: number;
  /** Send jobs this instance runs at once (THREADLINE_SEND_CONCURRENCY, default 64). */
  sendConcurrency: number;
  /** How long the listeners' lease survives its holder (THREADLINE_LISTENER_LEASE, 15s). */
  listenerLeaseMs: number;
  /** This instance's name in leases and logs (THREADLINE_INSTANCE_ID, default host-pid-random). */
  instanceId: string;
  /** Analytics rollups written with the events (THREADLINE_ANALYTICS_ROLLUPS, default on; `off` to measure their cost). */
  analyticsRollups: boolean;
  clock?: Clock;
  env: Environment;
  /** Notification defaults: THREADLINE_NOTIFY_TIMEZONE, _QUIET_HOURS, _FREQUENCY_CAP, _LIVE_WINDOW, _LIVE_POLICY. */
  notifications: Partial<NotificationDefaults>;
}

export type GatewayConfigInput = Partial<GatewayConfig>;

/** Typed configuration for `threadline.config.ts`. */
export function defineConfig(config: GatewayConfigInput): GatewayConfigInput {
  return config;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new Error(`${name} must be a whole number of at least 1, not "${value}"`);
  return parsed;
}

/**
 * A path the user gave (a variable, a flag), resolved against the directory they ran the
 * command in. npm runs workspace scripts (`npm start`, `npm run simulate`) inside the
 * workspace folder and passes the user's directory as INIT_CWD; without npm it is the
 * working directory.
 */
export function userPath(path: string, env: Environment = process.env): string {
  return resolve(env.INIT_CWD || process.cwd(), path);
}

/** The configuration from environment variables alone, with defaults that work on a fresh clone. */
export function configFromEnv(
  env: Environment = process.env,
  overrides: GatewayConfigInput = {},
): GatewayConfig {
  const durability = env.THREADLINE_DURABILITY === 'fsync' ? 'fsync' : 'normal';
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new Error(
      'DATABASE_URL must be a postgres:// URL; leave it unset for the embedded SQLite store',
    );
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl))
    throw new Error('REDIS_URL must be a redis:// (or rediss://) URL');
  return {
    port: Number(env.PORT ?? 8787),
    dataDirectory: userPath(env.THREADLINE_DATA_DIR ?? './data', env),
    apiKeys: list(env.THREADLINE_API_KEYS),
    publicUrl: env.THREADLINE_PUBLIC_URL?.replace(/\/+$/, '') || undefined,
    continuityWindowMs: parseDuration(env.THREADLINE_CONTINUITY_WINDOW ?? '24h'),
    durability,
    connectors: [],
    connectorsFromEnv: true,
    identityPolicy: {},
    maxBodyBytes: Number(env.THREADLINE_MAX_BODY_BYTES ?? 1024 * 1024),
    apiRateLimitPerSecond: Number(env.THREADLINE_API_RATE_LIMIT ?? 1000),
    webhookRetry: { baseMs: 1000, maxMs: 60 * 60 * 1000, giveUpAfterMs: 24 * 60 * 60 * 1000 },
    allowPrivateWebhookUrls: env.THREADLINE_ALLOW_PRIVATE_WEBHOOKS === '1',
    logLevel: (env.LOG_LEVEL as GatewayConfig['logLevel']) ?? 'info',
    databaseUrl,
    databasePoolSize: Number(env.DATABASE_POOL_SIZE ?? 10),
    databaseSchema: env.THREADLINE_DATABASE_SCHEMA?.trim() || 'public',
    redisUrl,
    redisPrefix: env.THREADLINE_REDIS_PREFIX?.trim() || 'threadline',
    jobLeaseMs: parseDuration(env.THREADLINE_JOB_LEASE ?? '60s'),
    listenerLeaseMs: parseDuration(env.THREADLINE_LISTENER_LEASE ?? '15s'),
    sendConcurrency: positiveInteger(
      env.THREADLINE_SEND_CONCURRENCY,
      'THREADLINE_SEND_CONCURRENCY',
      64,
    ),
    instanceId:
      env.THREADLINE_INSTANCE_ID?.trim() ||
      `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    analyticsRollups: !['off', '0', 'false'].includes(
      env.THREADLINE_ANALYTICS_ROLLUPS?.trim().toLowerCase() ?? '',
    ),
    env,
    notifications: notificationDefaultsFromEnv(env),
    ...overrides,
  };
}

/**
 * `threadline.config.ts` (or .js/.mjs) in `directory` — by default where the user ran
 * `npm start` — if present, merged over the environment.
 */
export async function loadConfig(
  directory?: string,
  env: Environment = process.env,
): Promise<GatewayConfig> {
  directory ??= userPath('.', env);
  for (const name of ['threadline.config.ts', 'threadline.config.mjs', 'threadline.config.js']) {
    const file = resolve(directory, name);
    if (!existsSync(file)) continue;
    const module = (await import(pathToFileURL(file).href)) as { default?: GatewayConfigInput };
    return configFromEnv(env, module.default ?? {});
  }
  return configFromEnv(env);
}
