import type { Conversation, Message, ThreadlineClient } from '@threadline/client';
import type { PlannedJourney, PlannedPersona, TrafficPlan } from './plan-traffic.js';
import type { SimulatedChannel } from './scenario-schema.js';
import {
  type CustomerMessageRecord,
  customerRef,
  type ProviderSendRecord,
  type ReplyRecord,
  type TrafficLedger,
} from './traffic-ledger.js';

export const issueKinds = [
  'lost',
  'duplicated',
  'never_acknowledged',
  'unseen_by_app',
  'split',
  'out_of_order',
  'reply_failed',
  'reply_not_delivered',
  'reply_wrong_channel',
  'reply_wrong_recipient',
  'fallback_missing',
  'fallback_unexpected',
] as const;
export type IssueKind = (typeof issueKinds)[number];

export interface JourneyIssue {
  kind: IssueKind;
  /** The customer message concerned, when there is one. */
  ref?: string;
  message: string;
}

/** One line of a journey's story, for the report. */
export interface JourneyEntry {
  ref: string;
  direction: 'inbound' | 'outbound';
  channel: string;
  text: string;
  /** Milliseconds since the start: sent by the customer (inbound) or asked by the app (outbound). */
  at: number | undefined;
  status: string;
  conversationId: string | undefined;
  note: string | undefined;
}

export interface JourneyResult {
  journeyId: string;
  name: string;
  personaId: string;
  personaName: string;
  ok: boolean;
  issues: JourneyIssue[];
  /** Findings that do not fail the journey (an order the providers' timestamps cannot tell). */
  warnings: JourneyIssue[];
  conversationIds: string[];
  entries: JourneyEntry[];
}

/** A reply as the provider saw it: where it went and when it left the gateway. */
export interface ReplyDelivery {
  reply: ReplyRecord;
  /** The channel of the customer message answered. */
  inboundChannel: SimulatedChannel;
  /** Where it (or its fallback copy) was delivered, and when the provider got it. */
  channel: string;
  providerAt: number;
  viaFallback: boolean;
}

export interface Verification {
  journeys: JourneyResult[];
  deliveries: ReplyDelivery[];
  totals: {
    planned: number;
    acknowledged: number;
    lost: number;
    duplicated: number;
    neverAcknowledged: number;
    unseenByApp: number;
    repliesRequested: number;
    repliesDelivered: number;
    repliesFailed: number;
    misrouted: number;
    fallbacksFired: number;
    unknownInbound: number;
  };
}

interface Stored {
  messageId: string;
  conversationId: string;
}

const deliveredStatuses = new Set(['sent', 'delivered', 'read']);

