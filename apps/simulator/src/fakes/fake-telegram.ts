import { telegramMessageExternalId, telegramSecretHeader } from '@threadline/connector-telegram';
import type { PlannedMessage, PlannedPersona } from '../plan-traffic.js';
import { replyRef } from '../traffic-ledger.js';
import {
  DropConnection,
  deliverCustomerWebhook,
  type FakeContext,
  hexId,
  type ProviderFake,
  ProviderRateLimit,
  providerFault,
  redeliveryPatterns,
  sentText,
  sleep,
  unixSeconds,
} from './provider-fake.js';

export interface TelegramSecrets {
  botId: number;
  token: string;
  webhookSecret: string;
}

export function telegramSecrets(seed: number): TelegramSecrets {
  const botId = 7_000_000_000 + (Number.parseInt(hexId(seed, 'telegram-bot', 6), 16) % 1_000_000);
  return {
    botId,
    token: `${botId}:AA${hexId(seed, 'telegram-token', 33)}`,
    webhookSecret: hexId(seed, 'telegram-webhook-secret', 32),
  };
}

const ok = (result: unknown) => Response.json({ ok: true, result });
const failure = (status: number, description: string, parameters?: Record<string, unknown>) =>
  Response.json(
    { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) },
    { status },
  );

/**
 * The Telegram Bot API: `POST /bot<token>/<method>` (`sendMessage`, `sendPhoto`, ...)
 * answered `{ ok, result }` like Telegram; customer updates go to the gateway's webhook with
 * `X-Telegram-Bot-Api-Secret-Token`, redelivered until acknowledged. Telegram reports no
 * delivery of a bot's messages, so there are no status callbacks.
 */
export function createTelegramFake(
  context: FakeContext,
  secrets: TelegramSecrets = telegramSecrets(context.scenario.seed),
): ProviderFake & { secrets: TelegramSecrets } {
  const limit = new ProviderRateLimit(context.scenario.providers.rateLimitPerSecond);
  const attempts = new Map<string, number>();
  const sequence = new Map(
    context.ledger.plan.messages.map((message, index) => [message.id, index + 1]),
  );
  const bot = {
    id: secrets.botId,
    is_bot: true,
    first_name: 'Support',
    username: 'threadline_support_bot',
  };
  let outbound = 0;
  let webhookUrl = '';

  return {
    name: 'telegram',
    channel: 'telegram',
    secrets,

    gatewayEnvironment(served) {
      return {
        TELEGRAM_BOT_TOKEN: secrets.token,
        TELEGRAM_WEBHOOK_SECRET: secrets.webhookSecret,
        TELEGRAM_API_ROOT: served,
        TELEGRAM_MODE: 'webhook',
      };
    },

    async handle(request) {
      const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(new URL(request.url).pathname);
      if (!match || match[1] !== secrets.token) return failure(401, 'Unauthorized');
      const method = match[2]!;
      const payload = (await request.json().catch(() => ({}))) as Record<string, unknown>;
      if (method === 'setWebhook') webhookUrl = String(payload.url ?? '');
      if (method === 'deleteWebhook') webhookUrl = '';
      if (['setWebhook', 'deleteWebhook', 'answerCallbackQuery'].includes(method)) return ok(true);
      // the gateway registers its webhook at start and then checks on it
      if (method === 'getWebhookInfo') return ok({ url: webhookUrl, pending_update_count: 0 });
      if (method === 'getMe') return ok(bot);
      if (!method.startsWith('send')) return failure(404, 'Not Found: method not found');
      const chatId = String(payload.chat_id ?? '');
      const text = sentText({ ...payload, chat_id: undefined, reply_parameters: undefined });
      const ref = replyRef(text);
      const receivedAt = context.ledger.now();
      const record = (
        outcome: Parameters<typeof context.ledger.recordProviderSend>[0]['outcome'],
        externalId?: string,
      ) =>
        context.ledger.recordProviderSend({
          channel: 'telegram',
          provider: 'telegram',
          receivedAt,
          outcome,
          externalId,
          to: chatId,
          text,
          ref,
        });
      if (!/^-?\d{1,20}$/.test(chatId)) {
        record('rejected');
        return failure(400, 'Bad Request: chat not found');
      }
      if (!limit.take()) {
        record('rate_limited');
        return failure(429, 'Too Many Requests: retry after 1', { retry_after: 1 });
      }
      const fault = providerFault(
        context,
        'telegram',
        ref ?? `${chatId}:${method}:${text}`,
        attempts,
      );
      if (fault === '429') {
        record('rate_limited');
        return failure(429, 'Too Many Requests: retry after 1', { retry_after: 1 });
      }
      if (fault === '5xx') {
        record('server_error');
        return failure(502, 'Bad Gateway');
      }
      if (fault === 'timeout') {
        record('timeout');
        await sleep(context.scenario.faults.providerErrors?.timeoutAfter ?? 1_000);
        throw new DropConnection();
      }
      outbound += 1;
      const messageId = 1_000_000 + outbound;
      record('accepted', telegramMessageExternalId(chatId, messageId));
      return ok({
        message_id: messageId,
        from: bot,
        chat: { id: Number(chatId), type: 'private' },
        date: unixSeconds(),
        ...(typeof payload.text === 'string' ? { text: payload.text } : {}),
      });
    },

    async deliver(message: PlannedMessage, persona: PlannedPersona) {
      const userId = Number(persona.identities.telegram);
      const index = sequence.get(message.id) ?? 0;
      const record = context.ledger.customerMessage(
        message,
        telegramMessageExternalId(userId, index),
      );
      const [firstName = persona.name, ...rest] = persona.name.split(' ');
      const user = {
        id: userId,
        is_bot: false,
        first_name: firstName,
        last_name: rest.join(' '),
        language_code: 'en',
      };
      const content = message.content;
      const body: Record<string, unknown> =
        content.kind === 'text'
          ? { text: content.text }
          : content.kind === 'image'
            ? {
                photo: [90, 320, 800].map((width, size) => ({
                  file_id: `AgACAgQAAxkBAAM${hexId(context.scenario.seed, `${message.id}-${size}`, 20)}`,
                  file_unique_id: `AQAD${hexId(context.scenario.seed, `${message.id}-unique-${size}`, 12)}`,
                  file_size: 1_000 * (size + 1),
                  width,
                  height: Math.round(width * 0.75),
                })),
                caption: content.caption,
              }
            : content.kind === 'location'
              ? {
                  location: { latitude: content.latitude, longitude: content.longitude },
                  venue: {
                    location: { latitude: content.latitude, longitude: content.longitude },
                    title: content.name,
                    address: '1 Market Street',
                  },
                }
              : {
                  contact: {
                    phone_number: content.phone.replace(/^\+/, ''),
                    first_name: content.name.split(' ')[0],
                    last_name: content.name.split(' ').slice(1).join(' '),
                    user_id: userId,
                  },
                };
      const date = unixSeconds();
      const update = JSON.stringify({
        update_id: 500_000_000 + index,
        message: {
          message_id: index,
          from: user,
          chat: {
            id: userId,
            first_name: user.first_name,
            last_name: user.last_name,
            type: 'private',
          },
          date,
          ...body,
        },
      });
      await deliverCustomerWebhook(context, record, redeliveryPatterns.telegram, () => ({
        url: `${context.gateway().publicUrl}/webhooks/telegram/telegram`,
        headers: {
          'content-type': 'application/json',
          [telegramSecretHeader]: secrets.webhookSecret,
        },
        body: update,
      }));
    },
  };
}
