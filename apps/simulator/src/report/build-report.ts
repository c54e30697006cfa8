import type { HandoffCheck } from '../handoff-apps.js';
import { formatDuration } from '../parse-quantities.js';
import type { TrafficPlan } from '../plan-traffic.js';
import {
  type Hop,
  hops,
  type SimulatedChannel,
  type Slo,
  simulatedChannels,
} from '../scenario-schema.js';
import type { CustomerMessageRecord, TrafficLedger } from '../traffic-ledger.js';
import type { JourneyResult, Verification } from '../verify-continuity.js';
import type { AnalyticsCheck } from './check-analytics.js';
import {
  emptySummary,
  type Histogram,
  histogram,
  type LatencySummary,
  summarize,
} from './latency-stats.js';

export const reportFormat = 'threadline-simulation-report/1';

export interface HopReport {
  all: LatencySummary;
  byChannel: Partial<Record<SimulatedChannel, LatencySummary>>;
  histogram: Histogram;
}

export interface ChannelReport {
  channel: SimulatedChannel;
  sent: number;
  acknowledged: number;
  redeliveries: number;
  lost: number;
  duplicated: number;
  repliesDelivered: number;
  providerSends: number;
  providerFaults: number;
}

export interface SloResult {
  key: string;
  target: string;
  actual: string;
  ok: boolean;
  reason: string;
}

export interface SimulationReport {
  format: typeof reportFormat;
  scenario: { name: string; description: string; seed: number; timeScale: number };
  target: { kind: string; baseUrl: string };
  startedAt: string;
  durationMs: number;
  load: {
    personas: number;
    journeys: number;
    plannedMessages: number;
    acknowledged: number;
    askedPerSecond: number;
    achievedPerSecond: number;
    repliesPerSecond: number;
    maxLagMs: number;
    skippedArrivals: number;
  };
  continuity: { journeys: number; passed: number; failed: number; ratio: number };
  totals: Verification['totals'];
  latency: Record<Hop, HopReport>;
  channels: ChannelReport[];
  errors: Record<string, number>;
  faults: Record<string, number>;
  events: Record<string, number>;
  statusCallbacks: { sent: number; failed: number };
  restarts: Array<{ at: number; downForMs: number }>;
  slos: SloResult[];
  /** With the switchboard: the handoff checks (each must hold for the run to pass). */
  handoff?: HandoffCheck[];
  /** The gateway's analytics for the run, each figure checked against the ledger. */
  analytics?: { summary: unknown; checks: AnalyticsCheck[] };
  /** With notifications: their checks (each must hold for the run to pass). */
  notifications?: HandoffCheck[];
  passed: boolean;
  /** Every journey; the messages of failed ones are listed (for the HTML details). */
  journeys: JourneyResult[];
}

/** The attempt a message was stored by: the last one started before the app saw it. */
function storingAttempt(record: CustomerMessageRecord, seenAt: number) {
  let chosen = record.attempts[0];
  for (const attempt of record.attempts) if (attempt.startedAt <= seenAt) chosen = attempt;
  return chosen;
}

