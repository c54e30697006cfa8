import type {
  Address,
  Channel,
  ChannelData,
  Content,
  IdentitySource,
  MessageError,
  MessageStatus,
} from '@threadline/schema';
import type { Env, Hono, Schema } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import type { Capabilities } from './capabilities.js';
import type { ConnectorError } from './errors.js';

/** The contract version this package defines. A connector declares the version it implements. */
export const specificationVersion = 'v1';

/** A provider's HTTP request as it reached the gateway. Header names are lower-case. */
export interface InboundRequest {
  method: string;
  /** The full URL the provider called (the public URL behind a proxy), with the query. */
  url: string;
  headers: Record<string, string>;
  /** The raw body, exactly as received: signatures are computed over it. */
  body: string;
}

/** Another identity the sender proves or claims (a Telegram contact share of their own number). */
export interface IdentityClaim {
  address: Address;
  /** True when the provider vouches for it (a self-shared Telegram contact, a signed token). */
  verified: boolean;
  source: IdentitySource;
}

export type OptOutKeyword = 'stop' | 'start' | 'help';

/** One customer message, normalized. The gateway adds ids, contact and conversation. */
export interface InboundMessage {
  /** The provider's id for this message: with the connector id, the dedupe key. */
  externalId: string;
  /** The sender, canonical for the channel. */
  from: Address;
  /** Our address the customer wrote to (the business number, the inbox). */
  to?: Address;
  /**
   * The address the conversation follows and replies go to, when it is not the sender:
   * a group chat. Defaults to `from`.
   */
  conversationAddress?: Address;
  content: Content;
  /** Provider timestamp (ISO 8601 UTC); receive time when the provider gives none. */
  createdAt?: string;
  /** The provider id of the message this one replies to. */
  replyToExternalId?: string;
  /** Provider ids of earlier messages this one continues (an email's References). */
  references?: string[];
  identityClaims?: IdentityClaim[];
  senderName?: string;
  /** An auto-reply (out of office): kept, but never reopens a resolved conversation. */
  automated?: boolean;
  /**
   * A carrier keyword (SMS STOP / START / HELP): `stop` opts the customer out of this channel,
   * `start` opts them back in; `help` changes nothing.
   */
  optOut?: OptOutKeyword;
  channelData?: ChannelData;
}

/** What a provider request means, normalized. */
export type InboundEvent =
  | { type: 'message'; message: InboundMessage }
  | {
      type: 'status';
      /** The provider id returned by `send`. */
      externalId: string;
      status: MessageStatus;
      error?: MessageError;
      occurredAt?: string;
      channelData?: ChannelData;
    }
  | { type: 'edit'; externalId: string; content: Content; editedAt?: string }
  | { type: 'deletion'; externalId: string; deletedAt?: string }
  /** A provider update we acknowledge and record but do not act on. */
  | { type: 'ignored'; kind: string; reason: string };

