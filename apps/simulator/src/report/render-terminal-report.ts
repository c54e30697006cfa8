import { formatDuration } from '../parse-quantities.js';
import { type Hop, hops, simulatedChannels } from '../scenario-schema.js';
import type { SimulationReport } from './build-report.js';
import type { LatencySummary } from './latency-stats.js';

export const hopLabels: Record<Hop, string> = {
  provider_ack: 'provider → gateway ack',
  inbound_to_app: 'gateway → app (event)',
  app_to_provider: 'app → provider (reply)',
  round_trip: 'customer → reply',
};

function table(rows: string[][], alignRight: (column: number) => boolean): string[] {
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return rows.map((row) =>
    row
      .map((cell, column) =>
        alignRight(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd(),
  );
}

const summaryCells = (summary: LatencySummary) => [
  String(summary.count),
  formatDuration(summary.p50),
  formatDuration(summary.p95),
  formatDuration(summary.p99),
  formatDuration(summary.max),
];

/** The summary printed at the end of a run: plain text, with colour when `color` is set. */
export function renderTerminalReport(
  report: SimulationReport,
  options: { color?: boolean } = {},
): string {
  const paint = (code: number) => (text: string) =>
    options.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  const green = paint(32);
  const red = paint(31);
  const bold = paint(1);
  const dim = paint(2);
  const lines: string[] = [];
  const { load, totals, continuity } = report;

  lines.push(
    bold(`Threadline simulation: ${report.scenario.name}`) +
      dim(
        ` (seed ${report.scenario.seed}, ${report.target.kind} gateway ${report.target.baseUrl})`,
      ),
  );
  lines.push(
    `  ${load.journeys} journeys by ${load.personas} customers, ${load.plannedMessages} messages in ${formatDuration(report.durationMs)}` +
      ` · asked ${load.askedPerSecond.toFixed(1)} msg/s, achieved ${load.achievedPerSecond.toFixed(1)} msg/s` +
      ` · ${totals.repliesDelivered} replies delivered` +
      (load.maxLagMs > 50 ? dim(` · schedule lag up to ${formatDuration(load.maxLagMs)}`) : ''),
  );
  if (report.restarts.length)
    lines.push(
      `  gateway restarted ${report.restarts.map((restart) => `at ${formatDuration(restart.at)} (down ${formatDuration(restart.downForMs)})`).join(', ')}`,
    );
  lines.push('');
  const kept = `${continuity.passed}/${continuity.journeys} journeys kept (${(continuity.ratio * 100).toFixed(continuity.ratio === 1 ? 0 : 2)}%)`;
  lines.push(
    `${bold('Continuity')}  ${continuity.failed ? red(kept) : green(kept)}` +
      `  lost ${totals.lost} · duplicated ${totals.duplicated} · misrouted ${totals.misrouted}` +
      ` · never acknowledged ${totals.neverAcknowledged} · unseen by app ${totals.unseenByApp}` +
      (totals.fallbacksFired ? ` · fallbacks ${totals.fallbacksFired}` : ''),
  );
  lines.push('');

  const latencyRows: string[][] = [['Latency', 'channel', 'count', 'p50', 'p95', 'p99', 'max']];
  for (const hop of hops) {
    const entry = report.latency[hop];
    latencyRows.push([hopLabels[hop], 'all', ...summaryCells(entry.all)]);
    for (const channel of simulatedChannels) {
      const summary = entry.byChannel[channel];
      if (summary) latencyRows.push(['', channel, ...summaryCells(summary)]);
    }
  }
  const renderedLatency = table(latencyRows, (column) => column >= 2);
  lines.push(bold(renderedLatency[0]!), ...renderedLatency.slice(1), '');

  const channelRows: string[][] = [
    ['Channel', 'sent', 'acked', 'retried', 'lost', 'dup', 'replies', 'provider calls', 'faults'],
  ];
  for (const channel of report.channels) {
    channelRows.push([
      channel.channel,
      String(channel.sent),
      String(channel.acknowledged),
      String(channel.redeliveries),
      String(channel.lost),
      String(channel.duplicated),
      String(channel.repliesDelivered),
      String(channel.providerSends),
      String(channel.providerFaults),
    ]);
  }
  const renderedChannels = table(channelRows, (column) => column >= 1);
  lines.push(bold(renderedChannels[0]!), ...renderedChannels.slice(1), '');

  const list = (record: Record<string, number>) =>
    Object.entries(record)
      .map(([key, count]) => `${key} ×${count}`)
      .join(', ') || 'none';
  lines.push(`${bold('Errors')}  ${list(report.errors)}`);
  lines.push(`${bold('Faults injected')}  ${list(report.faults)}`);
  lines.push('');

  const failedJourneys = report.journeys.filter((journey) => !journey.ok);
  if (failedJourneys.length) {
    lines.push(bold(`Failed journeys (${failedJourneys.length})`));
    for (const journey of failedJourneys.slice(0, 15)) {
      lines.push(
        `  ${red(journey.journeyId)} ${journey.name}, ${journey.personaName} (${journey.personaId})`,
      );
      for (const issue of journey.issues.slice(0, 4))
        lines.push(`    - ${issue.kind}: ${issue.message}`);
      if (journey.issues.length > 4) lines.push(dim(`    … ${journey.issues.length - 4} more`));
    }
    if (failedJourneys.length > 15)
      lines.push(dim(`  … and ${failedJourneys.length - 15} more journeys`));
    lines.push('');
  }

  const noted = report.journeys.filter((journey) => journey.warnings.length > 0);
  if (noted.length) {
    lines.push(bold(`Notes (${noted.length} journeys; these do not fail them)`));
    for (const journey of noted.slice(0, 5))
      for (const warning of journey.warnings.slice(0, 2))
        lines.push(dim(`  ${journey.journeyId}: ${warning.message}`));
    lines.push('');
  }

  lines.push(bold('SLOs'));
  for (const slo of report.slos) {
    const mark = slo.ok ? green('✔') : red('✘');
    lines.push(`  ${mark} ${slo.key} ${slo.target}: ${slo.actual} — ${slo.reason}`);
  }
  if (report.handoff) {
    lines.push('');
    lines.push(bold('Handoffs (switchboard)'));
    for (const check of report.handoff)
      lines.push(`  ${check.ok ? green('✔') : red('✘')} ${check.name}: ${check.detail}`);
  }
  if (report.analytics) {
    lines.push('');
    lines.push(bold('Analytics (gateway vs ledger)'));
    for (const check of report.analytics.checks)
      lines.push(
        `  ${check.ok ? green('✔') : red('✘')} ${check.figure}: ${check.gateway ?? '—'} vs ${check.ledger ?? '—'}${check.tolerance > 0 ? ` (± ${check.tolerance})` : ''}`,
      );
  }
  if (report.notifications) {
    lines.push('');
    lines.push(bold('Notifications'));
    for (const check of report.notifications)
      lines.push(`  ${check.ok ? green('✔') : red('✘')} ${check.name}: ${check.detail}`);
  }
  const failed = [
    ...report.slos.filter((slo) => !slo.ok).map((slo) => slo.key),
    ...(report.handoff ?? []).filter((check) => !check.ok).map((check) => check.name),
    ...(report.analytics?.checks ?? [])
      .filter((check) => !check.ok)
      .map((check) => `analytics: ${check.figure}`),
    ...(report.notifications ?? []).filter((check) => !check.ok).map((check) => check.name),
  ];
  lines.push('');
  lines.push(
    failed.length === 0
      ? green(
          bold(
            report.handoff
              ? 'PASSED: every SLO and handoff check holds'
              : report.notifications
                ? 'PASSED: every SLO and notification check holds'
                : 'PASSED: every SLO holds',
          ),
        )
      : red(
          bold(
            `FAILED: ${failed.length} ${report.handoff || report.notifications ? 'check' : 'SLO'}${failed.length > 1 ? 's' : ''} failed (${failed.join(', ')})`,
          ),
        ),
  );
  return `${lines.join('\n')}\n`;
}
