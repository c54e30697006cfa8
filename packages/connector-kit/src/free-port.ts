import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Where the ports `listen(0)` hands out begin (Linux's default when it cannot be read). */
function readEphemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && low > 20_000) return low;
  } catch {
    // not Linux: the IANA dynamic range
    return 49_152;
  }
  return 32_768;
}

let ephemeralStart: number | undefined;

/** Ports this process already handed out: two children started together never share one. */
const handedOut = new Set<number>();

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port on `host` that is free, for another process (a gateway, an IMAP server) to
 * listen on. It is taken from below the ephemeral range, so a `listen(0)` or an outgoing
 * connection anywhere on the machine can never be given it in the moment between this
 * answer and the child's bind — the port a fake provider in the same test picked could
 * otherwise be the one the gateway was about to take, and requests meant for the gateway
 * would be answered by the fake.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  ephemeralStart ??= readEphemeralStart();
  const high = ephemeralStart;
  const low = Math.max(1_024, high - 12_000);
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port)) continue;
    if (await bindable(port, host)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${low} and ${high} on ${host}`);
}
