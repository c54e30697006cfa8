import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRecord, Store } from '@threadline/engine';
import { RateLimiter } from '@threadline/engine';
import type { MiddlewareHandler } from 'hono';
import { httpError } from './http-errors.js';

export const scopes = ['read', 'send', 'admin'] as const;
export type Scope = (typeof scopes)[number];

/** API keys are high-entropy random strings, so a plain SHA-256 is the right hash to store. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return `tl_${randomBytes(24).toString('base64url')}`;
}

const bootstrapKeyName = 'bootstrap (THREADLINE_API_KEYS)';
/** A bootstrap key's id derives from its hash; keys created through the API get a random id. */
const bootstrapKeyId = (hash: string) => `key_${hash.slice(0, 12)}`;

/**
 * Store the bootstrap keys (hashed) so a restart with the same environment keeps them, and
 * revoke the bootstrap keys that are no longer in the environment: removing a key from
 * THREADLINE_API_KEYS and restarting is how an operator takes it away. Keys created through
 * `/v1/api-keys` are never touched; a revoked key stays revoked even if it comes back.
 */
export async function registerBootstrapKeys(
  store: Store,
  keys: string[],
  now: Date,
): Promise<void> {
  const hashes = new Set(keys.map(hashApiKey));
  for (const hash of hashes) {
    if (await store.read.findApiKey(hash)) continue;
    const record: ApiKeyRecord = {
      id: bootstrapKeyId(hash),
      name: bootstrapKeyName,
      hash,
      scopes: [...scopes],
      createdAt: now.toISOString(),
      revokedAt: null,
    };
    await store.write((tx) => tx.insertApiKey(record));
  }
  for (const record of await store.read.listApiKeys()) {
    const fromEnvironment =
      record.name === bootstrapKeyName && record.id === bootstrapKeyId(record.hash);
    if (!fromEnvironment || record.revokedAt || hashes.has(record.hash)) continue;
    await store.write((tx) => tx.updateApiKey({ ...record, revokedAt: now.toISOString() }));
  }
}

export interface AuthVariables {
  apiKey: ApiKeyRecord;
}

/**
 * Bearer API keys on every /v1 route: a key must exist, not be revoked, carry the scope the
 * route needs (`admin` carries all), and stay under its rate limit (429 with Retry-After).
 * Valid keys are cached for a few seconds; a revocation on this instance takes effect at once.
 */
export function createApiKeyGuard(options: {
  store: Store;
  defaultRatePerSecond: number;
  now?: () => number;
}) {
  const { store } = options;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { record: ApiKeyRecord; at: number }>();
  const limiter = new RateLimiter();

  async function lookup(hash: string): Promise<ApiKeyRecord | undefined> {
    const cached = cache.get(hash);
    if (cached && now() - cached.at <= 5_000) return cached.record;
    const record = await store.read.findApiKey(hash);
    if (record) cache.set(hash, { record, at: now() });
    else cache.delete(hash);
    return record;
  }

  return {
    require(scope: Scope): MiddlewareHandler<{ Variables: AuthVariables }> {
      return async (context, next) => {
        const header = context.req.header('authorization') ?? '';
        const match = /^Bearer\s+(\S+)$/i.exec(header);
        const key = match?.[1] ?? context.req.query('api_key');
        if (!key)
          throw httpError('unauthorized', 'an API key is required: Authorization: Bearer <key>');
        const record = await lookup(hashApiKey(key));
        if (!record || record.revokedAt)
          throw httpError('unauthorized', 'the API key is not valid');
        if (!record.scopes.includes(scope) && !record.scopes.includes('admin')) {
          throw httpError('forbidden', `this API key lacks the "${scope}" scope`);
        }
        const perSecond = record.rateLimitPerSecond ?? options.defaultRatePerSecond;
        const wait = limiter.take(record.id, perSecond, now());
        if (wait > 0) {
          context.header('retry-after', String(Math.max(1, Math.ceil(wait / 1000))));
          throw httpError(
            'too_many_requests',
            `this API key is limited to ${perSecond} requests per second`,
            {
              retryAfterMs: wait,
            },
          );
        }
        context.set('apiKey', record);
        await next();
      };
    },
    /** Forget a cached key at once (after a revocation). */
    forget(hash: string) {
      cache.delete(hash);
    },
  };
}
export type ApiKeyGuard = ReturnType<typeof createApiKeyGuard>;
