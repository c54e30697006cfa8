import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Conversation } from '@threadline/schema';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from './create-app.js';
import { apiKey, createTestGateway } from './test-support/test-gateway.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function gateway(overrides: Parameters<typeof createTestGateway>[0] = {}) {
  const harness = createTestGateway(overrides);
  cleanups.push(() => harness.close());
  return harness;
}

const as = (key: string) => ({ authorization: `Bearer ${key}` });

async function createKey(harness: ReturnType<typeof gateway>, body: Record<string, unknown>) {
  const response = await harness.api('/v1/api-keys', { json: body });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; key: string; scopes: string[] };
}

describe('API keys', () => {
  it('scopes keys: read-only keys read, send keys send, only admin keys manage', async () => {
    const harness = gateway();
    const reader = await createKey(harness, { name: 'dashboard', scopes: ['read'] });
    const sender = await createKey(harness, { name: 'bot', scopes: ['read', 'send'] });
    expect(reader.key).toMatch(/^tl_/);
    const message = {
      to: { channel: 'sms', address: '+14155550199' },
      content: { type: 'text', text: 'hi' },
    };
    const post = (key: string, path: string, body: unknown) =>
      harness.app.request(path, {
        method: 'POST',
        headers: { ...as(key), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    expect(
      (await harness.app.request('/v1/conversations', { headers: as(reader.key) })).status,
    ).toBe(200);
    const forbidden = await post(reader.key, '/v1/messages', message);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await post(sender.key, '/v1/messages', message)).status).toBe(202);
    expect(
      (await post(sender.key, '/v1/webhooks', { url: 'https://example.com/hook' })).status,
    ).toBe(403);
    expect((await post(sender.key, '/v1/api-keys', { name: 'x', scopes: ['admin'] })).status).toBe(
      403,
    );

    const listed = (await (await harness.api('/v1/api-keys')).json()) as {
      data: Array<Record<string, unknown>>;
    };
    expect(listed.data.map((key) => key.name)).toEqual(
      expect.arrayContaining(['dashboard', 'bot']),
    );
    expect(JSON.stringify(listed)).not.toContain(reader.key);
    expect(JSON.stringify(listed)).not.toContain('hash');
  });

  it('revokes a key at once', async () => {
    const harness = gateway();
    const key = await createKey(harness, { name: 'temporary', scopes: ['read'] });
    expect((await harness.app.request('/v1/conversations', { headers: as(key.key) })).status).toBe(
      200,
    );
    expect((await harness.api(`/v1/api-keys/${key.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await harness.app.request('/v1/conversations', { headers: as(key.key) })).status).toBe(
      401,
    );
    expect((await harness.api(`/v1/api-keys/${key.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('revokes a THREADLINE_API_KEYS key after a restart without it, and keeps API-created keys', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'threadline-env-keys-'));
    const start = (apiKeys: string[]) =>
      createApp({
        dataDirectory: directory,
        apiKeys,
        connectorsFromEnv: false,
        logLevel: 'silent',
        env: {},
      });
    const read = (app: ReturnType<typeof start>, key: string) =>
      app.request('/v1/conversations', { headers: as(key) });
    try {
      const first = start(['old-env-key-0123456789', 'kept-env-key-0123456789']);
      expect((await read(first, 'old-env-key-0123456789')).status).toBe(200);
      const created = await first.request('/v1/api-keys', {
        method: 'POST',
        headers: { ...as('kept-env-key-0123456789'), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'made through the API', scopes: ['read'] }),
      });
      const madeByApi = ((await created.json()) as { key: string }).key;
      await first.gateway.close();

      const second = start(['kept-env-key-0123456789']);
      expect((await read(second, 'old-env-key-0123456789')).status).toBe(401);
      expect((await read(second, 'kept-env-key-0123456789')).status).toBe(200);
      expect((await read(second, madeByApi)).status).toBe(200);
      await second.gateway.close();

      // with no THREADLINE_API_KEYS at all, no key from the environment is left
      const third = start([]);
      expect((await read(third, 'kept-env-key-0123456789')).status).toBe(401);
      expect((await read(third, madeByApi)).status).toBe(200);
      await third.gateway.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('rate-limits each key with 429 and Retry-After, without touching other keys', async () => {
    const harness = gateway();
    const slow = await createKey(harness, {
      name: 'slow',
      scopes: ['read'],
      rateLimitPerSecond: 2,
    });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await harness.app.request('/v1/conversations', { headers: as(slow.key) });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
          'too_many_requests',
        );
      }
    }
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses.slice(2)).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await harness.app.request('/v1/conversations', { headers: as(apiKey) })).status).toBe(
      200,
    );
  });
});

describe('logs', () => {
  it('never carry secrets or message bodies at info level', async () => {
    const lines: string[] = [];
    const harness = gateway({
      logLevel: 'info',
      logDestination: { write: (line: string) => lines.push(line) },
      allowPrivateWebhookUrls: true,
    });
    const secretText = 'MY-CARD-IS-4111111111111111';
    await harness.deliver(harness.sms, {
      kind: 'message',
      id: 'SM-log-1',
      from: '+14155550120',
      content: { type: 'text', text: secretText },
    });
    await harness.deliver(
      harness.sms,
      {
        kind: 'message',
        id: 'SM-log-2',
        from: '+14155550120',
        content: { type: 'text', text: secretText },
      },
      'forged-signature-value',
    );
    const conversations = (await (await harness.api('/v1/conversations')).json()) as {
      data: Conversation[];
    };
    harness.sms.failNext({ kind: 'unavailable' });
    await harness.api('/v1/messages', {
      json: {
        contactId: conversations.data[0]!.contactId,
        content: { type: 'text', text: `reply ${secretText}` },
      },
    });
    await harness.gateway.engine.drainJobs();
    const hook = (await (
      await harness.api('/v1/webhooks', { json: { url: 'http://127.0.0.1:9/hook' } })
    ).json()) as { secret: string };
    await harness.gateway.dispatcher.runOnce();
    await harness.app.request('/v1/conversations', {
      headers: { authorization: 'Bearer wrong-key-value' },
    });
    const output = lines.join('');
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [
      secretText,
      apiKey,
      hook.secret,
      'forged-signature-value',
      'wrong-key-value',
      harness.sms.secret,
    ]) {
      expect(output, secret).not.toContain(secret);
    }
  });
});