function collectLatencies(ledger: TrafficLedger, verification: Verification) {
  const samples = new Map<Hop, Map<SimulatedChannel, number[]>>(
    hops.map((hop) => [hop, new Map()]),
  );
  const add = (hop: Hop, channel: string, value: number) => {
    const byChannel = samples.get(hop)!;
    const list = byChannel.get(channel as SimulatedChannel) ?? [];
    list.push(value);
    byChannel.set(channel as SimulatedChannel, list);
  };
  for (const record of ledger.customer.values()) {
    const channel = record.message.channel;
    const acknowledged = record.acknowledged;
    if (acknowledged) add('provider_ack', channel, acknowledged.endedAt - acknowledged.startedAt);
    const seen = record.seenByApp[0];
    if (seen) {
      const attempt = storingAttempt(record, seen.at);
      if (attempt) add('inbound_to_app', channel, seen.at - attempt.startedAt);
    }
  }
  for (const delivery of verification.deliveries) {
    add('app_to_provider', delivery.channel, delivery.providerAt - delivery.reply.requestedAt);
    const inbound = ledger.customer.get(delivery.reply.inReplyTo);
    const sentAt = inbound?.attempts[0]?.startedAt;
    if (sentAt !== undefined)
      add('round_trip', delivery.inboundChannel, delivery.providerAt - sentAt);
  }
  const latency = {} as Record<Hop, HopReport>;
  for (const hop of hops) {
    const byChannel: HopReport['byChannel'] = {};
    const all: number[] = [];
    for (const [channel, values] of samples.get(hop)!) {
      byChannel[channel] = summarize(values);
      for (const value of values) all.push(value);
    }
    latency[hop] = { all: summarize(all), byChannel, histogram: histogram(all) };
  }
  return latency;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(value === 1 || value === 0 ? 0 : 2)}%`;
}

function evaluate(slo: Slo, report: Omit<SimulationReport, 'slos' | 'passed'>): SloResult {
  switch (slo.kind) {
    case 'continuity': {
      const failed = report.journeys.filter((journey) => !journey.ok);
      const ok = report.continuity.ratio >= slo.atLeast;
      const named = failed
        .slice(0, 5)
        .map((journey) => `${journey.journeyId} (${journey.issues[0]?.message ?? 'failed'})`)
        .join('; ');
      return {
        key: slo.key,
        target: `≥ ${percent(slo.atLeast)}`,
        actual: percent(report.continuity.ratio),
        ok,
        reason: ok
          ? `${report.continuity.passed} of ${report.continuity.journeys} journeys kept`
          : `${failed.length} of ${report.continuity.journeys} journeys failed: ${named}${failed.length > 5 ? `; and ${failed.length - 5} more` : ''}`,
      };
    }
    case 'throughput': {
      const ratio =
        report.load.askedPerSecond > 0
          ? report.load.achievedPerSecond / report.load.askedPerSecond
          : 1;
      const ok = ratio >= slo.atLeast;
      return {
        key: slo.key,
        target: `≥ ${percent(slo.atLeast)} of asked`,
        actual: percent(ratio),
        ok,
        reason: `${report.load.achievedPerSecond.toFixed(1)} msg/s achieved of ${report.load.askedPerSecond.toFixed(1)} asked`,
      };
    }
    case 'lost':
    case 'duplicated':
    case 'misrouted': {
      const actual = report.totals[slo.kind];
      const ok = actual <= slo.atMost;
      const kind =
        slo.kind === 'misrouted' ? ['reply_wrong_channel', 'reply_wrong_recipient'] : [slo.kind];
      const journeys = report.journeys
        .filter((journey) => journey.issues.some((issue) => kind.includes(issue.kind)))
        .map((journey) => journey.journeyId);
      return {
        key: slo.key,
        target: `≤ ${slo.atMost}`,
        actual: String(actual),
        ok,
        reason: ok
          ? `${actual} ${slo.kind}`
          : `${actual} ${slo.kind} in journeys ${journeys.slice(0, 10).join(', ')}${journeys.length > 10 ? ` and ${journeys.length - 10} more` : ''}`,
      };
    }
    case 'errors': {
      const counted = Object.entries(report.errors).filter(
        ([code]) => !code.startsWith('ingress_'),
      );
      const actual = counted.reduce((sum, [, count]) => sum + count, 0);
      const ok = actual <= slo.atMost;
      return {
        key: slo.key,
        target: `≤ ${slo.atMost}`,
        actual: String(actual),
        ok,
        reason: counted.length
          ? counted.map(([code, count]) => `${code} ×${count}`).join(', ')
          : 'no errors',
      };
    }
    case 'latency': {
      const hop = report.latency[slo.hop];
      const summary = slo.channel ? (hop.byChannel[slo.channel] ?? emptySummary) : hop.all;
      const actual = summary[slo.percentile];
      const ok = summary.count > 0 && actual <= slo.atMostMs;
      return {
        key: slo.key,
        target: `≤ ${formatDuration(slo.atMostMs)}`,
        actual: summary.count ? formatDuration(actual) : 'no samples',
        ok,
        reason: summary.count
          ? `${slo.percentile} of ${summary.count} samples of ${slo.hop}${slo.channel ? ` on ${slo.channel}` : ''}`
          : `no ${slo.hop} samples${slo.channel ? ` on ${slo.channel}` : ''}`,
      };
    }
  }
}

/** Everything a run measured, with the verdict of every SLO. */
export function buildReport(options: {
  plan: TrafficPlan;
  ledger: TrafficLedger;
  verification: Verification;
  target: { kind: string; baseUrl: string };
  startedAt: Date;
  maxLagMs: number;
  handoff?: HandoffCheck[];
  analytics?: { summary: unknown; checks: AnalyticsCheck[] };
  notifications?: HandoffCheck[];
}): SimulationReport {
  const { plan, ledger, verification } = options;
  const records = [...ledger.customer.values()];
  let firstStart = Number.POSITIVE_INFINITY;
  let lastAck = Number.NEGATIVE_INFINITY;
  for (const record of records) {
    firstStart = Math.min(firstStart, record.attempts[0]?.startedAt ?? Number.POSITIVE_INFINITY);
    lastAck = Math.max(lastAck, record.acknowledged?.endedAt ?? Number.NEGATIVE_INFINITY);
  }
  const acknowledged = records.filter((record) => record.acknowledged).length;
  const window = lastAck - firstStart;
  const plannedSpan =
    plan.messages.length > 1 ? plan.messages.at(-1)!.at - plan.messages[0]!.at : 0;
  const askedPerSecond =
    plannedSpan > 0 ? (plan.messages.length / plannedSpan) * 1000 : plan.messages.length;
  const achievedPerSecond = window > 0 ? (acknowledged / window) * 1000 : acknowledged;
  const deliveredTimes = verification.deliveries.map((delivery) => delivery.providerAt);
  const replySpan =
    deliveredTimes.length > 1
      ? deliveredTimes.reduce((a, b) => Math.max(a, b)) -
        deliveredTimes.reduce((a, b) => Math.min(a, b))
      : 0;

  const channels: ChannelReport[] = [];
  const issues = verification.journeys.flatMap((journey) => journey.issues);
  for (const channel of simulatedChannels) {
    const channelRecords = records.filter((record) => record.message.channel === channel);
    const sends = ledger.providerSends.filter((send) => send.channel === channel);
    if (channelRecords.length === 0 && sends.length === 0) continue;
    const refsOnChannel = new Set(channelRecords.map((record) => record.message.id));
    channels.push({
      channel,
      sent: channelRecords.length,
      acknowledged: channelRecords.filter((record) => record.acknowledged).length,
      redeliveries: channelRecords.reduce(
        (sum, record) =>
          sum + Math.max(0, record.attempts.length - 1) + record.extraDeliveries.length,
        0,
      ),
      lost: issues.filter(
        (issue) => issue.kind === 'lost' && issue.ref && refsOnChannel.has(issue.ref),
      ).length,
      duplicated: issues.filter(
        (issue) => issue.kind === 'duplicated' && issue.ref && refsOnChannel.has(issue.ref),
      ).length,
      repliesDelivered: verification.deliveries.filter((delivery) => delivery.channel === channel)
        .length,
      providerSends: sends.length,
      providerFaults: sends.filter((send) => send.outcome !== 'accepted').length,
    });
  }

  const passed = verification.journeys.filter((journey) => journey.ok).length;
  const partial: Omit<SimulationReport, 'slos' | 'passed'> = {
    format: reportFormat,
    scenario: {
      name: plan.scenario.name,
      description: plan.scenario.description,
      seed: plan.scenario.seed,
      timeScale: plan.scenario.timeScale,
    },
    target: options.target,
    startedAt: options.startedAt.toISOString(),
    durationMs: ledger.now(),
    load: {
      personas: plan.personas.length,
      journeys: plan.journeys.length,
      plannedMessages: plan.messages.length,
      acknowledged,
      askedPerSecond,
      achievedPerSecond,
      repliesPerSecond:
        replySpan > 0 ? (deliveredTimes.length / replySpan) * 1000 : deliveredTimes.length,
      maxLagMs: options.maxLagMs,
      skippedArrivals: plan.skippedArrivals,
    },
    continuity: {
      journeys: verification.journeys.length,
      passed,
      failed: verification.journeys.length - passed,
      ratio: verification.journeys.length ? passed / verification.journeys.length : 1,
    },
    totals: verification.totals,
    latency: collectLatencies(ledger, verification),
    channels,
    errors: Object.fromEntries([...ledger.errors].sort()),
    faults: Object.fromEntries([...ledger.faults].sort()),
    events: Object.fromEntries([...ledger.events].sort()),
    statusCallbacks: { ...ledger.statusCallbacks },
    restarts: ledger.gatewayRestarts,
    journeys: verification.journeys.map((journey) =>
      journey.ok ? { ...journey, entries: [] } : journey,
    ),
  };
  const slos = plan.scenario.slos.map((slo) => evaluate(slo, partial));
  return {
    ...partial,
    slos,
    ...(options.handoff ? { handoff: options.handoff } : {}),
    ...(options.analytics ? { analytics: options.analytics } : {}),
    ...(options.notifications ? { notifications: options.notifications } : {}),
    passed:
      slos.every((slo) => slo.ok) &&
      [...(options.handoff ?? []), ...(options.notifications ?? [])].every((check) => check.ok) &&
      (options.analytics?.checks ?? []).every((check) => check.ok),
  };
}
