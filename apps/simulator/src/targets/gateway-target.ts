import type { GatewayLink } from '../fakes/provider-fake.js';

export { freePort } from '@threadline/connector-kit';

/** A gateway the simulator drives: one it builds in-process, one it spawns, or one it is given. */
export interface GatewayTarget {
  kind: 'in-process' | 'spawn' | 'remote';
  /** Where the gateway's API answers (for the answering app). */
  baseUrl: string;
  apiKey: string;
  /** How the fake providers reach it. */
  link: GatewayLink;
  /** The `fetch` the answering app's client uses. */
  fetch: typeof globalThis.fetch;
  /** Stop the gateway hard and start it again on the same data; resolves once it answers. */
  restart?(): Promise<{ downForMs: number }>;
  /** The gateway's recent output, for error messages. */
  output?(): string;
  close(): Promise<void>;
}

/** An API key for a gateway the simulator starts: fixed per seed so a report is reproducible. */
export function simulatorApiKey(seed: number): string {
  return `tl_simulator_${seed.toString(36)}_0123456789abcdef`;
}

/** Waits until `check` holds, polling; throws `describe()` after the deadline. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  describe: () => string,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(describe());
}

/**
 * At most `max` holders at once; the others wait their turn. Thousands of customers at once
 * would otherwise open as many sockets.
 */
export function connectionSlots(max: number): () => Promise<() => void> {
  let active = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    active -= 1;
    const next = waiting.shift();
    if (next) {
      active += 1;
      next();
    }
  };
  return async () => {
    if (active < max) active += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  };
}
