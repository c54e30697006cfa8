import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertSendable,
  type Capabilities,
  type ConnectorEnvironmentContext,
  ConnectorError,
  type ConnectorRuntime,
  type ConnectorStatus,
  type ConnectorV1,
  defineCapabilities,
  type Environment,
  type InboundEvent,
  type InboundRequest,
  loadSetting,
  type OutboundMessage,
  type ParseResult,
  parseJsonBody,
  requireSetting,
  type SendResult,
  verifySharedSecret,
} from '@threadline/connector-kit';
import { Telegram } from 'telegraf';
import { z } from 'zod';
import {
  convertTelegramUpdate,
  type TelegramConversionContext,
} from './convert-telegram-update.js';
import { convertToTelegramRequests } from './convert-to-telegram-requests.js';
import { mapTelegramError, mapTelegramErrorResponse } from './map-telegram-error.js';
import { telegramMessageExternalId } from './telegram-external-id.js';
import { TelegramUpdatePoller } from './telegram-update-poller.js';
import { parseTelegramUpdate, type TelegramUpdate } from './telegram-update-schema.js';
import {
  TelegramWebhookRegistration,
  telegramWebhookSettings,
} from './telegram-webhook-registration.js';

export const defaultTelegramApiRoot = 'https://api.telegram.org';

/** The header Telegram sends the webhook secret in (request headers arrive lower-cased). */
export const telegramSecretHeader = 'x-telegram-bot-api-secret-token';

export type TelegramMode = 'webhook' | 'polling';

export interface TelegramConnectorSettings {
  /** Connector id, unique per gateway (default `telegram`): ingress is `/webhooks/telegram/<id>`. */
  id?: string;
  /** The bot token from @BotFather. Falls back to `TELEGRAM_BOT_TOKEN`. */
  token?: string;
  /**
   * The secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (1–256 of `A-Z a-z 0-9 _ -`).
   * Falls back to `TELEGRAM_WEBHOOK_SECRET`, else one derived from the token, so
   * `registerWebhook()` and the ingress agree without configuration.
   */
  webhookSecret?: string;
  /** The Bot API base URL. Falls back to `TELEGRAM_API_ROOT`, else `https://api.telegram.org`. */
  apiRoot?: string;
  /**
   * `webhook`: Telegram posts updates to the gateway. `polling`: the connector long-polls
   * `getUpdates` (no public URL needed). Falls back to `TELEGRAM_MODE`, else `webhook` when
   * `webhookUrl` is set and `polling` otherwise.
   */
  mode?: TelegramMode;
  /**
   * The public URL of this connector's ingress. In webhook mode `start` registers it with
   * `setWebhook` and then checks `getWebhookInfo` for delivery errors.
   */
  webhookUrl?: string;
  webhook?: {
    /** How often `getWebhookInfo` is asked about delivery errors (default 60 s). */
    checkIntervalMs?: number;
    /** The wait after a failed `setWebhook` or check, doubled on each failure (default 1 s). */
    retryDelayMs?: number;
    /** The longest wait between failed calls (default 30 s). */
    maxRetryDelayMs?: number;
  };
  polling?: {
    /** How long Telegram holds a `getUpdates` call open when there is nothing new (default 50 s). */
    timeoutSeconds?: number;
    /** The wait after a failed poll, doubled on each further failure (default 1 s). */
    retryDelayMs?: number;
    /** The longest wait between failed polls (default 30 s). */
    maxRetryDelayMs?: number;
  };
  /** The environment the settings fall back to (default `process.env`). */
  env?: Environment;
}

/** What Telegram carries. Text is sent plain, so no user text can break Markdown or HTML. */
export const telegramCapabilities: Capabilities = defineCapabilities({
  text: { maxLength: 4096 },
  media: ['image', 'audio', 'video', 'file', 'sticker'],
  maxAttachments: 1,
  // one inline-keyboard row per button
  buttons: { max: 10, titleMaxLength: 64 },
  templates: false,
  location: true,
  contacts: true,
  reactions: false,
  // the Bot API reports neither delivery nor reads of a bot's messages
  readReceipts: false,
  edits: true,
  typing: false,
});

const sentMessageSchema = z.object({
  message_id: z.number().int().positive(),
  chat: z.object({ id: z.number().int() }),
});

