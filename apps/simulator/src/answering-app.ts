import {
  type ContentInput,
  type EventStream,
  type EventType,
  type Message,
  ThreadlineApiError,
  type ThreadlineClient,
  ThreadlineClientError,
  type ThreadlineEvent,
  verifyWebhook,
  WebhookVerificationError,
} from '@threadline/client';
import type { HttpFake } from './fakes/mount-fakes.js';
import { draw, sleep } from './fakes/provider-fake.js';
import type { PlannedPersona, TrafficPlan } from './plan-traffic.js';
import type { AppBehaviour, SimulatedChannel } from './scenario-schema.js';
import { customerRef, type ReplyRecord, type TrafficLedger } from './traffic-ledger.js';

export interface AnsweringAppOptions {
  client: ThreadlineClient;
  ledger: TrafficLedger;
  plan: TrafficPlan;
  behaviour: AppBehaviour;
  seed: number;
  mediaUrl(fileName: string): string;
  /** For the webhook transport: the URL the gateway posts to (where `receiver` is mounted). */
  webhookUrl?: string;
  /** WebSocket class for the `websocket` transport (Node 20 has none built in). */
  log?: (message: string) => void;
}

/** What the app knows of a message the gateway sent for it: from `message.*` events. */
export interface OutboundState {
  status: Message['status'];
  channel: string;
  fallbackOfId: string | null;
}

const streamedTypes: EventType[] = [
  'message.received',
  'message.sent',
  'message.status_updated',
  'contact.merged',
  'conversation.reopened',
];

/**
 * The answering app: a real consumer of the gateway built on `@threadline/client`. It
 * follows the event stream (SSE, WebSocket, or a signed webhook subscription), answers
 * customers through `POST /v1/messages` (routed by the gateway to where the customer wrote
 * last), links the identities its CRM knows for a customer, and resolves conversations after
 * a number of turns. Everything it sees and does is written to the ledger.
 */
