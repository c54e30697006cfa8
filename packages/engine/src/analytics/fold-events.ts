import type {
  AnalyticsChange,
  AnalyticsReader,
  ConversationAnalytics,
  CounterDelta,
  HistogramDelta,
} from './analytics-types.js';
import { conversationIdsOf, foldEvent, type LogEvent, type RollupDeltas } from './fold-event.js';
import { addCounters, addCounts, binKey, rollupKey } from './sum-rows.js';

/** The day row every hour row is also added to: `day:2026-03-01` (sorts after every hour). */
export const dayKey = (hour: string) => `day:${hour.slice(0, 10)}`;

/**
 * The dimensions of a day row over every channel and integration (no channel or id is `*`):
 * what a range without a channel or integration reads, one row per metric and day.
 */
export const allDimensions = { channel: '*', integrationId: '*' } as const;

/** A delta, and the same for its day row and the day's row over every channel and integration. */
export const withDayRows = <T extends CounterDelta | HistogramDelta>(delta: T): T[] => {
  const day = dayKey(delta.hour);
  return [delta, { ...delta, hour: day }, { ...delta, hour: day, ...allDimensions }];
};

/** Deltas summed per row (per bin for histogram deltas), copies: the inputs are left alone. */
const sumCounters = (deltas: Iterable<CounterDelta>) =>
  addCounters(new Map<string, CounterDelta>(), deltas, rollupKey);
const sumBins = (deltas: Iterable<HistogramDelta>) =>
  addCounts(new Map<string, HistogramDelta>(), deltas, binKey);

const sorted = <T>(map: Map<string, T>) =>
  [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, value]) => value);

/**
 * Deltas with one entry per row (and per bin), in key order: one upsert each, locks in one
 * order. Each is added to its hour row, its day row and the day's row over every channel and
 * integration, so a long range reads days, and an unfiltered one reads one row per day. The
 * hour rows are summed first: a pass of many events has few distinct rows.
 */
export function combineDeltas(deltas: RollupDeltas): Omit<AnalyticsChange, 'states'> {
  const hourCounters = [...sumCounters(deltas.counters).values()];
  const hourBins = [...sumBins(deltas.bins).values()];
  return {
    counters: sorted(sumCounters(hourCounters.flatMap(withDayRows))),
    bins: sorted(sumBins(hourBins.flatMap(withDayRows))),
  };
}

/** A state's copy (its one array copied too): cheaper than a structured clone. */
const copyState = (state: ConversationAnalytics): ConversationAnalytics => ({
  ...state,
  channels: [...state.channels],
});

/**
 * Whether two states are the same (every field is a primitive but `channels`). Both sides'
 * fields are compared: a state stored before a field existed differs from one that has it.
 */
function sameState(a: ConversationAnalytics, b: ConversationAnalytics): boolean {
  const differs = (from: ConversationAnalytics, to: ConversationAnalytics) => {
    for (const key in from) {
      if (key === 'channels') continue;
      if (from[key as keyof ConversationAnalytics] !== to[key as keyof ConversationAnalytics])
        return true;
    }
    return false;
  };
  if (differs(a, b) || differs(b, a)) return false;
  return a.channels.length === b.channels.length && a.channels.every((c, i) => b.channels[i] === c);
}

/**
 * Folds `events` and returns the change to write: the states the events changed (most
 * messages change none) and the deltas summed per row; also every state the events touched,
 * as it is after them, and the deltas one by one (each duration its own sample, for live
 * metrics). The states before come from `known`, else from `tx`; neither is changed.
 */
export async function foldBatch(
  tx: AnalyticsReader,
  events: readonly LogEvent[],
  known: ReadonlyMap<string, ConversationAnalytics> = new Map(),
): Promise<AnalyticsChange & { raw: RollupDeltas; touched: ConversationAnalytics[] }> {
  const touched = new Set<string>();
  for (const event of events) for (const id of conversationIdsOf(event)) if (id) touched.add(id);
  const before = new Map<string, ConversationAnalytics>();
  const missing: string[] = [];
  for (const id of touched) {
    const state = known.get(id);
    if (state) before.set(id, state);
    else missing.push(id);
  }
  if (missing.length > 0)
    for (const state of await tx.getAnalyticsStates(missing))
      before.set(state.conversationId, state);
  const states = new Map<string, ConversationAnalytics>();
  for (const [id, state] of before) states.set(id, copyState(state));
  const out: RollupDeltas = { counters: [], bins: [] };
  for (const event of events) foldEvent(event, states, out);
  const folded = [...touched].flatMap((id) => {
    const state = states.get(id);
    return state ? [state] : [];
  });
  return {
    states: folded.filter((state) => {
      const was = before.get(state.conversationId);
      return !was || !sameState(was, state);
    }),
    touched: folded,
    ...combineDeltas(out),
    raw: out,
  };
}
