import type {
  Address,
  Channel,
  Contact,
  Conversation,
  ConversationControl,
  ConversationStatus,
  contentSchema,
  EventType,
  Message,
  ThreadlineEvent,
} from '@threadline/schema';
import type { input } from 'zod';

export type {
  Address,
  Channel,
  Contact,
  Conversation,
  ConversationControl,
  ConversationStatus,
  EventType,
  Message,
  ThreadlineEvent,
};

/** Message content as an app writes it (defaults such as `parameters: []` may be left out). */
export type ContentInput = input<typeof contentSchema>;

/** Send a copy on another channel when the first one fails, is not delivered, or is not read. */
export interface FallbackRule {
  channel: Channel;
  when: 'failed' | 'undelivered' | 'unread';
  /** For `undelivered` and `unread`: how long to wait for the status (default 5 minutes). */
  afterMs?: number;
}

interface SendMessageCommon {
  /** Force a channel; by default the reply goes where the customer wrote last. */
  channel?: Channel;
  /** Force a connector (when several serve one channel). */
  connectorId?: string;
  content: ContentInput;
  /** The message this one answers (quoted where the channel can quote). */
  replyToId?: string;
  fallback?: FallbackRule[];
  channelData?: Record<string, unknown>;
  /** Switchboard: an integration not in control takes control first (an agent barging in). */
  takeControl?: boolean;
}

/** `POST /v1/messages`: to a known contact, or to an address (a new contact if unknown). */
export type SendMessageInput = SendMessageCommon &
  ({ contactId: string; to?: Address } | { contactId?: string; to: Address });

export interface SendOptions {
  /**
   * The gateway answers a repeated key (for 24 h) with the first answer instead of sending
   * twice. With a key, the client also retries the call after a connection failure.
   */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

/** One page of a list, oldest or newest first as the route says; `nextCursor` is null at the end. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface PageQuery {
  /** The `nextCursor` of the previous page. */
  after?: string;
  /** 1–200, default 50. */
  limit?: number;
}

export interface ListConversationsQuery extends PageQuery {
  contactId?: string;
  status?: ConversationStatus;
  /** Only conversations whose customer last wrote on this channel. */
  channel?: Channel;
  /** Only the conversations of the contact with this address, on any channel. */
  address?: string;
  /** Only the conversations this integration is in control of (switchboard). */
  integrationId?: string;
}

/** `POST /v1/messages/render`: how a channel would carry some content. */
export interface RenderMessageInput {
  channel: Channel;
  /** A connector of that channel (the first one serving it by default). */
  connectorId?: string;
  content: ContentInput;
}

export interface RenderedPreview {
  channel: Channel;
  connectorId: string;
  /** What the channel will carry, in order. */
  parts: Message['content'][];
  /** Buttons shown as a numbered list because the channel has none. */
  choices: { id: string; title: string }[] | null;
}

export interface LinkIdentityInput {
  channel: Channel;
  /** Canonicalized by the gateway (E.164 phone, lower-cased email, ...). */
  address: string;
  reason?: string;
}

export interface MergeContactsInput {
  /** The contact that remains. */
  contactId: string;
  /** The contact merged into it. */
  mergeContactId: string;
  reason?: string;
}

export interface EventPage {
  data: ThreadlineEvent[];
  /** Pass as `after` to read on; equal to `after` when nothing newer exists yet. */
  nextCursor: number;
}

export interface ListEventsQuery {
  /** Events after this cursor (default 0). */
  after?: number;
  /** 1–1000, default 100. */
  limit?: number;
  types?: EventType[];
  /** Switchboard: only what this integration receives. */
  integrationId?: string;
}

/** Several events per request: sent when `maxEvents` are ready or the oldest waited `maxWaitMs`. */
export interface WebhookBatch {
  /** 1–1000. */
  maxEvents: number;
  /** 0–60,000. */
  maxWaitMs: number;
}

