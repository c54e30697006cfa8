import type { ThreadlineEvent } from '@threadline/schema';
import type { EngineLog } from '../engine-context.js';
import type { Store, StoreTransaction } from '../ports.js';
import type { AnalyticsCursor, ConversationAnalytics } from './analytics-types.js';
import type { RollupDeltas } from './fold-event.js';
import { foldBatch } from './fold-events.js';

export interface AnalyticsProjectorOptions {
  store: Store;
  /** Names this projector's writes of the position (its cache is good while they are the latest). */
  token: string;
  /** Called after each commit with its deltas, one per sample (live metrics). */
  onDeltas?: ((deltas: RollupDeltas) => void) | undefined;
  log?: EngineLog | undefined;
  /** Events folded per transaction. */
  pageSize?: number;
  /** States kept in memory between transactions (oldest out first). */
  cacheSize?: number;
  /** How soon to try again when another instance holds the position. */
  retryMs?: number;
  /** The shortest time between the starts of two passes after commits. */
  paceMs?: number;
  /**
   * Fold after commits (default true). False: passes run only when asked for (`catchUp`,
   * `rebuild`) until `foldHere(true)` — where one instance of several folds for them all.
   */
  foldsAfterCommits?: boolean;
}

export type AnalyticsProjector = ReturnType<typeof createAnalyticsProjector>;

/**
 * Keeps the analytics folded up to the end of the event log: after commits, in transactions of
 * its own, so ingest and sends never wait for the rollups. Each transaction claims the stored
 * position, folds the events after it and moves it with its writes: every event is folded once,
 * on whichever instance gets there first, and a crash leaves the position where the last commit
 * put it. The states it folded stay in memory (bounded) for as long as the stored position is
 * the one it wrote, so a busy conversation costs no read per message.
 */
