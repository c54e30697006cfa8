import type { PlannedMessage, PlannedPersona } from '../plan-traffic.js';
import { hashSeed } from '../random.js';
import type { ProviderErrorKind, Scenario, SimulatedChannel } from '../scenario-schema.js';
import type { CustomerMessageRecord, DeliveryAttempt, TrafficLedger } from '../traffic-ledger.js';

/** How the fakes reach the gateway: in-process (the app's own `fetch`) or over the network. */
export interface GatewayLink {
  /** The gateway's public base URL: the one providers sign webhooks for. */
  publicUrl: string;
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** The gateway's inbound SMTP server, once it listens. */
  smtp(): { host: string; port: number } | undefined;
  /** Where the gateway accepts WebSockets (`http://host:port`; the web chat widget connects there). */
  socketUrl(): string;
  /**
   * Waits for a free connection before a request goes out (over the network, at most a few
   * hundred at once); resolves with the function that frees it. The wait is the simulator's,
   * so no latency counts it.
   */
  slot?(): Promise<() => void>;
}

export interface FakeContext {
  ledger: TrafficLedger;
  scenario: Scenario;
  /** Set once the gateway runs; the fakes deliver nothing before. */
  gateway(): GatewayLink;
  /** Where the media host serves `fileName` (reply images, attachments). */
  mediaUrl(fileName: string): string;
}

/**
 * A fake provider: its API as a plain `(request) => response` handler (mounted in msw
 * in-process, or served on 127.0.0.1), the environment that points a gateway at it, and
 * its outbound side — customer messages and status callbacks posted to the gateway, signed
 * and redelivered as the real provider does.
 */
export interface ProviderFake {
  readonly name: string;
  readonly channel: SimulatedChannel;
  handle?(request: Request): Promise<Response>;
  /** Environment variables that point a gateway at this fake served at `origin`. */
  gatewayEnvironment(origin: string): Record<string, string>;
  deliver(message: PlannedMessage, persona: PlannedPersona): Promise<void>;
  start?(): Promise<void>;
  close?(): Promise<void>;
}

/** Thrown by a handler to drop the connection without an answer (a provider timeout). */
export class DropConnection extends Error {
  override name = 'DropConnection';
}

export const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A deterministic draw in [0, 1) for a label: the same run makes the same decisions. */
export function draw(seed: number, ...label: Array<string | number>): number {
  return hashSeed(seed, ...label) / 4294967296;
}

