import { isDeepStrictEqual } from 'node:util';
import {
  type EventStream,
  type Message,
  ThreadlineApiError,
  type ThreadlineClient,
  type ThreadlineEvent,
} from '@threadline/client';
import { draw } from './fakes/provider-fake.js';
import type { AppBehaviour } from './scenario-schema.js';
import { customerRef, type ReplyRecord, type TrafficLedger } from './traffic-ledger.js';

type Switchboard = NonNullable<AppBehaviour['switchboard']>;
type Who = 'bot' | 'desk';

/** What the two apps saw and did, for the handoff checks of the report. */
export interface HandoffObservations {
  /** Each answer sent: by whom, and who was in control per the event it acted on. */
  answers: Array<{ ref: string; by: Who; controller: Who | 'other' | null }>;
  /** Sends the gateway refused with `not_in_control`. */
  refused: number;
  /** Customer messages delivered to an integration neither active nor pending. */
  misdelivered: number;
  /** Control passed by the bot, with the metadata it sent. */
  handoffs: Array<{ conversationId: string; metadata: Record<string, unknown> }>;
  /** Control passes the desk received, by conversation. */
  deskReceived: Map<string, { reason: string; metadata: Record<string, unknown> | null }>;
  /** Conversations the bot stayed silent on. */
  silent: Set<string>;
  /** Conversations whose control passed on a response timeout. */
  timedOut: Set<string>;
}

export interface HandoffAppsOptions {
  admin: ThreadlineClient;
  /** A client speaking with another API key. */
  clientFor(apiKey: string): ThreadlineClient;
  ledger: TrafficLedger;
  settings: Switchboard;
  seed: number;
  log?: (message: string) => void;
}

/**
 * Two apps behind the switchboard: a bot in control of new conversations, and a human desk
 * it passes to. The bot answers the first `botTurns` messages of a conversation, then passes
 * control with what it learned; for some customers it stays silent and its response timeout
 * passes control instead. The desk answers what is left once it has control. Each listens
 * with its own integration, so it hears only what the switchboard gives it.
 */
export function createHandoffApps(options: HandoffAppsOptions) {
  const { admin, ledger, settings, seed } = options;
  const observed: HandoffObservations = {
    answers: [],
    refused: 0,
    misdelivered: 0,
    handoffs: [],
    deskReceived: new Map(),
    silent: new Set(),
    timedOut: new Set(),
  };
  const ids: Record<Who, string> = { bot: '', desk: '' };
  const clients = {} as Record<Who, ThreadlineClient>;
  const answered = new Set<string>();
  const botTurns = new Map<string, number>();
  const streams: EventStream[] = [];
  const work = new Set<Promise<void>>();

  const whoIs = (integrationId: string | null | undefined): Who | 'other' | null =>
    integrationId === ids.bot
      ? 'bot'
      : integrationId === ids.desk
        ? 'desk'
        : integrationId
          ? 'other'
          : null;

  function track(task: Promise<void>): void {
    const running = task
      .catch((error: unknown) => {
        if (error instanceof ThreadlineApiError && error.code === 'not_in_control')
          observed.refused += 1;
        else ledger.count('errors', 'handoff_app_failed');
        options.log?.(`handoff app: ${String(error)}`);
      })
      .finally(() => work.delete(running));
    work.add(running);
  }

  function refOf(message: Message): string | undefined {
    const ref = customerRef(JSON.stringify(message.content));
    if (ref && ledger.customer.has(ref)) return ref;
    return ledger.customerByExternalId.get(`${message.channel}:${message.externalId}`)?.message.id;
  }

  async function answer(by: Who, message: Message, controller: Who | 'other' | null) {
    const ref = refOf(message);
    if (!ref || answered.has(message.id)) return;
    answered.add(message.id);
    const customer = ledger.customer.get(ref)!;
    const record: ReplyRecord = {
      inReplyTo: ref,
      journeyId: customer.message.journeyId,
      personaId: customer.message.personaId,
      requestedAt: ledger.now(),
      answeredAt: undefined,
      messageId: undefined,
      error: undefined,
    };
    ledger.replies.set(ref, record);
    try {
      const sent = await clients[by].messages.send(
        {
          contactId: message.contactId,
          replyToId: message.id,
          content: { type: 'text', text: `${by === 'bot' ? 'Bot' : 'Desk'}: on it (re ${ref})` },
        },
        { idempotencyKey: `reply-${ref}` },
      );
      record.answeredAt = ledger.now();
      record.messageId = sent.id;
      ledger.replyByMessageId.set(sent.id, record);
      observed.answers.push({ ref, by, controller });
    } catch (error) {
      record.answeredAt = ledger.now();
      record.error = {
        code: error instanceof ThreadlineApiError ? error.code : 'unexpected',
        message: String(error),
      };
      throw error;
    }
  }

  async function botHeard(message: Message, active: Who | 'other' | null) {
    const ref = refOf(message);
    if (!ref) return;
    const personaId = ledger.customer.get(ref)!.message.personaId;
    if (draw(seed, 'bot-silent', personaId) < settings.silentShare) {
      observed.silent.add(message.conversationId);
      return;
    }
    const turns = botTurns.get(message.conversationId) ?? 0;
    if (turns < settings.botTurns) {
      botTurns.set(message.conversationId, turns + 1);
      await answer('bot', message, active);
      return;
    }
    const metadata = {
      intent: 'refund',
      personaId,
      summary: `asked for a refund after ${turns} answers from the bot`,
      lastMessageId: message.id,
    };
    observed.handoffs.push({ conversationId: message.conversationId, metadata });
    await clients.bot.conversations.passControl(message.conversationId, { metadata });
  }

  /** The desk took control: it answers every customer message of the conversation left open. */
  async function deskTookOver(conversationId: string) {
    const page = await clients.desk.conversations.messages(conversationId, { limit: 200 });
    for (const message of page.data)
      if (message.direction === 'inbound' && !answered.has(message.id))
        await answer('desk', message, 'desk');
  }

  function onEvent(who: Who, event: ThreadlineEvent): void {
    if (event.type === 'message.received') {
      const control = event.data.control;
      const active = whoIs(control?.activeIntegrationId);
      if (active !== who && whoIs(control?.pendingIntegrationId) !== who) {
        observed.misdelivered += 1;
        return;
      }
      if (active !== who) return;
      track(
        who === 'bot'
          ? botHeard(event.data.message, active)
          : answer('desk', event.data.message, active),
      );
      return;
    }
    if (
      who === 'desk' &&
      (event.type === 'conversation.control_passed' ||
        event.type === 'conversation.control_accepted') &&
      event.data.to === ids.desk
    ) {
      const reason = event.type === 'conversation.control_passed' ? event.data.reason : 'accepted';
      observed.deskReceived.set(event.data.conversationId, {
        reason,
        metadata: event.data.metadata,
      });
      if (reason === 'timeout') observed.timedOut.add(event.data.conversationId);
      track(deskTookOver(event.data.conversationId));
    }
  }

  return {
    observed,
    /** Sets up the integrations, keys and switchboard; resolves once both apps listen. */
    async start(): Promise<void> {
      const desk = await admin.integrations.create({ name: 'desk' });
      const bot = await admin.integrations.create({
        name: 'bot',
        next: desk.id,
        responseTimeout: settings.responseTimeout,
      });
      ids.bot = bot.id;
      ids.desk = desk.id;
      for (const who of ['bot', 'desk'] as const) {
        const key = await admin.apiKeys.create({
          name: who,
          scopes: ['read', 'send'],
          integrationId: ids[who],
        });
        clients[who] = options.clientFor(key.key);
      }
      await admin.switchboard.put({ enabled: true, defaultIntegrationId: bot.id });
      await Promise.all(
        (['bot', 'desk'] as const).map(
          (who) =>
            new Promise<void>((resolve, reject) => {
              const stream = clients[who].events.stream({
                integrationId: ids[who],
                types:
                  who === 'bot'
                    ? ['message.received']
                    : [
                        'message.received',
                        'conversation.control_passed',
                        'conversation.control_accepted',
                      ],
                onEvent: (event) => onEvent(who, event),
                onReady: () => resolve(),
                reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
              });
              streams.push(stream);
              stream.done.catch(reject);
            }),
        ),
      );
    },
    /** True when nothing is in flight and every message the apps were given is answered or silent. */
    settled(): boolean {
      if (work.size > 0) return false;
      for (const record of ledger.customer.values()) {
        const seen = record.seenByApp[0];
        if (!seen) continue;
        if (!ledger.replies.has(record.message.id)) return false;
      }
      return true;
    },
    async stop(): Promise<void> {
      for (const stream of streams) stream.close();
      for (const stream of streams) await stream.done.catch(() => undefined);
      await Promise.all([...work]);
      await admin.switchboard.put({ enabled: false, defaultIntegrationId: null }).catch(() => {});
    },
  };
}

