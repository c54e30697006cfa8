import { afterEach, describe, expect, it } from 'vitest';
import { createTestGateway } from './test-support/test-gateway.js';

const harnesses: Array<ReturnType<typeof createTestGateway>> = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.close();
});
function gateway() {
  const harness = createTestGateway();
  harnesses.push(harness);
  return harness;
}

interface ErrorAnswer {
  error: { code: string; message: string; details: Record<string, unknown> | null };
}
const text = { type: 'text', text: 'Hi!' };
const issuePaths = async (response: Response) =>
  ((await response.json()) as ErrorAnswer).error.details?.issues;

describe('HTTP semantics of the API', () => {
  it('answers a wrong method with 405 and Allow, and an unknown path with 404', async () => {
    const { api, app } = gateway();
    const put = await api('/v1/messages', { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST');
    expect(((await put.json()) as ErrorAnswer).error.code).toBe('method_not_allowed');
    const post = await api('/v1/messages/some-id', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await app.request('/v1/nothing-here')).status).toBe(404);
  });

  it('answers 401 with WWW-Authenticate: Bearer', async () => {
    const { app } = gateway();
    for (const headers of [{}, { authorization: 'Bearer not-a-key' }] as Record<string, string>[]) {
      const response = await app.request('/v1/conversations', { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('answers a body that is not JSON with 415 unsupported_media_type', async () => {
    const { api } = gateway();
    const response = await api('/v1/messages', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ to: { channel: 'sms', address: '+14155550100' }, content: text }),
    });
    expect(response.status).toBe(415);
    const body = (await response.json()) as ErrorAnswer;
    expect(body.error.code).toBe('unsupported_media_type');
    expect(body.error.message).toContain('application/json');
  });

  it('rejects an invalid phone number as a validation error naming the field', async () => {
    const { api } = gateway();
    const send = await api('/v1/messages', {
      json: { to: { channel: 'sms', address: '+1' }, content: text },
    });
    expect(send.status).toBe(400);
    const body = (await send.json()) as ErrorAnswer;
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details?.issues).toEqual([
      { path: 'to.address', message: '"+1" is not a phone number' },
    ]);
    const link = await api('/v1/contacts/any-contact/identities', {
      json: { channel: 'whatsapp', address: 'call me' },
    });
    expect(link.status).toBe(400);
    expect(await issuePaths(link)).toEqual([
      { path: 'address', message: '"call me" is not a phone number' },
    ]);
  });

  it('rejects unknown fields in API bodies, naming each one', async () => {
    const { api } = gateway();
    const send = await api('/v1/messages', {
      json: {
        to: { channel: 'sms', address: '+14155550100', nickname: 'Ada' },
        content: text,
        colour: 'red',
      },
    });
    expect(send.status).toBe(400);
    expect(await issuePaths(send)).toEqual(
      expect.arrayContaining([
        { path: 'colour', message: 'unknown field' },
        { path: 'to.nickname', message: 'unknown field' },
      ]),
    );
    const hook = await api('/v1/webhooks', {
      json: { url: 'https://app.example.com/hook', events: ['message.received'] },
    });
    expect(hook.status).toBe(400);
    expect(await issuePaths(hook)).toEqual([{ path: 'events', message: 'unknown field' }]);
    const key = await api('/v1/api-keys', { json: { name: 'bot', scopes: ['read'], admin: true } });
    expect(await issuePaths(key)).toEqual([{ path: 'admin', message: 'unknown field' }]);
  });

  it('shows the last error and the attempt count of a send that keeps failing', async () => {
    const { api, sms, gateway: runtime, clock } = gateway();
    const sent = await api('/v1/messages', {
      json: { to: { channel: 'sms', address: '+14155550100' }, content: text },
    });
    const { id } = (await sent.json()) as { id: string };
    sms.failAlways({ kind: 'unavailable' });
    const read = async () =>
      (await (await api(`/v1/messages/${id}`)).json()) as {
        status: string;
        attempts?: number;
        error: { code: string; message: string; retryable: boolean } | null;
      };

    await runtime.engine.drainJobs();
    expect(await read()).toMatchObject({
      status: 'queued',
      attempts: 1,
      error: { code: 'provider_unavailable', retryable: true },
    });
    clock.advance(10 * 60_000);
    await runtime.engine.drainJobs();
    expect(await read()).toMatchObject({ status: 'queued', attempts: 2 });

    sms.failAlways(null);
    clock.advance(60 * 60_000);
    await runtime.engine.drainJobs();
    const delivered = await read();
    expect(delivered).toMatchObject({ status: 'sent', error: null });
    expect(delivered.attempts).toBeUndefined();
  });
});
