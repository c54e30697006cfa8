import { parseScenario } from './load-scenario.js';
import {
  type PlannedJourney,
  type PlannedMessage,
  type PlannedPersona,
  type TrafficPlan,
  trafficFormat,
} from './plan-traffic.js';

type TrafficLine =
  | {
      kind: 'header';
      format: typeof trafficFormat;
      scenario: string;
      seed: number;
      personas: number;
      journeys: number;
      messages: number;
      skippedArrivals: number;
      scenarioSource: unknown;
    }
  | ({ kind: 'persona' } & PlannedPersona)
  | ({ kind: 'journey' } & PlannedJourney)
  | ({ kind: 'message' } & PlannedMessage);

/**
 * The plan as JSON Lines: a header (with the scenario as written), then personas, journeys
 * and messages in sending order, each with its time. Keys are written in a fixed order, so
 * the same plan always gives the same bytes.
 */
export function* trafficLines(plan: TrafficPlan): Generator<string> {
  const line = (value: TrafficLine) => `${JSON.stringify(value)}\n`;
  yield line({
    kind: 'header',
    format: trafficFormat,
    scenario: plan.scenario.name,
    seed: plan.scenario.seed,
    personas: plan.personas.length,
    journeys: plan.journeys.length,
    messages: plan.messages.length,
    skippedArrivals: plan.skippedArrivals,
    scenarioSource: plan.scenarioSource,
  });
  for (const persona of plan.personas) yield line({ kind: 'persona', ...persona });
  for (const journey of plan.journeys) yield line({ kind: 'journey', ...journey });
  for (const message of plan.messages) yield line({ kind: 'message', ...message });
}

export function serializeTraffic(plan: TrafficPlan): string {
  return [...trafficLines(plan)].join('');
}

export class TrafficFileError extends Error {
  override name = 'TrafficFileError';
}

/** Reads a traffic file back; the scenario inside is validated again. */
export function parseTraffic(text: string, source = 'traffic file'): TrafficPlan {
  const lines = text.split('\n').filter((line) => line.trim().length > 0);
  const parsed = lines.map((line, index) => {
    try {
      return JSON.parse(line) as TrafficLine;
    } catch {
      throw new TrafficFileError(`${source}:${index + 1} is not JSON`);
    }
  });
  const header = parsed[0];
  if (header?.kind !== 'header' || header.format !== trafficFormat) {
    throw new TrafficFileError(`${source} does not start with a ${trafficFormat} header`);
  }
  const plan: TrafficPlan = {
    format: trafficFormat,
    scenarioSource: header.scenarioSource,
    scenario: parseScenario(header.scenarioSource, `${source} (scenario)`),
    personas: [],
    journeys: [],
    messages: [],
    skippedArrivals: header.skippedArrivals,
  };
  for (const [index, line] of parsed.entries()) {
    const { kind, ...rest } = line;
    if (kind === 'persona') plan.personas.push(rest as PlannedPersona);
    else if (kind === 'journey') plan.journeys.push(rest as PlannedJourney);
    else if (kind === 'message') plan.messages.push(rest as PlannedMessage);
    else if (index > 0)
      throw new TrafficFileError(`${source}:${index + 1}: unknown line kind "${kind}"`);
  }
  if (plan.messages.length !== header.messages || plan.personas.length !== header.personas) {
    throw new TrafficFileError(
      `${source} is cut short: the header announces ${header.messages} messages and ${header.personas} personas`,
    );
  }
  return plan;
}
