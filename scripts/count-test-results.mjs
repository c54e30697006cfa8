// Adds up the Vitest JSON reports every workspace wrote during `npm test` and prints one
// closing line, "N passed, N failed". Exits non-zero when a test failed or no test ran.
//
// Besides failed tests it counts as failures what makes Vitest exit non-zero without a failed
// test, from `.vitest-status.json` (vitest-run-status-reporter.ts): each unhandled error (an
// uncaught exception, an unhandled rejection), a test file that failed before its tests ran,
// a run that ended "failed" with nothing else to show for it, and a run that was interrupted or
// never finished.
// So the line never says 0 failed on a red run.
//
// Usage: node scripts/count-test-results.mjs [repository root]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? new URL('..', import.meta.url).pathname);
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

const readJson = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined);

for (const directory of workspaceDirectories()) {
  const name = directory.slice(root.length + 1);
  const data = readJson(join(directory, '.vitest-report.json'));
  const status = readJson(join(directory, '.vitest-status.json'));
  if (!data && !status) continue;
  const before = failed;
  if (data) {
    passed += data.numPassedTests ?? 0;
    failed += data.numFailedTests ?? 0;
    skipped += (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0);
    for (const file of data.testResults ?? []) {
      for (const test of file.assertionResults ?? []) {
        if (test.status === 'failed') failures.push(`${name}: ${test.fullName}`);
      }
      if (
        file.status === 'failed' &&
        !(file.assertionResults ?? []).some((test) => test.status === 'failed')
      ) {
        failed += 1;
        failures.push(`${name}: ${file.name} (${(file.message ?? '').split('\n')[0]})`);
      }
    }
  }
  if (status?.state === 'running' || status?.state === 'interrupted' || (status && !data)) {
    failed += 1;
    failures.push(`${name}: Vitest did not finish its run`);
  }
  for (const error of status?.unhandledErrors ?? []) {
    failed += 1;
    failures.push(`${name}: unhandled error: ${error.split('\n')[0]}`);
  }
  if (status?.state === 'failed' && failed === before) {
    failed += 1;
    failures.push(`${name}: Vitest failed the run without a failed test`);
  }
}

/** Every workspace folder: packages/*, apps/*, and scripts. */
function workspaceDirectories() {
  const directories = [];
  for (const group of ['packages', 'apps']) {
    const directory = join(root, group);
    if (!existsSync(directory)) continue;
    for (const name of readdirSync(directory).sort()) directories.push(join(directory, name));
  }
  directories.push(join(root, 'scripts'));
  return directories;
}

for (const failure of failures) console.log(`FAILED ${failure}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