export type HandoffApps = ReturnType<typeof createHandoffApps>;

export interface HandoffCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** The report's handoff checks, from what the apps observed and the customer messages seen. */
export function checkHandoffs(
  observed: HandoffObservations,
  ledger: TrafficLedger,
): HandoffCheck[] {
  const seen = [...ledger.customer.values()].filter((record) => record.seenByApp.length > 0);
  const answersPerRef = new Map<string, number>();
  for (const answer of observed.answers)
    answersPerRef.set(answer.ref, (answersPerRef.get(answer.ref) ?? 0) + 1);
  const unanswered = seen.filter((record) => !answersPerRef.has(record.message.id)).length;
  const twice = [...answersPerRef.values()].filter((count) => count > 1).length;
  const wrong = observed.answers.filter((answer) => answer.by !== answer.controller).length;
  const metadataKept = observed.handoffs.filter((handoff) =>
    isDeepStrictEqual(
      observed.deskReceived.get(handoff.conversationId)?.metadata,
      handoff.metadata,
    ),
  ).length;
  const silentNotTimedOut = [...observed.silent].filter((id) => !observed.timedOut.has(id));
  const timedOutNotSilent = [...observed.timedOut].filter((id) => !observed.silent.has(id));
  return [
    {
      name: 'every customer message answered by exactly the integration in control',
      ok: unanswered === 0 && twice === 0 && wrong === 0,
      detail: `${seen.length - unanswered} of ${seen.length} answered; ${twice} twice; ${wrong} by an integration not in control`,
    },
    {
      name: 'answers from an integration not in control',
      ok: observed.refused === 0 && observed.misdelivered === 0,
      detail: `${observed.refused} refused with not_in_control; ${observed.misdelivered} messages delivered to an integration on standby`,
    },
    {
      name: "the desk received the bot's metadata in every handoff",
      ok: metadataKept === observed.handoffs.length,
      detail: `${metadataKept} of ${observed.handoffs.length} handoffs`,
    },
    {
      name: 'timeouts fired when and only when the bot was silent',
      ok: silentNotTimedOut.length === 0 && timedOutNotSilent.length === 0,
      detail: `${observed.timedOut.size} timeouts for ${observed.silent.size} silent conversations; ${silentNotTimedOut.length} silent without a timeout, ${timedOutNotSilent.length} timeouts on an answering bot`,
    },
  ];
}
