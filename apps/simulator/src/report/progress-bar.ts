import { formatDuration } from '../parse-quantities.js';

export interface ProgressState {
  phase: string;
  elapsedMs: number;
  planned: number;
  acknowledged: number;
  seenByApp: number;
  replies: number;
  perSecond: number;
}

export interface Progress {
  update(state: ProgressState): void;
  note(line: string): void;
  done(): void;
}

/**
 * A one-line live progress bar on a terminal (redrawn in place), or a line every few
 * seconds when the output is a file or a CI log. Notes are printed even without the bar.
 */
export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  enabled = true,
): Progress {
  const tty = Boolean(stream.isTTY);
  let lastLine = 0;
  let drawn = false;
  const render = (state: ProgressState) => {
    const ratio = state.planned ? state.acknowledged / state.planned : 0;
    const width = 24;
    const filled = Math.round(ratio * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    return `${state.phase.padEnd(9)} ${bar} ${String(Math.round(ratio * 100)).padStart(3)}% ${state.acknowledged}/${state.planned} msgs · ${state.perSecond.toFixed(0)} msg/s · app saw ${state.seenByApp} · replies ${state.replies} · ${formatDuration(state.elapsedMs)}`;
  };
  return {
    update(state) {
      if (!enabled) return;
      if (tty) {
        const line = render(state).slice(0, (stream.columns ?? 120) - 1);
        stream.write(`\r\u001b[2K${line}`);
        drawn = true;
      } else if (state.elapsedMs - lastLine >= 5_000) {
        lastLine = state.elapsedMs;
        stream.write(`${render(state)}\n`);
      }
    },
    note(line) {
      stream.write(`${tty && drawn ? '\r\u001b[2K' : ''}${line}\n`);
    },
    done() {
      if (enabled && tty && drawn) stream.write('\r\u001b[2K');
      drawn = false;
    },
  };
}