/**
 * Telegram through the Bot API (telegraf's client). Inbound by webhook (`parse`) or long
 * polling (`start`), outbound with `send`; media the customer sent is fetched with
 * `fetchMedia`.
 */
export class TelegramConnector implements ConnectorV1 {
  readonly specificationVersion = 'v1' as const;
  readonly id: string;
  readonly channel = 'telegram';
  readonly capabilities = telegramCapabilities;
  /** Telegram allows about 30 messages a second per bot and one a second per chat. */
  readonly rateLimit = { perSecond: 30, perRecipientPerSecond: 1 };
  readonly mode: TelegramMode;
  /** Long polling runs on one gateway instance at a time (Telegram allows one poller). */
  readonly singleListener: boolean;
  readonly webhookUrl: string | undefined;
  private readonly telegram: Telegram;
  private readonly webhookSecret: string;
  private readonly conversion: TelegramConversionContext;
  private readonly pollingOptions: Required<NonNullable<TelegramConnectorSettings['polling']>>;
  private readonly webhookOptions: Required<NonNullable<TelegramConnectorSettings['webhook']>>;
  private registration: TelegramWebhookRegistration | undefined;
  private runtime: ConnectorRuntime | undefined;
  private poller: TelegramUpdatePoller | undefined;
  private currentStatus: ConnectorStatus;
  private readonly pendingAnswers = new Set<Promise<void>>();

