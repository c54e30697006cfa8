import type { Notification } from '@threadline/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notificationDefaultsFromEnv } from '../notification-config.js';
import { createTestGateway } from '../test-support/test-gateway.js';

let harness: ReturnType<typeof createTestGateway>;
let contactId: string;
const phone = '+15550001111';

async function body<T>(response: Response, status: number): Promise<T> {
  expect(response.status, await response.clone().text()).toBe(status);
  return (await response.json()) as T;
}

beforeEach(async () => {
  harness = createTestGateway();
  // The customer wrote by SMS two days before the notifications, from Telegram too.
  await harness.deliver(harness.sms, {
    kind: 'message',
    id: 'in-1',
    from: phone,
    content: { type: 'text', text: 'hi' },
  });
  const events = await harness.gateway.store.read.listEvents(0, 100);
  const received = events.find((event) => event.type === 'message.received');
  contactId = (received as { data: { message: { contactId: string } } }).data.message.contactId;
  await body(
    await harness.api(`/v1/contacts/${contactId}/identities`, {
      json: { channel: 'telegram', address: '7001' },
    }),
    200,
  );
  harness.clock.set('2026-06-03T15:30:00.000Z'); // 23:30 in Shanghai
});
afterEach(async () => {
  await harness.close();
});

describe('notifications API', () => {
  it('stores preferences and answers field errors', async () => {
    const preferences = {
      timezone: 'Asia/Shanghai',
      quietHours: { start: '22:00', end: '08:00' },
      channels: ['sms', 'telegram'],
    };
    expect(
      await body(
        await harness.api(`/v1/contacts/${contactId}/preferences`, {
          method: 'PUT',
          json: preferences,
        }),
        200,
      ),
    ).toEqual(preferences);
    expect(await body(await harness.api(`/v1/contacts/${contactId}/preferences`), 200)).toEqual(
      preferences,
    );
    const zone = await body<{ error: { code: string; details: { path: string } } }>(
      await harness.api(`/v1/contacts/${contactId}/preferences`, {
        method: 'PUT',
        json: { timezone: 'Mars/Base' },
      }),
      400,
    );
    expect(zone.error).toMatchObject({ code: 'validation_failed', details: { path: 'timezone' } });
    const hours = await body<{ error: { details: { issues: { path: string }[] } } }>(
      await harness.api(`/v1/contacts/${contactId}/preferences`, {
        method: 'PUT',
        json: { quietHours: { start: '25:00', end: '08:00' } },
      }),
      400,
    );
    expect(hours.error.details.issues[0]!.path).toBe('quietHours.start');
    await body(await harness.api('/v1/contacts/nobody/preferences'), 404);
  });

  it('schedules for the end of quiet hours, sends then, and shows the timeline; a Telegram reply threads in', async () => {
    await harness.api(`/v1/contacts/${contactId}/preferences`, {
      method: 'PUT',
      json: { timezone: 'Asia/Shanghai', quietHours: { start: '22:00', end: '08:00' } },
    });
    const accepted = await body<{
      id: string;
      status: string;
      scheduledFor: string;
      reason: string;
    }>(
      await harness.api('/v1/notifications', {
        json: {
          to: { contactId },
          category: 'orders',
          content: { type: 'text', text: 'your order is ready' },
        },
      }),
      202,
    );
    expect(accepted).toMatchObject({
      status: 'scheduled',
      reason: 'quiet_hours',
      scheduledFor: '2026-06-04T00:00:00.000Z',
      channel: null,
    });
    harness.clock.set('2026-06-04T00:00:00.000Z');
    await harness.gateway.engine.drainJobs();
    await harness.gateway.engine.drainJobs();
    expect(harness.sms.sent).toHaveLength(1);
    const sent = await body<Notification>(
      await harness.api(`/v1/notifications/${accepted.id}`),
      200,
    );
    expect(sent).toMatchObject({ status: 'sent', channel: 'sms' });
    expect(sent.timeline.map((entry) => entry.type)).toEqual(['scheduled', 'queued', 'sent']);

    await harness.deliver(harness.telegram, {
      kind: 'message',
      id: 'tg-1',
      from: '7001',
      content: { type: 'text', text: 'thanks!' },
    });
    const replied = await body<Notification>(
      await harness.api(`/v1/notifications/${accepted.id}`),
      200,
    );
    expect(replied.replyMessageId).not.toBeNull();
    const reply = await harness.gateway.store.read.getMessage(replied.replyMessageId!);
    expect(reply).toMatchObject({ channel: 'telegram', conversationId: sent.conversationId });
    const events = await harness.gateway.store.read.listEvents(0, 1000);
    expect(events.filter((event) => event.type === 'notification.replied')).toHaveLength(1);

    const metrics = await (await harness.app.request('/metrics')).text();
    expect(metrics).toContain(
      'threadline_notifications_total{status="scheduled",reason="quiet_hours"} 1',
    );
    expect(metrics).toContain('threadline_notifications_total{status="replied",reason="none"} 1');

    // analytics counts it: sent on SMS, replied; the notification is no app reply
    const summary = await body<{
      notifications: { sent: number; replied: number; replyRate: number };
      firstResponse: { count: number };
    }>(
      await harness.api(
        '/v1/analytics/summary?from=2026-06-03T00:00:00.000Z&to=2026-06-05T00:00:00.000Z',
      ),
      200,
    );
    expect(summary.notifications).toMatchObject({ sent: 1, replied: 1, replyRate: 1 });
    expect(summary.firstResponse.count).toBe(0);
  });

  it('answers a batch in order, each with its own result; idempotencyKey makes a retry a no-op', async () => {
    const content = { type: 'text', text: 'payment due' };
    const { results } = await body<{
      results: { id?: string; status?: string; error?: { code: string } }[];
    }>(
      await harness.api('/v1/notifications/batch', {
        json: {
          notifications: [
            { to: { contactId }, category: 'billing', content, idempotencyKey: 'bill-1' },
            { to: { contactId: 'nobody' }, category: 'billing', content },
            {
              to: { channel: 'sms', address: '+15550009999' },
              category: 'billing',
              content,
              critical: true,
            },
          ],
        },
      }),
      202,
    );
    expect(results.map((result) => result.status ?? result.error?.code)).toEqual([
      'queued',
      'not_found',
      'queued',
    ]);
    const again = await body<{ id: string }>(
      await harness.api('/v1/notifications', {
        json: { to: { contactId }, category: 'billing', content, idempotencyKey: 'bill-1' },
      }),
      202,
    );
    expect(again.id).toBe(results[0]!.id);
    const listed = await body<{ data: Notification[] }>(
      await harness.api(`/v1/notifications?contactId=${contactId}&category=billing`),
      200,
    );
    expect(listed.data.map((item) => item.id)).toEqual([results[0]!.id]);
    const tooMany = await harness.api('/v1/notifications/batch', {
      json: {
        notifications: Array.from({ length: 1001 }, () => ({
          to: { contactId },
          category: 'x',
          content,
        })),
      },
    });
    expect(tooMany.status).toBe(400);
    const invalid = await body<{ error: { details: { issues: { path: string }[] } } }>(
      await harness.api('/v1/notifications', {
        json: {
          to: { contactId },
          category: 'x',
          content,
          fallback: { after: 'soon', until: 'delivered' },
        },
      }),
      400,
    );
    expect(invalid.error.details.issues[0]!.path).toBe('fallback.after');
  });
});

