import { createHash } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import { canonicalAddress, renderForChannel } from '@threadline/connector-kit';
import { EngineError, sendJobId } from '@threadline/engine';
import {
  type Conversation,
  conversationControlSchema,
  knownChannels,
  type Message,
} from '@threadline/schema';
import { z } from 'zod';
import {
  contactSchema,
  conversationListQuerySchema,
  conversationPageSchema,
  conversationSchema,
  linkIdentityBodySchema,
  mergeContactsBodySchema,
  messagePageSchema,
  messageSchema,
  pageQuerySchema,
  renderedMessageSchema,
  renderMessageBodySchema,
  sendMessageBodySchema,
} from '../api-schemas.js';
import { errorBody } from '../http-errors.js';
import { type App, bearer, errorResponses, json, type RouteRuntime } from './route-helpers.js';

const idempotencyTtlMs = 24 * 60 * 60 * 1000;

/** A page of items with time-ordered ids: the next page starts after the last id. */
function page<T extends { id: string }>(data: T[], limit: number) {
  return { data, nextCursor: data.length === limit ? data.at(-1)!.id : null };
}
const idParams = z.object({ id: z.string().min(1) });

/** A message as `GET /v1/messages/{id}` answers it: with its failed send attempts. */
const messageStateSchema = messageSchema
  .extend({
    attempts: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe(
        'while the message is queued: failed send attempts so far (`error` holds the last one)',
      ),
  })
  .meta({ id: 'MessageState' });

/** Messages, conversations and contacts: the REST half of the consumer API. */
/** Conversations read in batches, kept when `keep` says so; at most `scanLimit` read per page. */
const scanBatch = 200;
const scanLimit = 5_000;

