import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  assertSendable,
  type Capabilities,
  type ConnectorEnvironmentContext,
  ConnectorError,
  type ConnectorMountTools,
  type ConnectorRuntime,
  type ConnectorStatus,
  type ConnectorV1,
  defineCapabilities,
  type Environment,
  hmacSha256Hex,
  type IdentityClaim,
  type InboundEvent,
  type InboundRequest,
  loadSetting,
  type OutboundMessage,
  type ParseResult,
  parseJsonBody,
  parseProviderPayload,
  type SendResult,
  safeEqual,
} from '@threadline/connector-kit';
import type { Content } from '@threadline/schema';
import type { Env, Hono, Schema } from 'hono';
import type { WSEvents } from 'hono/ws';
import { loadWidgetScript } from './bundle-widget.js';
import { parseAllowedOrigins } from './check-webchat-origin.js';
import { convertMessageFrame, convertReceiptFrame } from './convert-visitor-frame.js';
import { SlidingWindowLimit } from './visitor-rate-limits.js';
import { webchatDemoPage } from './webchat-demo-page.js';
import { verifyWebchatIdentityToken } from './webchat-identity-token.js';
import {
  httpFallbackBodySchema,
  outboundExternalId,
  type WebchatLimits,
  webchatMaxTextLength,
} from './webchat-protocol.js';
import { WebchatSocketServer } from './webchat-socket-server.js';
import { isVisitorId, loadOrCreateSessionSecret, resumeTokenFor } from './webchat-visitor-token.js';

export interface WebchatConnectorSettings {
  /** Connector id; the HTTP fallback is `/webhooks/webchat/<id>`. Default `webchat`. */
  id?: string;
  /** Secret the host website signs identity tokens with; falls back to `WEBCHAT_IDENTITY_SECRET`. */
  identitySecret?: string;
  /**
   * Origins whose pages may open the chat (`https://shop.example.com`); falls back to the
   * comma-separated `WEBCHAT_ALLOWED_ORIGINS`. Unset: any origin. Set it in production.
   */
  allowedOrigins?: string[] | string;
  /**
   * Secret that signs visitors' resume tokens; falls back to `WEBCHAT_SESSION_SECRET`, then to
   * a file under `dataDirectory`, then to a random secret for this process only.
   */
  sessionSecret?: string;
  /** Where the session secret file is created when no secret is configured. */
  dataDirectory?: string;
  /** Per-visitor limits on what the widget sends. */
  limits?: Partial<{
    /** Largest frame, in bytes. Default 16 KiB. */
    maxFrameBytes: number;
    /** Messages per second per visitor, sustained. Default 3. */
    messagesPerSecond: number;
    /** Messages a visitor may send in a burst. Default 10. */
    burst: number;
    /** Frames of any kind per second per socket. Default 20. */
    framesPerSecond: number;
  }>;
  /** At most `messages` business messages to one visitor in `windowMs`. Default 60 per minute. */
  outboundLimit?: { messages: number; windowMs: number };
  /** Messages replayed to a widget when it resumes. Default 200. */
  historyLimit?: number;
  /** A socket that sends no `hello` within this time is closed. Default 10 seconds. */
  helloTimeoutMs?: number;
  /** Identity tokens valid for longer than this are refused. Default one day. */
  maxIdentityTokenLifetimeSeconds?: number;
  /** Serve the demo page at `/`. Default true; `WEBCHAT_DEMO_PAGE=off` turns it off. */
  demoPage?: boolean;
  /** The widget's title on the demo page. */
  title?: string;
  /** Called when a visitor starts or stops typing. */
  onVisitorTyping?: (event: { visitorId: string; typing: boolean }) => void;
  clock?: { now(): Date };
  /** Where settings not given fall back to. Default `process.env`. */
  env?: Environment;
}

/**
 * Web chat: text up to 4000 characters, images and files by URL (shown as links), up to 10
 * buttons with titles up to 40 characters, typing indicators and read receipts.
 */
export const webchatCapabilities: Capabilities = defineCapabilities({
  text: { maxLength: webchatMaxTextLength },
  media: ['image', 'file'],
  maxAttachments: 10,
  buttons: { max: 10, titleMaxLength: 40 },
  readReceipts: true,
  typing: true,
});

/** The minimal part of `@hono/node-ws` the connector needs to accept sockets. */
/** The gateway's tools for `mount` (the contract's). */
export type WebchatMountTools<T = unknown> = ConnectorMountTools<T>;