/** Requests per second a provider accepts before it answers 429. */
export class ProviderRateLimit {
  private tokens: number;
  private last = performance.now();

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  /** True when the request may pass; false means 429. */
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(
      this.perSecond,
      this.tokens + ((now - this.last) / 1000) * this.perSecond,
    );
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * The fault (if any) a provider answers a send with: decided from the seed, the channel,
 * what is sent and how often it was tried, so a replay makes the same decisions.
 */
export function providerFault(
  context: FakeContext,
  channel: SimulatedChannel,
  key: string,
  attempts: Map<string, number>,
): ProviderErrorKind | undefined {
  const attempt = (attempts.get(key) ?? 0) + 1;
  attempts.set(key, attempt);
  const errors = context.scenario.faults.providerErrors;
  if (!errors || (errors.channels && !errors.channels.includes(channel))) return undefined;
  if (draw(context.scenario.seed, 'provider-error', channel, key, attempt) >= errors.rate)
    return undefined;
  const kind =
    errors.kinds[
      Math.floor(
        draw(context.scenario.seed, 'provider-error-kind', key, attempt) * errors.kinds.length,
      )
    ]!;
  context.ledger.count('faults', `provider_${kind}`);
  return kind;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  method?: string;
}

/**
 * The provider's redelivery pattern: the waits after each failed attempt (before scaling).
 * Providers redeliver a webhook that got no 2xx: Meta with decreasing frequency for days,
 * Telegram until it gives up after many attempts, Twilio up to 5 times within 15 s when the
 * webhook URL asks for it (`#rc=5&rp=all`).
 */
export const redeliveryPatterns = {
  twilio: [1_000, 2_000, 3_000, 4_000, 5_000],
  meta: [1_000, 2_000, 4_000, 8_000, 15_000, 30_000, 30_000, 30_000, 30_000, 30_000],
  telegram: [1_000, 2_000, 4_000, 8_000, 15_000, 30_000, 30_000, 30_000, 30_000, 30_000],
  smtp: [1_000, 2_000, 4_000, 8_000, 15_000, 30_000, 30_000, 30_000, 30_000, 30_000],
} as const;

async function attempt(context: FakeContext, request: WebhookRequest): Promise<DeliveryAttempt> {
  const release = await context.gateway().slot?.();
  const startedAt = context.ledger.now();
  try {
    const response = await context.gateway().fetch(request.url, {
      method: request.method ?? 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(15_000),
    });
    await response.arrayBuffer().catch(() => undefined);
    return {
      startedAt,
      endedAt: context.ledger.now(),
      outcome: String(response.status),
      ok: response.ok,
    };
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return {
      startedAt,
      endedAt: context.ledger.now(),
      outcome: timedOut ? 'timeout' : 'connection_failed',
      ok: false,
    };
  } finally {
    release?.();
  }
}

/**
 * Hands a customer's message to the gateway: tries until a 2xx or the pattern runs out,
 * then sends it again `deliveries - 1` times (a provider redelivering an acknowledged
 * webhook, as they all may). Every attempt is recorded.
 */
export async function deliverCustomerWebhook(
  context: FakeContext,
  record: CustomerMessageRecord,
  pattern: readonly number[],
  build: () => WebhookRequest,
): Promise<void> {
  const scale = context.scenario.providers.redeliveryScale;
  for (let index = 0; ; index++) {
    const result = await attempt(context, build());
    record.attempts.push(result);
    if (result.ok) {
      record.acknowledged = result;
      break;
    }
    context.ledger.count('errors', `ingress_${result.outcome}`);
    const wait = pattern[index];
    if (wait === undefined) {
      record.abandoned = true;
      return;
    }
    await sleep(wait * scale);
  }
  for (let extra = 1; extra < record.message.deliveries; extra++) {
    context.ledger.count('faults', 'webhook_redelivered');
    await sleep(20);
    const result = await attempt(context, build());
    record.extraDeliveries.push(result);
    if (!result.ok) context.ledger.count('errors', `ingress_${result.outcome}`);
  }
}

/** A status callback (or any provider notification), redelivered on failure. */
export async function deliverNotification(
  context: FakeContext,
  pattern: readonly number[],
  build: () => WebhookRequest,
): Promise<void> {
  const scale = context.scenario.providers.redeliveryScale;
  for (let index = 0; ; index++) {
    const result = await attempt(context, build());
    if (result.ok) {
      context.ledger.statusCallbacks.sent += 1;
      return;
    }
    const wait = pattern[index];
    if (wait === undefined) {
      context.ledger.statusCallbacks.failed += 1;
      return;
    }
    await sleep(wait * scale);
  }
}

/** When the status callbacks of a send go out: `sent`, then `delivered`, then maybe `read`. */
export function statusSchedule(
  context: FakeContext,
  channel: SimulatedChannel,
  externalId: string,
): Array<{ status: 'sent' | 'delivered' | 'read'; delayMs: number }> {
  const { statusDelay, readRate } = context.scenario.providers;
  const seed = context.scenario.seed;
  const step = (label: string) =>
    statusDelay.min +
    draw(seed, 'status-delay', label, externalId) * (statusDelay.max - statusDelay.min);
  const sent = step('sent');
  const delivered = sent + step('delivered');
  const schedule: Array<{ status: 'sent' | 'delivered' | 'read'; delayMs: number }> = [
    { status: 'sent', delayMs: sent },
    { status: 'delivered', delayMs: delivered },
  ];
  if (draw(seed, 'read', externalId) < readRate)
    schedule.push({ status: 'read', delayMs: delivered + step('read') });
  const outOfOrder = context.scenario.faults.outOfOrderStatus;
  if (outOfOrder && draw(seed, 'out-of-order', channel, externalId) < outOfOrder.rate) {
    context.ledger.count('faults', 'status_out_of_order');
    // the later statuses overtake the earlier ones
    const times = schedule.map((entry) => entry.delayMs);
    times.reverse();
    return schedule.map((entry, index) => ({ ...entry, delayMs: times[index]! }));
  }
  return schedule;
}

/** Unix seconds now, as providers stamp their webhooks. */
export const unixSeconds = () => Math.floor(Date.now() / 1000);

/** A tiny PNG: what the media host serves and customers attach. */
export const tinyPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** `length` hex digits derived from the seed and a label: stable provider ids. */
export function hexId(seed: number, label: string, length = 32): string {
  let hex = '';
  for (let block = 0; hex.length < length; block++)
    hex += hashSeed(seed, label, block).toString(16).padStart(8, '0');
  return hex.slice(0, length);
}

/** The text a fake provider saw in a send, whatever the content type. */
export function sentText(value: unknown): string {
  const parts: string[] = [];
  const walk = (item: unknown) => {
    if (typeof item === 'string') parts.push(item);
    else if (Array.isArray(item)) item.forEach(walk);
    else if (item && typeof item === 'object') Object.values(item).forEach(walk);
  };
  walk(value);
  return parts.join(' ');
}