export function createAnsweringApp(options: AnsweringAppOptions) {
  const { client, ledger, behaviour, seed } = options;
  const personaByAddress = new Map<string, PlannedPersona>();
  const personaById = new Map<string, PlannedPersona>();
  for (const persona of options.plan.personas) {
    personaById.set(persona.id, persona);
    for (const [channel, address] of Object.entries(persona.identities))
      personaByAddress.set(`${channel}:${address}`, persona);
  }
  const linked = new Set<string>();
  const turns = new Map<string, number>();
  const outbound = new Map<string, OutboundState>();
  const seenEvents = new Set<string>();
  let outstanding = 0;
  let stream: EventStream | undefined;
  let subscriptionId: string | undefined;
  let stopped = false;
  const work = new Set<Promise<void>>();

  function track(task: Promise<void>): void {
    outstanding += 1;
    const running = task
      .catch((error: unknown) => {
        ledger.count('errors', `app_${errorCode(error)}`);
        options.log?.(`answering app: ${String(error)}`);
      })
      .finally(() => {
        outstanding -= 1;
        work.delete(running);
      });
    work.add(running);
  }

  /** Retries what the client does not (non-idempotent calls) across a gateway restart. */
  async function persistently<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const retryable = ThreadlineClientError.isInstance(error) && error.retryable;
        if (!retryable || attempt >= 40 || stopped) throw error;
        await sleep(Math.min(2_000, 100 * attempt));
      }
    }
  }

  async function linkIdentities(
    persona: PlannedPersona,
    contactId: string,
    from: string,
  ): Promise<void> {
    for (const [channel, address] of Object.entries(persona.identities)) {
      // web chat visitor ids are the gateway's to give: no CRM knows them beforehand
      if (channel === 'webchat' || `${channel}:${address}` === from) continue;
      await persistently(() =>
        client.contacts.linkIdentity(contactId, {
          channel: channel as SimulatedChannel,
          address,
          reason: `known to the CRM as ${persona.name}`,
        }),
      );
    }
  }

  function replyContent(ref: string, persona: PlannedPersona): ContentInput {
    const kinds = behaviour.replyContent;
    const kind = kinds[Math.floor(draw(seed, 'reply-kind', ref) * kinds.length)]!;
    const firstName = persona.name.split(' ')[0];
    switch (kind) {
      case 'interactive':
        return {
          type: 'interactive',
          text: `Thanks ${firstName}, how would you like to continue? (re ${ref})`,
          buttons: [
            { id: 'track', title: 'Track my order' },
            { id: 'agent', title: 'Talk to a person' },
          ],
        };
      case 'image':
        return {
          type: 'media',
          kind: 'image',
          url: options.mediaUrl(`label-${ref}.png`),
          mimeType: 'image/png',
          caption: `Here is your return label (re ${ref})`,
        };
      default:
        return { type: 'text', text: `Thanks ${firstName}, we are looking into it (re ${ref})` };
    }
  }

  async function reply(ref: string, message: Message, persona: PlannedPersona): Promise<void> {
    const { min, max } = behaviour.replyAfter;
    await sleep(min + draw(seed, 'reply-after', ref) * (max - min));
    const record: ReplyRecord = {
      inReplyTo: ref,
      journeyId: ledger.customer.get(ref)!.message.journeyId,
      personaId: persona.id,
      requestedAt: ledger.now(),
      answeredAt: undefined,
      messageId: undefined,
      error: undefined,
    };
    ledger.replies.set(ref, record);
    try {
      const sent = await client.messages.send(
        {
          contactId: message.contactId,
          replyToId: message.id,
          content: replyContent(ref, persona),
          ...(behaviour.fallback ? { fallback: behaviour.fallback } : {}),
          ...(behaviour.replyChannel === 'auto' ? {} : { channel: behaviour.replyChannel }),
        },
        { idempotencyKey: `reply-${ref}` },
      );
      record.answeredAt = ledger.now();
      record.messageId = sent.id;
      ledger.replyByMessageId.set(sent.id, record);
      noteOutbound(sent);
      const count = (turns.get(sent.conversationId) ?? 0) + 1;
      turns.set(sent.conversationId, count);
      if (behaviour.resolveAfterTurns && count % behaviour.resolveAfterTurns === 0) {
        await persistently(() => client.conversations.resolve(sent.conversationId));
        ledger.resolutions.push({ conversationId: sent.conversationId, at: ledger.now() });
      }
    } catch (error) {
      record.answeredAt = ledger.now();
      record.error = { code: errorCode(error), message: String(error) };
      throw error;
    }
  }

  function noteOutbound(message: Message): void {
    const previous = outbound.get(message.id);
    // events may arrive before the API answer: keep the most advanced status
    const rank = { received: 0, queued: 0, sent: 1, delivered: 2, read: 3, failed: 4 };
    if (previous && rank[previous.status] >= rank[message.status]) return;
    outbound.set(message.id, {
      status: message.status,
      channel: message.channel,
      fallbackOfId: message.fallbackOfId ?? null,
    });
  }

  function onEvent(event: ThreadlineEvent): void {
    if (seenEvents.has(event.id)) {
      ledger.count('events', 'redelivered');
      return;
    }
    seenEvents.add(event.id);
    ledger.count('events', event.type);
    if (event.type === 'message.sent' || event.type === 'message.status_updated') {
      if (event.data.message.direction === 'outbound') noteOutbound(event.data.message);
      return;
    }
    if (event.type !== 'message.received') return;
    const message = event.data.message;
    const ref = customerRef(JSON.stringify(message.content));
    const record = ref
      ? ledger.customer.get(ref)
      : ledger.customerByExternalId.get(`${message.channel}:${message.externalId}`);
    if (!record) {
      ledger.count('events', 'unknown_inbound');
      return;
    }
    record.seenByApp.push({
      at: ledger.now(),
      messageId: message.id,
      conversationId: message.conversationId,
      contactId: message.contactId,
    });
    if (record.seenByApp.length > 1) return;
    const persona = personaById.get(record.message.personaId)!;
    if (persona.link === 'api' && !linked.has(persona.id)) {
      linked.add(persona.id);
      track(
        linkIdentities(
          persona,
          message.contactId,
          `${message.from.channel}:${message.from.address}`,
        ),
      );
    }
    if (draw(seed, 'reply', record.message.id) < behaviour.replyProbability)
      track(reply(record.message.id, message, persona));
  }

  /** The signed webhook receiver, mounted like a fake (in msw, or on 127.0.0.1). */
  let webhookSecret: string | undefined;
  const receiver: HttpFake = {
    name: 'app',
    async handle(request) {
      if (!webhookSecret) return new Response('not subscribed yet', { status: 503 });
      const body = await request.text();
      try {
        onEvent(verifyWebhook(webhookSecret, request.headers, body));
      } catch (error) {
        if (error instanceof WebhookVerificationError) {
          ledger.count('errors', 'app_webhook_signature_invalid');
          return new Response(null, { status: 401 });
        }
        throw error;
      }
      return new Response(null, { status: 204 });
    },
  };

  return {
    receiver,
    outbound,
    /** Connects (or subscribes) and resolves once events flow. */
    async start(): Promise<void> {
      if (behaviour.transport === 'webhook') {
        if (!options.webhookUrl) throw new Error('the webhook transport needs a webhook URL');
        const subscription = await client.webhooks.create({
          url: options.webhookUrl,
          eventTypes: streamedTypes,
        });
        webhookSecret = subscription.secret;
        subscriptionId = subscription.id;
        return;
      }
      await new Promise<void>((resolve, reject) => {
        stream = client.events.stream({
          transport: behaviour.transport === 'websocket' ? 'websocket' : 'sse',
          types: streamedTypes,
          onEvent,
          onReady: ({ reconnected }) => {
            if (reconnected) ledger.count('events', 'stream_resumed');
            resolve();
          },
          onDisconnect: () => ledger.count('events', 'stream_dropped'),
          reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
        });
        stream.done.catch(reject);
      });
    },
    /** Replies scheduled or in flight, links being made. */
    outstanding: () => outstanding,
    async stop(): Promise<void> {
      stopped = true;
      stream?.close();
      await stream?.done.catch(() => undefined);
      await Promise.all([...work]);
      if (subscriptionId) await client.webhooks.delete(subscriptionId).catch(() => undefined);
    },
  };
}

export type AnsweringApp = ReturnType<typeof createAnsweringApp>;

function errorCode(error: unknown): string {
  if (error instanceof ThreadlineApiError || ThreadlineClientError.isInstance(error))
    return error.code;
  return 'unexpected';
}
