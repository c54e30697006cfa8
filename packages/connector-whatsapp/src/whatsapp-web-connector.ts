import {
  assertSendable,
  type Capabilities,
  ConnectorError,
  type ConnectorRuntime,
  type ConnectorStatus,
  type ConnectorV1,
  defineCapabilities,
  type InboundRequest,
  type OutboundMessage,
  type ParseResult,
  parseJsonBody,
  type SendResult,
} from '@threadline/connector-kit';
import { convertToWhatsAppWebMessages } from './convert-to-whatsapp-web-messages.js';
import { convertWhatsAppWebEvent } from './convert-whatsapp-web-event.js';
import { describeError } from './describe-error.js';
import { ingestWhatsAppWebEvent } from './ingest-whatsapp-web-event.js';
import { mapWhatsAppWebError } from './map-whatsapp-web-error.js';
import { prepareWhatsAppWebContent } from './prepare-whatsapp-web-content.js';
import { renderPairingQrForTerminal } from './render-pairing-qr.js';
import { serializeReceivedWhatsAppWebMessage } from './serialize-received-whatsapp-web-message.js';
import {
  serializeWhatsAppWebMessage,
  whatsAppWebEventRequest,
} from './serialize-whatsapp-web-event.js';
import { toWhatsAppWebChatId } from './whatsapp-web-address.js';
import type { WhatsAppWebClient, WhatsAppWebMessage } from './whatsapp-web-client.js';
import {
  resolveWhatsAppWebConnectorSettings,
  type WhatsAppWebConnectorSettings,
} from './whatsapp-web-connector-settings.js';
import {
  type WhatsAppWebEventData,
  type WhatsAppWebEventName,
  whatsAppWebEventNames,
} from './whatsapp-web-event-schema.js';

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

const eventUrlPattern = /^whatsapp-web:\/\/([^/]+)\/([a-z_]+)$/;

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
    const resolved = resolveWhatsAppWebConnectorSettings(settings);
    this.id = resolved.id;
    this.session = resolved.session;
    this.client = resolved.client;
    this.clientFactory = resolved.clientFactory;
    this.backoffMs = resolved.rateLimitBackoffMs;
    this.rateLimit = { perSecond: resolved.perSecond };
    this.terminal = resolved.terminal;
    this.fetch = resolved.fetch;
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
          detail: `the WhatsApp Web client could not be created: ${describeError(error)}`,
        });
        return;
      }
      this.ownsClient = true;
    }
    this.attach(this.client, runtime);
    this.client.initialize().catch((error: unknown) => {
      this.setStatus({
        state: 'disconnected',
        detail: `the WhatsApp Web session could not start: ${describeError(error)}`,
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
          error: describeError(error),
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
      const { content, options } = await prepareWhatsAppWebContent(part, this.fetch);
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
        message: await serializeReceivedWhatsAppWebMessage(client, runtime, message),
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
        error: describeError(error),
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
          error: describeError(error),
        });
        return;
      }
      const request = whatsAppWebEventRequest(this.session, event, data);
      await ingestWhatsAppWebEvent(runtime, request, (event) => this.parse(event));
    });
  }

  private async printPairingCode(code: string): Promise<void> {
    if (!this.terminal) return;
    const qr = await renderPairingQrForTerminal(code);
    this.terminal.write(
      `\nWhatsApp Web session "${this.session}": scan this QR code in WhatsApp → Linked devices\n${qr}\n`,
    );
  }
}

export function createWhatsAppWebConnector(
  settings: WhatsAppWebConnectorSettings = {},
): WhatsAppWebConnector {
  return new WhatsAppWebConnector(settings);
}