export interface CreateWebhookInput {
  url: string;
  /** Event types to deliver; all when empty. */
  eventTypes?: EventType[];
  /** A Standard Webhooks secret (`whsec_` + base64); the gateway makes one when omitted. */
  secret?: string;
  /**
   * Requests in flight at once (1–1000, default 32). Events of one conversation still arrive
   * one at a time, in order.
   */
  maxInFlight?: number;
  /** Deliver a JSON array of events per request (verify with `verifyWebhookBatch`); null: one each. */
  batch?: WebhookBatch | null;
  /** Switchboard: the integration listening here (delivery follows its `receives`). */
  integrationId?: string;
}

export interface UpdateWebhookInput {
  url?: string;
  eventTypes?: EventType[];
  maxInFlight?: number;
  batch?: WebhookBatch | null;
  enabled?: boolean;
}

export interface WebhookSubscription {
  id: string;
  url: string;
  eventTypes: string[];
  maxInFlight: number;
  batch: WebhookBatch | null;
  /** Every event up to this cursor is delivered or dead-lettered. */
  cursor: number;
  /** Age of the oldest event not yet delivered, in seconds; 0 when caught up with the log. */
  lagSeconds: number;
  /** Events read past `cursor` and not yet delivered. */
  pending: number;
  /** Attempts of the longest-failing pending delivery, its next try and last error. */
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  enabled: boolean;
  integrationId?: string | null;
  /** Returned only by `create`. */
  secret?: string;
}

/** An app that answers customers (switchboard). */
export interface Integration {
  id: string;
  name: string;
  next: string | null;
  responseTimeout: string | null;
  receives: 'active' | 'all';
  createdAt: string;
  updatedAt: string;
}

export interface CreateIntegrationInput {
  name: string;
  /** Where control passes by default (pass without `to`, response timeout). */
  next?: string | null;
  /** e.g. "2m": pass to `next` when nothing was sent this long after a customer message. */
  responseTimeout?: string | null;
  /** `active` (default): only while in control or pending; `all`: every event. */
  receives?: 'active' | 'all';
}

export type UpdateIntegrationInput = Partial<CreateIntegrationInput>;

export interface SwitchboardSettings {
  enabled: boolean;
  defaultIntegrationId: string | null;
  updatedAt: string;
}

export interface PassControlInput {
  /** Default: the active integration's `next`. */
  to?: string;
  /** What the passing app learned; up to 16 KB of JSON. */
  metadata?: Record<string, unknown>;
}

export interface OfferControlInput {
  to: string;
  metadata?: Record<string, unknown>;
}

/** A conversation as `GET /v1/conversations/:id` answers: with control when the switchboard is on. */
export type ConversationWithControl = Conversation & { control?: ConversationControl };

export interface ConnectorInfo {
  id: string;
  channel: Channel;
  state: 'starting' | 'ready' | 'degraded' | 'disconnected';
  detail: string | null;
  capabilities: Record<string, unknown>;
  /** A linked-device session paired by scanning a QR code (`connectors.pairingQr`). */
  pairing: boolean;
}

export interface QuarantineEntry {
  id: string;
  connectorId: string;
  kind: 'rejected' | 'ignored';
  reason: string;
  path: string | null;
  contentType: string;
  body: string;
  receivedAt: string;
  replayedAt: string | null;
}

export interface MediaFile {
  contentType: string;
  filename: string | undefined;
  body: Uint8Array;
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/** One request to a webhook subscriber (`GET /v1/webhooks/:id/deliveries`). */
export interface WebhookDeliveryAttempt {
  /** The request's `webhook-id`: the event id, or the batch id. */
  webhookId: string;
  eventIds: string[];
  eventTypes: string[];
  /** When the request was sent. */
  at: string;
  outcome: 'delivered' | 'failed' | 'dead_lettered';
  attempt: number;
  /** Null when the subscriber did not answer. */
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}
