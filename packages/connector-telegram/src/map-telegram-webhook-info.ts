import type { ConnectorStatus } from '@threadline/connector-kit';
import type { TelegramWebhookInfo } from './telegram-webhook-info-schema.js';

/**
 * What `getWebhookInfo` says about our webhook, as a connector status for `/readyz`:
 * - the webhook points elsewhere (or nowhere) → `degraded`, naming both URLs;
 * - a delivery error with updates still waiting → `degraded`, with Telegram's error;
 * - a delivery error with nothing waiting → `ready` (Telegram recovered), the error kept in
 *   the detail;
 * - otherwise `ready`.
 */
export function mapTelegramWebhookInfo(
  info: TelegramWebhookInfo,
  expectedUrl: string,
): ConnectorStatus {
  if (info.url !== expectedUrl) {
    const actual = info.url ? `points at ${info.url}` : 'is not set';
    return {
      state: 'degraded',
      detail: `Telegram's webhook ${actual}, not ${expectedUrl} (changed by another client?)`,
    };
  }
  const pending = `${info.pending_update_count} update(s) waiting`;
  if (!info.last_error_message) return { state: 'ready', detail: `webhook ${expectedUrl}` };
  const at =
    info.last_error_date === null || info.last_error_date === undefined
      ? ''
      : ` at ${new Date(info.last_error_date * 1000).toISOString()}`;
  const error = `Telegram's last delivery to ${expectedUrl} failed${at}: ${info.last_error_message}`;
  if (info.pending_update_count > 0) return { state: 'degraded', detail: `${error}; ${pending}` };
  return { state: 'ready', detail: `${error}; delivered since, nothing waiting` };
}
