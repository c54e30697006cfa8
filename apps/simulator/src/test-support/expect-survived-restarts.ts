import { expect } from 'vitest';
import type { SimulationReport } from '../report/build-report.js';
import { renderTerminalReport } from '../report/render-terminal-report.js';

/**
 * What a chaos run must show after `restarts` kills of the gateway: nothing lost, doubled or
 * left unacknowledged, the kills felt (webhooks failed and were redelivered, the event stream
 * came back after each), and the report passing.
 */
export function expectSurvivedRestarts(report: SimulationReport, restarts: number): void {
  const summary = renderTerminalReport(report);
  expect(report.restarts, summary).toHaveLength(restarts);
  expect(report.totals.lost, summary).toBe(0);
  expect(report.totals.duplicated, summary).toBe(0);
  expect(report.totals.neverAcknowledged, summary).toBe(0);
  expect(
    Object.keys(report.errors).some((code) => code.startsWith('ingress_')),
    summary,
  ).toBe(true);
  expect(report.events.stream_resumed, summary).toBeGreaterThanOrEqual(restarts);
  expect(report.faults.webhook_redelivered, summary).toBeGreaterThan(0);
  expect(report.passed, summary).toBe(true);
}