describe('THREADLINE_NOTIFY_* defaults', () => {
  it('reads each variable, and names the bad one', () => {
    expect(
      notificationDefaultsFromEnv({
        THREADLINE_NOTIFY_TIMEZONE: 'Europe/Paris',
        THREADLINE_NOTIFY_QUIET_HOURS: '22:00-08:00',
        THREADLINE_NOTIFY_FREQUENCY_CAP: '3/24h',
        THREADLINE_NOTIFY_LIVE_WINDOW: '10m',
        THREADLINE_NOTIFY_LIVE_POLICY: 'suppress',
      }),
    ).toEqual({
      timezone: 'Europe/Paris',
      quietHours: { start: '22:00', end: '08:00' },
      frequencyCap: { limit: 3, windowMs: 86_400_000 },
      liveWindowMs: 600_000,
      livePolicy: 'suppress',
    });
    expect(notificationDefaultsFromEnv({})).toEqual({});
    expect(() => notificationDefaultsFromEnv({ THREADLINE_NOTIFY_TIMEZONE: 'Paris' })).toThrow(
      /THREADLINE_NOTIFY_TIMEZONE/,
    );
    expect(() => notificationDefaultsFromEnv({ THREADLINE_NOTIFY_QUIET_HOURS: '10pm' })).toThrow(
      /THREADLINE_NOTIFY_QUIET_HOURS/,
    );
    expect(() => notificationDefaultsFromEnv({ THREADLINE_NOTIFY_FREQUENCY_CAP: 'lots' })).toThrow(
      /THREADLINE_NOTIFY_FREQUENCY_CAP/,
    );
    expect(() => notificationDefaultsFromEnv({ THREADLINE_NOTIFY_LIVE_POLICY: 'maybe' })).toThrow(
      /THREADLINE_NOTIFY_LIVE_POLICY/,
    );
  });
});
