import { join } from 'node:path';
import {
  assertSendable,
  type Capabilities,
  ConnectorError,
  type ConnectorRuntime,
  type ConnectorStatus,
  type ConnectorV1,
  defineCapabilities,
  type Environment,
  httpFetch,
  type InboundRequest,
  loadSetting,
  type OutboundMessage,
  type ParseResult,
  parseJsonBody,
  type SendResult,
} from '@threadline/connector-kit';
import type { Location, MessageMedia } from 'whatsapp-web.js';
import {
  convertToWhatsAppWebMessages,
  type WhatsAppWebOutboundPart,
} from './convert-to-whatsapp-web-messages.js';
import { convertWhatsAppWebEvent } from './convert-whatsapp-web-event.js';
import { mapWhatsAppWebError } from './map-whatsapp-web-error.js';
import { renderPairingQrForTerminal } from './render-pairing-qr.js';
import {
  type SerializeMessageExtras,
  serializeWhatsAppWebMessage,
  whatsAppWebEventRequest,
} from './serialize-whatsapp-web-event.js';
import { toWhatsAppWebChatId } from './whatsapp-web-address.js';
import type {
  WhatsAppWebClient,
  WhatsAppWebMessage,
  WhatsAppWebSendOptions,
} from './whatsapp-web-client.js';
import {
  type SerializedWhatsAppWebMessage,
  type WhatsAppWebEventData,
  type WhatsAppWebEventName,
  whatsAppWebEventNames,
} from './whatsapp-web-event-schema.js';

export interface WhatsAppWebConnectorSettings {
  /** Connector id. Default `whatsapp-web`. */
  id?: string;
  /** A whatsapp-web.js `Client` (or a stand-in with the same events), used as it is. */
  client?: WhatsAppWebClient;
  /** Creates the client when the connector starts. Default: a `Client` with `LocalAuth`. */
  clientFactory?: () => WhatsAppWebClient | Promise<WhatsAppWebClient>;
  /** Session name (`WHATSAPP_WEB_SESSION`): letters, digits, `_` and `-`. Default `default`. */
  session?: string;
  /** The gateway's data directory; the session lives in `<dataDirectory>/whatsapp-web`. */
  dataDirectory?: string;
  /** Chromium to drive (`PUPPETEER_EXECUTABLE_PATH`). Default `/usr/bin/chromium`. */
  executablePath?: string;
  /** How long to pause after WhatsApp answers `rate-overlimit`. Default 60 s. */
  rateLimitBackoffMs?: number;
  /**
   * Outbound messages per second. Default 1: WhatsApp bans linked devices that send in
   * bursts, so keep this low.
   */
  perSecond?: number;
  /** Where the pairing QR code is printed; `null` to not print it. Default stdout. */
  terminal?: { write(text: string): unknown } | null;
  /** Downloads outbound media. Default the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  env?: Environment;
}

/** What a linked-device session sends natively. Buttons and templates are rendered down. */
export const whatsAppWebCapabilities: Capabilities = defineCapabilities({
  text: { maxLength: 4096 },
  media: ['image', 'audio', 'video', 'file'],
  maxAttachments: 1,
  buttons: null,
  templates: false,
  location: true,
  contacts: true,
  reactions: false,
  readReceipts: true,
  edits: true,
  typing: false,
});

const sessionPattern = /^[A-Za-z0-9_-]{1,64}$/;
const eventUrlPattern = /^whatsapp-web:\/\/([^/]+)\/([a-z_]+)$/;

type Library = typeof import('whatsapp-web.js');
let libraryPromise: Promise<Library> | undefined;
/** whatsapp-web.js (and puppeteer) load only when a session is used. */
function loadLibrary(): Promise<Library> {
  libraryPromise ??= import('whatsapp-web.js').then((module) => module.default);
  return libraryPromise;
}

type Listener = (...args: unknown[]) => void;

/**
 * WhatsApp through a linked-device session (whatsapp-web.js). Session events are serialized
 * to `EVENT` requests and read by `parse`, so the live session and recorded events take the
 * same path. The state of the session is reported to the gateway: a logged-out session
 * shows as `disconnected` on `/readyz`.
 */
export class WhatsAppWebConnector implements ConnectorV1 {
  readonly specificationVersion = 'v1' as const;
  readonly id: string;
  readonly channel = 'whatsapp';
  readonly capabilities = whatsAppWebCapabilities;
  readonly rateLimit: { perSecond: number };
  /** One linked-device session: it runs (and sends) on one gateway instance at a time. */
  readonly singleListener = true;
  readonly session: string;
  private client: WhatsAppWebClient | undefined;
  private readonly clientFactory: () => WhatsAppWebClient | Promise<WhatsAppWebClient>;
  private ownsClient = false;
  private runtime: ConnectorRuntime | undefined;
  private current: ConnectorStatus = { state: 'starting' };
  private pairing: string | null = null;
  private queue: Promise<void> = Promise.resolve();
  private listeners: Array<[string, Listener]> = [];
  private readonly backoffMs: number;
  private readonly terminal: { write(text: string): unknown } | null;
  private readonly fetch: typeof globalThis.fetch;

