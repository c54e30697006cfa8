import type {
  AnalyticsChange,
  ConversationAnalytics,
  CounterDelta,
  HistogramDelta,
} from './analytics-types.js';
import { combineDeltas } from './fold-events.js';

/** A state's copy (its one array copied too): cheaper than a structured clone. */
const copyState = (state: ConversationAnalytics): ConversationAnalytics => ({
  ...state,
  channels: [...state.channels],
});

/**
 * A store transaction's analytics writes, held until it commits: states by conversation
 * (read back before the stored ones), deltas summed per row — the writes of a group commit's
 * works become one upsert per row. Dropped with a rollback.
 */
export class AnalyticsBuffer {
  readonly states = new Map<string, ConversationAnalytics>();
  private counters: CounterDelta[] = [];
  private bins: HistogramDelta[] = [];

  add(change: AnalyticsChange): void {
    for (const state of change.states) this.states.set(state.conversationId, copyState(state));
    this.counters.push(...change.counters);
    this.bins.push(...change.bins);
  }

  /** The held copies of these states (clones), and the ids it does not hold. */
  held(ids: string[]): { states: ConversationAnalytics[]; rest: string[] } {
    const states: ConversationAnalytics[] = [];
    const rest: string[] = [];
    for (const id of ids) {
      const state = this.states.get(id);
      if (state) states.push(copyState(state));
      else rest.push(id);
    }
    return { states, rest };
  }

  adopt(other: AnalyticsBuffer): void {
    this.add({ states: [...other.states.values()], counters: other.counters, bins: other.bins });
    other.clear();
  }

  clear(): void {
    this.states.clear();
    this.counters = [];
    this.bins = [];
  }

  get empty(): boolean {
    return this.states.size === 0 && this.counters.length === 0 && this.bins.length === 0;
  }

  /** Everything held, summed per row (states in id order), and the buffer emptied. */
  take(): AnalyticsChange {
    const states = [...this.states.values()].sort((a, b) =>
      a.conversationId < b.conversationId ? -1 : 1,
    );
    // the changes added already hold their day rows: only summed here
    const combined = combineDeltas(
      { counters: this.counters, bins: this.bins },
      { addDays: false },
    );
    this.clear();
    return { states, ...combined };
  }
}
