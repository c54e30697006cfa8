import { randomUUID } from 'node:crypto';
import { openRedis, type RedisConnection } from './redis-connection.js';

export interface RedisLeaseSettings {
  /** REDIS_URL, or a client you own. */
  connection: RedisConnection;
  /** What the lease guards, e.g. `listeners`; one holder per name and prefix. */
  name: string;
  /** Key prefix shared by every instance of one deployment (default `threadline`). */
  prefix?: string;
  /** How long the lease lasts without renewal: a dead holder is replaced after this. Default 15 s. */
  ttlMs?: number;
  /** This instance's name in the lease (default: a random id). */
  owner?: string;
  /** Called when this instance gains (true) or loses (false) the lease. */
  onChange?: (held: boolean) => void | Promise<void>;
}

export interface RedisLease {
  readonly owner: string;
  /** True while this instance holds the lease. */
  readonly held: boolean;
  /** Try now, then every third of the TTL: acquire when free, renew while held. */
  start(): Promise<void>;
  /** Stop renewing and give the lease up, so another instance takes over at once. */
  stop(): Promise<void>;
  /** Who holds the lease now, if anyone. */
  holder(): Promise<string | null>;
}

// Take the lease when free (SET NX PX) or renew it when it is ours; an answer lost on the way
// back is harmless, because the next attempt finds the lease still ours.
const acquireScript = `local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
// Release only a lease we still hold.
const releaseScript = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * A lease for work that must run on one instance at a time (the SMTP listener, the
 * whatsapp-web.js session, Telegram long polling, webhook deliveries): taken when free
 * (`SET NX PX`) and renewed every third of its TTL while held, in one script. When the
 * holder dies its lease expires and the next instance to try takes over. A holder that
 * cannot renew in time (Redis unreachable or slow) gives the work up before the lease can
 * pass to another instance.
 */
export function createRedisLease(settings: RedisLeaseSettings): RedisLease {
  const { redis, release } = openRedis(settings.connection);
  const key = `${settings.prefix ?? 'threadline'}:lease:${settings.name}`;
  const ttlMs = settings.ttlMs ?? 15_000;
  const owner = settings.owner ?? randomUUID();
  let held = false;
  let heldUntil = 0;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let tick: Promise<void> = Promise.resolve();

  async function change(next: boolean): Promise<void> {
    if (held === next) return;
    held = next;
    await settings.onChange?.(next);
  }

  /** A Redis call that gives up after a third of the TTL (a client may queue while offline). */
  function bounded<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis did not answer in time')), ttlMs / 3);
    });
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  }

  async function attempt(): Promise<void> {
    const startedAt = Date.now();
    try {
      const ok =
        Number(await bounded(redis.eval(acquireScript, 1, key, owner, String(ttlMs)))) === 1;
      if (ok) heldUntil = startedAt + ttlMs;
      await change(ok);
    } catch {
      // Redis unreachable: keep the work only while the lease is certainly still ours.
      if (held && Date.now() > heldUntil - ttlMs / 3) await change(false);
    }
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(
      () => {
        tick = attempt().finally(schedule);
      },
      Math.max(50, Math.floor(ttlMs / 3)),
    );
  }

  return {
    owner,
    get held() {
      return held;
    },
    async start() {
      if (running) return;
      running = true;
      tick = attempt();
      await tick;
      schedule();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await tick;
      if (held) {
        await redis.eval(releaseScript, 1, key, owner).catch(() => 0);
        await change(false);
      }
      await release();
    },
    async holder() {
      return redis.get(key);
    },
  };
}
