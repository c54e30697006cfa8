import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, TestRunEndReason } from 'vitest/node';

/** What `.vitest-status.json` holds: how the run ended, and the errors no test owned. */
export interface RunStatus {
  state: 'running' | TestRunEndReason;
  unhandledErrors: string[];
}

/**
 * Writes `.vitest-status.json` beside the JSON report: `running` when the run starts, then
 * how it ended with Vitest's unhandled errors (an uncaught exception, an unhandled
 * rejection). The JSON report has no room for those, yet they make Vitest exit non-zero;
 * `scripts/count-test-results.mjs` counts them, and a run that never finished, as failures.
 */
export class RunStatusReporter implements Reporter {
  private file = '.vitest-status.json';

  onInit(vitest: { config: { root: string } }): void {
    this.file = join(vitest.config.root, '.vitest-status.json');
    this.write({ state: 'running', unhandledErrors: [] });
  }

  onTestRunEnd(
    _modules: ReadonlyArray<unknown>,
    unhandledErrors: ReadonlyArray<{ name?: string; message?: string }>,
    reason: TestRunEndReason,
  ): void {
    this.write({
      state: reason,
      unhandledErrors: unhandledErrors.map(
        (error) => `${error.name ?? 'Error'}: ${error.message ?? '(no message)'}`,
      ),
    });
  }

  private write(status: RunStatus): void {
    writeFileSync(this.file, `${JSON.stringify(status, null, 2)}\n`);
  }
}
