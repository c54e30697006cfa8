import { describe, expect, it } from 'vitest';
import { loadScenario } from './load-scenario.js';
import { planTraffic } from './plan-traffic.js';
import { renderHtmlReport } from './report/render-html-report.js';
import { renderTerminalReport } from './report/render-terminal-report.js';
import { runSimulation } from './run-simulation.js';
import { hops } from './scenario-schema.js';

describe('the smoke scenario against the gateway in-process', () => {
  it('keeps every journey across all five channels and measures every hop', async () => {
    const { scenario, source } = loadScenario('smoke');
    const report = await runSimulation({
      plan: planTraffic(scenario, source),
      target: { kind: 'in-process' },
    });

    const summary = renderTerminalReport(report);
    // latency verdicts depend on the machine and what else it runs; everything else must hold
    const latencySlos = new Set(
      report.slos.filter((slo) => /^(p50|p95|p99|max)\./.test(slo.key)).map((slo) => slo.key),
    );
    expect(latencySlos.size, summary).toBe(2);
    expect(
      report.slos.filter((slo) => !slo.ok && !latencySlos.has(slo.key)),
      summary,
    ).toEqual([]);
    expect(report.continuity).toMatchObject({ journeys: 50, passed: 50, failed: 0 });
    expect(report.totals).toMatchObject({
      lost: 0,
      duplicated: 0,
      misrouted: 0,
      neverAcknowledged: 0,
      unseenByApp: 0,
    });
    expect(report.totals.repliesDelivered).toBe(report.load.plannedMessages);
    // the gateway's analytics agree with what the simulator saw happen
    expect(
      report.analytics?.checks.filter((check) => !check.ok),
      summary,
    ).toEqual([]);
    expect(
      report.analytics?.checks.find((check) => check.figure === 'customer messages'),
    ).toMatchObject({
      gateway: report.load.plannedMessages,
    });
    expect(report.channels.map((channel) => channel.channel)).toEqual([
      'whatsapp',
      'sms',
      'email',
      'telegram',
      'webchat',
    ]);
    for (const hop of hops) {
      expect(report.latency[hop].all.count, hop).toBeGreaterThan(0);
      expect(Object.keys(report.latency[hop].byChannel).sort(), hop).toEqual([
        'email',
        'sms',
        'telegram',
        'webchat',
        'whatsapp',
      ]);
    }
    expect(report.events['message.received']).toBe(report.load.plannedMessages);
    expect(report.events['conversation.reopened']).toBeGreaterThan(0);

    expect(summary).toMatch(/PASSED: every SLO holds|FAILED: \d SLOs? failed \((p\d\d|max)\./);
    expect(summary).toMatch(/gateway → app \(event\)\s+all\s+\d+/);
    const html = renderHtmlReport(report);
    expect(html.match(/<svg /g)).toHaveLength(hops.length);
    expect(html).not.toMatch(/<script|<link|\ssrc=|url\(/);
  });
});
