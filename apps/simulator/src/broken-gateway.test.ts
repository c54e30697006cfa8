import type { ConnectorV1 } from '@threadline/connector-kit';
import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from './report/render-html-report.js';
import { runSimulation } from './run-simulation.js';
import { planForTests } from './test-support/scenario-for-tests.js';

/** A broken build: connectors that give every delivery a new id, so dedupe never matches. */
function breakDedupe(connectors: Map<string, ConnectorV1>): void {
  let counter = 0;
  for (const connector of connectors.values()) {
    const parse = connector.parse.bind(connector);
    connector.parse = async (request) => {
      const parsed = await parse(request);
      return {
        ...parsed,
        events: parsed.events.map((event) =>
          event.type === 'message'
            ? {
                ...event,
                message: {
                  ...event.message,
                  externalId: `${event.message.externalId}~${++counter}`,
                },
              }
            : event,
        ),
      };
    };
  }
}

describe('a broken build makes the report fail, naming the journeys', () => {
  it('finds the duplicates a gateway without dedupe stores when providers redeliver', async () => {
    const plan = planForTests({ faults: { webhookRedelivery: { rate: '30%', times: 2 } } });
    const redelivered = new Set(
      plan.messages.filter((message) => message.deliveries > 1).map((message) => message.journeyId),
    );
    expect(redelivered.size).toBeGreaterThan(0);

    const healthy = await runSimulation({ plan, target: { kind: 'in-process' } });
    expect(healthy.passed).toBe(true);
    expect(healthy.totals.duplicated).toBe(0);

    const report = await runSimulation({
      plan,
      target: { kind: 'in-process' },
      tamper: breakDedupe,
    });
    expect(report.passed).toBe(false);
    const failed = report.journeys.filter((journey) => !journey.ok);
    expect(new Set(failed.map((journey) => journey.journeyId))).toEqual(redelivered);
    for (const journey of failed)
      expect(journey.issues.map((issue) => issue.kind)).toContain('duplicated');
    const duplicatedSlo = report.slos.find((slo) => slo.key === 'duplicated')!;
    expect(duplicatedSlo.ok).toBe(false);
    for (const journeyId of redelivered) expect(duplicatedSlo.reason).toContain(journeyId);
    const html = renderHtmlReport(report);
    for (const journeyId of redelivered) expect(html).toContain(`<details id="${journeyId}">`);
  });

  it('finds every reply an app sent to the wrong channel', async () => {
    const plan = planForTests();
    // every journey that is not on SMS only expects some answer elsewhere
    const expectedToFail = new Set(
      plan.messages
        .filter((message) => message.channel !== 'sms')
        .map((message) => message.journeyId),
    );
    const report = await runSimulation({
      plan,
      target: { kind: 'in-process' },
      app: { replyChannel: 'sms' },
    });
    expect(report.passed).toBe(false);
    const failed = report.journeys
      .filter((journey) => !journey.ok)
      .map((journey) => journey.journeyId);
    expect(new Set(failed)).toEqual(expectedToFail);
    expect(report.journeys.filter((journey) => journey.ok).length).toBe(
      plan.journeys.length - expectedToFail.size,
    );
    expect(report.slos.find((slo) => slo.key === 'misrouted')?.ok).toBe(false);
    expect(report.slos.find((slo) => slo.key === 'continuity')?.reason).toMatch(
      /journeys failed: j\d+/,
    );
  });
});
