import { createTestServer } from '@threadline/connector-kit/test';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTelegramConnector,
  type TelegramConnector,
  telegramConnectorFromEnv,
} from './telegram-connector.js';
import { createFakeTelegramApi } from './test-support/fake-telegram-api.js';
import { testApiRoot, testToken, testWebhookSecret } from './test-support/fixtures.js';
import { createRuntime } from './test-support/test-runtime.js';

const fake = createFakeTelegramApi({ apiRoot: testApiRoot, token: testToken });
createTestServer(...fake.handlers);

const webhookUrl = 'https://gateway.example.com/webhooks/telegram/telegram';
let running: TelegramConnector | undefined;

function webhookConnector(webhook: { checkIntervalMs?: number } = {}) {
  running = createTelegramConnector({
    token: testToken,
    apiRoot: testApiRoot,
    webhookSecret: testWebhookSecret,
    mode: 'webhook',
    webhookUrl,
    webhook: { retryDelayMs: 1, ...webhook },
    env: {},
  });
  return running;
}

afterEach(async () => {
  await running?.stop();
  running = undefined;
  fake.reset();
});

describe('webhook mode at start', () => {
  it('registers the webhook URL with the secret and the update kinds it reads, and logs the answer', async () => {
    const store = createRuntime();
    await webhookConnector().start(store.runtime);
    await store.until(() => store.logs.some((line) => line.message === 'Telegram webhook info'));

    expect(fake.calls('setWebhook').map((call) => call.payload)).toEqual([
      {
        url: webhookUrl,
        secret_token: testWebhookSecret,
        allowed_updates: ['message', 'edited_message', 'callback_query'],
      },
    ]);
    expect(store.logs).toContainEqual({
      level: 'info',
      message: 'Telegram webhook registered',
      fields: expect.objectContaining({ url: webhookUrl, answer: true }),
    });
    expect(store.logs).toContainEqual({
      level: 'info',
      message: 'Telegram webhook info',
      fields: expect.objectContaining({ url: webhookUrl, pending_update_count: 0 }),
    });
    expect(running?.status()).toEqual({ state: 'ready', detail: `webhook ${webhookUrl}` });
  });

  it("shows getWebhookInfo's delivery error in the status, and ready again once it clears", async () => {
    fake.setWebhookInfo({
      pending_update_count: 2,
      last_error_date: 1_782_892_800,
      last_error_message: 'Wrong response from the webhook: 502 Bad Gateway',
    });
    const store = createRuntime();
    // checked again at once, so the second check sees Telegram recovered
    await webhookConnector({ checkIntervalMs: 1 }).start(store.runtime);
    await store.until(() => store.statuses.some((status) => status.state === 'degraded'));
    expect(store.statuses.find((status) => status.state === 'degraded')).toEqual({
      state: 'degraded',
      detail: `Telegram's last delivery to ${webhookUrl} failed at 2026-07-01T08:00:00.000Z: Wrong response from the webhook: 502 Bad Gateway; 2 update(s) waiting`,
    });
    expect(store.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Telegram reports a problem with the webhook',
      }),
    );

    fake.setWebhookInfo({});
    await store.until(() => store.statuses.at(-1)?.state === 'ready');
    expect(store.statuses.at(-1)).toEqual({ state: 'ready', detail: `webhook ${webhookUrl}` });
  });

  it('retries a failed setWebhook with backoff, reporting the failure meanwhile', async () => {
    fake.failNextCall('setWebhook', { kind: 'unavailable' });
    const store = createRuntime();
    await webhookConnector().start(store.runtime);
    await store.until(() => store.logs.some((line) => line.message === 'Telegram webhook info'));

    expect(fake.calls('setWebhook')).toHaveLength(2);
    expect(store.statuses[1]).toMatchObject({
      state: 'degraded',
      detail: expect.stringMatching(/^Telegram setWebhook failed: .*; retrying in 1 s$/),
    });
    expect(store.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'Telegram setWebhook failed' }),
    );
    expect(store.statuses.at(-1)?.state).toBe('ready');
  });

  it('reports a refused webhook URL and does not hammer Telegram with it', async () => {
    fake.failNextCall('setWebhook', {
      kind: 'answer',
      status: 400,
      body: {
        ok: false,
        error_code: 400,
        description: 'Bad Request: bad webhook: HTTPS url must be provided for webhook',
      },
    });
    const store = createRuntime();
    await webhookConnector().start(store.runtime);
    await store.until(() => store.statuses.some((status) => status.state === 'degraded'));
    expect(store.statuses.at(-1)).toEqual({
      state: 'degraded',
      detail:
        'Telegram setWebhook failed: Bad Request: bad webhook: HTTPS url must be provided for webhook; retrying in 60 s',
    });
    expect(store.logs).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'Telegram setWebhook failed' }),
    );
    expect(fake.calls('setWebhook')).toHaveLength(1);
  });

  it('registers nothing without a webhook URL', async () => {
    const store = createRuntime();
    running = createTelegramConnector({
      token: testToken,
      apiRoot: testApiRoot,
      mode: 'webhook',
      env: {},
    });
    await running.start(store.runtime);
    expect(fake.calls('setWebhook')).toEqual([]);
  });

  it('takes the URL from the public URL when built from the environment', async () => {
    const store = createRuntime();
    running = telegramConnectorFromEnv({
      env: { TELEGRAM_BOT_TOKEN: testToken, TELEGRAM_API_ROOT: testApiRoot },
      publicUrl: 'https://gateway.example.com/',
      dataDirectory: '/tmp/threadline-test',
    });
    await running?.start(store.runtime);
    await store.until(() => store.logs.some((line) => line.message === 'Telegram webhook info'));
    expect(fake.calls('setWebhook')[0]?.payload).toMatchObject({ url: webhookUrl });
  });
});