/** The answer a provider expects from its webhook (Twilio wants TwiML, Meta the challenge). */
export interface InboundResponse {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface ParseResult {
  events: InboundEvent[];
  /** What to answer once the events are durable; a plain 200 when absent. */
  response?: InboundResponse;
}

/** A message to send, already rendered down to the connector's capabilities. */
export interface OutboundMessage {
  /** The gateway's message id: stable across retries, usable as an idempotency key. */
  id: string;
  conversationId: string;
  to: Address;
  content: Content;
  /** Provider id of the message this one replies to, on this connector. */
  replyToExternalId?: string;
  /** Provider ids of earlier messages in this conversation on this connector, oldest first. */
  threadExternalIds?: string[];
  channelData?: ChannelData;
}

export interface SendResult {
  /** The provider's id for the sent message; status callbacks name it. */
  externalId: string;
  /** The status the provider reported right away; `sent` when absent. */
  status?: Extract<MessageStatus, 'queued' | 'sent' | 'delivered'>;
  channelData?: ChannelData;
}

/** What the engine knows when it asks a connector whether a route is allowed now. */
export interface RouteCheck {
  to: Address;
  content: Content;
  /** When the customer last wrote on this connector, if ever. */
  lastInboundAt: Date | null;
  now: Date;
}

export type ConnectorState = 'starting' | 'ready' | 'degraded' | 'disconnected';

export interface ConnectorStatus {
  state: ConnectorState;
  detail?: string;
}

/** What became of one ingested event. */
export interface IngestReceipt {
  /** The gateway's message id, for message, edit, status and deletion events that found one. */
  messageId: string | null;
  conversationId: string | null;
  /** True when the event was a redelivery and changed nothing. */
  duplicate: boolean;
}

/** A message as stored, for connectors that show history themselves (web chat). */
export interface HistoryEntry {
  id: string;
  direction: 'inbound' | 'outbound';
  content: Content;
  status: MessageStatus;
  externalId: string | null;
  createdAt: string;
}

/** What the gateway gives a connector that listens on its own (SMTP, WebSocket, a linked device). */
export interface ConnectorRuntime {
  /**
   * Persist events; resolves once they are durable — only then acknowledge the provider.
   * One receipt per event, in order.
   */
  ingest(
    events: InboundEvent[],
    raw: { contentType: string; body: string },
  ): Promise<IngestReceipt[]>;
  /** Store media received from the customer; apps fetch it at `url` with their API key. */
  saveMedia(media: {
    body: Uint8Array;
    contentType: string;
    filename?: string;
  }): Promise<{ mediaId: string; url: string }>;
  /** The conversation history of the customer at `address` on this connector, oldest first. */
  history(address: Address, options?: { limit?: number }): Promise<HistoryEntry[]>;
  /** Record input that could not be read, with the reason, for inspection and replay. */
  quarantine(entry: {
    reason: string;
    path?: string;
    contentType: string;
    body: string;
  }): Promise<void>;
  /** Report a change of state (a logged-out session); shown on /readyz and as an event. */
  reportStatus(status: ConnectorStatus): void;
  log: (
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ) => void;
}

/** What the gateway hands a connector's `mount`: its WebSocket upgrade for the Node server. */
export interface ConnectorMountTools<T = unknown> {
  upgradeWebSocket: UpgradeWebSocket<T>;
}

/**
 * A channel connector, contract version 1. Implement `parse` and `send`; the rest is optional.
 * A connector knows its provider and nothing else: it never touches the store or the engine.
 */
export interface ConnectorV1 {
  readonly specificationVersion: 'v1';
  /** Unique per gateway; ingress is mounted at `/webhooks/<channel>/<id>`. */
  readonly id: string;
  readonly channel: Channel;
  readonly capabilities: Capabilities;
  /**
   * Verify the request's signature, then normalize it. Throws a {@link ConnectorError}:
   * `signature_invalid` (nothing is stored) or `payload_invalid` with a `path`.
   */
  parse(request: InboundRequest): Promise<ParseResult>;
  /**
   * Send one message. Returns the provider id; throws a {@link ConnectorError} with
   * `retryable` and `retryAfterMs` so the engine can retry, or `unsupported_content` for
   * content outside `capabilities`.
   */
  send(message: OutboundMessage): Promise<SendResult>;
  /** Channel rules: return an error (code `route_refused`) to refuse a route now. */
  checkRoute?(check: RouteCheck): ConnectorError | undefined;
  /** Start listeners of the connector's own (SMTP server, linked-device session). */
  start?(runtime: ConnectorRuntime): Promise<void>;
  stop?(): Promise<void>;
  /**
   * True when the listeners `start` opens must run on one gateway instance at a time (an
   * SMTP port, a linked-device session, Telegram long polling). With several instances the
   * gateway starts them only on the instance holding the listeners' lease, and `start`
   * may be called again after `stop` when the lease moves back.
   */
  readonly singleListener?: boolean;
  status?(): ConnectorStatus;
  /** The pairing code (QR payload) while a linked-device session waits to be scanned. */
  pairingCode?(): string | null;
  /** Fetch media the provider holds behind its credentials, so apps never see them. */
  fetchMedia?(
    mediaId: string,
  ): Promise<{ contentType: string; body: Uint8Array; filename?: string }>;
  /**
   * True when `send` uses the conversation's history: `threadExternalIds` and an earlier
   * `channelData.subject` (email threading). Other connectors are spared the lookup.
   */
  readonly threadHistory?: boolean;
  /** Suggested outbound rate limit, messages per second (per connector). */
  readonly rateLimit?: { perSecond: number; perRecipientPerSecond?: number };
  /**
   * HTTP routes of the connector's own on the gateway's app, beside its webhook ingress (web
   * chat: the widget's WebSocket, the widget script, the demo page). Called once at start.
   */
  mount?<E extends Env, S extends Schema, P extends string, T>(
    app: Hono<E, S, P>,
    tools: ConnectorMountTools<T>,
  ): void;
  /**
   * For connectors that deliver into connections held by one gateway instance (web chat
   * sockets): how many this instance holds to `address`. With several instances, a send made
   * on one is pushed by every instance that holds a connection.
   */
  openSockets?(address: string): number;
}

/** The current contract. */
export type Connector = ConnectorV1;
