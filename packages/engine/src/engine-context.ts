import { type ConnectorV1, ThreadlineError } from '@threadline/connector-kit';
import type { Channel } from '@threadline/schema';
import type { BackoffPolicy } from './backoff.js';
import type { IdentityPolicy } from './identity-policy.js';
import type { JobQueue, SendRateLimiter } from './job-queue.js';
import type { NotificationDefaults } from './notifications/preferences.js';
import type { Clock, IdGenerator, Store } from './ports.js';
import type { Switchboard } from './switchboard/switchboard.js';
import type { Unit, UnitOfWork } from './unit-of-work.js';

export class EngineError extends ThreadlineError {
  override name = 'EngineError';
}

export type EngineLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** What every engine module is given: the ports, the settings and the unit of work. */
export interface EngineContext extends UnitOfWork {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  queue: JobQueue;
  limiter: SendRateLimiter;
  /** A new message within this window joins or reopens the conversation. */
  windowMs: number;
  policy: IdentityPolicy;
  backoff: BackoffPolicy;
  inboxId: string;
  random: () => number;
  log: EngineLog;
  connectors(): Map<string, ConnectorV1>;
  /** Control of conversations: its hooks run inside inbound, send and the job runner. */
  switchboard: Switchboard<Unit>;
  /** The deployment's notification defaults (what unset preferences fall back to). */
  notificationDefaults: NotificationDefaults;
}

export function connectorOrThrow(context: EngineContext, connectorId: string): ConnectorV1 {
  const connector = context.connectors().get(connectorId);
  if (!connector) throw new EngineError('not_found', `no connector "${connectorId}" is configured`);
  return connector;
}

/** The configured connectors as routing candidates, in configuration order. */
export function routeCandidates(
  context: EngineContext,
): { connectorId: string; channel: Channel }[] {
  return [...context.connectors().values()].map((connector) => ({
    connectorId: connector.id,
    channel: connector.channel,
  }));
}