/**
 * Web chat: a WebSocket endpoint (`/webchat/ws`) for the embeddable widget
 * (`/webchat/widget.js`), a demo page (`/`), and an HTTP fallback at `/webhooks/webchat/<id>`
 * for clients that cannot keep a socket open.
 */
export class WebchatConnector implements ConnectorV1 {
  readonly specificationVersion = 'v1' as const;
  readonly id: string;
  readonly channel = 'webchat';
  readonly capabilities = webchatCapabilities;
  readonly allowedOrigins: string[] | undefined;
  readonly limits: WebchatLimits;
  readonly #sessionSecret: string;
  readonly #identitySecret: string | undefined;
  readonly #maxIdentityTokenLifetimeSeconds: number | undefined;
  readonly #outboundLimit: { messages: number; windowMs: number };
  readonly #outbound = new Map<string, SlidingWindowLimit>();
  readonly #blocked = new Set<string>();
  readonly #server: WebchatSocketServer;
  readonly #now: () => Date;
  readonly #demoPage: boolean;
  readonly #title: string | undefined;
  #widgetScript: Promise<{ body: string; etag: string }> | undefined;

  constructor(settings: WebchatConnectorSettings = {}) {
    const env = settings.env ?? process.env;
    this.id = settings.id ?? 'webchat';
    this.#now = settings.clock ? () => settings.clock!.now() : () => new Date();
    this.#identitySecret = loadSetting({
      value: settings.identitySecret,
      environmentVariable: 'WEBCHAT_IDENTITY_SECRET',
      settingName: 'identitySecret',
      env,
    });
    this.allowedOrigins = parseAllowedOrigins(
      settings.allowedOrigins ??
        loadSetting({
          value: undefined,
          environmentVariable: 'WEBCHAT_ALLOWED_ORIGINS',
          settingName: 'allowedOrigins',
          env,
        }),
    );
    const sessionSecret = loadSetting({
      value: settings.sessionSecret,
      environmentVariable: 'WEBCHAT_SESSION_SECRET',
      settingName: 'sessionSecret',
      env,
    });
    this.#sessionSecret =
      sessionSecret ??
      (settings.dataDirectory
        ? loadOrCreateSessionSecret(join(settings.dataDirectory, 'webchat', 'session-secret'))
        : randomBytes(32).toString('hex'));
    const limits = settings.limits ?? {};
    this.limits = {
      maxTextLength: webchatMaxTextLength,
      maxFrameBytes: positive(limits.maxFrameBytes ?? 16 * 1024, 'limits.maxFrameBytes'),
      messagesPerSecond: positive(limits.messagesPerSecond ?? 3, 'limits.messagesPerSecond'),
      burst: positive(limits.burst ?? 10, 'limits.burst'),
    };
    this.#outboundLimit = settings.outboundLimit ?? { messages: 60, windowMs: 60_000 };
    positive(this.#outboundLimit.messages, 'outboundLimit.messages');
    positive(this.#outboundLimit.windowMs, 'outboundLimit.windowMs');
    this.#maxIdentityTokenLifetimeSeconds = settings.maxIdentityTokenLifetimeSeconds;
    const demoSetting = loadSetting({
      value: undefined,
      environmentVariable: 'WEBCHAT_DEMO_PAGE',
      settingName: 'demoPage',
      env,
    });
    this.#demoPage = settings.demoPage ?? !/^(off|false|0|no)$/i.test(demoSetting ?? '');
    this.#title = settings.title;
    this.#server = new WebchatSocketServer({
      sessionSecret: this.#sessionSecret,
      identitySecret: this.#identitySecret,
      allowedOrigins: this.allowedOrigins,
      limits: this.limits,
      framesPerSecond: positive(limits.framesPerSecond ?? 20, 'limits.framesPerSecond'),
      historyLimit: positive(settings.historyLimit ?? 200, 'historyLimit'),
      helloTimeoutMs: positive(settings.helloTimeoutMs ?? 10_000, 'helloTimeoutMs'),
      maxIdentityTokenLifetimeSeconds: settings.maxIdentityTokenLifetimeSeconds ?? 24 * 60 * 60,
      now: this.#now,
      isBlocked: (visitorId) => this.#blocked.has(visitorId),
      onVisitorTyping: settings.onVisitorTyping,
    });
  }

  // ------------------------------------------------------------------ contract

  /**
   * The HTTP fallback: a JSON body of message and receipt frames, sent by a visitor who holds a
   * session (`x-webchat-visitor`), signed with the visitor's resume token
   * (`x-webchat-signature`: hex HMAC-SHA256 of the body).
   */
  async parse(request: InboundRequest): Promise<ParseResult> {
    const visitorId = request.headers['x-webchat-visitor'];
    const signature = request.headers['x-webchat-signature'];
    if (!visitorId || !signature) {
      throw ConnectorError.signatureInvalid(
        'the x-webchat-visitor and x-webchat-signature headers are required',
      );
    }
    if (!isVisitorId(visitorId)) throw ConnectorError.signatureInvalid('unknown visitor id');
    const expected = webchatHttpSignature(
      resumeTokenFor(this.#sessionSecret, visitorId),
      request.body,
    );
    if (!safeEqual(expected, signature)) {
      throw ConnectorError.signatureInvalid('x-webchat-signature does not match the body');
    }
    if (this.#blocked.has(visitorId)) {
      throw new ConnectorError('forbidden', 'this visitor was blocked', { statusCode: 403 });
    }
    const body = parseProviderPayload(httpFallbackBodySchema, parseJsonBody(request.body));
    let identity: { claims: IdentityClaim[]; name?: string } | undefined;
    if (body.identityToken) {
      const result = verifyWebchatIdentityToken(body.identityToken, this.#identitySecret, {
        now: this.#now(),
        ...(this.#maxIdentityTokenLifetimeSeconds === undefined
          ? {}
          : { maxLifetimeSeconds: this.#maxIdentityTokenLifetimeSeconds }),
      });
      if (!result.ok) {
        throw ConnectorError.signatureInvalid(
          `identity token refused (${result.code}): ${result.reason}`,
        );
      }
      identity = {
        claims: result.claims,
        ...(result.identity.name ? { name: result.identity.name } : {}),
      };
    }
    const events: InboundEvent[] = body.frames.map((frame, index) =>
      frame.type === 'message'
        ? convertMessageFrame(frame, { visitorId, identity }, `frames.${index}.clientId`)
        : convertReceiptFrame(frame),
    );
    return { events };
  }

  /**
   * Pushes the message to every open socket of the visitor. A visitor with no open socket
   * still succeeds: the message is stored and replayed when the widget resumes.
   */
  async send(message: OutboundMessage): Promise<SendResult> {
    assertSendable(message.content, this.capabilities, this.channel);
    assertLinkable(message.content);
    if (!this.#server.running) {
      throw new ConnectorError(
        'provider_unavailable',
        'web chat is not running on this gateway (starting or stopping)',
        { retryable: true },
      );
    }
    const visitorId = message.to.address;
    if (this.#blocked.has(visitorId)) {
      throw new ConnectorError('recipient_blocked', `visitor ${visitorId} was blocked`, {
        retryable: false,
        providerCode: 'visitor_blocked',
      });
    }
    const now = this.#now().getTime();
    let window = this.#outbound.get(visitorId);
    if (!window || window.isIdle(now)) {
      window = new SlidingWindowLimit(this.#outboundLimit.messages, this.#outboundLimit.windowMs);
      this.#outbound.set(visitorId, window);
    }
    const wait = window.take(now);
    if (wait > 0) {
      throw new ConnectorError(
        'rate_limited',
        `more than ${this.#outboundLimit.messages} messages to visitor ${visitorId} in ${this.#outboundLimit.windowMs} ms`,
        { retryable: true, retryAfterMs: wait, statusCode: 429 },
      );
    }
    const reached = this.#server.pushMessage(visitorId, {
      id: message.id,
      direction: 'outbound',
      content: message.content,
      status: 'sent',
      createdAt: new Date(now).toISOString(),
      receipt: true,
    });
    return {
      externalId: outboundExternalId(message.id),
      status: 'sent',
      channelData: { openSockets: reached },
    };
  }

  async start(runtime: ConnectorRuntime): Promise<void> {
    this.#server.attach(runtime);
    runtime.reportStatus({ state: 'ready' });
  }

  async stop(): Promise<void> {
    this.#server.detach();
    this.#outbound.clear();
  }

  status(): ConnectorStatus {
    return this.#server.running
      ? { state: 'ready' }
      : { state: 'starting', detail: 'web chat accepts visitors once the gateway starts' };
  }

  // ------------------------------------------------------------------ gateway routes

  /**
   * Registers `GET /webchat/ws` (the widget's socket), `GET /webchat/widget.js` (the widget)
   * and, unless turned off, the demo page at `GET /`. Bound, so the gateway may call it detached.
   */
  readonly mount = <E extends Env, S extends Schema, P extends string, T>(
    app: Hono<E, S, P>,
    tools: WebchatMountTools<T>,
  ): void => {
    app.get(
      '/webchat/ws',
      async (context, next) => {
        if (context.req.header('upgrade')?.toLowerCase() !== 'websocket') {
          return context.json(
            {
              error: {
                code: 'validation_failed',
                message: 'this is the web chat WebSocket: connect with a WebSocket client',
                details: null,
              },
            },
            426,
          );
        }
        await next();
        return undefined;
      },
      tools.upgradeWebSocket((context) => this.#socketEvents<T>(context.req.header('origin'))),
    );
    app.get('/webchat/widget.js', async (context) => {
      const script = await this.#loadWidget();
      const headers = {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=300',
        etag: script.etag,
      };
      if (context.req.header('if-none-match') === script.etag) {
        return context.body(null, 304, headers);
      }
      return context.body(script.body, 200, headers);
    });
    if (this.#demoPage) {
      app.get('/', (context) =>
        context.html(
          webchatDemoPage({
            origin: new URL(context.req.url).origin,
            ...(this.#title ? { title: this.#title } : {}),
          }),
        ),
      );
    }
  };

  // ------------------------------------------------------------------ operator tools

  /** Shows (or hides) "typing…" in the visitor's open widgets. Returns how many were reached. */
  setTyping(visitorId: string, typing: boolean): number {
    return this.#server.pushTyping(visitorId, typing);
  }

  /**
   * Blocks an abusive visitor until the gateway restarts: their sockets are closed with
   * `visitor_blocked`, new ones refused, and sends to them fail with `recipient_blocked`.
   */
  blockVisitor(visitorId: string): void {
    this.#blocked.add(visitorId);
    this.#server.closeVisitor(visitorId, 'visitor_blocked', 'this visitor was blocked');
  }

  unblockVisitor(visitorId: string): void {
    this.#blocked.delete(visitorId);
  }

  /** How many sockets the visitor has open on this gateway. */
  openSockets(visitorId: string): number {
    return this.#server.openSockets(visitorId);
  }

  #socketEvents<T>(origin: string | undefined): WSEvents<T> {
    let handlers: ReturnType<WebchatSocketServer['open']> | undefined;
    return {
      onOpen: (_event, socket) => {
        handlers = this.#server.open(
          {
            send: (data) => socket.send(data),
            close: (code, reason) => socket.close(code, reason),
          },
          origin,
        );
      },
      onMessage: (event) => handlers?.message(event.data),
      onClose: () => handlers?.close(),
      onError: () => handlers?.close(),
    };
  }

  #loadWidget(): Promise<{ body: string; etag: string }> {
    this.#widgetScript ??= loadWidgetScript().then((body) => ({
      body,
      etag: `"${hmacSha256Hex('widget', body).slice(0, 16)}"`,
    }));
    this.#widgetScript.catch(() => {
      this.#widgetScript = undefined;
    });
    return this.#widgetScript;
  }
}

