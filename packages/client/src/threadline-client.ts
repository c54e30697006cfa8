import type {
  AnalyticsMetric,
  AnalyticsRangeQuery,
  AnalyticsSummary,
  AnalyticsTimeseries,
} from './analytics-types.js';
import type {
  ConnectorInfo,
  Contact,
  Conversation,
  ConversationControl,
  ConversationWithControl,
  CreateIntegrationInput,
  CreateWebhookInput,
  EventPage,
  Integration,
  LinkIdentityInput,
  ListConversationsQuery,
  ListEventsQuery,
  MediaFile,
  MergeContactsInput,
  Message,
  OfferControlInput,
  Page,
  PageQuery,
  PassControlInput,
  QuarantineEntry,
  ReadinessReport,
  RenderedPreview,
  RenderMessageInput,
  RequestOptions,
  SendMessageInput,
  SendOptions,
  SwitchboardSettings,
  ThreadlineEvent,
  UpdateIntegrationInput,
  UpdateWebhookInput,
  WebhookDeliveryAttempt,
  WebhookSubscription,
} from './api-types.js';
import {
  type EventStream,
  type EventStreamOptions,
  streamEvents,
  type WebSocketConstructor,
} from './event-stream.js';
import { createTransport, type RetrySettings } from './http-transport.js';
import { createNotificationMethods } from './notification-methods.js';

export interface ThreadlineClientSettings {
  /** Where the gateway listens, e.g. `https://threadline.example.com`. */
  baseUrl: string;
  /** An API key from `THREADLINE_API_KEYS` (sent as `Authorization: Bearer <key>`). */
  apiKey: string;
  /** A `fetch` to use instead of the global one (tracing, proxies, tests). */
  fetch?: typeof globalThis.fetch;
  /** A WebSocket implementation for `events.stream({ transport: 'websocket' })` where there is no global one (Node 20: the `ws` package). */
  webSocket?: WebSocketConstructor;
  /** Abort a call after this long. Default 30 s. */
  timeoutMs?: number;
  /** Retries of GETs and of sends with an idempotency key. */
  retry?: RetrySettings;
  /** Extra headers on every call. */
  headers?: Record<string, string>;
}

const segment = (value: string) => encodeURIComponent(value);

/**
 * A typed client for the gateway's consumer API: send and read messages, follow
 * conversations and contacts, consume the event stream with automatic resume, manage
 * webhook subscriptions.
 *
 * ```ts
 * const threadline = createThreadlineClient({ baseUrl: 'http://localhost:8787', apiKey });
 * threadline.events.stream({
 *   onEvent: async (event) => {
 *     if (event.type !== 'message.received') return;
 *     const { contactId } = event.data.message;
 *     await threadline.messages.send({ contactId, content: { type: 'text', text: 'On it!' } });
 *   },
 * });
 * ```
 */