  constructor(settings: TelegramConnectorSettings = {}) {
    const env = settings.env;
    const token = requireSetting({
      value: settings.token,
      environmentVariable: 'TELEGRAM_BOT_TOKEN',
      settingName: 'token',
      ...(env ? { env } : {}),
    });
    const apiRoot =
      loadSetting({
        value: settings.apiRoot,
        environmentVariable: 'TELEGRAM_API_ROOT',
        settingName: 'apiRoot',
        ...(env ? { env } : {}),
      }) ?? defaultTelegramApiRoot;
    const webhookSecret =
      loadSetting({
        value: settings.webhookSecret,
        environmentVariable: 'TELEGRAM_WEBHOOK_SECRET',
        settingName: 'webhookSecret',
        ...(env ? { env } : {}),
      }) ?? deriveWebhookSecret(token);
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(webhookSecret)) {
      throw new ConnectorError(
        'configuration_invalid',
        'webhookSecret (TELEGRAM_WEBHOOK_SECRET) must be 1-256 characters of A-Z, a-z, 0-9, _ and -',
      );
    }
    const mode =
      loadSetting({
        value: settings.mode,
        environmentVariable: 'TELEGRAM_MODE',
        settingName: 'mode',
        ...(env ? { env } : {}),
      }) ?? (settings.webhookUrl ? 'webhook' : 'polling');
    if (mode !== 'webhook' && mode !== 'polling') {
      throw new ConnectorError(
        'configuration_invalid',
        `mode (TELEGRAM_MODE) is "${mode}": use webhook or polling`,
      );
    }
    this.id = settings.id ?? 'telegram';
    this.mode = mode;
    this.singleListener = mode === 'polling';
    this.webhookUrl = settings.webhookUrl;
    this.webhookSecret = webhookSecret;
    this.telegram = new Telegram(token, { apiRoot });
    const botId = /^(\d+):/.exec(token)?.[1];
    this.conversion = botId ? { botId } : {};
    this.pollingOptions = {
      timeoutSeconds: settings.polling?.timeoutSeconds ?? 50,
      retryDelayMs: settings.polling?.retryDelayMs ?? 1_000,
      maxRetryDelayMs: settings.polling?.maxRetryDelayMs ?? 30_000,
    };
    this.webhookOptions = {
      checkIntervalMs: settings.webhook?.checkIntervalMs ?? 60_000,
      retryDelayMs: settings.webhook?.retryDelayMs ?? 1_000,
      maxRetryDelayMs: settings.webhook?.maxRetryDelayMs ?? 30_000,
    };
    this.currentStatus = mode === 'webhook' ? { state: 'ready' } : { state: 'starting' };
  }

  /** Verifies the secret header, then normalizes the update. Answers button presses. */
  async parse(request: InboundRequest): Promise<ParseResult> {
    const received = request.headers[telegramSecretHeader];
    if (!received) {
      throw ConnectorError.signatureInvalid(
        'the X-Telegram-Bot-Api-Secret-Token header is missing',
      );
    }
    if (!verifySharedSecret(this.webhookSecret, received)) {
      throw ConnectorError.signatureInvalid(
        'X-Telegram-Bot-Api-Secret-Token does not match the webhook secret',
      );
    }
    const update = parseTelegramUpdate(parseJsonBody(request.body));
    const event = convertTelegramUpdate(update, this.conversion);
    this.answerButtonPress(update);
    return { events: [event] };
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    assertSendable(message.content, this.capabilities, this.channel);
    const requests = convertToTelegramRequests(message);
    const externalIds: string[] = [];
    for (const request of requests) {
      let answer: unknown;
      try {
        answer = await this.telegram.callApi(request.method, request.payload);
      } catch (error) {
        throw mapTelegramError(error, request.method);
      }
      const sent = sentMessageSchema.safeParse(answer);
      if (!sent.success) {
        throw new ConnectorError(
          'provider_rejected',
          `Telegram answered ${request.method} without the sent message`,
          { retryable: false, cause: sent.error },
        );
      }
      externalIds.push(telegramMessageExternalId(sent.data.chat.id, sent.data.message_id));
    }
    const [externalId] = externalIds;
    if (!externalId) {
      throw ConnectorError.unsupportedContent(this.channel, 'nothing to send');
    }
    return {
      externalId,
      // Telegram reports no delivery of a bot's messages: accepted is as far as it goes
      status: 'sent',
      ...(externalIds.length > 1 ? { channelData: { externalIds } } : {}),
    };
  }

  /** Downloads a file the customer sent (`mediaId` is its Telegram `file_id`). */
  async fetchMedia(
    mediaId: string,
  ): Promise<{ contentType: string; body: Uint8Array; filename?: string }> {
    let link: URL;
    try {
      link = await this.telegram.getFileLink(mediaId);
    } catch (error) {
      throw mapTelegramError(error, 'getFile');
    }
    const filename = basename(link.pathname);
    // a local Bot API server answers with a path on its own disk
    if (link.protocol === 'file:') {
      const body = new Uint8Array(await readFile(fileURLToPath(link)));
      return { contentType: mimeTypeOf(filename), body, filename };
    }
    let response: Response;
    try {
      response = await fetch(link, { signal: AbortSignal.timeout(60_000) });
    } catch (error) {
      throw mapTelegramError(error, 'file download');
    }
    if (!response.ok) {
      // 404 here is a missing file, not a wrong token
      const status = response.status === 404 ? 400 : response.status;
      throw mapTelegramErrorResponse(
        { error_code: status, description: `${response.status} ${response.statusText}`.trim() },
        'file download',
      );
    }
    const body = new Uint8Array(await response.arrayBuffer());
    const declared = response.headers.get('content-type')?.split(';')[0]?.trim();
    const contentType =
      declared && declared !== 'application/octet-stream' ? declared : mimeTypeOf(filename);
    return { contentType, body, filename };
  }

  /**
   * Points Telegram's webhook at `url` (default `webhookUrl`) with the secret `parse`
   * checks, for the kinds of update the connector reads. `start` does this on its own in
   * webhook mode; call it when the gateway does not run `start` (a deploy script).
   */
  async registerWebhook(url: string | undefined = this.webhookUrl): Promise<void> {
    if (!url) {
      throw new ConnectorError(
        'configuration_invalid',
        `registerWebhook needs the public URL of the ingress (…/webhooks/telegram/${this.id})`,
      );
    }
    try {
      await this.telegram.callApi('setWebhook', telegramWebhookSettings(url, this.webhookSecret));
    } catch (error) {
      throw mapTelegramError(error, 'setWebhook');
    }
  }

  /**
   * In webhook mode with a `webhookUrl`, registers it with Telegram and keeps checking its
   * delivery errors (in the background: a slow Telegram never holds up the gateway). In
   * polling mode, starts long polling; updates go to `runtime.ingest` in order.
   */
  async start(runtime: ConnectorRuntime): Promise<void> {
    this.runtime = runtime;
    if (this.mode === 'webhook') {
      this.setStatus({ state: 'ready' });
      if (this.webhookUrl && !this.registration) {
        this.registration = new TelegramWebhookRegistration({
          telegram: this.telegram,
          url: this.webhookUrl,
          secretToken: this.webhookSecret,
          ...this.webhookOptions,
          onStatus: (status) => this.setStatus(status),
          log: (level, message, fields) =>
            runtime.log(level, message, { connectorId: this.id, ...fields }),
        });
        this.registration.start();
      }
      return;
    }
    if (this.poller) return;
    this.setStatus({ state: 'starting' });
    this.poller = new TelegramUpdatePoller({
      telegram: this.telegram,
      ...this.pollingOptions,
      deliver: (update) => this.deliverPolledUpdate(update, runtime),
      onStatus: (status) => this.setStatus(status),
    });
    this.poller.start();
  }

  /** Stops polling after the update in hand is stored, and waits for button answers in flight. */
  async stop(): Promise<void> {
    const poller = this.poller;
    this.poller = undefined;
    const registration = this.registration;
    this.registration = undefined;
    await Promise.all([poller?.stop(), registration?.stop()]);
    await Promise.all(this.pendingAnswers);
    if (this.mode === 'polling') this.currentStatus = { state: 'disconnected', detail: 'stopped' };
  }

  status(): ConnectorStatus {
    return this.currentStatus;
  }

  private async deliverPolledUpdate(raw: unknown, runtime: ConnectorRuntime): Promise<void> {
    const body = JSON.stringify(raw);
    let update: TelegramUpdate;
    let event: InboundEvent;
    try {
      update = parseTelegramUpdate(raw);
      event = convertTelegramUpdate(update, this.conversion);
    } catch (error) {
      if (!ConnectorError.isConnectorError(error) || error.code !== 'payload_invalid') throw error;
      // kept for inspection; polling moves on, as a webhook answering 400 would
      await runtime.quarantine({
        reason: error.message,
        ...(error.path ? { path: error.path } : {}),
        contentType: 'application/json',
        body,
      });
      return;
    }
    await runtime.ingest([event], { contentType: 'application/json', body });
    this.answerButtonPress(update);
  }

  /**
   * Answers a button press so the customer's client stops its progress indicator. Best
   * effort and not awaited: a failed answer never holds up or fails the message.
   */
  private answerButtonPress(update: TelegramUpdate): void {
    const query = update.callback_query;
    if (!query) return;
    const answer = this.telegram.answerCbQuery(query.id).then(
      () => undefined,
      (error: unknown) => {
        this.runtime?.log('warn', 'could not answer a Telegram button press', {
          connectorId: this.id,
          error: mapTelegramError(error, 'answerCallbackQuery').message,
        });
      },
    );
    this.pendingAnswers.add(answer);
    void answer.then(() => this.pendingAnswers.delete(answer));
  }

  private setStatus(status: ConnectorStatus): void {
    this.currentStatus = status;
    this.runtime?.reportStatus(status);
  }
}

