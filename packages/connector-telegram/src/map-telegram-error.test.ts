import { ConnectorError, toErrorDisposition } from '@threadline/connector-kit';
import { TelegramError } from 'telegraf';
import { describe, expect, it } from 'vitest';
import { mapTelegramError } from './map-telegram-error.js';

// the answers as the Bot API sends them
const answers = {
  rateLimited: {
    ok: false,
    error_code: 429,
    description: 'Too Many Requests: retry after 3',
    parameters: { retry_after: 3 },
  },
  blocked: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
  chatNotFound: { ok: false, error_code: 400, description: 'Bad Request: chat not found' },
  migrated: {
    ok: false,
    error_code: 400,
    description: 'Bad Request: group chat was upgraded to a supergroup chat',
    parameters: { migrate_to_chat_id: -1002051234567 },
  },
  unauthorized: { ok: false, error_code: 401, description: 'Unauthorized' },
} as const;

describe('mapTelegramError', () => {
  it('maps 429 to rate_limited, retryable after retry_after', () => {
    const error = mapTelegramError(new TelegramError(answers.rateLimited), 'sendMessage');
    expect(error).toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: 3000,
      statusCode: 429,
    });
    expect(error.message).toBe('Telegram sendMessage failed: Too Many Requests: retry after 3');
  });

  it('reads the delay from the description when parameters are missing', () => {
    const error = mapTelegramError(
      new TelegramError({ error_code: 429, description: 'Too Many Requests: retry after 12' }),
      'sendMessage',
    );
    expect(error.retryAfterMs).toBe(12_000);
  });

  it('maps 403 "bot was blocked by the user" to recipient_blocked, permanent', () => {
    expect(mapTelegramError(new TelegramError(answers.blocked), 'sendMessage')).toMatchObject({
      code: 'recipient_blocked',
      retryable: false,
      statusCode: 403,
      message: 'Telegram sendMessage failed: Forbidden: bot was blocked by the user',
    });
  });

  it("maps 400 to provider_rejected with Telegram's description, permanent", () => {
    const error = mapTelegramError(new TelegramError(answers.chatNotFound), 'sendPhoto');
    expect(error).toMatchObject({ code: 'provider_rejected', retryable: false, statusCode: 400 });
    expect(error.message).toContain('Bad Request: chat not found');
    expect(toErrorDisposition(error)).toMatchObject({
      code: 'provider_rejected',
      retryable: false,
    });
  });

  it('names the new chat id of a group that became a supergroup', () => {
    expect(mapTelegramError(new TelegramError(answers.migrated), 'sendMessage')).toMatchObject({
      code: 'provider_rejected',
      details: { migrateToChatId: '-1002051234567' },
    });
  });

  it('maps a rejected token to configuration_invalid', () => {
    expect(mapTelegramError(new TelegramError(answers.unauthorized), 'getUpdates')).toMatchObject({
      code: 'configuration_invalid',
      retryable: false,
    });
  });

  it('maps 5xx (telegraf reports the status text) and network failures to provider_unavailable', () => {
    expect(
      mapTelegramError(
        new TelegramError({ error_code: 502, description: 'Bad Gateway' }),
        'sendMessage',
      ),
    ).toMatchObject({ code: 'provider_unavailable', retryable: true, statusCode: 502 });
    const network = Object.assign(new Error('request to https://api.telegram.org failed'), {
      name: 'FetchError',
    });
    expect(mapTelegramError(network, 'sendMessage')).toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
    });
  });

  it('passes typed errors through', () => {
    const typed = ConnectorError.unsupportedContent('telegram', 'x');
    expect(mapTelegramError(typed, 'sendMessage')).toBe(typed);
  });
});