export function createThreadlineClient(settings: ThreadlineClientSettings) {
  const transport = createTransport({
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    fetch: settings.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timeoutMs: settings.timeoutMs ?? 30_000,
    headers: settings.headers ?? {},
    retry: {
      maxRetries: settings.retry?.maxRetries ?? 2,
      initialDelayMs: settings.retry?.initialDelayMs ?? 250,
      maxDelayMs: settings.retry?.maxDelayMs ?? 5_000,
    },
  });
  const get = <T>(
    path: string,
    query?: Record<string, string | number | undefined>,
    options: RequestOptions = {},
  ) =>
    transport.json<T>('GET', path, {
      ...(query ? { query } : {}),
      signal: options.signal,
      retry: true,
    });
  const post = <T>(path: string, body: unknown, options: RequestOptions = {}) =>
    transport.json<T>('POST', path, { body, signal: options.signal, retry: false });
  const bytes = async (path: string, options: RequestOptions = {}): Promise<MediaFile> => {
    const response = await transport.call('GET', path, { signal: options.signal, retry: true });
    const disposition = response.headers.get('content-disposition') ?? '';
    const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
    return {
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      filename: encoded ? decodeURIComponent(encoded) : undefined,
      body: new Uint8Array(await response.arrayBuffer()),
    };
  };

  const messages = {
    /**
     * `POST /v1/messages`: queued on the channel the customer wrote on last (or `channel`),
     * rendered down to what it can carry. Resolves with the stored message (`queued`, or
     * `failed` when no route may carry it).
     */
    send(input: SendMessageInput, options: SendOptions = {}): Promise<Message> {
      return transport.json<Message>('POST', '/v1/messages', {
        body: input,
        ...(options.idempotencyKey
          ? { headers: { 'idempotency-key': options.idempotencyKey } }
          : {}),
        signal: options.signal,
        retry: options.idempotencyKey !== undefined,
      });
    },
    /** `POST /v1/messages/render`: the parts a channel would carry, without sending anything. */
    render(input: RenderMessageInput, options?: RequestOptions): Promise<RenderedPreview> {
      return post<RenderedPreview>('/v1/messages/render', input, options);
    },
    /** `GET /v1/messages/:id` with its current status. */
    get(id: string, options?: RequestOptions): Promise<Message> {
      return get<Message>(`/v1/messages/${segment(id)}`, undefined, options);
    },
  };

  const conversations = {
    /** `GET /v1/conversations`, newest first. */
    list(
      query: ListConversationsQuery = {},
      options?: RequestOptions,
    ): Promise<Page<Conversation>> {
      return get<Page<Conversation>>('/v1/conversations', { ...query }, options);
    },
    /** Every conversation matching the query, page by page. */
    async *iterate(
      query: Omit<ListConversationsQuery, 'after'> = {},
    ): AsyncGenerator<Conversation> {
      let after: string | undefined;
      do {
        const page = await conversations.list({ ...query, ...(after ? { after } : {}) });
        yield* page.data;
        after = page.nextCursor ?? undefined;
      } while (after);
    },
    get(id: string, options?: RequestOptions): Promise<ConversationWithControl> {
      return get<ConversationWithControl>(`/v1/conversations/${segment(id)}`, undefined, options);
    },
    /** `GET /v1/conversations/:id/messages`, oldest first, every channel. A merged conversation answers with the one it joined. */
    messages(id: string, query: PageQuery = {}, options?: RequestOptions): Promise<Page<Message>> {
      return get<Page<Message>>(`/v1/conversations/${segment(id)}/messages`, { ...query }, options);
    },
    /** Every message of a conversation, oldest first. */
    async *iterateMessages(
      id: string,
      query: Omit<PageQuery, 'after'> = {},
    ): AsyncGenerator<Message> {
      let after: string | undefined;
      do {
        const page = await conversations.messages(id, { ...query, ...(after ? { after } : {}) });
        yield* page.data;
        after = page.nextCursor ?? undefined;
      } while (after);
    },
    /** Resolve; a new message inside the continuity window reopens it. */
    resolve(id: string, options?: RequestOptions): Promise<Conversation> {
      return post<Conversation>(`/v1/conversations/${segment(id)}/resolve`, undefined, options);
    },
    /** Reopen a resolved conversation: only the contact's latest, and only if none is open (409 `conflict` otherwise). */
    reopen(id: string, options?: RequestOptions): Promise<Conversation> {
      return post<Conversation>(`/v1/conversations/${segment(id)}/reopen`, undefined, options);
    },
    /** Switchboard: pass control at once (to `to`, or the active integration's `next`), with metadata. */
    passControl(
      id: string,
      input: PassControlInput = {},
      options?: RequestOptions,
    ): Promise<ConversationControl> {
      return post(`/v1/conversations/${segment(id)}/control/pass`, input, options);
    },
    /** Switchboard: offer control; the active integration keeps it until `to` accepts. */
    offerControl(
      id: string,
      input: OfferControlInput,
      options?: RequestOptions,
    ): Promise<ConversationControl> {
      return post(`/v1/conversations/${segment(id)}/control/offer`, input, options);
    },
    /** Switchboard: accept control offered to this key's integration. */
    acceptControl(id: string, options?: RequestOptions): Promise<ConversationControl> {
      return post(`/v1/conversations/${segment(id)}/control/accept`, undefined, options);
    },
    /** Switchboard: give control back to the default integration. */
    releaseControl(id: string, options?: RequestOptions): Promise<ConversationControl> {
      return post(`/v1/conversations/${segment(id)}/control/release`, undefined, options);
    },
  };

  const notificationMethods = createNotificationMethods({
    get,
    send: (method, path, body, retry, options = {}) =>
      transport.json(method, path, { body, signal: options.signal, retry }),
  });

  const contacts = {
    /** The contact with its identities; a merged id answers with the contact it joined. */
    get(id: string, options?: RequestOptions): Promise<Contact> {
      return get<Contact>(`/v1/contacts/${segment(id)}`, undefined, options);
    },
    /** Join an identity to a contact (merging the contact that had it, histories included). */
    linkIdentity(id: string, input: LinkIdentityInput, options?: RequestOptions): Promise<Contact> {
      return post<Contact>(`/v1/contacts/${segment(id)}/identities`, input, options);
    },
    merge(input: MergeContactsInput, options?: RequestOptions): Promise<Contact> {
      return post<Contact>('/v1/contacts/merge', input, options);
    },
    ...notificationMethods.preferences,
  };

  const events = {
    /** `GET /v1/events?format=json`: the events after a cursor, for polling. */
    list(query: ListEventsQuery = {}, options?: RequestOptions): Promise<EventPage> {
      return get<EventPage>(
        '/v1/events',
        {
          format: 'json',
          after: query.after ?? 0,
          limit: query.limit,
          types: query.types?.length ? query.types.join(',') : undefined,
          integrationId: query.integrationId,
        },
        options,
      );
    },
    /** Every event after `after` that exists now, page by page. */
    async *iterate(query: Omit<ListEventsQuery, 'limit'> = {}): AsyncGenerator<ThreadlineEvent> {
      let after = query.after ?? 0;
      for (;;) {
        const page = await events.list({ ...query, after, limit: 1000 });
        yield* page.data;
        if (page.nextCursor === after) return;
        after = page.nextCursor;
      }
    },
    /**
     * Follows the event stream (Server-Sent Events, or the WebSocket) and reconnects by
     * itself, resuming after the last event handled.
     */
    stream(options: EventStreamOptions): EventStream {
      return streamEvents(transport, options, settings.webSocket);
    },
  };

  const webhooks = {
    /** Subscribe a URL; the answer carries the signing secret, once. */
    create(input: CreateWebhookInput, options?: RequestOptions): Promise<WebhookSubscription> {
      return post<WebhookSubscription>('/v1/webhooks', input, options);
    },
    async list(options?: RequestOptions): Promise<WebhookSubscription[]> {
      return (await get<{ data: WebhookSubscription[] }>('/v1/webhooks', undefined, options)).data;
    },
    /** One subscription with its delivery state: `lagSeconds` behind the event log. */
    get(id: string, options?: RequestOptions): Promise<WebhookSubscription> {
      return get<WebhookSubscription>(`/v1/webhooks/${segment(id)}`, undefined, options);
    },
    /** Change URL, event types, concurrency, batching or enabled. */
    update(
      id: string,
      input: UpdateWebhookInput,
      options: RequestOptions = {},
    ): Promise<WebhookSubscription> {
      return transport.json<WebhookSubscription>('PATCH', `/v1/webhooks/${segment(id)}`, {
        body: input,
        signal: options.signal,
        retry: false,
      });
    },
    delete(id: string, options: RequestOptions = {}): Promise<void> {
      return transport.empty('DELETE', `/v1/webhooks/${segment(id)}`, {
        signal: options.signal,
        retry: false,
      });
    },
    /** Deliver every event after `after` again. */
    redeliver(id: string, after: number, options?: RequestOptions): Promise<WebhookSubscription> {
      return post<WebhookSubscription>(`/v1/webhooks/${segment(id)}/redeliver`, { after }, options);
    },
    async deadLetters(id: string, options?: RequestOptions): Promise<Record<string, unknown>[]> {
      return (
        await get<{ data: Record<string, unknown>[] }>(
          `/v1/webhooks/${segment(id)}/dead-letters`,
          undefined,
          options,
        )
      ).data;
    },
    /** The latest requests to the subscriber (up to 50), newest first. */
    async deliveries(id: string, options?: RequestOptions): Promise<WebhookDeliveryAttempt[]> {
      return (
        await get<{ data: WebhookDeliveryAttempt[] }>(
          `/v1/webhooks/${segment(id)}/deliveries`,
          undefined,
          options,
        )
      ).data;
    },
  };

  const integrations = {
    create(input: CreateIntegrationInput, options?: RequestOptions): Promise<Integration> {
      return post<Integration>('/v1/integrations', input, options);
    },
    async list(options?: RequestOptions): Promise<Integration[]> {
      return (await get<{ data: Integration[] }>('/v1/integrations', undefined, options)).data;
    },
    get(id: string, options?: RequestOptions): Promise<Integration> {
      return get<Integration>(`/v1/integrations/${segment(id)}`, undefined, options);
    },
    update(
      id: string,
      input: UpdateIntegrationInput,
      options: RequestOptions = {},
    ): Promise<Integration> {
      return transport.json<Integration>('PATCH', `/v1/integrations/${segment(id)}`, {
        body: input,
        signal: options.signal,
        retry: false,
      });
    },
    delete(id: string, options: RequestOptions = {}): Promise<void> {
      return transport.empty('DELETE', `/v1/integrations/${segment(id)}`, {
        signal: options.signal,
        retry: false,
      });
    },
  };

  const apiKeys = {
    /** `POST /v1/api-keys` (admin): the secret `key` is in this answer only. */
    create(
      input: {
        name: string;
        scopes: Array<'read' | 'send' | 'admin'>;
        rateLimitPerSecond?: number;
        /** Switchboard: the integration that speaks with this key. */
        integrationId?: string;
      },
      options?: RequestOptions,
    ): Promise<{ id: string; name: string; scopes: string[]; key: string }> {
      return post('/v1/api-keys', input, options);
    },
  };

  const switchboard = {
    get(options?: RequestOptions): Promise<SwitchboardSettings> {
      return get<SwitchboardSettings>('/v1/switchboard', undefined, options);
    },
    /** Enable (with the integration in control of new conversations) or disable. */
    put(
      input: { enabled: boolean; defaultIntegrationId?: string | null },
      options: RequestOptions = {},
    ): Promise<SwitchboardSettings> {
      return transport.json<SwitchboardSettings>('PUT', '/v1/switchboard', {
        body: input,
        signal: options.signal,
        retry: false,
      });
    },
  };

  const connectors = {
    async list(options?: RequestOptions): Promise<ConnectorInfo[]> {
      return (await get<{ data: ConnectorInfo[] }>('/v1/connectors', undefined, options)).data;
    },
    /** The pairing QR code (PNG) of a linked-device session that waits to be paired. */
    async pairingQr(id: string, options?: RequestOptions): Promise<Uint8Array> {
      return (await bytes(`/v1/connectors/${segment(id)}/qr`, options)).body;
    },
    /** Media the provider holds, fetched by the gateway with the connector's credentials. */
    media(id: string, mediaId: string, options?: RequestOptions): Promise<MediaFile> {
      return bytes(`/v1/connectors/${segment(id)}/media/${segment(mediaId)}`, options);
    },
  };

  const media = {
    /** Media a customer sent, stored by the gateway. */
    get(id: string, options?: RequestOptions): Promise<MediaFile> {
      return bytes(`/v1/media/${segment(id)}`, options);
    },
  };

  const quarantine = {
    async list(
      query: { connectorId?: string; limit?: number } = {},
      options?: RequestOptions,
    ): Promise<QuarantineEntry[]> {
      return (await get<{ data: QuarantineEntry[] }>('/v1/quarantine', { ...query }, options)).data;
    },
    /** Parse a quarantined request again (after a fix) and ingest it. */
    replay(id: string, options?: RequestOptions): Promise<{ replayed: boolean; received: number }> {
      return post(`/v1/quarantine/${segment(id)}/replay`, undefined, options);
    },
  };

  const system = {
    /** `GET /healthz`: the process answers. */
    async health(options: RequestOptions = {}): Promise<boolean> {
      try {
        await transport.empty('GET', '/healthz', { signal: options.signal, retry: false });
        return true;
      } catch {
        return false;
      }
    },
    /** `GET /readyz`: the store and every connector, with details. */
    async ready(options: RequestOptions = {}): Promise<ReadinessReport> {
      const response = await transport
        .fetch(transport.url('/readyz'), { ...(options.signal ? { signal: options.signal } : {}) })
        .catch(() => undefined);
      if (!response)
        return { status: 'not_ready', checks: { gateway: { ok: false, detail: 'unreachable' } } };
      return (await response.json()) as ReadinessReport;
    },
  };

  const analytics = {
    /** Every figure over a range (response and resolution times, continuity, handoffs, notifications). */
    summary(query: AnalyticsRangeQuery = {}, options?: RequestOptions): Promise<AnalyticsSummary> {
      return get<AnalyticsSummary>('/v1/analytics/summary', { ...query }, options);
    },
    /** One figure over time, by hour or day. */
    timeseries(
      query: AnalyticsRangeQuery & { metric: AnalyticsMetric; interval?: 'hour' | 'day' },
      options?: RequestOptions,
    ): Promise<AnalyticsTimeseries> {
      return get<AnalyticsTimeseries>('/v1/analytics/timeseries', { ...query }, options);
    },
    /** Rebuild every figure from the event log (admin). */
    rebuild(options?: RequestOptions): Promise<{ events: number; conversations: number }> {
      return post('/v1/analytics/rebuild', undefined, options);
    },
  };

  return {
    baseUrl: transport.baseUrl,
    messages,
    conversations,
    contacts,
    events,
    webhooks,
    apiKeys,
    integrations,
    switchboard,
    connectors,
    media,
    quarantine,
    system,
    analytics,
    notifications: notificationMethods.notifications,
  };
}

export type ThreadlineClient = ReturnType<typeof createThreadlineClient>;