function shortText(message: { content: unknown }): string {
  const text = JSON.stringify(message.content);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

function plannedText(record: CustomerMessageRecord): string {
  const content = record.message.content;
  switch (content.kind) {
    case 'text':
      return content.text;
    case 'image':
      return `[image] ${content.caption}`;
    case 'location':
      return `[location] ${content.name}`;
    case 'contact':
      return `[contact] ${content.name} ${content.phone}`;
  }
}

async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * When the gateway may have stored a message: not before its first delivery attempt began
 * (an attempt whose answer was lost may still have been stored), not after the app saw it
 * or the provider got its acknowledgement. Undefined when it was never stored for sure.
 */
export function ingestWindow(
  record: CustomerMessageRecord,
): { earliest: number; latest: number } | undefined {
  const earliest = record.attempts[0]?.startedAt;
  const latest = Math.min(
    record.acknowledged?.endedAt ?? Number.POSITIVE_INFINITY,
    record.seenByApp[0]?.at ?? Number.POSITIVE_INFINITY,
  );
  if (earliest === undefined || latest === Number.POSITIVE_INFINITY) return undefined;
  return { earliest, latest };
}

function lastCandidates(
  reply: ReplyRecord,
  records: CustomerMessageRecord[],
  channels: Set<string>,
): void {
  const answeredAt = reply.answeredAt ?? Number.POSITIVE_INFINITY;
  const windows = records.flatMap((record) => {
    const window = ingestWindow(record);
    return window ? [{ record, ...window }] : [];
  });
  for (const candidate of windows) {
    if (candidate.earliest > answeredAt) continue;
    const overtaken = windows.some(
      (other) =>
        other !== candidate &&
        other.earliest > candidate.latest &&
        other.latest <= reply.requestedAt,
    );
    if (!overtaken) channels.add(candidate.record.message.channel);
  }
}

/**
 * The channels a reply may rightly take: where the customer wrote last when the gateway
 * routed it. Any message that may have been the last one stored before the send is a
 * candidate; one is ruled out only when another was surely stored after it and surely
 * before the app asked. Until the customer's identities are joined, the gateway knows only
 * the contact the answered message came from: the last message of that contact counts too.
 */
export function expectedReplyChannels(
  reply: ReplyRecord,
  personaRecords: CustomerMessageRecord[],
): Set<string> {
  const channels = new Set<string>();
  lastCandidates(reply, personaRecords, channels);
  const answered = personaRecords.find((record) => record.message.id === reply.inReplyTo);
  const contactId = answered?.seenByApp[0]?.contactId;
  if (contactId)
    lastCandidates(
      reply,
      personaRecords.filter((record) => record.seenByApp[0]?.contactId === contactId),
      channels,
    );
  return channels;
}

/** Channels whose providers stamp messages to the second (the gateway orders by those stamps). */
const secondPrecisionChannels = new Set(['whatsapp', 'telegram', 'email']);

/**
 * Checks every journey against what the gateway stored: each acknowledged message stored
 * once, in one conversation (or the linked chain the window requires), in order, seen by the
 * app, and each reply delivered on the channel the customer wrote on last (or by the fallback
 * the app asked for).
 */
export async function verifyContinuity(options: {
  plan: TrafficPlan;
  ledger: TrafficLedger;
  client: ThreadlineClient;
}): Promise<Verification> {
  const { plan, ledger, client } = options;
  const storedByRef = new Map<string, Stored[]>();
  let unknownInbound = 0;
  for await (const event of client.events.iterate({ types: ['message.received'] })) {
    if (event.type !== 'message.received') continue;
    const message = event.data.message;
    const ref =
      customerRef(JSON.stringify(message.content)) ??
      ledger.customerByExternalId.get(`${message.channel}:${message.externalId}`)?.message.id;
    if (!ref) {
      unknownInbound += 1;
      continue;
    }
    const list = storedByRef.get(ref) ?? [];
    list.push({ messageId: message.id, conversationId: message.conversationId });
    storedByRef.set(ref, list);
  }

  // where every message ended up (merges move messages into the surviving conversation)
  const finalOf = new Map<string, string>();
  const listings = new Map<string, Message[]>();
  const conversations = new Map<string, Conversation>();
  const initial = new Set<string>();
  for (const stored of storedByRef.values())
    for (const item of stored) initial.add(item.conversationId);
  const visited = new Set<string>();
  await pool([...initial], 16, async (conversationId) => {
    if (visited.has(conversationId)) return;
    visited.add(conversationId);
    const messages: Message[] = [];
    for await (const message of client.conversations.iterateMessages(conversationId, {
      limit: 200,
    }))
      messages.push(message);
    const finalId = messages[0]?.conversationId ?? conversationId;
    if (!listings.has(finalId)) listings.set(finalId, messages);
    for (const message of messages) finalOf.set(message.id, message.conversationId);
  });
  const messageById = new Map<string, Message>();
  for (const messages of listings.values())
    for (const message of messages) messageById.set(message.id, message);
  const conversation = async (id: string): Promise<Conversation> => {
    let found = conversations.get(id);
    if (!found) {
      found = await client.conversations.get(id);
      conversations.set(id, found);
    }
    return found;
  };

  const personas = new Map<string, PlannedPersona>(
    plan.personas.map((persona) => [persona.id, persona]),
  );
  const recordsByPersona = new Map<string, CustomerMessageRecord[]>();
  for (const record of ledger.customer.values()) {
    const list = recordsByPersona.get(record.message.personaId) ?? [];
    list.push(record);
    recordsByPersona.set(record.message.personaId, list);
  }
  const repliesByJourney = new Map<string, ReplyRecord[]>();
  for (const reply of ledger.replies.values()) {
    const list = repliesByJourney.get(reply.journeyId) ?? [];
    list.push(reply);
    repliesByJourney.set(reply.journeyId, list);
  }
  const copiesOf = new Map<string, Message[]>();
  for (const message of messageById.values()) {
    if (!message.fallbackOfId) continue;
    const list = copiesOf.get(message.fallbackOfId) ?? [];
    list.push(message);
    copiesOf.set(message.fallbackOfId, list);
  }
  const fallbackRules = plan.scenario.app.fallback ?? [];
  const failedRule = fallbackRules.find((rule) => rule.when === 'failed');

  const totals: Verification['totals'] = {
    planned: plan.messages.length,
    acknowledged: 0,
    lost: 0,
    duplicated: 0,
    neverAcknowledged: 0,
    unseenByApp: 0,
    repliesRequested: ledger.replies.size,
    repliesDelivered: 0,
    repliesFailed: 0,
    misrouted: 0,
    fallbacksFired: 0,
    unknownInbound,
  };
  const deliveries: ReplyDelivery[] = [];
  const journeys: JourneyResult[] = [];

  async function checkJourney(journey: PlannedJourney): Promise<JourneyResult> {
    const persona = personas.get(journey.personaId)!;
    const issues: JourneyIssue[] = [];
    const warnings: JourneyIssue[] = [];
    const entries: JourneyEntry[] = [];
    const placed: Array<{ ref: string; messageId: string; conversationId: string }> = [];
    for (const ref of journey.messageIds) {
      const record = ledger.customer.get(ref);
      const stored = storedByRef.get(ref) ?? [];
      const first = stored[0];
      const finalConversation = first
        ? (finalOf.get(first.messageId) ?? first.conversationId)
        : undefined;
      if (record?.acknowledged) totals.acknowledged += 1;
      if (!record || (!record.acknowledged && stored.length === 0)) {
        totals.neverAcknowledged += 1;
        issues.push({
          ref,
          kind: 'never_acknowledged',
          message: `${ref} was never acknowledged by the gateway (${record?.attempts.length ?? 0} attempts: ${record?.attempts.map((attempt) => attempt.outcome).join(', ') || 'none'})`,
        });
      } else if (record.acknowledged && stored.length === 0) {
        totals.lost += 1;
        issues.push({
          ref,
          kind: 'lost',
          message: `${ref} was acknowledged (${record.acknowledged.outcome}) but is not stored`,
        });
      }
      if (stored.length > 1) {
        totals.duplicated += stored.length - 1;
        issues.push({
          ref,
          kind: 'duplicated',
          message: `${ref} is stored ${stored.length} times (${stored.map((item) => item.messageId).join(', ')})`,
        });
      }
      if (record?.acknowledged && stored.length > 0 && record.seenByApp.length === 0) {
        totals.unseenByApp += 1;
        issues.push({
          ref,
          kind: 'unseen_by_app',
          message: `${ref} is stored but the app never received it`,
        });
      }
      if (first && finalConversation)
        placed.push({ ref, messageId: first.messageId, conversationId: finalConversation });
      const sentAt = record?.attempts[0]?.startedAt;
      entries.push({
        ref,
        direction: 'inbound',
        channel: record?.message.channel ?? '?',
        text: record ? plannedText(record) : '',
        at: sentAt,
        status: record?.acknowledged
          ? `acknowledged${record.attempts.length > 1 ? ` after ${record.attempts.length} attempts` : ''}`
          : record?.abandoned
            ? 'abandoned by the provider'
            : 'not delivered',
        conversationId: finalConversation,
        note:
          stored.length > 1
            ? `stored ${stored.length}×`
            : stored.length === 0
              ? 'not stored'
              : undefined,
      });
    }

    // one conversation, or a chain the continuity window requires
    const conversationIds = [...new Set(placed.map((item) => item.conversationId))];
    if (conversationIds.length > 1) {
      let chained = journey.expectsLinkedConversations;
      for (let index = 1; chained && index < conversationIds.length; index++) {
        const previous = (await conversation(conversationIds[index]!)).previousConversationId;
        if (previous !== conversationIds[index - 1]) chained = false;
      }
      if (!chained)
        issues.push({
          kind: 'split',
          message: `the journey is split across ${conversationIds.length} conversations (${conversationIds.join(', ')})`,
        });
    }
    // order: a message surely stored before the next one was even sent is listed before it
    // (when deliveries overlap — a retry racing a later message — no order is promised)
    const positions = new Map<string, number>();
    for (const conversationId of conversationIds) {
      for (const [index, message] of (listings.get(conversationId) ?? []).entries())
        positions.set(message.id, index);
    }
    for (const [laterIndex, later] of placed.entries()) {
      const laterRecord = ledger.customer.get(later.ref);
      const laterWindow = laterRecord ? ingestWindow(laterRecord) : undefined;
      for (const earlier of placed.slice(0, laterIndex)) {
        const earlierRecord = ledger.customer.get(earlier.ref);
        const earlierWindow = earlierRecord ? ingestWindow(earlierRecord) : undefined;
        if (earlier.conversationId !== later.conversationId || !earlierWindow || !laterWindow)
          continue;
        if (earlierWindow.latest > laterWindow.earliest) continue;
        if ((positions.get(later.messageId) ?? -1) > (positions.get(earlier.messageId) ?? -1))
          continue;
        const sameSecond =
          Math.floor((ledger.wallStart + earlierWindow.latest) / 1000) ===
          Math.floor((ledger.wallStart + laterWindow.earliest) / 1000);
        if (sameSecond && secondPrecisionChannels.has(laterRecord!.message.channel)) {
          // the later message's provider stamps whole seconds: inside one second the stamps tie
          warnings.push({
            ref: later.ref,
            kind: 'out_of_order',
            message: `${later.ref} (${laterRecord!.message.channel}, stamped to the second) is listed before ${earlier.ref}, stored in the same second`,
          });
          continue;
        }
        issues.push({
          ref: later.ref,
          kind: 'out_of_order',
          message: `${later.ref} is listed before ${earlier.ref}, which was stored before ${later.ref} was sent`,
        });
      }
    }

    for (const reply of repliesByJourney.get(journey.id) ?? []) {
      const inbound = ledger.customer.get(reply.inReplyTo)!;
      const sent = reply.messageId ? messageById.get(reply.messageId) : undefined;
      const copies = reply.messageId ? (copiesOf.get(reply.messageId) ?? []) : [];
      const expected = expectedReplyChannels(reply, recordsByPersona.get(reply.personaId) ?? []);
      let note: string | undefined;
      let delivered:
        | { message: Message; provider: ProviderSendRecord; viaFallback: boolean }
        | undefined;
      const providerRecord = (message: Message) =>
        ledger.providerSend(message.channel, message.externalId);
      if (reply.error) {
        totals.repliesFailed += 1;
        issues.push({
          ref: reply.inReplyTo,
          kind: 'reply_failed',
          message: `the app could not send its answer to ${reply.inReplyTo}: ${reply.error.code}`,
        });
      } else if (!sent) {
        issues.push({
          ref: reply.inReplyTo,
          kind: 'reply_not_delivered',
          message: `the answer to ${reply.inReplyTo} (${reply.messageId}) is not in the conversation`,
        });
      } else if (sent.status === 'failed') {
        const copy = copies.find(
          (item) => deliveredStatuses.has(item.status) && providerRecord(item),
        );
        if (failedRule && copy) {
          delivered = { message: copy, provider: providerRecord(copy)!, viaFallback: true };
          totals.fallbacksFired += 1;
          if (copy.channel !== failedRule.channel)
            issues.push({
              ref: reply.inReplyTo,
              kind: 'fallback_missing',
              message: `the fallback of ${sent.id} went to ${copy.channel}, not ${failedRule.channel}`,
            });
        } else if (failedRule) {
          issues.push({
            ref: reply.inReplyTo,
            kind: 'fallback_missing',
            message: `the answer to ${reply.inReplyTo} failed on ${sent.channel} (${sent.error?.code ?? 'failed'}) and no ${failedRule.channel} fallback was delivered`,
          });
        } else {
          totals.repliesFailed += 1;
          issues.push({
            ref: reply.inReplyTo,
            kind: 'reply_failed',
            message: `the answer to ${reply.inReplyTo} failed on ${sent.channel}: ${sent.error?.code ?? 'failed'}`,
          });
        }
      } else if (!deliveredStatuses.has(sent.status) || !providerRecord(sent)) {
        issues.push({
          ref: reply.inReplyTo,
          kind: 'reply_not_delivered',
          message: `the answer to ${reply.inReplyTo} never reached the ${sent.channel} provider (status ${sent.status})`,
        });
      } else {
        delivered = { message: sent, provider: providerRecord(sent)!, viaFallback: false };
        if (failedRule && copies.some((item) => item.channelData.fallbackReason === 'failed'))
          issues.push({
            ref: reply.inReplyTo,
            kind: 'fallback_unexpected',
            message: `a fallback of ${sent.id} was sent although it did not fail`,
          });
      }
      if (delivered) {
        totals.repliesDelivered += 1;
        deliveries.push({
          reply,
          inboundChannel: inbound.message.channel,
          channel: delivered.message.channel,
          providerAt: delivered.provider.receivedAt,
          viaFallback: delivered.viaFallback,
        });
        if (!delivered.viaFallback && !expected.has(delivered.message.channel)) {
          totals.misrouted += 1;
          issues.push({
            ref: reply.inReplyTo,
            kind: 'reply_wrong_channel',
            message: `the answer to ${reply.inReplyTo} went out on ${delivered.message.channel}; the customer last wrote on ${[...expected].join(' or ') || '(nothing acknowledged)'}`,
          });
        }
        const identity = persona.identities[delivered.message.channel as SimulatedChannel];
        if (identity && delivered.provider.to.replace(/^\+/, '') !== identity.replace(/^\+/, '')) {
          totals.misrouted += 1;
          issues.push({
            ref: reply.inReplyTo,
            kind: 'reply_wrong_recipient',
            message: `the answer to ${reply.inReplyTo} went to ${delivered.provider.to}, not ${identity}`,
          });
        }
        note = delivered.viaFallback ? `fallback from ${sent?.channel}` : undefined;
      }
      entries.push({
        ref: reply.inReplyTo,
        direction: 'outbound',
        channel: delivered?.message.channel ?? sent?.channel ?? '?',
        text: sent ? shortText(sent) : (reply.error?.message ?? ''),
        at: reply.requestedAt,
        status: delivered
          ? delivered.message.status
          : (sent?.status ?? reply.error?.code ?? 'unknown'),
        conversationId: sent ? (finalOf.get(sent.id) ?? sent.conversationId) : undefined,
        note: note ?? (expected.size ? `expected on ${[...expected].join('/')}` : undefined),
      });
    }
    entries.sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
    return {
      journeyId: journey.id,
      name: journey.name,
      personaId: persona.id,
      personaName: persona.name,
      ok: issues.length === 0,
      issues,
      warnings,
      conversationIds,
      entries,
    };
  }

  for (const journey of plan.journeys) journeys.push(await checkJourney(journey));
  return { journeys, deliveries, totals };
}