  constructor(settings: WhatsAppWebConnectorSettings = {}) {
    this.id = settings.id ?? 'whatsapp-web';
    this.session =
      loadSetting({
        value: settings.session,
        environmentVariable: 'WHATSAPP_WEB_SESSION',
        settingName: 'session',
        env: settings.env,
        defaultValue: 'default',
      }) ?? 'default';
    if (!sessionPattern.test(this.session)) {
      throw new ConnectorError(
        'configuration_invalid',
        `WHATSAPP_WEB_SESSION "${this.session}" may only hold letters, digits, "_" and "-"`,
      );
    }
    this.client = settings.client;
    const dataDirectory = settings.dataDirectory ?? './data';
    const executablePath =
      loadSetting({
        value: settings.executablePath,
        environmentVariable: 'PUPPETEER_EXECUTABLE_PATH',
        settingName: 'executablePath',
        env: settings.env,
        defaultValue: '/usr/bin/chromium',
      }) ?? '/usr/bin/chromium';
    this.clientFactory =
      settings.clientFactory ??
      (() =>
        createWhatsAppWebLibraryClient({
          session: this.session,
          dataDirectory,
          executablePath,
        }));
    this.backoffMs = settings.rateLimitBackoffMs ?? 60_000;
    this.rateLimit = { perSecond: settings.perSecond ?? 1 };
    this.terminal = settings.terminal === undefined ? process.stdout : settings.terminal;
    // keep-alive node:http pools (msw and other node:http interceptors see these calls)
    this.fetch = settings.fetch ?? httpFetch;
  }

  status(): ConnectorStatus {
    return this.current;
  }

  /** The QR payload while the session waits to be linked; null once linked. */
  pairingCode(): string | null {
    return this.pairing;
  }

  /** Resolves once every session event received so far has been handled. */
  whenIdle(): Promise<void> {
    return this.queue;
  }

