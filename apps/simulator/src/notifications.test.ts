import { describe, expect, it } from 'vitest';
import { loadScenario } from './load-scenario.js';
import { planTraffic } from './plan-traffic.js';
import { renderTerminalReport } from './report/render-terminal-report.js';
import { runSimulation } from './run-simulation.js';

describe('the notifications scenario against the gateway in-process', () => {
  it('keeps quiet hours, opt-outs and caps, falls back only when due, and threads every reply in', async () => {
    const { scenario, source } = loadScenario('notifications');
    const report = await runSimulation({
      plan: planTraffic(scenario, source),
      target: { kind: 'in-process' },
    });
    const summary = renderTerminalReport(report);
    expect(
      report.notifications?.map((check) => [check.name, check.ok]),
      summary,
    ).toEqual([
      ['0 sent in quiet hours (non-critical)', true],
      ['0 sent to opted-out categories', true],
      ['frequency caps held', true],
      ['fallbacks fired only when due', true],
      ["every reply in the notification's conversation", true],
    ]);
    expect(
      report.slos.filter((slo) => !slo.ok),
      summary,
    ).toEqual([]);
    expect(report.passed, summary).toBe(true);
    expect(summary).toContain('PASSED: every SLO and notification check holds');
  }, 120_000);
});
