import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Notification } from '@threadline/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartableGateway } from './test-support/gateway-process.js';
import { startTwilioMessagesServer } from './test-support/twilio-messages-server.js';

/**
 * Real processes: 100 notifications deferred to a time after a SIGKILL. After a restart on the
 * same data directory each reaches the (fake) Twilio API exactly once, not before its time.
 */
const apiKey = 'notify-crash-key';
const count = 100;

describe('deferred notifications survive SIGKILL', () => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'threadline-notify-crash-'));
  const gateway = restartableGateway(dataDirectory, () => ({
    THREADLINE_API_KEYS: apiKey,
    TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
    TWILIO_AUTH_TOKEN: 'notify-crash-token',
    TWILIO_FROM_NUMBER: '+14155550000',
    TWILIO_API_BASE: provider.url,
    TWILIO_RATE_LIMIT_PER_SECOND: '1000',
  }));
  const base = gateway.base;
  let provider: Awaited<ReturnType<typeof startTwilioMessagesServer>>;

  beforeAll(async () => {
    provider = await startTwilioMessagesServer();
  });

  afterAll(async () => {
    gateway.child?.kill('SIGKILL');
    await provider.close();
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

  it('sends each of 100 deferred notifications exactly once after a restart, at its time', async () => {
    await gateway.start();
    const sendAt = new Date(Date.now() + 4_000).toISOString();
    const response = await fetch(`${base()}/v1/notifications/batch`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        notifications: Array.from({ length: count }, (_, index) => ({
          to: { channel: 'sms', address: `+1415555${String(3000 + index)}` },
          category: 'appointments',
          content: { type: 'text', text: `reminder ${index}` },
          sendAt,
        })),
      }),
    });
    expect(response.status, gateway.output()).toBe(202);
    const { results } = (await response.json()) as { results: { id: string; status: string }[] };
    expect(results.every((result) => result.status === 'scheduled')).toBe(true);
    gateway.child!.kill('SIGKILL');
    await new Promise((resolve) => gateway.child!.once('exit', resolve));
    expect(provider.received).toHaveLength(0);

    await gateway.start();
    const pending = new Set(results.map((result) => result.id));
    // No deadline of its own: the test's time limit bounds a gateway that never sends.
    while (pending.size > 0) {
      const page = (await (
        await fetch(`${base()}/v1/notifications?category=appointments&limit=200`, { headers })
      ).json()) as { data: Notification[] };
      for (const notification of page.data)
        if (notification.status === 'sent') pending.delete(notification.id);
      if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const bodies = provider.received.map((item) => item.body).sort();
    expect(bodies).toEqual(Array.from({ length: count }, (_, index) => `reminder ${index}`).sort());
    for (const item of provider.received)
      expect(item.at).toBeGreaterThanOrEqual(new Date(sendAt).getTime());
    gateway.child!.kill('SIGTERM');
  }, 120_000);
});
