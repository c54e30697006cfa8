import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestGateway } from './test-support/test-gateway.js';

let harness: ReturnType<typeof createTestGateway>;

beforeEach(() => {
  harness = createTestGateway();
});
afterEach(async () => {
  await harness.close();
});

const range = 'from=2026-06-01T00:00:00.000Z&to=2026-06-02T00:00:00.000Z';

async function ok<T>(response: Response): Promise<T> {
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as T;
}

/** SMS at 12:00, a reply 45 s later, resolved at 12:05: one conversation's figures. */
async function conversation() {
  const received = await harness.deliver(harness.sms, {
    kind: 'message',
    id: 'sms-1',
    from: '+14155550190',
    content: { type: 'text', text: 'Is my order on its way?' },
  });
  expect(received.status).toBe(200);
  const [listed] = (
    await ok<{ data: { id: string; contactId: string }[] }>(await harness.api('/v1/conversations'))
  ).data;
  harness.clock.advance(45_000);
  const sent = await harness.api('/v1/messages', {
    json: { contactId: listed!.contactId, content: { type: 'text', text: 'Yes, tomorrow' } },
  });
  expect(sent.status).toBe(202);
  await harness.gateway.engine.drainJobs();
  harness.clock.advance(255_000);
  await ok(await harness.api(`/v1/conversations/${listed!.id}/resolve`, { method: 'POST' }));
}

describe('analytics routes', () => {
  it('answer the summary, by channel, and a timeseries by hour', async () => {
    await conversation();
    const summary = await ok<{
      conversations: { opened: number; resolved: number };
      firstResponse: { count: number; p50: number };
      resolution: { mean: number };
    }>(await harness.api(`/v1/analytics/summary?${range}`));
    expect(summary.conversations).toMatchObject({ opened: 1, resolved: 1 });
    expect(summary.firstResponse).toMatchObject({ count: 1, p50: 45 });
    expect(summary.resolution.mean).toBe(300);
    const whatsapp = await ok<{ conversations: { opened: number } }>(
      await harness.api(`/v1/analytics/summary?${range}&channel=whatsapp`),
    );
    expect(whatsapp.conversations.opened).toBe(0);
    const series = await ok<{ buckets: { start: string; count: number; mean?: number }[] }>(
      await harness.api(
        `/v1/analytics/timeseries?metric=first_response_seconds&interval=hour&from=2026-06-01T11:00:00.000Z&to=2026-06-01T14:00:00.000Z`,
      ),
    );
    expect(series.buckets).toEqual([
      expect.objectContaining({ start: '2026-06-01T11:00:00.000Z', count: 0 }),
      expect.objectContaining({ start: '2026-06-01T12:00:00.000Z', count: 1, mean: 45 }),
      expect.objectContaining({ start: '2026-06-01T13:00:00.000Z', count: 0 }),
    ]);
  });

  it('refuse a backwards range, an unknown metric and an unknown parameter, naming the field', async () => {
    const backwards = await harness.api(
      '/v1/analytics/summary?from=2026-06-02T00:00:00.000Z&to=2026-06-01T00:00:00.000Z',
    );
    expect(backwards.status).toBe(400);
    expect(JSON.stringify(await backwards.json())).toContain('from');
    const metric = await harness.api('/v1/analytics/timeseries?metric=happiness');
    expect(metric.status).toBe(400);
    expect(JSON.stringify(await metric.json())).toContain('metric');
    const unknown = await harness.api('/v1/analytics/summary?colour=blue');
    expect(unknown.status).toBe(400);
  });

  it('rebuild from the event log to the same figures, and count live metrics', async () => {
    await conversation();
    const before = await ok<unknown>(await harness.api(`/v1/analytics/summary?${range}`));
    const rebuilt = await ok<{ events: number; conversations: number }>(
      await harness.api('/v1/analytics/rebuild', { method: 'POST' }),
    );
    expect(rebuilt.conversations).toBe(1);
    expect(await ok<unknown>(await harness.api(`/v1/analytics/summary?${range}`))).toEqual(before);
    const metrics = await (await harness.api('/metrics')).text();
    expect(metrics).toMatch(/^threadline_first_response_seconds_count\{channel="sms"\} 1$/m);
    expect(metrics).toMatch(/^threadline_resolution_seconds_sum\{channel="sms"\} 300$/m);
  });
});
