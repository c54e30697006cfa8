// Adds up the Vitest JSON reports every workspace wrote during `npm test` and prints one
// closing line, "N passed, N failed". Exits non-zero when a test failed or no test ran.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
for (const group of ['packages', 'apps']) {
  const directory = join(root, group);
  if (!existsSync(directory)) continue;
  for (const name of readdirSync(directory)) {
    const report = join(directory, name, '.vitest-report.json');
    if (!existsSync(report)) continue;
    const data = JSON.parse(readFileSync(report, 'utf8'));
    passed += data.numPassedTests ?? 0;
    failed += (data.numFailedTests ?? 0) + countFilesFailedWithoutTests(data);
    skipped += (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0);
    for (const file of data.testResults ?? []) {
      for (const test of file.assertionResults ?? []) {
        if (test.status === 'failed') failures.push(`${group}/${name}: ${test.fullName}`);
      }
      if (
        file.status === 'failed' &&
        !(file.assertionResults ?? []).some((test) => test.status === 'failed')
      ) {
        failures.push(`${group}/${name}: ${file.name} (${(file.message ?? '').split('\n')[0]})`);
      }
    }
  }
}

/** Test files that failed before any test could fail (an import error, a crash). */
function countFilesFailedWithoutTests(data) {
  return (data.testResults ?? []).filter(
    (file) =>
      file.status === 'failed' &&
      !(file.assertionResults ?? []).some((test) => test.status === 'failed'),
  ).length;
}

for (const failure of failures) console.log(`FAILED ${failure}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