export function registerConsumerRoutes(
  app: App,
  runtime: RouteRuntime,
  wakeQueue: () => void,
): void {
  /**
   * A queued message whose sends keep failing: its send job (in the store's outbox, or in
   * Redis with REDIS_URL) holds the attempts and the last error (`code: message`) until it
   * succeeds or gives up. Only queued messages have one.
   */
  async function withSendAttempts(message: Message): Promise<Message & { attempts?: number }> {
    if (message.status !== 'queued') return message;
    const job = await engine.queue.get(sendJobId(message.id));
    if (!job) return message;
    if (!job.lastError || message.error) return { ...message, attempts: job.attempts };
    const separator = job.lastError.indexOf(': ');
    return {
      ...message,
      attempts: job.attempts,
      error: {
        code: separator > 0 ? job.lastError.slice(0, separator) : 'send_failed',
        message: separator > 0 ? job.lastError.slice(separator + 2) : job.lastError,
        retryable: true,
      },
    };
  }

  const { store, engine } = runtime;
  const read = runtime.auth.require('read');
  const sendScope = runtime.auth.require('send');

  /** The contacts (after merges) holding `address` on any channel it is valid for. */
  async function contactsWithAddress(address: string): Promise<Set<string>> {
    const channels = new Set<string>([
      ...knownChannels,
      ...[...runtime.connectors.values()].map((connector) => connector.channel),
    ]);
    const found = new Set<string>();
    for (const channel of channels) {
      let canonical: string;
      try {
        canonical = canonicalAddress(channel, address, { path: 'address' });
      } catch {
        continue;
      }
      const identity = await store.read.findIdentity({ channel, address: canonical });
      if (!identity) continue;
      const contact = await engine.getContact(identity.contactId);
      found.add(contact?.id ?? identity.contactId);
    }
    return found;
  }

  /**
   * A page of the conversations `keep` accepts, newest first. A page may hold fewer than
   * `limit` when `scanLimit` conversations were read without filling it: `nextCursor` goes on.
   */
  async function scanConversations(
    base: { contactId?: string; status?: Conversation['status'] },
    after: string | undefined,
    limit: number,
    keep: (conversation: Conversation) => boolean | Promise<boolean>,
  ): Promise<{ data: Conversation[]; nextCursor: string | null }> {
    const data: Conversation[] = [];
    let cursor = after;
    let scanned = 0;
    while (scanned < scanLimit) {
      const batch = await store.read.listConversations({
        ...base,
        ...(cursor ? { after: cursor } : {}),
        limit: scanBatch,
      });
      for (const conversation of batch) {
        scanned += 1;
        cursor = conversation.id;
        if (!(await keep(conversation))) continue;
        data.push(conversation);
        if (data.length === limit) return { data, nextCursor: cursor };
      }
      if (batch.length < scanBatch) return { data, nextCursor: null };
    }
    return { data, nextCursor: cursor ?? null };
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/messages',
      operationId: 'messages.send',
      tags: ['Messages'],
      summary: 'Send a message to a contact',
      description:
        'Routes to the channel given, else the channel the customer wrote on last, else their preference. Rendered down to the channel, stored as `queued` and sent by a durable job. Honours `Idempotency-Key` for 24 h.',
      security: bearer,
      middleware: [sendScope] as const,
      request: {
        headers: z.object({ 'idempotency-key': z.string().min(1).max(255).optional() }),
        body: {
          content: { 'application/json': { schema: sendMessageBodySchema } },
          required: true,
        },
      },
      responses: {
        202: json(messageSchema, 'Queued (or failed at once when no route may carry it)'),
        409: json(
          z.object({ error: z.any() }),
          'No route, the Idempotency-Key was used with another body, or `not_in_control` (switchboard: another integration controls the conversation; send with `takeControl: true` to take it)',
        ),
        422: json(
          z.object({ error: z.any() }),
          '`channel_not_configured`: no connector serves the channel; `details.environment` names the variables that switch it on',
        ),
        ...errorResponses,
      },
    }),
    async (context) => {
      const body = context.req.valid('json');
      const key = context.req.header('idempotency-key');
      const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('hex');
      const scopedKey = key ? `${context.get('apiKey').id}:${key}` : undefined;
      if (scopedKey) {
        const previous = await store.read.getIdempotency(scopedKey);
        if (previous && previous.expiresAt > engine.clock.now().toISOString()) {
          if (previous.fingerprint !== fingerprint) {
            return context.json(
              errorBody('conflict', 'this Idempotency-Key was already used with a different body'),
              409,
            );
          }
          context.header('idempotent-replayed', 'true');
          return context.json(JSON.parse(previous.body), 202);
        }
      }
      const to = body.to
        ? {
            channel: body.to.channel,
            address: canonicalAddress(body.to.channel, body.to.address, { path: 'to.address' }),
          }
        : undefined;
      // The idempotency record commits with the message: a crash cannot leave one without
      // the other, and of two concurrent requests with one key only the first commits.
      let replay: string | null = null;
      const message = await engine
        .send(
          { ...body, ...(to ? { to } : {}), integrationId: context.get('apiKey').integrationId },
          {
            inTransaction: scopedKey
              ? async (tx, queued) => {
                  const now = engine.clock.now();
                  const existing = await tx.getIdempotency(scopedKey);
                  if (existing && existing.expiresAt > now.toISOString()) {
                    replay = existing.fingerprint === fingerprint ? existing.body : null;
                    throw new EngineError('conflict', 'this Idempotency-Key was already used', {
                      details: { replay: true },
                    });
                  }
                  await tx.putIdempotency({
                    key: scopedKey,
                    fingerprint,
                    status: 202,
                    body: JSON.stringify(queued),
                    expiresAt: new Date(now.getTime() + idempotencyTtlMs).toISOString(),
                  });
                }
              : undefined,
          },
        )
        .catch((error: unknown) => {
          if (EngineError.isInstance(error) && error.details?.replay) return null;
          throw error;
        });
      if (!message) {
        if (replay === null) {
          return context.json(
            errorBody('conflict', 'this Idempotency-Key was already used with a different body'),
            409,
          );
        }
        context.header('idempotent-replayed', 'true');
        return context.json(JSON.parse(replay), 202);
      }
      wakeQueue();
      return context.json(message, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/messages/{id}',
      operationId: 'messages.get',
      tags: ['Messages'],
      summary: 'Read a message',
      security: bearer,
      middleware: [read] as const,
      request: { params: idParams },
      responses: { 200: json(messageStateSchema, 'The message'), ...errorResponses },
    }),
    async (context) => {
      const message = await store.read.getMessage(context.req.valid('param').id);
      if (!message) throw new EngineError('not_found', 'no such message');
      return context.json(await withSendAttempts(message), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/messages/render',
      operationId: 'messages.render',
      tags: ['Messages'],
      summary: 'Show how a channel would carry some content, without sending it',
      description:
        'Renders content down to what the channel can carry, as a send would: buttons become a numbered list on SMS, media a link, long text several messages. Nothing is stored or sent.',
      security: bearer,
      middleware: [read] as const,
      request: {
        body: {
          content: { 'application/json': { schema: renderMessageBodySchema } },
          required: true,
        },
      },
      responses: { 200: json(renderedMessageSchema, 'The rendered parts'), ...errorResponses },
    }),
    async (context) => {
      const body = context.req.valid('json');
      const connector = body.connectorId
        ? runtime.connectors.get(body.connectorId)
        : [...runtime.connectors.values()].find((candidate) => candidate.channel === body.channel);
      if (!connector || connector.channel !== body.channel)
        throw new EngineError(
          'not_found',
          body.connectorId
            ? `no connector "${body.connectorId}" on channel ${body.channel}`
            : `no connector serves channel ${body.channel}`,
        );
      const rendered = renderForChannel(body.content, connector.capabilities, connector.channel);
      return context.json(
        {
          channel: connector.channel,
          connectorId: connector.id,
          parts: rendered.parts,
          choices: rendered.choices,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/conversations',
      operationId: 'conversations.list',
      tags: ['Conversations'],
      summary: 'List conversations, newest first',
      security: bearer,
      middleware: [read] as const,
      request: { query: conversationListQuerySchema },
      responses: {
        200: json(conversationPageSchema, 'A page of conversations'),
        ...errorResponses,
      },
    }),
    async (context) => {
      const query = context.req.valid('query');
      const contact = query.contactId ? await engine.getContact(query.contactId) : undefined;
      let contactIds: Set<string> | undefined;
      if (query.address !== undefined) {
        contactIds = await contactsWithAddress(query.address);
        if (contact) contactIds = new Set([...contactIds].filter((id) => id === contact.id));
        if (contactIds.size === 0) return context.json({ data: [], nextCursor: null }, 200);
      }
      const contactId =
        contactIds?.size === 1
          ? [...contactIds][0]
          : query.contactId
            ? (contact?.id ?? query.contactId)
            : undefined;
      const base = {
        ...(contactId ? { contactId } : {}),
        ...(query.status ? { status: query.status } : {}),
      };
      if (!query.channel && !query.integrationId && !(contactIds && contactIds.size > 1)) {
        const data = await store.read.listConversations({
          ...base,
          ...(query.after ? { after: query.after } : {}),
          limit: query.limit,
        });
        return context.json(page(data, query.limit), 200);
      }
      const inControl = async (conversation: Conversation) =>
        (await engine.switchboard.control(conversation.id))?.activeIntegrationId ===
        query.integrationId;
      const keep = async (conversation: Conversation) =>
        (!query.channel || conversation.lastInboundChannel === query.channel) &&
        (!contactIds || contactIds.has(conversation.contactId)) &&
        (!query.integrationId || (await inControl(conversation)));
      return context.json(await scanConversations(base, query.after, query.limit, keep), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/conversations/{id}',
      operationId: 'conversations.get',
      tags: ['Conversations'],
      summary: 'Read a conversation',
      security: bearer,
      middleware: [read] as const,
      request: { params: idParams },
      responses: {
        200: json(
          conversationSchema.extend({ control: conversationControlSchema.optional() }),
          'The conversation; with the switchboard on, who controls it',
        ),
        ...errorResponses,
      },
    }),
    async (context) => {
      const conversation = await store.read.getConversation(context.req.valid('param').id);
      if (!conversation) throw new EngineError('not_found', 'no such conversation');
      const control = await engine.switchboard.control(conversation.id);
      return context.json(control ? { ...conversation, control } : conversation, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/conversations/{id}/messages',
      operationId: 'conversations.messages',
      tags: ['Conversations'],
      summary: 'Messages of a conversation, oldest first, across all channels',
      security: bearer,
      middleware: [read] as const,
      request: { params: idParams, query: pageQuerySchema },
      responses: { 200: json(messagePageSchema, 'A page of messages'), ...errorResponses },
    }),
    async (context) => {
      const { id } = context.req.valid('param');
      const query = context.req.valid('query');
      let conversation = await store.read.getConversation(id);
      if (!conversation) throw new EngineError('not_found', 'no such conversation');
      if (conversation.mergedIntoId)
        conversation =
          (await store.read.getConversation(conversation.mergedIntoId)) ?? conversation;
      const data = await store.read.listConversationMessages(conversation.id, {
        ...(query.after ? { after: query.after } : {}),
        limit: query.limit,
      });
      return context.json(page(data, query.limit), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/conversations/{id}/resolve',
      operationId: 'conversations.resolve',
      tags: ['Conversations'],
      summary: 'Resolve a conversation (a new message inside the continuity window reopens it)',
      security: bearer,
      middleware: [sendScope] as const,
      request: { params: idParams },
      responses: { 200: json(conversationSchema, 'The resolved conversation'), ...errorResponses },
    }),
    async (context) =>
      context.json(await engine.resolveConversation(context.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/conversations/{id}/reopen',
      operationId: 'conversations.reopen',
      tags: ['Conversations'],
      summary: 'Reopen a resolved conversation',
      description:
        'Only the contact’s latest conversation can be reopened, and only while none of its other conversations is open (a contact has one open conversation): otherwise `409 conflict`, with `details.conversationId` naming the one in the way. Reopening an open conversation changes nothing. Emits `conversation.reopened`.',
      security: bearer,
      middleware: [sendScope] as const,
      request: { params: idParams },
      responses: { 200: json(conversationSchema, 'The open conversation'), ...errorResponses },
    }),
    async (context) =>
      context.json(await engine.reopenConversation(context.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/contacts/{id}',
      operationId: 'contacts.get',
      tags: ['Contacts'],
      summary:
        'Read a contact with its identities (a merged id answers with the contact it joined)',
      security: bearer,
      middleware: [read] as const,
      request: { params: idParams },
      responses: { 200: json(contactSchema, 'The contact'), ...errorResponses },
    }),
    async (context) => {
      const contact = await engine.getContact(context.req.valid('param').id);
      if (!contact) throw new EngineError('not_found', 'no such contact');
      return context.json(contact, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/contacts/{id}/identities',
      operationId: 'contacts.linkIdentity',
      tags: ['Contacts'],
      summary: 'Link an identity to a contact (merging the contact that had it)',
      security: bearer,
      middleware: [sendScope] as const,
      request: {
        params: idParams,
        body: {
          content: { 'application/json': { schema: linkIdentityBodySchema } },
          required: true,
        },
      },
      responses: {
        200: json(contactSchema, 'The contact with the identity linked'),
        ...errorResponses,
      },
    }),
    async (context) => {
      const body = context.req.valid('json');
      const address = {
        channel: body.channel,
        address: canonicalAddress(body.channel, body.address, { path: 'address' }),
      };
      const contact = await engine.linkIdentity(
        context.req.valid('param').id,
        address,
        body.reason ? { reason: body.reason } : {},
      );
      return context.json(contact, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/contacts/merge',
      operationId: 'contacts.merge',
      tags: ['Contacts'],
      summary: 'Merge two contacts; their histories join in time order',
      security: bearer,
      middleware: [sendScope] as const,
      request: {
        body: {
          content: { 'application/json': { schema: mergeContactsBodySchema } },
          required: true,
        },
      },
      responses: { 200: json(contactSchema, 'The contact that remains'), ...errorResponses },
    }),
    async (context) => {
      const body = context.req.valid('json');
      return context.json(
        await engine.mergeContacts(body.contactId, body.mergeContactId, body.reason),
        200,
      );
    },
  );
}
