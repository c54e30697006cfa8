import { parseProviderPayload } from '@threadline/connector-kit';
import { z } from 'zod';

/**
 * The parts of `getWebhookInfo`'s answer the connector reads
 * (https://core.telegram.org/bots/api#webhookinfo). Telegram keeps the last delivery error
 * even after deliveries work again; `pending_update_count` says whether updates are stuck.
 */
export const telegramWebhookInfoSchema = z.object({
  url: z.string(),
  pending_update_count: z.number().int().nonnegative(),
  last_error_date: z.number().int().nonnegative().nullish(),
  last_error_message: z.string().nullish(),
  last_synchronization_error_date: z.number().int().nonnegative().nullish(),
  allowed_updates: z.array(z.string()).nullish(),
});

export type TelegramWebhookInfo = z.infer<typeof telegramWebhookInfoSchema>;

export function parseTelegramWebhookInfo(raw: unknown): TelegramWebhookInfo {
  return parseProviderPayload(telegramWebhookInfoSchema, raw);
}
