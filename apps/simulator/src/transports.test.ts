import { describe, expect, it } from 'vitest';
import { runSimulation } from './run-simulation.js';
import { planForTests } from './test-support/scenario-for-tests.js';

describe('the answering app hears of messages three ways', () => {
  it.each(['websocket', 'webhook'] as const)(
    'over %s, every journey is kept',
    async (transport) => {
      const report = await runSimulation({
        plan: planForTests({ app: { transport, replyAfter: '5ms..20ms' } }),
        target: { kind: 'in-process' },
      });
      expect(report.slos.filter((slo) => !slo.ok)).toEqual([]);
      expect(report.totals.repliesDelivered).toBe(report.load.plannedMessages);
      expect(report.latency.inbound_to_app.all.count).toBe(report.load.plannedMessages);
    },
  );
});