export function createAnalyticsProjector(options: AnalyticsProjectorOptions) {
  const { store, token } = options;
  const pageSize = options.pageSize ?? 2_000;
  const cacheSize = options.cacheSize ?? 50_000;
  const retryMs = options.retryMs ?? 50;
  const paceMs = options.paceMs ?? 20;
  const writeApart: Store['write'] = (work) =>
    store.writeApart ? store.writeApart(work) : store.write(work);
  /** States as of `folded`, the position this projector last committed. */
  const cache = new Map<string, ConversationAnalytics>();
  let folded: number | undefined;
  let running: Promise<void> | undefined;
  /** Events were committed since the last pass began. */
  let pending = false;
  let lastPass = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let folding = options.foldsAfterCommits ?? true;
  /** Events this instance committed and the fold has not passed, in cursor order. */
  let committed: ThreadlineEvent[] = [];
  /** Events were dropped from `committed` (too many): which are new is unknown. */
  let dropped = false;
  /** Another instance committed events since the last pass began. */
  let elsewhere = false;
  const maxQueued = pageSize * 10;

  /**
   * The events right after `after` from memory, when this instance committed them all: their
   * cursors follow `after` without a gap, so no other instance's event lies between them. A
   * gap (another instance wrote, a rolled-back sequence number) ends the run; undefined when
   * the first event is not there. At most `limit`.
   */
  function fromMemory(after: number, limit = pageSize): ThreadlineEvent[] | undefined {
    let start = 0;
    while (start < committed.length && committed[start]!.cursor <= after) start++;
    if (start > 0) committed = committed.slice(start);
    let end = 0;
    while (end < committed.length && end < limit && committed[end]!.cursor === after + 1 + end)
      end++;
    return end > 0 ? committed.slice(0, end) : undefined;
  }

  /**
   * A page of the events after `after`, in cursor order: this instance's own from memory, from
   * the log what lies between them (other instances' events), and the log after the last of
   * them (what others committed since).
   */
  async function eventsAfter(tx: StoreTransaction, after: number): Promise<ThreadlineEvent[]> {
    const events: ThreadlineEvent[] = [];
    let at = after;
    while (events.length < pageSize) {
      const own = fromMemory(at, pageSize - events.length);
      if (own) {
        events.push(...own);
        at = own.at(-1)!.cursor;
        continue;
      }
      const next = committed[0]?.cursor;
      if (next === undefined) {
        events.push(...(await tx.listEvents(at, pageSize - events.length)));
        break;
      }
      // the log up to this instance's next event (it is committed: the read reaches it)
      const between = await tx.listEvents(at, Math.min(next - at - 1, pageSize - events.length));
      if (between.length === 0) break;
      events.push(...between);
      at = between.at(-1)!.cursor;
    }
    return events;
  }

  /**
   * One transaction: the events after the stored position (a page), folded and written.
   * Returns the position after it, whether more may follow, or undefined when another
   * transaction holds the position (`wait: false`). Pure towards this closure until it commits:
   * a group commit may run it twice.
   */
  async function step(wait: boolean): Promise<{ at: number; more: boolean } | undefined> {
    const result = await writeApart(async (tx) => {
      const at = await tx.claimAnalyticsCursor({ wait });
      if (!at) return undefined;
      // the cached states are the stored ones only while the position is the one this wrote
      const cached = at.token === token && at.cursor === folded;
      const events = await eventsAfter(tx, at.cursor);
      if (events.length === 0) return { at, cached, states: undefined, raw: undefined };
      const { raw, touched, ...change } = await foldBatch(tx, events, cached ? cache : new Map());
      const to: AnalyticsCursor = { cursor: events.at(-1)!.cursor, token };
      await tx.applyAnalytics(change, to);
      return { at: to, cached, states: touched, raw, more: events.length === pageSize };
    });
    if (!result) return undefined;
    if (!result.states) return { at: result.at.cursor, more: false };
    if (!result.cached) cache.clear();
    for (const state of result.states) {
      cache.delete(state.conversationId);
      cache.set(state.conversationId, state);
    }
    for (const id of cache.keys()) {
      if (cache.size <= cacheSize) break;
      cache.delete(id);
    }
    folded = result.at.cursor;
    if (result.raw) options.onDeltas?.(result.raw);
    return { at: result.at.cursor, more: result.more ?? false };
  }

  function forget(): void {
    cache.clear();
    committed = [];
    folded = undefined;
  }

  /** Folds until the log is done, or another instance holds the position (then later). */
  async function drain(): Promise<void> {
    let held = false;
    try {
      for (;;) {
        const done = await step(false);
        if (!done) {
          held = true;
          break;
        }
        if (!done.more) break;
      }
    } catch (error) {
      forget();
      if (!stopped)
        options.log?.('error', 'analytics fold failed', {
          error: error instanceof Error ? error.message : String(error),
        });
    } finally {
      running = undefined;
      if (held) later(retryMs);
      else if (pending && unfolded()) later(lastPass + paceMs - Date.now());
    }
  }

  /**
   * Whether events may still be unfolded: this instance's (a pass often took them all), or
   * other instances'.
   */
  function unfolded(): boolean {
    return (
      dropped || elsewhere || (committed.length > 0 && committed.at(-1)!.cursor > (folded ?? 0))
    );
  }

  function start(): void {
    if (stopped || running) return;
    pending = false;
    dropped = false;
    elsewhere = false;
    lastPass = Date.now();
    running = drain();
  }

  function later(delay: number): void {
    if (stopped || !folding || running || timer) return;
    if (delay <= 0) {
      start();
      return;
    }
    timer = setTimeout(() => {
      timer = undefined;
      start();
    }, delay);
    timer.unref?.();
  }

  /**
   * Events committed: fold them soon — at once when the last pass began `paceMs` ago or more,
   * else when that time is up (passes under load fold many commits each).
   */
  function notify(events: readonly ThreadlineEvent[] = []): void {
    if (stopped) return;
    if (!folding) {
      // another instance folds them: nothing is kept for a pass here
      committed = [];
      dropped = true;
      return;
    }
    if (committed.length + events.length > maxQueued) {
      committed = [];
      dropped = true;
    } else if (events.length > 0) {
      const sorted = committed.length === 0 || committed.at(-1)!.cursor < events[0]!.cursor;
      committed.push(...events);
      if (!sorted) committed.sort((a, b) => a.cursor - b.cursor);
    }
    pending = true;
    later(lastPass + paceMs - Date.now());
  }

  /**
   * Resolves once every event committed before the call is folded (on any instance). Its passes
   * wait for the position when another instance holds it, and run one at a time with the
   * passes after commits.
   */
  async function catchUp(): Promise<void> {
    const target = await store.read.latestCursor();
    for (;;) {
      while (running) await running;
      if (folded !== undefined && folded >= target) return;
      const pass = step(true);
      running = pass.then(
        () => undefined,
        () => undefined,
      );
      try {
        const done = await pass;
        if (done && (done.at >= target || !done.more)) return;
      } catch (error) {
        forget();
        throw error;
      } finally {
        running = undefined;
        if (pending && unfolded()) later(lastPass + paceMs - Date.now());
      }
    }
  }

  /**
   * Rebuilds every state and rollup from the event log, in one transaction: what a definition
   * change needs to be backfilled. The states stay in memory while the log is read (about
   * 0.5 KB per conversation); readers see the old figures until it commits.
   */
  async function rebuild(
    rebuildOptions: { pageSize?: number } = {},
  ): Promise<{ events: number; conversations: number }> {
    while (running) await running;
    const size = rebuildOptions.pageSize ?? 5_000;
    try {
      return await writeApart(async (tx) => {
        await tx.claimAnalyticsCursor({ wait: true });
        await tx.clearAnalytics();
        const states = new Map<string, ConversationAnalytics>();
        let after = 0;
        let events = 0;
        for (;;) {
          const page = await tx.listEvents(after, size);
          if (page.length === 0) break;
          const { raw: _raw, touched, ...change } = await foldBatch(tx, page, states);
          for (const state of touched) states.set(state.conversationId, state);
          after = page.at(-1)!.cursor;
          await tx.applyAnalytics(change, { cursor: after, token: `rebuild:${token}` });
          events += page.length;
          if (page.length < size) break;
        }
        return { events, conversations: states.size };
      });
    } finally {
      forget();
    }
  }

  /**
   * Fold after commits here, or leave it to another instance. Turned on, a pass starts at once
   * (what others committed meanwhile is in the log); turned off, the running pass finishes.
   */
  function foldHere(on: boolean): void {
    if (folding === on) return;
    folding = on;
    if (!on) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      committed = [];
      dropped = true;
      return;
    }
    committedElsewhere();
  }

  /** Another instance committed events: fold them soon, when this instance folds. */
  function committedElsewhere(): void {
    if (stopped || !folding) return;
    elsewhere = true;
    pending = true;
    later(lastPass + paceMs - Date.now());
  }

  /** No more passes; resolves when the running one is done. */
  async function stop(): Promise<void> {
    stopped = true;
    if (timer) clearTimeout(timer);
    while (running) await running;
  }

  return { notify, committedElsewhere, foldHere, catchUp, rebuild, stop };
}
