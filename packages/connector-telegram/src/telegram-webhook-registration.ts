import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectorRuntime, ConnectorStatus } from '@threadline/connector-kit';
import type { Telegram } from 'telegraf';
import { telegramHandledUpdateTypes } from './convert-telegram-update.js';
import { mapTelegramError } from './map-telegram-error.js';
import { mapTelegramWebhookInfo } from './map-telegram-webhook-info.js';
import { parseTelegramWebhookInfo } from './telegram-webhook-info-schema.js';
import { withAbortSignal } from './with-abort-signal.js';

/** What `setWebhook` is asked: our URL, the secret `parse` checks, the kinds we read. */
export function telegramWebhookSettings(url: string, secretToken: string) {
  return { url, secret_token: secretToken, allowed_updates: [...telegramHandledUpdateTypes] };
}

export interface TelegramWebhookRegistrationOptions {
  telegram: Telegram;
  /** The public URL of the connector's ingress. */
  url: string;
  /** The secret Telegram is to send in `X-Telegram-Bot-Api-Secret-Token`. */
  secretToken: string;
  /** How often `getWebhookInfo` is asked about delivery errors. */
  checkIntervalMs: number;
  /** The wait after a failed call, doubled on each further failure up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  onStatus(status: ConnectorStatus): void;
  log: ConnectorRuntime['log'];
}

/**
 * Webhook mode at start: registers the URL with `setWebhook` (the secret, and the update
 * kinds the connector reads), logs Telegram's answer, then asks `getWebhookInfo` every
 * `checkIntervalMs` so delivery errors show in the connector's status. A failed call is
 * logged and retried with backoff; nothing here ever throws.
 */
export class TelegramWebhookRegistration {
  private readonly abortController = new AbortController();
  private running: Promise<void> | undefined;
  private lastStatus: ConnectorStatus | undefined;

  constructor(private readonly options: TelegramWebhookRegistrationOptions) {}

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.abortController.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { telegram, url, log } = this.options;
    const signal = this.abortController.signal;
    let registered = false;
    let checked = false;
    let failures = 0;
    while (!signal.aborted) {
      let method: 'setWebhook' | 'getWebhookInfo' = 'setWebhook';
      let delay = this.options.checkIntervalMs;
      try {
        if (!registered) {
          const answer = await telegram.callApi(
            'setWebhook',
            telegramWebhookSettings(url, this.options.secretToken),
            withAbortSignal(signal),
          );
          registered = true;
          log('info', 'Telegram webhook registered', {
            url,
            allowedUpdates: telegramHandledUpdateTypes,
            answer,
          });
        }
        method = 'getWebhookInfo';
        const info = parseTelegramWebhookInfo(
          await telegram.callApi('getWebhookInfo', {}, withAbortSignal(signal)),
        );
        const status = mapTelegramWebhookInfo(info, url);
        if (!checked) log('info', 'Telegram webhook info', { ...info });
        checked = true;
        if (status.state !== 'ready' && !sameStatus(status, this.lastStatus)) {
          log('warn', 'Telegram reports a problem with the webhook', { detail: status.detail });
        }
        this.report(status);
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        const failure = mapTelegramError(error, method);
        failures += 1;
        // a refusal (a URL Telegram will not call, a revoked token) waits for an operator:
        // it is asked again at the check interval, not in a tight loop
        delay = failure.retryable
          ? (failure.retryAfterMs ??
            Math.min(this.options.retryDelayMs * 2 ** (failures - 1), this.options.maxRetryDelayMs))
          : this.options.checkIntervalMs;
        const detail = `${failure.message}; retrying in ${Math.ceil(delay / 1000)} s`;
        log(failure.retryable ? 'warn' : 'error', `Telegram ${method} failed`, { detail });
        this.report({
          state: failure.code === 'configuration_invalid' ? 'disconnected' : 'degraded',
          detail,
        });
      }
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  private report(status: ConnectorStatus): void {
    if (sameStatus(status, this.lastStatus)) return;
    this.lastStatus = status;
    this.options.onStatus(status);
  }
}

function sameStatus(a: ConnectorStatus, b: ConnectorStatus | undefined): boolean {
  return a.state === b?.state && a.detail === b.detail;
}
