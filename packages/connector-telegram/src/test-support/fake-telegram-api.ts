import type { ProviderFailure, ProviderFake, RecordedSend } from '@threadline/connector-kit/test';
import { HttpResponse, http, type JsonBodyType, type RequestHandler } from 'msw';

/** A Bot API answer to give instead of the normal one (any status, any body). */
export interface TelegramAnswer {
  kind: 'answer';
  status: number;
  /** JSON, or a string sent as the HTML page a proxy in front of Telegram answers with. */
  body: JsonBodyType;
}

export type TelegramFailure = ProviderFailure | TelegramAnswer;

export interface RecordedCall {
  method: string;
  payload: Record<string, unknown>;
}

export interface FakeFile {
  path: string;
  body: Uint8Array;
  contentType?: string;
}

const sendMethods = new Set([
  'sendMessage',
  'sendPhoto',
  'sendDocument',
  'sendAudio',
  'sendVoice',
  'sendVideo',
  'sendSticker',
  'sendLocation',
  'sendVenue',
  'sendContact',
]);

/** How Telegram answers each failure, byte for byte where it matters. */
function failureAnswer(failure: TelegramFailure): { status: number; body: JsonBodyType } {
  switch (failure.kind) {
    case 'rate_limited': {
      const seconds = Math.ceil(failure.retryAfterMs / 1000);
      return {
        status: 429,
        body: {
          ok: false,
          error_code: 429,
          description: `Too Many Requests: retry after ${seconds}`,
          parameters: { retry_after: seconds },
        },
      };
    }
    case 'unavailable':
      return { status: 502, body: 'Bad Gateway' };
    case 'rejected':
      return {
        status: 400,
        body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' },
      };
    case 'answer':
      return { status: failure.status, body: failure.body };
  }
}

function respond(answer: { status: number; body: JsonBodyType }): Response {
  if (typeof answer.body === 'string') {
    return new HttpResponse(answer.body, {
      status: answer.status,
      statusText: answer.body,
      headers: { 'content-type': 'text/html' },
    });
  }
  return HttpResponse.json(answer.body, { status: answer.status });
}

/**
 * The Bot API at `apiRoot`, faked with msw: records every call, answers sends with the
 * message Telegram would return (message ids counted per chat), serves `getUpdates` like a
 * long poll (held open until updates arrive), and serves files.
 */
export interface FakeTelegramApi {
  handlers: RequestHandler[];
  /** The conformance suite's view: accepted sends, failure injection, reset. */
  provider: ProviderFake;
  /** The bot, as `getMe` answers. */
  bot: { id: number; is_bot: true; first_name: string; username: string };
  /** Every Bot API call since the last reset, oldest first; only those of `method` when given. */
  calls(method?: string): RecordedCall[];
  /** Every accepted send, with its method and payload. */
  sends(): Array<RecordedSend & RecordedCall>;
  /** Make the next send fail (a ProviderFailure, or any Bot API answer). */
  failNextSend(failure: TelegramFailure): void;
  /** Make the next call of `method` fail. */
  failNextCall(method: string, failure: TelegramFailure): void;
  /**
   * Fields `getWebhookInfo` answers with on top of the webhook `setWebhook` set (a delivery
   * error: `last_error_date`, `last_error_message`, `pending_update_count`).
   */
  setWebhookInfo(fields: Record<string, unknown>): void;
  /** Updates for `getUpdates` to deliver; a held long poll answers at once. */
  queueUpdates(...updates: Array<{ update_id: number } & Record<string, unknown>>): void;
  /** Answer held long polls now, with nothing new. */
  releasePolls(): void;
  /** Updates Telegram still holds (not yet confirmed by a later offset). */
  unconfirmedUpdates(): number[];
  addFile(fileId: string, file: FakeFile): void;
  /** Resolves with the `number`-th call of `method` since the last reset, once it is made. */
  callNumber(method: string, number: number): Promise<RecordedCall>;
  reset(): void;
}