/** The HTTP fallback's signature: hex HMAC-SHA256 of the raw body, keyed with the resume token. */
export function webchatHttpSignature(resumeToken: string, body: string): string {
  return hmacSha256Hex(resumeToken, body);
}

/** The widget shows media as links: media must carry a URL, not only a provider media id. */
function assertLinkable(content: Content): void {
  const attachments =
    content.type === 'media'
      ? [content]
      : content.type === 'text'
        ? (content.attachments ?? [])
        : [];
  if (attachments.some((attachment) => attachment.url === undefined)) {
    throw ConnectorError.unsupportedContent(
      'webchat',
      'web chat shows media by URL; this media has only a mediaId',
    );
  }
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new ConnectorError('configuration_invalid', `${name} must be a positive number`);
  }
  return value;
}

/** A connector from the settings, with environment variables for anything not given. */
export function createWebchatConnector(settings: WebchatConnectorSettings = {}): WebchatConnector {
  return new WebchatConnector(settings);
}

/**
 * The `webchat` connector from the gateway's environment. Web chat is always on, so this
 * always returns a connector: `WEBCHAT_IDENTITY_SECRET` enables identity tokens,
 * `WEBCHAT_ALLOWED_ORIGINS` restricts which sites may embed the widget, and the session
 * secret is kept under the data directory unless `WEBCHAT_SESSION_SECRET` is set.
 */
export function webchatConnectorFromEnv(context: ConnectorEnvironmentContext): WebchatConnector {
  return createWebchatConnector({ env: context.env, dataDirectory: context.dataDirectory });
}
