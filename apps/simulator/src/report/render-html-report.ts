import { formatDuration } from '../parse-quantities.js';
import { type Hop, hops, simulatedChannels } from '../scenario-schema.js';
import type { HopReport, SimulationReport } from './build-report.js';
import { hopLabels } from './render-terminal-report.js';

const escapeHtml = (value: unknown) =>
  String(value).replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

const css = `
:root { color-scheme: light; --ok: #1a7f37; --bad: #cf222e; --muted: #59636e; --line: #d1d9e0; --bar: #0969da; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; } h3 { font-size: 14px; margin: 0 0 6px; }
.muted { color: var(--muted); }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 999px; color: #fff; font-weight: 600; margin: 10px 0; }
.verdict.ok { background: var(--ok); } .verdict.bad { background: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card b { display: block; font-size: 20px; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f0f3f6; font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td:first-child { border-left: 3px solid var(--bad); } tr.ok td:first-child { border-left: 3px solid var(--ok); }
.hops { display: grid; grid-template-columns: repeat(auto-fit, minmax(540px, 1fr)); gap: 14px; }
.hop { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
.hop table { border: 0; margin-top: 8px; } .hop svg { width: 100%; height: auto; }
.grid { display: flex; flex-wrap: wrap; gap: 3px; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px; }
.cell { width: 14px; height: 14px; border-radius: 3px; display: inline-block; }
.cell.ok { background: #4ac26b; } .cell.bad { background: var(--bad); }
details { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; padding: 8px 12px; }
details[open] { box-shadow: 0 1px 3px rgba(0,0,0,.08); } summary { cursor: pointer; font-weight: 600; }
details ul { margin: 6px 0 10px; padding-left: 20px; color: var(--bad); }
details li.note { color: #9a6700; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.in { color: #0550ae; } .out { color: #8250df; }
`;

