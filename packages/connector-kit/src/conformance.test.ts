import { describe, expect, it } from 'vitest';
import type { ConnectorV1, InboundRequest } from './connector.js';
import { MockConnector } from './mock-connector.js';
import { type ConformanceFixtures, runConformance, testConnector } from './test/index.js';

function fixturesFor(mock: MockConnector): ConformanceFixtures {
  const inbound = mock.request({
    kind: 'message',
    id: 'in-1',
    from: '+1 415 555 0100',
    content: { type: 'text', text: 'hello' },
  });
  return {
    inbound: [
      {
        name: 'text',
        request: inbound,
        expect: {
          externalId: 'in-1',
          from: { channel: 'sms', address: '+14155550100' },
          contentType: 'text',
        },
      },
      {
        name: 'photo',
        request: mock.request({
          kind: 'message',
          id: 'in-2',
          from: '+14155550100',
          content: { type: 'media', kind: 'image', url: 'https://m.example/1.png' },
        }),
      },
    ],
    badSignature: [
      mock.request(
        { kind: 'message', id: 'x', from: '+14155550100', content: { type: 'text', text: 'x' } },
        { signature: 'forged' },
      ),
      { ...inbound, headers: {} },
    ],
    sign: (request: InboundRequest) => mock.sign(request),
    malformed: [
      mock.request({ kind: 'message', id: 'in-3', from: '+14155550100' }),
      mock.request({
        kind: 'message',
        id: 'in-4',
        from: 'not a phone',
        content: { type: 'text', text: 'x' },
      }),
      mock.sign({ ...inbound, body: '{"kind":' }),
    ],
    statuses: Object.entries({
      accepted: 'sent',
      delivered: 'delivered',
      seen: 'read',
      error: 'failed',
    } as const).map(([providerStatus, expected]) => ({
      providerStatus,
      expected,
      request: (externalId: string) =>
        mock.request({ kind: 'status', id: externalId, status: providerStatus }),
    })),
    recipient: { channel: 'sms', address: '+14155550199' },
    provider: {
      sent: () => mock.sent,
      failNext: (failure) => mock.failNext(failure),
      reset: () => mock.reset(),
    },
  };
}

const mock = new MockConnector({
  channel: 'sms',
  id: 'sms-mock',
  capabilities: { text: { maxLength: 1600 } },
});
testConnector({ name: 'MockConnector', connector: () => mock, fixtures: fixturesFor(mock) });

describe('the conformance suite can fail', () => {
  it('fails a connector that skips signatures, throws untyped errors and ignores capabilities', async () => {
    const inner = new MockConnector({ channel: 'sms', id: 'broken' });
    const broken: ConnectorV1 = {
      specificationVersion: 'v1',
      id: 'broken',
      channel: 'sms',
      capabilities: inner.capabilities,
      async parse(request) {
        const payload = JSON.parse(request.body) as {
          id: string;
          from: string;
          content: { type: 'text'; text: string };
        };
        return {
          events: [
            {
              type: 'message',
              message: {
                externalId: `${payload.id}-${Math.random()}`,
                from: { channel: 'sms', address: payload.from },
                content: payload.content,
              },
            },
          ],
        };
      },
      async send() {
        throw new Error('socket hang up');
      },
    };
    const results = await runConformance({
      connector: () => broken,
      fixtures: fixturesFor(inner),
      fuzzRuns: 20,
    });
    const failed = results.filter((result) => !result.ok).map((result) => result.name);
    expect(failed).toEqual(
      expect.arrayContaining([
        'rejects missing, wrong and tampered signatures with signature_invalid',
        'rejects malformed payloads with payload_invalid and the offending path',
        'never throws untyped errors on mutated payloads',
        'parses the same request to the same externalIds (redeliveries dedupe)',
        'normalizes sender addresses to the canonical form of the channel',
        'sends text and returns the provider id the provider recorded',
        'maps provider failures to retryable and permanent errors with retryAfterMs',
      ]),
    );
    expect(results.length).toBeGreaterThanOrEqual(10);
  });

  it('passes the MockConnector on every check', async () => {
    const fresh = new MockConnector({
      channel: 'sms',
      id: 'sms-mock',
      capabilities: { text: { maxLength: 1600 } },
    });
    const results = await runConformance({ connector: () => fresh, fixtures: fixturesFor(fresh) });
    expect(results.filter((result) => !result.ok)).toEqual([]);
  });
});
