import { defineConfig } from 'vitest/config';

/**
 * Shared Vitest settings for every workspace package: resolve sibling packages from their
 * TypeScript sources (the `@threadline/source` export condition) so tests never need a build,
 * and write a JSON report that `.ci/run` adds up.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@threadline/source', 'import', 'node', 'default'] },
  ssr: { resolve: { conditions: ['@threadline/source', 'import', 'node', 'default'] } },
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: './.vitest-report.json' },
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