export function createFakeTelegramApi(options: {
  apiRoot: string;
  token: string;
}): FakeTelegramApi {
  const { apiRoot, token } = options;
  const botId = Number(token.split(':')[0]);
  const bot = {
    id: botId,
    is_bot: true as const,
    first_name: 'Acme Support',
    username: 'acme_support_bot',
  };
  let calls: RecordedCall[] = [];
  let sent: Array<RecordedSend & RecordedCall> = [];
  let sendFailures: TelegramFailure[] = [];
  let methodFailures: Array<{ method: string; failure: TelegramFailure }> = [];
  let lastMessageIds = new Map<string, number>();
  let pendingUpdates: Array<{ update_id: number } & Record<string, unknown>> = [];
  let pollWaiters: Array<() => void> = [];
  let webhook: { url: string; allowed_updates?: unknown } = { url: '' };
  let webhookInfo: Record<string, unknown> = {};
  const files = new Map<string, FakeFile>();
  const callListeners = new Set<(call: RecordedCall) => void>();

  const wakePolls = () => {
    const waiters = pollWaiters;
    pollWaiters = [];
    for (const wake of waiters) wake();
  };

  const apiError = (status: number, description: string) =>
    respond({ status, body: { ok: false, error_code: status, description } });

  const result = (value: unknown) => HttpResponse.json({ ok: true, result: value });

  async function answerMethod(method: string, payload: Record<string, unknown>) {
    const methodFailure = methodFailures.findIndex((entry) => entry.method === method);
    if (methodFailure >= 0) {
      const [entry] = methodFailures.splice(methodFailure, 1);
      return respond(failureAnswer(entry!.failure));
    }
    if (sendMethods.has(method)) {
      const failure = sendFailures.shift();
      if (failure) return respond(failureAnswer(failure));
      const chatId = String(payload['chat_id']);
      const messageId = (lastMessageIds.get(chatId) ?? 1000) + 1;
      lastMessageIds.set(chatId, messageId);
      sent.push({ externalId: `${chatId}:${messageId}`, method, payload });
      const numericChat = Number(chatId);
      return result({
        message_id: messageId,
        from: bot,
        chat: { id: numericChat, type: numericChat < 0 ? 'supergroup' : 'private' },
        date: Math.floor(Date.now() / 1000),
        ...(typeof payload['text'] === 'string' ? { text: payload['text'] } : {}),
      });
    }
    switch (method) {
      case 'getMe':
        return result(bot);
      case 'answerCallbackQuery':
        return result(true);
      case 'setWebhook':
        webhook = {
          url: String(payload['url'] ?? ''),
          ...(payload['allowed_updates'] ? { allowed_updates: payload['allowed_updates'] } : {}),
        };
        return result(true);
      case 'deleteWebhook':
        webhook = { url: '' };
        return result(true);
      case 'getWebhookInfo':
        return result({
          has_custom_certificate: false,
          pending_update_count: 0,
          ...webhook,
          ...webhookInfo,
        });
      case 'getFile': {
        const file = files.get(String(payload['file_id']));
        if (!file) return apiError(400, 'Bad Request: invalid file_id');
        return result({
          file_id: payload['file_id'],
          file_unique_id: `unique-${file.path}`,
          file_size: file.body.byteLength,
          file_path: file.path,
        });
      }
      case 'getUpdates': {
        const offset = typeof payload['offset'] === 'number' ? payload['offset'] : 0;
        // asking for an offset confirms every update before it: Telegram forgets them
        pendingUpdates = pendingUpdates.filter((update) => update.update_id >= offset);
        const timeout = typeof payload['timeout'] === 'number' ? payload['timeout'] : 0;
        if (pendingUpdates.length === 0 && timeout > 0) {
          await new Promise<void>((resolve) => pollWaiters.push(resolve));
        }
        const limit = typeof payload['limit'] === 'number' ? payload['limit'] : 100;
        return result(
          pendingUpdates.filter((update) => update.update_id >= offset).slice(0, limit),
        );
      }
      default:
        return apiError(404, 'Not Found');
    }
  }

  const handlers: RequestHandler[] = [
    http.get(`${apiRoot}/file/bot${token}/*`, ({ request }) => {
      const path = decodeURIComponent(
        new URL(request.url).pathname.slice(`/file/bot${token}/`.length),
      );
      const file = [...files.values()].find((candidate) => candidate.path === path);
      if (!file) return new HttpResponse('Not Found', { status: 404, statusText: 'Not Found' });
      return new HttpResponse(file.body, {
        headers: { 'content-type': file.contentType ?? 'application/octet-stream' },
      });
    }),
    http.post(`${apiRoot}/*`, async ({ request }) => {
      const pathname = new URL(request.url).pathname;
      const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(pathname);
      if (!match) return apiError(404, 'Not Found');
      if (match[1] !== token) return apiError(401, 'Unauthorized');
      const method = match[2]!;
      const text = await request.text();
      const payload = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const call = { method, payload };
      calls.push(call);
      for (const listener of callListeners) listener(call);
      return answerMethod(method, payload);
    }),
  ];

  const provider: ProviderFake = {
    sent: () => sent.map(({ externalId }) => ({ externalId })),
    failNext: (failure) => {
      sendFailures.push(failure);
    },
    reset: () => {
      sent = [];
      sendFailures = [];
      methodFailures = [];
      calls = [];
    },
  };

  return {
    handlers,
    provider,
    bot,
    calls: (method?: string) =>
      calls.filter((call) => method === undefined || call.method === method),
    sends: () => [...sent],
    failNextSend: (failure: TelegramFailure) => {
      sendFailures.push(failure);
    },
    failNextCall: (method: string, failure: TelegramFailure) => {
      methodFailures.push({ method, failure });
    },
    setWebhookInfo: (fields: Record<string, unknown>) => {
      webhookInfo = { ...fields };
    },
    queueUpdates: (...updates: Array<{ update_id: number } & Record<string, unknown>>) => {
      pendingUpdates.push(...updates);
      wakePolls();
    },
    releasePolls: wakePolls,
    unconfirmedUpdates: () => pendingUpdates.map((update) => update.update_id),
    addFile: (fileId: string, file: FakeFile) => {
      files.set(fileId, file);
    },
    callNumber: (method: string, number: number): Promise<RecordedCall> => {
      const made = calls.filter((call) => call.method === method)[number - 1];
      if (made) return Promise.resolve(made);
      return new Promise((resolve) => {
        const listener = () => {
          const call = calls.filter((candidate) => candidate.method === method)[number - 1];
          if (!call) return;
          callListeners.delete(listener);
          resolve(call);
        };
        callListeners.add(listener);
      });
    },
    reset: () => {
      provider.reset();
      lastMessageIds = new Map();
      webhook = { url: '' };
      webhookInfo = {};
      pendingUpdates = [];
      wakePolls();
    },
  };
}
