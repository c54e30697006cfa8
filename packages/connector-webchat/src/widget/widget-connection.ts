import type { Content } from '@threadline/schema';
import type { ServerFrame, WebchatLimits } from '../webchat-protocol.js';
import type { PendingMessage, WidgetStorage } from './widget-storage.js';

export type ConnectionState = 'connecting' | 'online' | 'offline' | 'refused';

export interface ConnectionEvents {
  state(state: ConnectionState, detail?: string): void;
  frame(frame: ServerFrame): void;
  /** The server stored a message the visitor wrote. */
  acknowledged(localId: string, messageId: string): void;
  /** A message the visitor wrote was refused for good (too long, invalid). */
  notSent(localId: string, problem: string): void;
}

export interface ConnectionOptions {
  url: string;
  storage: WidgetStorage;
  identityToken?: string | undefined;
  pageUrl?: string | undefined;
  events: ConnectionEvents;
  /** The WebSocket constructor (the browser's). */
  WebSocket?: typeof WebSocket;
}

/** Errors after which reconnecting cannot help. */
const fatalErrors = new Set(['visitor_blocked', 'origin_not_allowed']);

/**
 * The widget's socket: hello and resume, reconnection with backoff, and an outbox that sends
 * the visitor's messages one at a time until each is acknowledged — kept in storage, so a
 * reload or a network blip loses nothing, and the server's dedupe makes resends harmless.
 */
export class WidgetConnection {
  readonly #options: ConnectionOptions;
  #socket: WebSocket | undefined;
  #state: ConnectionState = 'offline';
  #attempt = 0;
  #inFlight: string | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #fatal = false;
  limits: WebchatLimits | undefined;
  visitorId: string | undefined;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.visitorId = options.storage.state.visitorId;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get pending(): readonly PendingMessage[] {
    return this.#options.storage.state.outbox;
  }

  connect(): void {
    if (this.#fatal || this.#socket) return;
    clearTimeout(this.#reconnectTimer);
    this.#setState('connecting');
    const Socket = this.#options.WebSocket ?? WebSocket;
    let socket: WebSocket;
    try {
      socket = new Socket(this.#options.url);
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      const state = this.#options.storage.state;
      this.#write({
        type: 'hello',
        version: 1,
        ...(state.visitorId && state.resumeToken
          ? { visitorId: state.visitorId, resumeToken: state.resumeToken }
          : {}),
        ...(this.#options.identityToken ? { identityToken: this.#options.identityToken } : {}),
        ...(this.#options.pageUrl ? { pageUrl: this.#options.pageUrl } : {}),
      });
    };
    socket.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(event.data) as ServerFrame;
      } catch {
        return;
      }
      this.#receive(frame);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#inFlight = undefined;
      if (this.#fatal) return;
      this.#setState('offline', event.reason || undefined);
      this.#scheduleReconnect();
    };
    socket.onerror = () => {
      // a close event follows
    };
  }

  /** Queue a message of the visitor; it is sent as soon as the socket is ready. */
  send(localId: string, content: Content, createdAt: string): void {
    const outbox = [...this.pending, { localId, content, createdAt }];
    this.#options.storage.update({ outbox });
    this.#pump();
  }

  /** A frame that is only worth sending now (a receipt, typing): dropped when offline. */
  sendNow(frame: { type: 'receipt' | 'typing'; [field: string]: unknown }): boolean {
    if (this.#state !== 'online') return false;
    return this.#write(frame);
  }

  /** The client id of a pending message, once the visitor id is known. */
  clientId(localId: string): string | undefined {
    return this.visitorId ? `wc_${this.visitorId}_${localId}` : undefined;
  }

  #receive(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        this.#attempt = 0;
        this.visitorId = frame.visitorId;
        this.limits = frame.limits;
        this.#options.storage.update({
          visitorId: frame.visitorId,
          resumeToken: frame.resumeToken,
        });
        this.#setState('online');
        this.#options.events.frame(frame);
        this.#pump();
        return;
      case 'ack': {
        const head = this.pending[0];
        if (head && this.clientId(head.localId) === frame.clientId) {
          this.#options.storage.update({ outbox: this.pending.slice(1) });
          this.#inFlight = undefined;
          this.#options.events.acknowledged(head.localId, frame.messageId);
          this.#pump();
        }
        return;
      }
      case 'error':
        this.#error(frame);
        this.#options.events.frame(frame);
        return;
      default:
        this.#options.events.frame(frame);
    }
  }

  #error(frame: Extract<ServerFrame, { type: 'error' }>): void {
    if (fatalErrors.has(frame.code)) {
      this.#fatal = true;
      this.#setState('refused', frame.message);
      return;
    }
    const head = this.pending[0];
    if (!frame.clientId || !head || this.clientId(head.localId) !== frame.clientId) return;
    this.#inFlight = undefined;
    if (frame.code === 'frame_invalid') {
      this.#options.storage.update({ outbox: this.pending.slice(1) });
      this.#options.events.notSent(head.localId, frame.message);
      this.#pump();
      return;
    }
    // rate limited, or not stored this time: send it again later
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#pump(), frame.retryAfterMs ?? 2000);
  }

  #pump(): void {
    if (this.#state !== 'online' || this.#inFlight) return;
    const head = this.pending[0];
    const clientId = head && this.clientId(head.localId);
    if (!head || !clientId) return;
    this.#inFlight = head.localId;
    this.#write({ type: 'message', clientId, content: head.content });
  }

  #write(frame: Record<string, unknown>): boolean {
    const socket = this.#socket;
    if (socket?.readyState !== 1) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  #scheduleReconnect(): void {
    clearTimeout(this.#reconnectTimer);
    const base = Math.min(30_000, 500 * 2 ** this.#attempt);
    this.#attempt += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    this.#reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  #setState(state: ConnectionState, detail?: string): void {
    this.#state = state;
    this.#options.events.state(state, detail);
  }
}
