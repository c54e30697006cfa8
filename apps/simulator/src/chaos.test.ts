import { describe, it } from 'vitest';
import { loadScenario } from './load-scenario.js';
import { planTraffic } from './plan-traffic.js';
import { runSimulation } from './run-simulation.js';
import { expectSurvivedRestarts } from './test-support/expect-survived-restarts.js';

describe('chaos against a spawned gateway', () => {
  it('kills and restarts the gateway mid-run and still loses and doubles nothing', async () => {
    const { scenario, source } = loadScenario('chaos');
    const report = await runSimulation({
      plan: planTraffic(scenario, source),
      target: { kind: 'spawn' },
    });
    expectSurvivedRestarts(report, 1);
  });
});
