import { describe, expect, it } from 'vitest';
import { loadScenario } from './load-scenario.js';
import { planTraffic } from './plan-traffic.js';
import { renderTerminalReport } from './report/render-terminal-report.js';
import { runSimulation } from './run-simulation.js';

describe('the handoff scenario against the gateway in-process', () => {
  it('answers every customer by the integration in control, keeps metadata across handoffs, and times out only a silent bot', async () => {
    const { scenario, source } = loadScenario('handoff');
    const report = await runSimulation({
      plan: planTraffic(scenario, source),
      target: { kind: 'in-process' },
    });
    const summary = renderTerminalReport(report);
    expect(
      report.handoff?.map((check) => [check.name, check.ok]),
      summary,
    ).toEqual([
      ['every customer message answered by exactly the integration in control', true],
      ['answers from an integration not in control', true],
      ["the desk received the bot's metadata in every handoff", true],
      ['timeouts fired when and only when the bot was silent', true],
    ]);
    // the seed makes some customers meet a silent bot, and the rest a bot that hands over
    expect(report.handoff?.[3]?.detail, summary).toMatch(/^[1-9]\d* timeouts for [1-9]/);
    expect(report.handoff?.[2]?.detail, summary).toMatch(/^([1-9]\d*) of \1 handoffs/);
    expect(report.continuity).toMatchObject({ journeys: 30, passed: 30, failed: 0 });
    expect(
      report.slos.filter((slo) => !slo.ok),
      summary,
    ).toEqual([]);
    expect(report.passed).toBe(true);
    expect(summary).toContain('PASSED: every SLO and handoff check holds');
  }, 120_000);
});