export function createTelegramConnector(
  settings: TelegramConnectorSettings = {},
): TelegramConnector {
  return new TelegramConnector(settings);
}

/**
 * The connector the gateway configures from the environment, or undefined when
 * `TELEGRAM_BOT_TOKEN` is not set. With a public URL the default mode is `webhook` (ingress
 * at `<public URL>/webhooks/telegram/telegram`), without one `polling`.
 */
export function telegramConnectorFromEnv(
  context: ConnectorEnvironmentContext,
): TelegramConnector | undefined {
  const token = loadSetting({
    value: undefined,
    environmentVariable: 'TELEGRAM_BOT_TOKEN',
    settingName: 'token',
    env: context.env,
  });
  if (!token) return undefined;
  const id = 'telegram';
  const publicUrl = context.publicUrl?.replace(/\/+$/, '');
  return createTelegramConnector({
    id,
    token,
    env: context.env,
    ...(publicUrl ? { webhookUrl: `${publicUrl}/webhooks/telegram/${id}` } : {}),
  });
}

/** A stable secret only the token holder can compute, in the characters Telegram allows. */
function deriveWebhookSecret(token: string): string {
  return createHash('sha256').update(`threadline telegram webhook secret\n${token}`).digest('hex');
}

const mimeTypesByExtension: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.tgs': 'application/x-tgsticker',
  '.webm': 'video/webm',
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.oga': 'audio/ogg',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.wav': 'audio/wav',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.zip': 'application/zip',
};

/** Telegram's file server often answers `application/octet-stream`: the extension says more. */
function mimeTypeOf(filename: string): string {
  return mimeTypesByExtension[extname(filename).toLowerCase()] ?? 'application/octet-stream';
}