  async start(runtime: ConnectorRuntime): Promise<void> {
    if (this.runtime) return;
    this.runtime = runtime;
    this.setStatus({ state: 'starting', detail: 'opening the WhatsApp Web session' });
    if (!this.client) {
      try {
        this.client = await this.clientFactory();
      } catch (error) {
        this.setStatus({
          state: 'disconnected',
          detail: `the WhatsApp Web client could not be created: ${describe(error)}`,
        });
        return;
      }
      this.ownsClient = true;
    }
    this.attach(this.client, runtime);
    this.client.initialize().catch((error: unknown) => {
      this.setStatus({
        state: 'disconnected',
        detail: `the WhatsApp Web session could not start: ${describe(error)}`,
      });
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (client) {
      for (const [event, listener] of this.listeners) client.removeListener(event, listener);
    }
    this.listeners = [];
    await this.queue;
    if (client && this.ownsClient) {
      await client.destroy().catch((error: unknown) => {
        this.runtime?.log('warn', 'the WhatsApp Web session did not close cleanly', {
          error: describe(error),
        });
      });
      this.client = undefined;
      this.ownsClient = false;
    }
    this.runtime = undefined;
    this.pairing = null;
  }

  async parse(request: InboundRequest): Promise<ParseResult> {
    if (request.method !== 'EVENT') {
      throw ConnectorError.signatureInvalid(
        'a linked-device session has no HTTP ingress: its events come from the session itself',
      );
    }
    const match = eventUrlPattern.exec(request.url);
    if (!match || match[1] !== encodeURIComponent(this.session)) {
      throw ConnectorError.signatureInvalid(`not an event of session "${this.session}"`);
    }
    const event = match[2] as WhatsAppWebEventName;
    if (!whatsAppWebEventNames.includes(event)) {
      throw ConnectorError.payloadInvalid('(url)', `"${event}" is not a session event`);
    }
    return { events: convertWhatsAppWebEvent(event, parseJsonBody(request.body)) };
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    assertSendable(message.content, this.capabilities, this.channel);
    const chatId = toWhatsAppWebChatId(message.to);
    const parts = convertToWhatsAppWebMessages(message.content);
    if (this.current.state === 'disconnected') {
      throw new ConnectorError(
        'provider_unavailable',
        `the WhatsApp Web session is disconnected (${this.current.detail ?? 'no detail'})`,
        { retryable: true },
      );
    }
    const client = this.client;
    if (!client) {
      throw new ConnectorError('provider_unavailable', 'the WhatsApp Web session is not started', {
        retryable: true,
      });
    }
    const externalIds: string[] = [];
    for (const [index, part] of parts.entries()) {
      const { content, options } = await this.prepare(part);
      if (index === 0 && message.replyToExternalId) {
        options.quotedMessageId = message.replyToExternalId;
      }
      let sent: Awaited<ReturnType<WhatsAppWebClient['sendMessage']>>;
      try {
        sent = await client.sendMessage(chatId, content, options);
      } catch (error) {
        throw mapWhatsAppWebError(error, { backoffMs: this.backoffMs });
      }
      if (!sent?.id?._serialized) {
        throw new ConnectorError(
          'recipient_blocked',
          `WhatsApp has no chat for ${message.to.address}: the number is not on WhatsApp`,
          { retryable: false },
        );
      }
      externalIds.push(sent.id._serialized);
    }
    return {
      externalId: externalIds[0]!,
      ...(externalIds.length > 1 ? { channelData: { externalIds } } : {}),
    };
  }

  /** The whatsapp-web.js content for one part; media is downloaded here. */
  private async prepare(
    part: WhatsAppWebOutboundPart,
  ): Promise<{ content: string | MessageMedia | Location; options: WhatsAppWebSendOptions }> {
    switch (part.kind) {
      case 'text':
        return { content: part.text, options: {} };
      case 'vcard':
        return { content: part.vcard, options: {} };
      case 'location': {
        const library = await loadLibrary();
        return {
          content: new library.Location(part.latitude, part.longitude, {
            ...(part.name ? { name: part.name } : {}),
            ...(part.address ? { address: part.address } : {}),
          }),
          options: {},
        };
      }
      case 'media': {
        const library = await loadLibrary();
        const media = await this.download(part.url);
        const filename =
          part.filename ??
          (decodeURIComponent(new URL(part.url).pathname.split('/').pop() ?? '') || 'file');
        return {
          content: new library.MessageMedia(
            part.mimeType ?? media.contentType,
            Buffer.from(media.body).toString('base64'),
            filename,
            media.body.byteLength,
          ),
          options: {
            ...(part.caption ? { caption: part.caption } : {}),
            ...(part.mediaKind === 'file' ? { sendMediaAsDocument: true } : {}),
          },
        };
      }
    }
  }

  private async download(url: string): Promise<{ contentType: string; body: Uint8Array }> {
    let response: Response;
    try {
      response = await this.fetch(url, { signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      throw new ConnectorError(
        'provider_unavailable',
        `could not download media from ${url}: ${describe(error)}`,
        { retryable: true, cause: error },
      );
    }
    if (!response.ok) {
      throw new ConnectorError(
        response.status >= 500 ? 'provider_unavailable' : 'provider_rejected',
        `media at ${url} answered HTTP ${response.status}`,
        { statusCode: response.status, retryable: response.status >= 500 },
      );
    }
    return {
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      body: new Uint8Array(await response.arrayBuffer()),
    };
  }

  private setStatus(status: ConnectorStatus): void {
    if (status.state === this.current.state && status.detail === this.current.detail) return;
    this.current = status;
    this.runtime?.reportStatus(status);
    const level = status.state === 'disconnected' ? 'error' : 'info';
    this.runtime?.log(level, `WhatsApp Web session "${this.session}" is ${status.state}`, {
      ...(status.detail ? { detail: status.detail } : {}),
    });
  }

  /** Listens to a session event; `stop` removes every listener added here. */
  private on<Arguments extends unknown[]>(
    client: WhatsAppWebClient,
    event: string,
    listener: (...args: Arguments) => void,
  ): void {
    const registered: Listener = (...args) => listener(...(args as Arguments));
    (client.on as (event: string, listener: Listener) => unknown)(event, registered);
    this.listeners.push([event, registered]);
  }

  private attach(client: WhatsAppWebClient, runtime: ConnectorRuntime): void {
    this.on(client, 'qr', (code: string) => {
      this.pairing = code;
      this.setStatus({
        state: 'starting',
        detail: 'waiting for the QR code to be scanned in WhatsApp → Linked devices',
      });
      this.enqueue(() => this.printPairingCode(code));
    });
    this.on(client, 'authenticated', () => {
      this.pairing = null;
      runtime.log('info', `WhatsApp Web session "${this.session}" is linked`);
    });
    this.on(client, 'ready', () => {
      this.pairing = null;
      this.setStatus({ state: 'ready' });
    });
    this.on(client, 'auth_failure', (message: string) => {
      this.setStatus({
        state: 'disconnected',
        detail: `authentication failed (${message}): link the device again`,
      });
    });
    this.on(client, 'disconnected', (reason: string) => {
      this.setStatus({
        state: 'disconnected',
        detail:
          reason === 'LOGOUT'
            ? 'logged out from the phone: link the device again'
            : `disconnected (${reason})`,
      });
    });
    this.on(client, 'message', (message: WhatsAppWebMessage) => {
      this.handle('message', async () => ({
        message: await this.serializeReceived(client, runtime, message),
      }));
    });
    this.on(client, 'message_ack', (message: WhatsAppWebMessage, ack: number) => {
      this.handle('message_ack', async () => ({
        message: serializeWhatsAppWebMessage(message),
        ack,
      }));
    });
    this.on(
      client,
      'message_edit',
      (message: WhatsAppWebMessage, newBody: unknown, prevBody: unknown) => {
        this.handle('message_edit', async () => ({
          message: serializeWhatsAppWebMessage(message),
          newBody: String(newBody),
          prevBody: prevBody === undefined || prevBody === null ? null : String(prevBody),
        }));
      },
    );
    this.on(
      client,
      'message_revoke_everyone',
      (after: WhatsAppWebMessage, before?: WhatsAppWebMessage | null) => {
        this.handle('message_revoke_everyone', async () => ({
          message: serializeWhatsAppWebMessage(after),
          before: before ? serializeWhatsAppWebMessage(before) : null,
        }));
      },
    );
  }

  /** Events are handled one at a time, in the order the session emitted them. */
  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => {
      this.runtime?.log('error', 'a WhatsApp Web event could not be handled', {
        error: describe(error),
      });
    });
  }

  private handle<T extends WhatsAppWebEventName>(
    event: T,
    serialize: () => Promise<WhatsAppWebEventData<T>>,
  ): void {
    this.enqueue(async () => {
      const runtime = this.runtime;
      if (!runtime) return;
      let data: WhatsAppWebEventData<T>;
      try {
        data = await serialize();
      } catch (error) {
        runtime.log('error', `a WhatsApp Web ${event} event could not be read`, {
          error: describe(error),
        });
        return;
      }
      const request = whatsAppWebEventRequest(this.session, event, data);
      await this.ingest(runtime, request);
    });
  }

  private async ingest(runtime: ConnectorRuntime, request: InboundRequest): Promise<void> {
    const raw = { contentType: 'application/json', body: request.body };
    let result: ParseResult;
    try {
      result = await this.parse(request);
    } catch (error) {
      const typed = ConnectorError.isConnectorError(error) ? error : undefined;
      await runtime.quarantine({
        reason: typed?.message ?? describe(error),
        ...(typed?.path ? { path: typed.path } : {}),
        ...raw,
      });
      return;
    }
    if (result.events.length === 0) return;
    try {
      await runtime.ingest(result.events, raw);
    } catch (error) {
      // the session does not redeliver: keep the event for replay rather than lose it
      runtime.log('error', 'a WhatsApp Web event could not be stored; it is quarantined', {
        error: describe(error),
      });
      await runtime.quarantine({ reason: `not stored: ${describe(error)}`, ...raw });
    }
  }

  private async serializeReceived(
    client: WhatsAppWebClient,
    runtime: ConnectorRuntime,
    message: WhatsAppWebMessage,
  ): Promise<SerializedWhatsAppWebMessage> {
    const extras: SerializeMessageExtras = {};
    const from = await resolvePhoneId(client, message.from);
    if (from !== message.from) extras.from = from;
    if (message.author) {
      const author = await resolvePhoneId(client, message.author);
      if (author !== message.author) extras.author = author;
    }
    if (message.hasMedia) {
      try {
        const media = await message.downloadMedia();
        if (media) {
          const body = Buffer.from(media.data, 'base64');
          const saved = await runtime.saveMedia({
            body,
            contentType: media.mimetype,
            ...(media.filename ? { filename: media.filename } : {}),
          });
          extras.media = {
            mediaId: saved.mediaId,
            url: saved.url,
            mimeType: media.mimetype,
            ...(media.filename ? { filename: media.filename } : {}),
            size: body.byteLength,
          };
        }
      } catch (error) {
        runtime.log('warn', 'WhatsApp Web media could not be downloaded', {
          externalId: message.id._serialized,
          error: describe(error),
        });
      }
    }
    if (message.hasQuotedMsg) {
      try {
        const quoted = await message.getQuotedMessage();
        if (quoted?.id?._serialized) extras.quotedMessageId = quoted.id._serialized;
      } catch (error) {
        runtime.log('warn', 'the quoted WhatsApp Web message could not be read', {
          externalId: message.id._serialized,
          error: describe(error),
        });
      }
    }
    return serializeWhatsAppWebMessage(message, extras);
  }

  private async printPairingCode(code: string): Promise<void> {
    if (!this.terminal) return;
    const qr = await renderPairingQrForTerminal(code);
    this.terminal.write(
      `\nWhatsApp Web session "${this.session}": scan this QR code in WhatsApp → Linked devices\n${qr}\n`,
    );
  }
}

/** A privacy id (`…@lid`) as the phone id it stands for, when the session knows it. */
async function resolvePhoneId(client: WhatsAppWebClient, id: string): Promise<string> {
  if (!id.endsWith('@lid') || !client.getContactLidAndPhone) return id;
  try {
    const [entry] = await client.getContactLidAndPhone([id]);
    return entry?.pn ?? id;
  } catch {
    return id;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A whatsapp-web.js `Client` with its session stored under `<dataDirectory>/whatsapp-web`,
 * driving the system Chromium (never a downloaded browser).
 */
export async function createWhatsAppWebLibraryClient(options: {
  session: string;
  dataDirectory: string;
  executablePath: string;
}): Promise<WhatsAppWebClient> {
  const library = await loadLibrary();
  const client: WhatsAppWebClient = new library.Client({
    authStrategy: new library.LocalAuth({
      dataPath: join(options.dataDirectory, 'whatsapp-web'),
      clientId: options.session,
    }),
    puppeteer: {
      executablePath: options.executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-setuid-sandbox',
        '--disable-dev-shm-usage',
        '--disable-gpu',
        '--no-first-run',
      ],
    },
  });
  return client;
}

export function createWhatsAppWebConnector(
  settings: WhatsAppWebConnectorSettings = {},
): WhatsAppWebConnector {
  return new WhatsAppWebConnector(settings);
}
