import { describe, expect, it } from 'vitest';
import { mapTelegramWebhookInfo } from './map-telegram-webhook-info.js';

const url = 'https://gateway.example.com/webhooks/telegram/telegram';

describe('mapTelegramWebhookInfo', () => {
  it('is ready when the webhook is ours and Telegram reports no error', () => {
    expect(mapTelegramWebhookInfo({ url, pending_update_count: 0 }, url)).toEqual({
      state: 'ready',
      detail: `webhook ${url}`,
    });
  });

  it("is degraded with Telegram's error while updates wait", () => {
    const status = mapTelegramWebhookInfo(
      {
        url,
        pending_update_count: 3,
        last_error_date: 1_782_892_800,
        last_error_message: 'Connection timed out',
      },
      url,
    );
    expect(status).toEqual({
      state: 'degraded',
      detail: `Telegram's last delivery to ${url} failed at 2026-07-01T08:00:00.000Z: Connection timed out; 3 update(s) waiting`,
    });
  });

  it('is ready, keeping the old error in the detail, once nothing waits', () => {
    const status = mapTelegramWebhookInfo(
      {
        url,
        pending_update_count: 0,
        last_error_date: 1_782_892_800,
        last_error_message: 'Wrong response from the webhook: 503 Service Unavailable',
      },
      url,
    );
    expect(status.state).toBe('ready');
    expect(status.detail).toContain('Wrong response from the webhook: 503 Service Unavailable');
  });

  it('is degraded when the webhook points elsewhere or nowhere', () => {
    expect(
      mapTelegramWebhookInfo({ url: 'https://old.example.com/hook', pending_update_count: 0 }, url),
    ).toMatchObject({
      state: 'degraded',
      detail: expect.stringContaining('https://old.example.com/hook'),
    });
    expect(mapTelegramWebhookInfo({ url: '', pending_update_count: 5 }, url)).toMatchObject({
      state: 'degraded',
      detail: expect.stringContaining('is not set'),
    });
  });
});
