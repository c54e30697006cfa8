import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectorStatus } from '@threadline/connector-kit';
import type { Telegram } from 'telegraf';
import { telegramHandledUpdateTypes } from './convert-telegram-update.js';
import { mapTelegramError, telegramErrorResponse } from './map-telegram-error.js';
import { withAbortSignal } from './with-abort-signal.js';

export interface TelegramUpdatePollerOptions {
  telegram: Telegram;
  /** How long Telegram holds a `getUpdates` call open when there is nothing new, in seconds. */
  timeoutSeconds: number;
  /** The wait after a failure, doubled on each further failure up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** Handles one update; resolves once it is durable. A rejection fetches it again later. */
  deliver(update: unknown): Promise<void>;
  onStatus(status: ConnectorStatus): void;
}

/**
 * Long polling with `getUpdates`. Telegram forgets an update once a later call asks for an
 * offset past it, so the offset only moves past an update after `deliver` made it durable:
 * a failure (Telegram down, the store down) fetches the same updates again, and a
 * redelivery is a no-op downstream.
 */
export class TelegramUpdatePoller {
  private readonly abortController = new AbortController();
  private offset: number | undefined;
  private running: Promise<void> | undefined;
  private lastStatus: ConnectorStatus | undefined;

  constructor(private readonly options: TelegramUpdatePollerOptions) {}

  start(): void {
    this.running ??= this.run();
  }

  /** Stops polling once the update in hand is delivered. */
  async stop(): Promise<void> {
    this.abortController.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { telegram, deliver } = this.options;
    const signal = this.abortController.signal;
    let failures = 0;
    // getUpdates is refused while a webhook is set
    let webhookDeleted = false;
    while (!signal.aborted) {
      let failure: PollFailure;
      let method: 'deleteWebhook' | 'getUpdates' = 'getUpdates';
      try {
        if (!webhookDeleted) {
          method = 'deleteWebhook';
          await telegram.callApi(
            'deleteWebhook',
            { drop_pending_updates: false },
            withAbortSignal(signal),
          );
          webhookDeleted = true;
          // the token works: a long poll may now wait quietly for the first update
          this.report({ state: 'ready' });
          method = 'getUpdates';
        }
        const updates = await telegram.callApi(
          'getUpdates',
          {
            timeout: this.options.timeoutSeconds,
            // the kinds the connector reads, whatever an earlier client asked for
            allowed_updates: [...telegramHandledUpdateTypes],
            ...(this.offset === undefined ? {} : { offset: this.offset }),
          },
          withAbortSignal(signal),
        );
        for (const update of updates) {
          try {
            await deliver(update);
          } catch (error) {
            throw new DeliveryFailure(update.update_id, error);
          }
          if (Number.isSafeInteger(update.update_id)) this.offset = update.update_id + 1;
        }
        this.report({ state: 'ready' });
        failures = 0;
        continue;
      } catch (error) {
        if (signal.aborted) break;
        failure = describeFailure(error, method);
        if (/webhook/i.test(telegramErrorResponse(error)?.description ?? '')) {
          webhookDeleted = false;
        }
      }
      failures += 1;
      const backoff = Math.min(
        this.options.retryDelayMs * 2 ** (failures - 1),
        this.options.maxRetryDelayMs,
      );
      const delay = failure.retryAfterMs ?? backoff;
      this.report({
        state: failure.tokenRejected ? 'disconnected' : 'degraded',
        detail: `${failure.detail}; retrying in ${Math.ceil(delay / 1000)} s`,
      });
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
    await this.confirmOffset();
  }

  /**
   * Tells Telegram the delivered updates are handled, so a restart does not fetch them again
   * (it would be harmless, only slower).
   */
  private async confirmOffset(): Promise<void> {
    if (this.offset === undefined) return;
    await this.options.telegram
      .callApi(
        'getUpdates',
        { offset: this.offset, limit: 1, timeout: 0 },
        withAbortSignal(AbortSignal.timeout(5_000)),
      )
      .catch(() => undefined);
  }

  private report(status: ConnectorStatus): void {
    if (this.lastStatus?.state === status.state && this.lastStatus.detail === status.detail) {
      return;
    }
    this.lastStatus = status;
    this.options.onStatus(status);
  }
}

class DeliveryFailure extends Error {
  override name = 'DeliveryFailure';
  constructor(
    readonly updateId: number,
    override readonly cause: unknown,
  ) {
    super(`update ${updateId} could not be stored`);
  }
}

interface PollFailure {
  detail: string;
  /** How long Telegram asked us to wait (a 429). */
  retryAfterMs?: number;
  /** The bot token is wrong or revoked: nothing works until an operator fixes it. */
  tokenRejected: boolean;
}

function describeFailure(error: unknown, method: string): PollFailure {
  if (error instanceof DeliveryFailure) {
    const reason = error.cause instanceof Error ? error.cause.message : String(error.cause);
    return { detail: `${error.message}: ${reason}`, tokenRejected: false };
  }
  const mapped = mapTelegramError(error, method);
  return {
    detail: mapped.message,
    ...(mapped.retryAfterMs === undefined ? {} : { retryAfterMs: mapped.retryAfterMs }),
    tokenRejected: mapped.code === 'configuration_invalid',
  };
}