/** One hop's latency histogram: bars per log-scale bucket, p50/p95/p99 marked above them. */
export function histogramSvg(hop: Pick<HopReport, 'all' | 'histogram'>): string {
  const { bounds, counts } = hop.histogram;
  const width = 520;
  const height = 174;
  const left = 8;
  const bottom = 22;
  // the percentile labels have a band of their own above the tallest bar, one line each
  const labelLine = 11;
  const labelTop = 4;
  const top = labelTop + 3 * labelLine + 4;
  const max = Math.max(1, ...counts);
  const barWidth = (width - left * 2) / counts.length;
  const x = (index: number) => left + index * barWidth;
  const bars = counts
    .map((count, index) => {
      const barHeight = ((height - top - bottom) * count) / max;
      return `<rect x="${x(index).toFixed(1)}" y="${(height - bottom - barHeight).toFixed(1)}" width="${Math.max(1, barWidth - 1).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="var(--bar)"><title>≤ ${formatDuration(bounds[index]!)}: ${count}</title></rect>`;
    })
    .join('');
  const bucketOf = (value: number) => {
    const index = bounds.findIndex((bound) => value <= bound);
    return index < 0 ? bounds.length - 1 : index;
  };
  const markers = (['p50', 'p95', 'p99'] as const)
    .filter(() => hop.all.count > 0)
    .map((name, index) => {
      const position = x(bucketOf(hop.all[name])) + barWidth / 2;
      const colour = ['#1a7f37', '#bf8700', '#cf222e'][index];
      // labels near the right edge go to the left of their line
      const rightSide = position < width * 0.75;
      return `<line x1="${position.toFixed(1)}" x2="${position.toFixed(1)}" y1="${labelTop + index * labelLine}" y2="${height - bottom}" stroke="${colour}" stroke-dasharray="3 2"/><text x="${(position + (rightSide ? 3 : -3)).toFixed(1)}" y="${labelTop + 9 + index * labelLine}" font-size="10" fill="${colour}" text-anchor="${rightSide ? 'start' : 'end'}">${name} ${escapeHtml(formatDuration(hop.all[name]))}</text>`;
    })
    .join('');
  const ticks = bounds
    .map((bound, index) =>
      index % 5 === 0
        ? `<text x="${x(index).toFixed(1)}" y="${height - 6}" font-size="10" fill="#59636e">${escapeHtml(formatDuration(bound))}</text>`
        : '',
    )
    .join('');
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="latency distribution"><line x1="${left}" x2="${width - left}" y1="${height - bottom}" y2="${height - bottom}" stroke="#d1d9e0"/>${bars}${markers}${ticks}</svg>`;
}

function hopSection(hop: Hop, report: SimulationReport): string {
  const entry = report.latency[hop];
  const rows = [
    ['all', entry.all] as const,
    ...simulatedChannels.flatMap((channel) =>
      entry.byChannel[channel] ? [[channel, entry.byChannel[channel]!] as const] : [],
    ),
  ]
    .map(
      ([name, summary]) =>
        `<tr><td>${escapeHtml(name)}</td><td class="num">${summary.count}</td><td class="num">${formatDuration(summary.p50)}</td><td class="num">${formatDuration(summary.p95)}</td><td class="num">${formatDuration(summary.p99)}</td><td class="num">${formatDuration(summary.max)}</td></tr>`,
    )
    .join('');
  return `<div class="hop"><h3>${escapeHtml(hopLabels[hop])}</h3>${histogramSvg(entry)}<table><tr><th>channel</th><th class="num">count</th><th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th class="num">max</th></tr>${rows}</table></div>`;
}

/** One self-contained page (inline CSS and SVG, nothing fetched) with the whole report. */
export function renderHtmlReport(report: SimulationReport): string {
  const failedSlos = report.slos.filter((slo) => !slo.ok);
  const failedJourneys = report.journeys.filter((journey) => !journey.ok);
  const { load, totals, continuity } = report;
  const card = (label: string, value: string, bad = false) =>
    `<div class="card"><span class="muted">${escapeHtml(label)}</span><b style="color:${bad ? 'var(--bad)' : 'inherit'}">${escapeHtml(value)}</b></div>`;
  const gridLimit = 20_000;
  const cells = report.journeys
    .slice(0, gridLimit)
    .map((journey) =>
      journey.ok
        ? `<span class="cell ok" title="${escapeHtml(`${journey.journeyId} ${journey.name}: kept`)}"></span>`
        : `<a class="cell bad" href="#${escapeHtml(journey.journeyId)}" title="${escapeHtml(`${journey.journeyId} ${journey.name}: ${journey.issues[0]?.message ?? 'failed'}`)}"></a>`,
    )
    .join('');
  const notedJourneys = report.journeys.filter(
    (journey) => journey.ok && journey.warnings.length > 0,
  );
  const journeyDetails = [...failedJourneys, ...notedJourneys]
    .slice(0, 2_000)
    .map((journey) => {
      const rows = journey.entries
        .map(
          (entry) =>
            `<tr><td class="num">${entry.at === undefined ? '—' : escapeHtml(formatDuration(entry.at))}</td><td class="${entry.direction === 'inbound' ? 'in' : 'out'}">${entry.direction === 'inbound' ? '→ customer' : '← app'}</td><td>${escapeHtml(entry.channel)}</td><td><code>${escapeHtml(entry.ref)}</code></td><td>${escapeHtml(entry.text)}</td><td>${escapeHtml(entry.status)}</td><td><code>${escapeHtml(entry.conversationId ?? '—')}</code></td><td>${escapeHtml(entry.note ?? '')}</td></tr>`,
        )
        .join('');
      return `<details id="${escapeHtml(journey.journeyId)}"><summary>${escapeHtml(journey.journeyId)} · ${escapeHtml(journey.name)} · ${escapeHtml(journey.personaName)} (${escapeHtml(journey.personaId)}) — ${journey.ok ? `kept, ${journey.warnings.length} note${journey.warnings.length === 1 ? '' : 's'}` : `${journey.issues.length} issue${journey.issues.length === 1 ? '' : 's'}`}</summary><ul>${journey.issues.map((issue) => `<li><b>${escapeHtml(issue.kind)}</b>: ${escapeHtml(issue.message)}</li>`).join('')}${journey.warnings.map((issue) => `<li class="note"><b>note, ${escapeHtml(issue.kind)}</b>: ${escapeHtml(issue.message)}</li>`).join('')}</ul><table><tr><th class="num">at</th><th>who</th><th>channel</th><th>ref</th><th>message</th><th>status</th><th>conversation</th><th>note</th></tr>${rows}</table></details>`;
    })
    .join('');
  const channelRows = report.channels
    .map(
      (channel) =>
        `<tr><td>${escapeHtml(channel.channel)}</td><td class="num">${channel.sent}</td><td class="num">${channel.acknowledged}</td><td class="num">${channel.redeliveries}</td><td class="num">${channel.lost}</td><td class="num">${channel.duplicated}</td><td class="num">${channel.repliesDelivered}</td><td class="num">${channel.providerSends}</td><td class="num">${channel.providerFaults}</td>${hops
          .map(
            (hop) =>
              `<td class="num">${formatDuration(report.latency[hop].byChannel[channel.channel]?.p95 ?? Number.NaN)}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('');
  const list = (record: Record<string, number>) =>
    Object.entries(record)
      .map(([key, count]) => `<code>${escapeHtml(key)}</code> ×${count}`)
      .join(', ') || 'none';

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Threadline simulation: ${escapeHtml(report.scenario.name)} — ${report.passed ? 'passed' : 'failed'}</title>
<style>${css}</style></head>
<body><main>
<h1>Threadline simulation: ${escapeHtml(report.scenario.name)}</h1>
<div class="muted">${escapeHtml(report.scenario.description)}</div>
<div class="muted">seed ${report.scenario.seed} · ${escapeHtml(report.target.kind)} gateway ${escapeHtml(report.target.baseUrl)} · started ${escapeHtml(report.startedAt)} · ran ${escapeHtml(formatDuration(report.durationMs))}${report.scenario.timeScale !== 1 ? ` · scenario time ×${report.scenario.timeScale}` : ''}</div>
<div class="verdict ${report.passed ? 'ok' : 'bad'}">${report.passed ? 'PASSED: every SLO holds' : `FAILED: ${escapeHtml([...failedSlos.map((slo) => slo.key), ...(report.handoff ?? []).filter((check) => !check.ok).map((check) => check.name)].join(', '))}`}</div>
<div class="cards">
${card('journeys kept', `${continuity.passed}/${continuity.journeys}`, continuity.failed > 0)}
${card('messages', `${load.acknowledged}/${load.plannedMessages} acknowledged`)}
${card('lost · duplicated', `${totals.lost} · ${totals.duplicated}`, totals.lost + totals.duplicated > 0)}
${card('misrouted replies', String(totals.misrouted), totals.misrouted > 0)}
${card('throughput', `${load.achievedPerSecond.toFixed(1)} of ${load.askedPerSecond.toFixed(1)} msg/s`)}
${card('replies delivered', String(totals.repliesDelivered))}
${report.restarts.length ? card('gateway restarts', report.restarts.map((restart) => `${formatDuration(restart.downForMs)} down`).join(', ')) : ''}
</div>
<h2>SLOs</h2>
<table><tr><th>SLO</th><th>target</th><th>actual</th><th>why</th></tr>
${report.slos.map((slo) => `<tr class="${slo.ok ? 'ok' : 'bad'}"><td>${slo.ok ? '✔' : '✘'} <code>${escapeHtml(slo.key)}</code></td><td>${escapeHtml(slo.target)}</td><td>${escapeHtml(slo.actual)}</td><td>${escapeHtml(slo.reason)}</td></tr>`).join('\n')}
</table>
${
  report.handoff
    ? `<h2>Handoffs (switchboard)</h2>
<table><tr><th>check</th><th>result</th></tr>
${report.handoff.map((check) => `<tr class="${check.ok ? 'ok' : 'bad'}"><td>${check.ok ? '✔' : '✘'} ${escapeHtml(check.name)}</td><td>${escapeHtml(check.detail)}</td></tr>`).join('\n')}
</table>`
    : ''
}
<h2>Latency per hop</h2>
<div class="hops">${hops.map((hop) => hopSection(hop, report)).join('')}</div>
<h2>Channels</h2>
<table><tr><th>channel</th><th class="num">sent</th><th class="num">acked</th><th class="num">retried</th><th class="num">lost</th><th class="num">dup</th><th class="num">replies</th><th class="num">provider calls</th><th class="num">provider faults</th>${hops.map((hop) => `<th class="num">p95 ${escapeHtml(hopLabels[hop])}</th>`).join('')}</tr>${channelRows}</table>
<h2>Journeys × continuity</h2>
<p class="muted">${continuity.journeys} journeys; green kept, red failed (open one below or click its square).${report.journeys.length > gridLimit ? ` The first ${gridLimit} are drawn.` : ''}</p>
<div class="grid">${cells}</div>
${failedJourneys.length || notedJourneys.length ? `<h2>Failed journeys (${failedJourneys.length})${notedJourneys.length ? ` and journeys with notes (${notedJourneys.length})` : ''}</h2>${journeyDetails}` : ''}
<h2>Errors and faults</h2>
<p><b>Errors:</b> ${list(report.errors)}</p>
<p><b>Faults injected:</b> ${list(report.faults)}</p>
<p><b>Events received by the app:</b> ${list(report.events)}</p>
<p><b>Status callbacks:</b> ${report.statusCallbacks.sent} delivered, ${report.statusCallbacks.failed} given up</p>
</main></body></html>
`;
}
