import type { AnalyticsSummary, ThreadlineClient } from '@threadline/client';
import type { TrafficLedger } from '../traffic-ledger.js';
import type { Verification } from '../verify-continuity.js';

/** One figure as the gateway's analytics report it and as the simulator's own ledger has it. */
export interface AnalyticsCheck {
  figure: string;
  gateway: number | null;
  ledger: number | null;
  /** How far apart the two may be (0: exactly equal). */
  tolerance: number;
  ok: boolean;
}

/**
 * Durations are measured at different points (the gateway: the commit of the customer message
 * to the commit of the reply's send; the simulator: the provider's acknowledgement to the
 * provider receiving the reply), so they agree within this many seconds, or 5 %.
 */
const secondsApart = 0.5;

const mean = (values: number[]) =>
  values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;

/** The ground truth the analytics must match, from what the simulator saw happen. */
export function ledgerFigures(
  ledger: TrafficLedger,
  verification: Verification,
  /** Where a merge moved a conversation (the gateway's decision: the ledger cannot know it). */
  mergedInto: ReadonlyMap<string, string> = new Map(),
) {
  const final = (id: string) => {
    let current = id;
    for (let hops = 0; mergedInto.has(current) && hops < 16; hops++)
      current = mergedInto.get(current)!;
    return current;
  };
  const byConversation = new Map<string, { messageId: string; channel: string; at: number }[]>();
  const conversationOf = new Map<string, string>();
  // Channel switches are counted where the gateway decided them: in the conversation each
  // message was stored in. Counted over a merged conversation instead, two conversations
  // whose messages came in turns (two contacts writing at once, linked later) would show a
  // switch at every turn that neither conversation ever had.
  const asStored = new Map<string, { messageId: string; channel: string }[]>();
  for (const record of ledger.customer.values()) {
    const seen = record.seenByApp[0];
    if (!seen) continue;
    const stored = asStored.get(seen.conversationId) ?? [];
    stored.push({ messageId: seen.messageId, channel: record.message.channel });
    asStored.set(seen.conversationId, stored);
    const conversationId = final(seen.conversationId);
    conversationOf.set(record.message.id, conversationId);
    const list = byConversation.get(conversationId) ?? [];
    list.push({
      messageId: seen.messageId,
      channel: record.message.channel,
      at: record.acknowledged?.endedAt ?? record.attempts[0]?.startedAt ?? seen.at,
    });
    byConversation.set(conversationId, list);
  }
  let switches = 0;
  for (const stored of asStored.values()) {
    stored.sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
    for (let index = 1; index < stored.length; index++)
      if (stored[index]!.channel !== stored[index - 1]!.channel) switches += 1;
  }
  let crossChannel = 0;
  let messages = 0;
  const firstResponses: number[] = [];
  const resolvedAt = new Map<string, number[]>();
  for (const resolution of ledger.resolutions) {
    const conversationId = final(resolution.conversationId);
    resolvedAt.set(conversationId, [...(resolvedAt.get(conversationId) ?? []), resolution.at]);
  }
  const repliesIn = new Map<string, number[]>();
  for (const delivery of verification.deliveries) {
    const conversationId = conversationOf.get(delivery.reply.inReplyTo);
    if (conversationId)
      repliesIn.set(conversationId, [
        ...(repliesIn.get(conversationId) ?? []),
        delivery.providerAt,
      ]);
  }
  for (const [conversationId, list] of byConversation) {
    list.sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
    messages += list.length;
    if (new Set(list.map((entry) => entry.channel)).size >= 2) crossChannel += 1;
    // an episode starts with the first message, and with each message after a resolution
    const resolutions = resolvedAt.get(conversationId) ?? [];
    const starts: number[] = [];
    for (const entry of list) {
      const last = starts.at(-1);
      if (last === undefined || resolutions.some((at) => at > last && at < entry.at))
        starts.push(entry.at);
    }
    const replies = (repliesIn.get(conversationId) ?? []).sort((a, b) => a - b);
    for (const [index, start] of starts.entries()) {
      const end = starts[index + 1] ?? Number.POSITIVE_INFINITY;
      const first = replies.find((at) => at >= start && at < end);
      if (first !== undefined) firstResponses.push((first - start) / 1000);
    }
  }
  return {
    resolutions: ledger.resolutions.length,
    // a merge folds one conversation into another: both were opened
    conversations: new Set([...byConversation.keys(), ...mergedInto.keys()]).size,
    messages,
    switches,
    crossChannel,
    firstResponses,
  };
}

/** The run's analytics summary from the gateway, checked figure by figure against the ledger. */
export async function checkAnalytics(options: {
  client: ThreadlineClient;
  ledger: TrafficLedger;
  verification: Verification;
  startedAt: Date;
}): Promise<{ summary: AnalyticsSummary; checks: AnalyticsCheck[] }> {
  const summary = await options.client.analytics.summary({
    from: new Date(options.startedAt.getTime() - 3_600_000).toISOString(),
    to: new Date(Date.now() + 3_600_000).toISOString(),
  });
  const mergedInto = new Map<string, string>();
  const seen = new Set<string>();
  for (const record of options.ledger.customer.values())
    for (const view of record.seenByApp) seen.add(view.conversationId);
  for (const id of seen) {
    const conversation = await options.client.conversations.get(id);
    if (conversation.mergedIntoId) mergedInto.set(id, conversation.mergedIntoId);
  }
  const truth = ledgerFigures(options.ledger, options.verification, mergedInto);
  const exact = (figure: string, gateway: number, ledger: number): AnalyticsCheck => ({
    figure,
    gateway,
    ledger,
    tolerance: 0,
    ok: gateway === ledger,
  });
  const ledgerFirst = mean(truth.firstResponses);
  const gatewayFirst = summary.firstResponse.mean;
  const tolerance = Math.max(secondsApart, 0.05 * (ledgerFirst ?? 0));
  return {
    summary,
    checks: [
      exact('conversations opened', summary.conversations.opened, truth.conversations),
      exact('customer messages', summary.conversations.messagesReceived, truth.messages),
      // a merge moves messages into the survivor: the first message after it may or may not
      // switch channel from the survivor's own last one, which the ledger cannot know
      {
        ...exact('channel switches', summary.continuity.channelSwitches, truth.switches),
        tolerance: mergedInto.size,
        ok: Math.abs(summary.continuity.channelSwitches - truth.switches) <= mergedInto.size,
      },
      exact(
        'cross-channel conversations',
        summary.continuity.crossChannelConversations,
        truth.crossChannel,
      ),
      exact('resolutions', summary.conversations.resolved, truth.resolutions),
      exact('first responses', summary.firstResponse.count, truth.firstResponses.length),
      {
        figure: 'first response mean (s)',
        gateway: gatewayFirst,
        ledger: ledgerFirst === null ? null : Math.round(ledgerFirst * 1000) / 1000,
        tolerance,
        ok:
          gatewayFirst === ledgerFirst ||
          (gatewayFirst !== null &&
            ledgerFirst !== null &&
            Math.abs(gatewayFirst - ledgerFirst) <= tolerance),
      },
    ],
  };
}
