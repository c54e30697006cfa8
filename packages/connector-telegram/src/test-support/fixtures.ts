import { readFileSync } from 'node:fs';
import type { InboundRequest } from '@threadline/connector-kit';
import { parseTelegramUpdate, type TelegramUpdate } from '../telegram-update-schema.js';

export const testToken = '7012345678:AAHtest-token-for-threadline_0123456789';
export const testApiRoot = 'https://telegram-api.test';
export const testWebhookSecret = 'threadline-test-secret_0123';

/** A recorded Bot API update, as the raw JSON Telegram posts. */
export function fixtureBody(name: string): string {
  return readFileSync(new URL(`../__fixtures__/${name}.json`, import.meta.url), 'utf8');
}

/** A recorded update, read through the connector's boundary schema. */
export function fixtureUpdate(name: string): TelegramUpdate {
  return parseTelegramUpdate(JSON.parse(fixtureBody(name)));
}

/** The webhook request Telegram makes for `body`; `secret: null` leaves the header out. */
export function webhookRequest(
  body: string,
  secret: string | null = testWebhookSecret,
): InboundRequest {
  return {
    method: 'POST',
    url: 'https://gateway.test/webhooks/telegram/telegram',
    headers: {
      'content-type': 'application/json',
      ...(secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret }),
    },
    body,
  };
}
