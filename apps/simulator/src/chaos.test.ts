import { describe, expect, it } from 'vitest';
import { loadScenario } from './load-scenario.js';
import { planTraffic } from './plan-traffic.js';
import { renderTerminalReport } from './report/render-terminal-report.js';
import { runSimulation } from './run-simulation.js';

describe('chaos against a spawned gateway', () => {
  it('kills and restarts the gateway mid-run and still loses and doubles nothing', async () => {
    const { scenario, source } = loadScenario('chaos');
    const report = await runSimulation({
      plan: planTraffic(scenario, source),
      target: { kind: 'spawn' },
    });
    const summary = renderTerminalReport(report);

    expect(report.restarts, summary).toHaveLength(1);
    expect(report.totals.lost, summary).toBe(0);
    expect(report.totals.duplicated, summary).toBe(0);
    expect(report.totals.neverAcknowledged, summary).toBe(0);
    // the restart was felt: webhooks failed and were redelivered, the stream came back
    expect(
      Object.keys(report.errors).some((code) => code.startsWith('ingress_')),
      summary,
    ).toBe(true);
    expect(report.events.stream_resumed, summary).toBeGreaterThanOrEqual(1);
    expect(report.faults.webhook_redelivered, summary).toBeGreaterThan(0);
    expect(report.passed, summary).toBe(true);
  });
});
