import {
  ConnectorError,
  type ConnectorRuntime,
  type IdentityClaim,
  type InboundEvent,
} from '@threadline/connector-kit';
import { formatIssuePath } from '@threadline/schema';
import { isOriginAllowed } from './check-webchat-origin.js';
import { convertMessageFrame, convertReceiptFrame } from './convert-visitor-frame.js';
import { mapHistoryEntry } from './map-history-entry.js';
import { TokenBucket } from './visitor-rate-limits.js';
import { verifyWebchatIdentityToken } from './webchat-identity-token.js';
import {
  type ClientFrame,
  clientFrameSchema,
  type HelloFrame,
  type MessageFrame,
  type ReceiptFrame,
  type ServerFrame,
  type WebchatErrorCode,
  type WebchatLimits,
  type WireMessage,
  webchatCloseCodes,
  webchatProtocolVersion,
} from './webchat-protocol.js';
import { newVisitorId, resumeTokenFor, verifyResumeToken } from './webchat-visitor-token.js';

/** The two things the server does with a socket: write a frame, close it. */
export interface VisitorSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface WebchatSocketServerOptions {
  sessionSecret: string;
  identitySecret: string | undefined;
  allowedOrigins: string[] | undefined;
  limits: WebchatLimits;
  /** Frames of any kind per second per socket (typing, receipts, pings included). */
  framesPerSecond: number;
  historyLimit: number;
  helloTimeoutMs: number;
  maxIdentityTokenLifetimeSeconds: number;
  now: () => Date;
  isBlocked: (visitorId: string) => boolean;
  onVisitorTyping?: ((event: { visitorId: string; typing: boolean }) => void) | undefined;
}

interface Visitor {
  id: string;
  sessions: Set<Session>;
  messages: TokenBucket;
  /** Business messages sent to this visitor on web chat: the ones a receipt may name. */
  receiptable: Set<string>;
  forget: ReturnType<typeof setTimeout> | undefined;
}

interface Session {
  socket: VisitorSocket;
  visitor: Visitor | undefined;
  identity: { claims: IdentityClaim[]; name?: string | undefined } | undefined;
  pageUrl: string | undefined;
  frames: TokenBucket;
  refusedFrames: number;
  queue: Promise<void>;
  closed: boolean;
  helloTimer: ReturnType<typeof setTimeout> | undefined;
  historyAfterLink: boolean;
}

/** After this many frames refused in a row for flooding, the socket is closed. */
const maxRefusedFrames = 50;

/**
 * The socket side of web chat: sessions, the hello/resume handshake, identity tokens, limits,
 * durable-before-ack ingest, history replay and pushes to every open socket of a visitor.
 */
export class WebchatSocketServer {
  readonly #options: WebchatSocketServerOptions;
  readonly #visitors = new Map<string, Visitor>();
  readonly #sessions = new Set<Session>();
  #runtime: ConnectorRuntime | undefined;

  constructor(options: WebchatSocketServerOptions) {
    this.#options = options;
  }

  get running(): boolean {
    return this.#runtime !== undefined;
  }

  attach(runtime: ConnectorRuntime): void {
    this.#runtime = runtime;
  }

