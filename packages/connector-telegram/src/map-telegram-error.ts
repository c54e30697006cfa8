import { ConnectorError } from '@threadline/connector-kit';
import { TelegramError } from 'telegraf';
import { z } from 'zod';

/** The error answer of the Bot API: `{"ok":false,"error_code":429,"description":"…","parameters":{…}}`. */
const telegramErrorResponseSchema = z.object({
  error_code: z.number().int(),
  description: z.string().nullish(),
  parameters: z
    .object({
      retry_after: z.number().nonnegative().nullish(),
      migrate_to_chat_id: z.number().int().nullish(),
    })
    .nullish(),
});

export type TelegramErrorResponse = z.infer<typeof telegramErrorResponseSchema>;

/**
 * Maps a failed Bot API call to a typed error the engine acts on:
 * - 429 → `rate_limited`, retryable after Telegram's `retry_after`;
 * - 403 (blocked by the user, kicked from the group, user deactivated) → `recipient_blocked`;
 * - 401 / 404 (the bot token is wrong or revoked) → `configuration_invalid`;
 * - other 4xx → `provider_rejected` with Telegram's description, permanent;
 * - 5xx, network failures and timeouts → `provider_unavailable`, retryable.
 */
export function mapTelegramError(error: unknown, method: string): ConnectorError {
  if (ConnectorError.isConnectorError(error)) return error;
  const response = telegramErrorResponse(error);
  if (!response) {
    const reason = error instanceof Error ? error.message : String(error);
    return new ConnectorError(
      'provider_unavailable',
      `Telegram ${method} did not answer: ${reason}`,
      { retryable: true, cause: error },
    );
  }
  return mapTelegramErrorResponse(response, method, error);
}

/** Maps a Bot API error answer (or an HTTP status shaped like one) to a typed error. */
export function mapTelegramErrorResponse(
  response: TelegramErrorResponse,
  method: string,
  cause?: unknown,
): ConnectorError {
  const status = response.error_code;
  const description = response.description || `error ${status}`;
  const message = `Telegram ${method} failed: ${description}`;
  const options = { statusCode: status, ...(cause === undefined ? {} : { cause }) };
  if (status === 429) {
    return new ConnectorError('rate_limited', message, {
      ...options,
      retryable: true,
      ...retryAfter(response),
    });
  }
  if (status >= 500) {
    return new ConnectorError('provider_unavailable', message, { ...options, retryable: true });
  }
  if (status === 403) {
    return new ConnectorError('recipient_blocked', message, { ...options, retryable: false });
  }
  if (status === 401 || status === 404) {
    return new ConnectorError(
      'configuration_invalid',
      `${message} (the bot token is wrong or was revoked)`,
      { ...options, retryable: false },
    );
  }
  const migratedTo = response.parameters?.migrate_to_chat_id;
  return new ConnectorError('provider_rejected', message, {
    ...options,
    retryable: false,
    // a group that became a supergroup has a new id: replies must go there
    ...(migratedTo === null || migratedTo === undefined
      ? {}
      : { details: { migrateToChatId: String(migratedTo) } }),
  });
}

/** The Bot API error answer carried by a telegraf error, if the failure was one. */
export function telegramErrorResponse(error: unknown): TelegramErrorResponse | undefined {
  if (!(error instanceof TelegramError)) return undefined;
  const parsed = telegramErrorResponseSchema.safeParse(error.response);
  return parsed.success ? parsed.data : undefined;
}

function retryAfter(response: TelegramErrorResponse): { retryAfterMs?: number } {
  const seconds =
    response.parameters?.retry_after ??
    Number(/retry after (\d+)/i.exec(response.description ?? '')?.[1] ?? Number.NaN);
  return Number.isFinite(seconds) ? { retryAfterMs: Math.round(seconds * 1000) } : {};
}
