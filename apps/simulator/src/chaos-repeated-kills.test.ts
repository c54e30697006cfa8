import { describe, expect, it } from 'vitest';
import { loadScenario } from './load-scenario.js';
import { planTraffic } from './plan-traffic.js';
import { renderTerminalReport } from './report/render-terminal-report.js';
import { runSimulation } from './run-simulation.js';
import { expectSurvivedRestarts } from './test-support/expect-survived-restarts.js';

// a minute of traffic, six restarts of a gateway started through tsx, and the drain
const timeout = 240_000;

describe('chaos with the gateway killed every 10 s', () => {
  it('kills a spawned gateway 6 times under traffic and loses and doubles nothing', {
    timeout,
  }, async () => {
    const { scenario, source } = loadScenario('chaos-kill-every-10s');
    const report = await runSimulation({
      plan: planTraffic(scenario, source),
      target: { kind: 'spawn' },
    });
    const summary = renderTerminalReport(report);

    // 6 kills, 10 s apart, one at a time: none before its turn (give or take the first
    // kill's timer running late), none before the previous restart was back and had run 6 s
    expect(report.restarts, summary).toHaveLength(6);
    const [first] = report.restarts;
    report.restarts.forEach((restart, index) => {
      expect(restart.at - first!.at, summary).toBeGreaterThanOrEqual(index * 10_000 - 500);
      const previous = report.restarts[index - 1];
      if (previous)
        expect(restart.at, summary).toBeGreaterThanOrEqual(
          previous.at + previous.downForMs + 6_000,
        );
    });
    expectSurvivedRestarts(report, 6);
  });
});
