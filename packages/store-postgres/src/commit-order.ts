export interface CommitTicket {
  answered: boolean;
  cursor?: number;
  /** Commits that were still unanswered when this one was answered. */
  waitFor?: CommitTicket[];
  release?: () => void;
}

/**
 * Answers this process's commits in cursor order. PostgreSQL frees the sequencer lock a
 * moment before it answers COMMIT, so the answers of two commits can arrive out of cursor
 * order. A commit answered with cursor c is released once every commit that was still
 * unanswered at that moment has been answered (a commit sent later gets a larger cursor),
 * and after every answered commit with a smaller cursor — so callers see commits in cursor
 * order, as the engine's `onCommitted` promises.
 */
export function createCommitOrder() {
  const unanswered = new Set<CommitTicket>();
  const answered: CommitTicket[] = [];
  let scheduled = false;

  function release(): void {
    answered.sort((a, b) => a.cursor! - b.cursor!);
    const head = answered[0];
    if (!head || head.waitFor!.some((ticket) => !ticket.answered)) return;
    answered.shift();
    head.release!();
    // the next one after the released commit's continuation has run
    if (answered.length > 0 && !scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        release();
      });
    }
  }

  return {
    committing(): CommitTicket {
      const ticket: CommitTicket = { answered: false };
      unanswered.add(ticket);
      return ticket;
    },
    /** The commit was answered (`cursor` undefined: no events, or it failed). */
    committed(ticket: CommitTicket, cursor: number | undefined): Promise<void> {
      if (ticket.answered) return Promise.resolve();
      ticket.answered = true;
      unanswered.delete(ticket);
      if (cursor === undefined) {
        release();
        return Promise.resolve();
      }
      ticket.cursor = cursor;
      ticket.waitFor = [...unanswered];
      const released = new Promise<void>((resolve) => {
        ticket.release = resolve;
      });
      answered.push(ticket);
      release();
      return released;
    },
  };
}
