import type { ProviderFake } from './fakes/provider-fake.js';
import { sleep } from './fakes/provider-fake.js';
import type { PlannedPersona, TrafficPlan } from './plan-traffic.js';
import type { SimulatedChannel } from './scenario-schema.js';
import type { TrafficLedger } from './traffic-ledger.js';

export interface DriveOptions {
  plan: TrafficPlan;
  ledger: TrafficLedger;
  fakes: Map<SimulatedChannel, ProviderFake>;
  /** Most deliveries in flight at once; the schedule waits (and reports its lag) beyond. */
  maxInFlight?: number;
  signal?: AbortSignal;
}

export interface DriveResult {
  /** When the first and the last planned message left, in ledger time. */
  firstSentAt: number;
  lastSentAt: number;
  /** How far behind its schedule the simulator fell at worst (ms). */
  maxLagMs: number;
}

/**
 * Plays the plan: each message is handed to its channel's fake provider at its time. A
 * customer's messages on one channel go out one after the other, as from one app: the next
 * waits until the provider delivered the previous one (retries included). Channels are
 * independent, as a customer's different apps are.
 */
export async function driveTraffic(options: DriveOptions): Promise<DriveResult> {
  const { plan, ledger, fakes } = options;
  const maxInFlight = options.maxInFlight ?? 2_000;
  const personas = new Map<string, PlannedPersona>(
    plan.personas.map((persona) => [persona.id, persona]),
  );
  const queues = new Map<string, Promise<void>>();
  const pending = new Set<Promise<void>>();
  const origin = ledger.now();
  let inFlight = 0;
  let maxLagMs = 0;
  let lastSentAt = origin;
  let wake: (() => void) | undefined;

  for (const message of plan.messages) {
    if (options.signal?.aborted) break;
    const due = origin + message.at;
    const wait = due - ledger.now();
    if (wait > 1) await sleep(wait);
    while (inFlight >= maxInFlight) await new Promise<void>((resolve) => (wake = resolve));
    maxLagMs = Math.max(maxLagMs, ledger.now() - due);
    const fake = fakes.get(message.channel);
    const persona = personas.get(message.personaId)!;
    if (!fake) throw new Error(`no fake provider for ${message.channel}`);
    inFlight += 1;
    const queue = `${persona.id}:${message.channel}`;
    const previous = queues.get(queue) ?? Promise.resolve();
    const delivery = previous
      .then(() => {
        lastSentAt = ledger.now();
        return fake.deliver(message, persona);
      })
      .catch((error: unknown) => {
        ledger.count('errors', 'simulator_delivery_failed');
        process.emitWarning(`delivery of ${message.id} failed: ${String(error)}`);
      })
      .finally(() => {
        inFlight -= 1;
        pending.delete(delivery);
        if (queues.get(queue) === delivery) queues.delete(queue);
        wake?.();
        wake = undefined;
      });
    queues.set(queue, delivery);
    pending.add(delivery);
  }
  while (pending.size > 0) await Promise.all([...pending]);
  // late also when a message waited for a connection or for the customer's previous one
  for (const message of plan.messages) {
    const started = ledger.customer.get(message.id)?.attempts[0]?.startedAt;
    if (started !== undefined) maxLagMs = Math.max(maxLagMs, started - (origin + message.at));
  }
  return { firstSentAt: origin, lastSentAt, maxLagMs };
}
