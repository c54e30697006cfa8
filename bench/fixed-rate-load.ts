import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';

/**
 * An open-loop load generator: requests start on a fixed schedule (`rate` a second, evenly
 * spaced), whatever the server's answers do. autocannon's `overallRate` is closed-loop and
 * bursty — each connection fires its share of a second back to back, then waits for the next
 * second — so at "1,000/s" it sends bursts of ~1,000 requests and measures the queue it
 * builds. Here each request's latency runs from its scheduled start, so a stalled server is
 * charged for every request it held back (no coordinated omission).
 */
export interface FixedRateRequest {
  path: string;
  body: string;
  headers: Record<string, string>;
}

export interface FixedRateResult {
  sent: number;
  answered: number;
  errors: number;
  /** Ack latency from the scheduled start, sorted ascending (ms, fractional). */
  latencies: number[];
  /** How far the generator itself fell behind its schedule at worst (ms). */
  maxScheduleLagMs: number;
}

export async function fixedRateLoad(options: {
  url: string;
  rate: number;
  seconds: number;
  /** Builds request `sequence`; `scheduledAt` is its start on the schedule (epoch ms). */
  build: (sequence: number, scheduledAt: number) => FixedRateRequest;
  method?: string;
  maxSockets?: number;
}): Promise<FixedRateResult> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  const total = Math.round(options.rate * options.seconds);
  const intervalMs = 1000 / options.rate;
  const latencies: number[] = [];
  let answered = 0;
  let errors = 0;
  let sent = 0;
  let maxScheduleLagMs = 0;
  const start = performance.now() + 20;
  const epochOffset = Date.now() - performance.now();
  let finishedAll: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finishedAll = resolve;
  });
  const settle = () => {
    if (answered + errors === total) finishedAll();
  };

  const fire = (sequence: number, scheduledAt: number) => {
    const built = options.build(sequence, scheduledAt + epochOffset);
    const outgoing = httpRequest(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'POST',
        path: built.path,
        headers: { ...built.headers, 'content-length': Buffer.byteLength(built.body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            latencies.push(performance.now() - scheduledAt);
            answered += 1;
          } else errors += 1;
          settle();
        });
      },
    );
    outgoing.on('error', () => {
      errors += 1;
      settle();
    });
    outgoing.end(built.body);
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total) {
        const scheduledAt = start + sent * intervalMs;
        if (scheduledAt > now) break;
        maxScheduleLagMs = Math.max(maxScheduleLagMs, now - scheduledAt);
        fire(sent, scheduledAt);
        sent += 1;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    setTimeout(tick, 20);
  });
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  agent.destroy();
  return {
    sent,
    answered,
    errors: errors + (total - answered - errors),
    latencies: latencies.sort((a, b) => a - b),
    maxScheduleLagMs,
  };
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11], fields[12] are utime and stime (fields 14 and 15 of the whole line), in ticks of 10 ms
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
