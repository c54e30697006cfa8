import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRecord, Store } from '@threadline/engine';
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

/** Store the bootstrap keys (hashed) so a restart with the same environment keeps them. */
export async function registerBootstrapKeys(
  store: Store,
  keys: string[],
  now: Date,
): Promise<void> {
  for (const key of keys) {
    const hash = hashApiKey(key);
    if (await store.read.findApiKey(hash)) continue;
    const record: ApiKeyRecord = {
      id: `key_${hash.slice(0, 12)}`,
      name: 'bootstrap (THREADLINE_API_KEYS)',
      hash,
      scopes: [...scopes],
      createdAt: now.toISOString(),
      revokedAt: null,
    };
    await store.write((tx) => tx.insertApiKey(record));
  }
}

export interface AuthVariables {
  apiKey: ApiKeyRecord;
}

/** Bearer API key on every /v1 route; `scope` is what the route needs. */
export function requireApiKey(
  store: Store,
  scope: Scope,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  const cache = new Map<string, { record: ApiKeyRecord | undefined; at: number }>();
  return async (context, next) => {
    const header = context.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const key = match?.[1] ?? context.req.query('api_key');
    if (!key)
      throw httpError('unauthorized', 'an API key is required: Authorization: Bearer <key>');
    const hash = hashApiKey(key);
    let cached = cache.get(hash);
    if (!cached || Date.now() - cached.at > 5_000) {
      cached = { record: await store.read.findApiKey(hash), at: Date.now() };
      // Only valid keys are cached (briefly, so a revocation takes effect within seconds).
      if (cached.record) cache.set(hash, cached);
      else cache.delete(hash);
    }
    const record = cached.record;
    if (!record || record.revokedAt) throw httpError('unauthorized', 'the API key is not valid');
    if (!record.scopes.includes(scope) && !record.scopes.includes('admin')) {
      throw httpError('forbidden', `this API key lacks the "${scope}" scope`);
    }
    context.set('apiKey', record);
    await next();
  };
}
