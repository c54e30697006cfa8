// Runs the guide's example connector (docs/adding-a-connector.md) through the suite.

import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createPigeonConnector, pigeonConnectorFromEnv } from './__fixtures__/pigeon-connector.js';
import { type InboundRequest, metaSignature } from './index.js';
import { createTestServer, type RecordedSend, testConnector } from './test/index.js';

const secret = 'whisper';
const sign = (request: InboundRequest): InboundRequest => ({
  ...request,
  headers: { ...request.headers, 'x-pigeon-signature': metaSignature(secret, request.body) },
});
const webhook = (body: object) =>
  sign({
    method: 'POST',
    url: 'https://gw.example/webhooks/pigeon/pigeon',
    headers: {},
    body: JSON.stringify(body),
  });

// the fake provider, at its HTTP boundary only
let sent: RecordedSend[] = [];
let failure: 'rate_limited' | 'unavailable' | 'rejected' | null = null;
createTestServer(
  http.post('https://api.pigeon.example/v1/messages', () => {
    const next = failure;
    failure = null;
    if (next === 'rate_limited')
      return new HttpResponse(null, { status: 429, headers: { 'retry-after': '3' } });
    if (next === 'unavailable') return new HttpResponse(null, { status: 503 });
    if (next === 'rejected') return new HttpResponse(null, { status: 400 });
    const id = `pg_${sent.length + 1}`;
    sent.push({ externalId: id });
    return HttpResponse.json({ id });
  }),
);

testConnector({
  name: 'pigeon',
  connector: () => createPigeonConnector({ apiKey: 'k', signingSecret: secret }),
  fixtures: {
    inbound: [
      {
        name: 'text',
        request: webhook({ id: 'p1', from: 'coo-42', text: 'hello' }),
        expect: { externalId: 'p1' },
      },
    ],
    badSignature: [
      {
        ...webhook({ id: 'p2', from: 'coo-42', text: 'x' }),
        headers: { 'x-pigeon-signature': 'sha256=00' },
      },
    ],
    sign,
    malformed: [webhook({ from: 'coo-42' }), sign({ ...webhook({}), body: '{' })],
    statuses: [
      {
        providerStatus: 'delivered',
        expected: 'delivered',
        request: (id) => webhook({ id, from: 'coo-42', status: 'delivered' }),
      },
      {
        providerStatus: 'failed',
        expected: 'failed',
        request: (id) => webhook({ id, from: 'coo-42', status: 'failed' }),
      },
    ],
    recipient: { channel: 'pigeon', address: 'coo-7' },
    provider: {
      sent: () => sent,
      failNext: (next) => {
        failure = next.kind;
      },
      reset: () => {
        sent = [];
        failure = null;
      },
    },
  },
});

describe('pigeonConnectorFromEnv', () => {
  const context = (env: Record<string, string>) => ({
    env,
    publicUrl: undefined,
    dataDirectory: '/tmp',
  });

  it('builds no connector until PIGEON_API_KEY is set, then one from the environment', () => {
    expect(pigeonConnectorFromEnv(context({}))).toBeUndefined();
    const connector = pigeonConnectorFromEnv(
      context({ PIGEON_API_KEY: 'k', PIGEON_SIGNING_SECRET: secret }),
    );
    expect(connector).toMatchObject({ id: 'pigeon', channel: 'pigeon' });
  });
});
