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

// Renew or release only a lease we still hold (compare-and-set on the owner).
const renewScript = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const releaseScript = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * A lease for work that must run on one instance at a time (the SMTP listener, the
 * whatsapp-web.js session, Telegram long polling, webhook deliveries): `SET NX PX` to take
 * it, renewed every third of its TTL while held. When the holder dies its lease expires
 * and the next instance to try takes over. A holder that cannot renew in time (Redis
 * unreachable) gives the work up before the lease can pass to another instance.
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

  async function attempt(): Promise<void> {
    const startedAt = Date.now();
    try {
      const ok = held
        ? Number(await redis.eval(renewScript, 1, key, owner, String(ttlMs))) === 1
        : (await redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK';
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
