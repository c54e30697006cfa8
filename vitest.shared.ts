import { defaultClientConditions, defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';
import { RunStatusReporter } from './vitest-run-status-reporter.js';

/**
 * Shared Vitest settings for every workspace package: resolve sibling packages from their
 * TypeScript sources (the `@threadline/source` export condition) so tests never need a build,
 * and write a JSON report and a run status (unhandled errors, unfinished runs) that `.ci/run`
 * adds up.
 */
export const sharedConfig = defineConfig({
  // Vite's defaults plus ours. Never list `import` here: Vitest hands these to Node as
  // `--conditions`, and CommonJS `require` would then load the ESM build of dual packages.
  resolve: { conditions: ['@threadline/source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['@threadline/source', ...defaultServerConditions] } },
  test: {
    // compiled output is never a test file (Vitest 4 no longer leaves `dist` out by itself)
    exclude: [...configDefaults.exclude, '**/dist/**'],
    reporters: ['default', 'json', new RunStatusReporter()],
    outputFile: { json: './.vitest-report.json' },
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