  /** Stop serving: every socket is closed (widgets reconnect and resume), state is dropped. */
  detach(): void {
    this.#runtime = undefined;
    for (const session of [...this.#sessions]) {
      this.#close(session, webchatCloseCodes.goingAway, 'server stopping');
    }
    for (const visitor of this.#visitors.values()) clearTimeout(visitor.forget);
    this.#visitors.clear();
  }

  /** A socket opened from a page at `origin`; returns what to do with its frames and its close. */
  open(
    socket: VisitorSocket,
    origin: string | undefined,
  ): { message(data: unknown): void; close(): void } {
    const now = this.#options.now().getTime();
    const session: Session = {
      socket,
      visitor: undefined,
      identity: undefined,
      pageUrl: undefined,
      frames: new TokenBucket(
        this.#options.framesPerSecond,
        this.#options.framesPerSecond * 2,
        now,
      ),
      refusedFrames: 0,
      queue: Promise.resolve(),
      closed: false,
      helloTimer: undefined,
      historyAfterLink: false,
    };
    this.#sessions.add(session);
    const handlers = {
      message: (data: unknown) => this.#receive(session, data),
      close: () => this.#forgetSession(session),
    };
    if (!isOriginAllowed(this.#options.allowedOrigins, origin)) {
      this.#refuse(
        session,
        'origin_not_allowed',
        `the origin ${origin ?? '(none)'} may not embed this chat`,
        webchatCloseCodes.policyViolation,
      );
      return handlers;
    }
    if (!this.#runtime) {
      this.#refuse(
        session,
        'not_ready',
        'web chat is not running yet; reconnect shortly',
        webchatCloseCodes.tryAgainLater,
      );
      return handlers;
    }
    session.helloTimer = setTimeout(() => {
      if (!session.visitor)
        this.#refuse(
          session,
          'hello_required',
          'no hello frame in time',
          webchatCloseCodes.policyViolation,
        );
    }, this.#options.helloTimeoutMs);
    session.helloTimer.unref?.();
    return handlers;
  }

  /** Sends a business message to every open socket of the visitor; returns how many. */
  pushMessage(visitorId: string, message: WireMessage): number {
    const visitor = this.#visitors.get(visitorId);
    if (!visitor) return 0;
    visitor.receiptable.add(message.id);
    return this.#broadcast(visitor, { type: 'message', message });
  }

  /** Shows or hides the "typing" indicator in the visitor's open widgets; returns how many. */
  pushTyping(visitorId: string, typing: boolean): number {
    const visitor = this.#visitors.get(visitorId);
    return visitor ? this.#broadcast(visitor, { type: 'typing', typing }) : 0;
  }

  /** Closes the visitor's sockets with a protocol error. */
  closeVisitor(visitorId: string, code: WebchatErrorCode, message: string): void {
    const visitor = this.#visitors.get(visitorId);
    if (!visitor) return;
    for (const session of [...visitor.sessions])
      this.#refuse(session, code, message, webchatCloseCodes.policyViolation);
  }

  openSockets(visitorId: string): number {
    return this.#visitors.get(visitorId)?.sessions.size ?? 0;
  }

  // ------------------------------------------------------------------ frames

  #receive(session: Session, data: unknown): void {
    if (session.closed) return;
    if (typeof data !== 'string') {
      this.#error(session, 'frame_invalid', 'frames are JSON text, not binary', {
        path: '(frame)',
      });
      return;
    }
    if (Buffer.byteLength(data, 'utf8') > this.#options.limits.maxFrameBytes) {
      this.#refuse(
        session,
        'frame_too_large',
        `frames may be at most ${this.#options.limits.maxFrameBytes} bytes`,
        webchatCloseCodes.tooLarge,
      );
      return;
    }
    const wait = session.frames.take(this.#options.now().getTime());
    if (wait > 0) {
      session.refusedFrames += 1;
      if (session.refusedFrames >= maxRefusedFrames) {
        this.#refuse(
          session,
          'rate_limited',
          'too many frames; the connection was closed',
          webchatCloseCodes.policyViolation,
        );
      } else {
        const clientId = clientIdOf(data);
        this.#error(session, 'rate_limited', 'too many frames; slow down', {
          retryAfterMs: wait,
          ...(clientId ? { clientId } : {}),
        });
      }
      return;
    }
    session.refusedFrames = 0;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.#error(session, 'frame_invalid', 'the frame is not valid JSON', { path: '(frame)' });
      return;
    }
    const parsed = clientFrameSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const clientId = clientIdOf(json);
      this.#error(
        session,
        'frame_invalid',
        `invalid frame: ${issue ? `${formatIssuePath(issue.path) || '(frame)'}: ${issue.message}` : 'invalid'}`,
        {
          path: (issue && formatIssuePath(issue.path)) || '(frame)',
          ...(clientId ? { clientId } : {}),
        },
      );
      return;
    }
    const frame = parsed.data;
    session.queue = session.queue
      .then(() => this.#handle(session, frame, data))
      .catch((error: unknown) => {
        this.#runtime?.log('error', 'web chat frame failed', { error: String(error) });
      });
  }

  async #handle(session: Session, frame: ClientFrame, raw: string): Promise<void> {
    if (session.closed) return;
    if (frame.type === 'hello') {
      if (session.visitor) {
        this.#error(session, 'frame_invalid', 'hello was already received on this socket', {
          path: 'type',
        });
        return;
      }
      await this.#hello(session, frame);
      return;
    }
    const visitor = session.visitor;
    if (!visitor) {
      this.#error(session, 'hello_required', 'send hello first');
      return;
    }
    switch (frame.type) {
      case 'message':
        await this.#message(session, visitor, frame, raw);
        return;
      case 'receipt':
        await this.#receipt(session, visitor, frame, raw);
        return;
      case 'typing':
        this.#options.onVisitorTyping?.({ visitorId: visitor.id, typing: frame.typing });
        return;
      case 'ping':
        this.#send(session, { type: 'pong' });
        return;
    }
  }

  async #hello(session: Session, frame: HelloFrame): Promise<void> {
    clearTimeout(session.helloTimer);
    if (frame.identityToken) {
      const result = verifyWebchatIdentityToken(frame.identityToken, this.#options.identitySecret, {
        now: this.#options.now(),
        maxLifetimeSeconds: this.#options.maxIdentityTokenLifetimeSeconds,
      });
      if (result.ok) {
        session.identity = { claims: result.claims, name: result.identity.name };
      } else {
        this.#error(session, result.code, `identity token refused: ${result.reason}`);
      }
    }
    let visitorId: string;
    let resumed = false;
    if (
      frame.visitorId &&
      frame.resumeToken &&
      verifyResumeToken(this.#options.sessionSecret, frame.visitorId, frame.resumeToken)
    ) {
      visitorId = frame.visitorId;
      resumed = true;
    } else {
      if (frame.visitorId || frame.resumeToken) {
        this.#error(
          session,
          'resume_invalid',
          'the visitor id or resume token is not valid; starting a new visitor',
        );
      }
      visitorId = newVisitorId();
    }
    if (this.#options.isBlocked(visitorId)) {
      this.#refuse(
        session,
        'visitor_blocked',
        'this visitor was blocked',
        webchatCloseCodes.policyViolation,
      );
      return;
    }
    session.pageUrl = httpUrl(frame.pageUrl);
    const visitor = this.#visitor(visitorId);
    visitor.sessions.add(session);
    session.visitor = visitor;
    this.#send(session, {
      type: 'welcome',
      version: webchatProtocolVersion,
      visitorId,
      resumeToken: resumeTokenFor(this.#options.sessionSecret, visitorId),
      resumed,
      identified: session.identity !== undefined,
      limits: this.#options.limits,
    });
    if (resumed) await this.#sendHistory(session, visitor);
    else this.#send(session, { type: 'history', messages: [] });
  }

  async #sendHistory(session: Session, visitor: Visitor): Promise<void> {
    const runtime = this.#runtime;
    if (!runtime) return;
    let messages: WireMessage[];
    try {
      const entries = await runtime.history(
        { channel: 'webchat', address: visitor.id },
        { limit: this.#options.historyLimit },
      );
      messages = entries.map(mapHistoryEntry);
    } catch (error) {
      runtime.log('error', 'web chat history could not be read', {
        visitorId: visitor.id,
        error: String(error),
      });
      this.#error(session, 'unavailable', 'the history could not be loaded; reconnect to retry');
      return;
    }
    for (const message of messages) if (message.receipt) visitor.receiptable.add(message.id);
    this.#send(session, { type: 'history', messages });
  }

  async #message(
    session: Session,
    visitor: Visitor,
    frame: MessageFrame,
    raw: string,
  ): Promise<void> {
    const wait = visitor.messages.take(this.#options.now().getTime());
    if (wait > 0) {
      this.#error(session, 'rate_limited', 'too many messages; this one was not stored', {
        clientId: frame.clientId,
        retryAfterMs: wait,
      });
      return;
    }
    let event: InboundEvent;
    try {
      event = convertMessageFrame(frame, {
        visitorId: visitor.id,
        identity: session.identity,
        pageUrl: session.pageUrl,
      });
    } catch (error) {
      if (!ConnectorError.isConnectorError(error)) throw error;
      this.#error(session, 'frame_invalid', error.message, {
        clientId: frame.clientId,
        path: error.path ?? 'clientId',
      });
      return;
    }
    const receipt = await this.#ingest(session, event, raw, { clientId: frame.clientId });
    if (!receipt?.messageId) return;
    this.#send(session, {
      type: 'ack',
      clientId: frame.clientId,
      messageId: receipt.messageId,
      duplicate: receipt.duplicate,
    });
    if (receipt.duplicate || event.type !== 'message') return;
    const echo: WireMessage = {
      id: receipt.messageId,
      direction: 'inbound',
      content: event.message.content,
      status: 'received',
      createdAt: this.#options.now().toISOString(),
      clientId: frame.clientId,
      receipt: false,
    };
    for (const other of visitor.sessions) {
      if (other !== session) this.#send(other, { type: 'message', message: echo });
    }
    if (session.identity && !session.historyAfterLink) {
      // the first message with a verified identity joins the customer's conversation: show it
      session.historyAfterLink = true;
      await this.#sendHistory(session, visitor);
    }
  }

  async #receipt(
    session: Session,
    visitor: Visitor,
    frame: ReceiptFrame,
    raw: string,
  ): Promise<void> {
    if (!visitor.receiptable.has(frame.messageId)) {
      this.#error(session, 'unknown_message', 'no such message was sent to this visitor', {
        messageId: frame.messageId,
      });
      return;
    }
    await this.#ingest(session, convertReceiptFrame(frame), raw, { messageId: frame.messageId });
  }

  /** Durable before acknowledged: resolves with the receipt once stored, or answers an error. */
  async #ingest(
    session: Session,
    event: InboundEvent,
    raw: string,
    about: { clientId?: string; messageId?: string },
  ) {
    const runtime = this.#runtime;
    if (!runtime) {
      this.#error(
        session,
        'not_ready',
        'web chat is stopping; send it again after reconnecting',
        about,
      );
      return undefined;
    }
    try {
      const [receipt] = await runtime.ingest([event], {
        contentType: 'application/json',
        body: raw,
      });
      return receipt;
    } catch (error) {
      runtime.log('error', 'web chat frame could not be stored', {
        visitorId: session.visitor?.id,
        error: String(error),
      });
      this.#error(session, 'unavailable', 'the frame could not be stored; send it again', about);
      return undefined;
    }
  }

  // ------------------------------------------------------------------ plumbing

  #visitor(visitorId: string): Visitor {
    let visitor = this.#visitors.get(visitorId);
    if (!visitor) {
      const limits = this.#options.limits;
      visitor = {
        id: visitorId,
        sessions: new Set(),
        messages: new TokenBucket(
          limits.messagesPerSecond,
          limits.burst,
          this.#options.now().getTime(),
        ),
        receiptable: new Set(),
        forget: undefined,
      };
      this.#visitors.set(visitorId, visitor);
    }
    clearTimeout(visitor.forget);
    visitor.forget = undefined;
    return visitor;
  }

  #forgetSession(session: Session): void {
    session.closed = true;
    if (!this.#sessions.has(session)) return;
    clearTimeout(session.helloTimer);
    this.#sessions.delete(session);
    const visitor = session.visitor;
    if (!visitor) return;
    visitor.sessions.delete(session);
    if (visitor.sessions.size > 0) return;
    // keep the visitor's rate limit a while, so reconnecting does not reset it
    const keepMs = Math.ceil((visitor.messages.burst / visitor.messages.perSecond) * 1000);
    visitor.forget = setTimeout(() => {
      if (visitor.sessions.size === 0) this.#visitors.delete(visitor.id);
    }, keepMs);
    visitor.forget.unref?.();
  }

  #broadcast(visitor: Visitor, frame: ServerFrame): number {
    let reached = 0;
    for (const session of visitor.sessions) if (this.#send(session, frame)) reached += 1;
    return reached;
  }

  #send(session: Session, frame: ServerFrame): boolean {
    if (session.closed) return false;
    try {
      session.socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  #error(
    session: Session,
    code: WebchatErrorCode,
    message: string,
    extra: { clientId?: string; messageId?: string; path?: string; retryAfterMs?: number } = {},
  ): void {
    this.#send(session, { type: 'error', code, message, ...extra });
  }

  /** A protocol error, then the socket is closed with `closeCode`. */
  #refuse(session: Session, code: WebchatErrorCode, message: string, closeCode: number): void {
    this.#error(session, code, message);
    this.#close(session, closeCode, code);
  }

  #close(session: Session, closeCode: number, reason: string): void {
    if (session.closed) return;
    try {
      session.socket.close(closeCode, reason);
    } catch {
      // already closed
    }
    this.#forgetSession(session);
  }
}

/** The client id a frame names, if any, so an error can say which message it is about. */
function clientIdOf(value: unknown): string | undefined {
  let frame = value;
  if (typeof value === 'string') {
    try {
      frame = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof frame !== 'object' || frame === null) return undefined;
  const clientId = (frame as { clientId?: unknown }).clientId;
  return typeof clientId === 'string' && clientId.length <= 200 ? clientId : undefined;
}

function httpUrl(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
