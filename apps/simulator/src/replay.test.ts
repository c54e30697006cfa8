import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadScenario } from './load-scenario.js';
import { planTraffic, speedUp } from './plan-traffic.js';
import { runSimulation } from './run-simulation.js';
import { planForTests } from './test-support/scenario-for-tests.js';
import { parseTraffic, serializeTraffic } from './traffic-file.js';
import type { TrafficLedger } from './traffic-ledger.js';

const simulatorDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What the fake providers handed the gateway, in the order they began. */
function sentTraffic(ledger: TrafficLedger) {
  return [...ledger.customer.values()].map((record) => ({
    id: record.message.id,
    channel: record.message.channel,
    persona: record.message.personaId,
    externalId: record.externalId,
    content: record.message.content,
  }));
}

describe('generate and replay', () => {
  it('`simulate generate` writes the traffic file the scenario plans', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@threadline/source', '--import', 'tsx', 'src/cli.ts', 'generate', 'smoke'],
      { cwd: simulatorDirectory, maxBuffer: 16 * 1024 * 1024 },
    );
    const { scenario, source } = loadScenario('smoke');
    const expected = serializeTraffic(planTraffic(scenario, source)).split('\n');
    expect(stdout.split('\n')).toEqual(expected);
  });

  it('replays one file twice as the same traffic: same messages, same ids, same order', async () => {
    const file = serializeTraffic(planForTests());
    const runs: Array<ReturnType<typeof sentTraffic>> = [];
    for (let run = 0; run < 2; run++) {
      let ledger: TrafficLedger | undefined;
      const report = await runSimulation({
        plan: speedUp(parseTraffic(file), 2),
        target: { kind: 'in-process' },
        observe: (observed) => {
          ledger = observed;
        },
      });
      expect(report.passed).toBe(true);
      runs.push(sentTraffic(ledger!));
    }
    expect(runs[1]).toEqual(runs[0]);
    const planned = parseTraffic(file).messages;
    expect(runs[0]!.map((message) => message.id)).toEqual(planned.map((message) => message.id));
  });
});
