import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const counter = new URL('./count-test-results.mjs', import.meta.url).pathname;
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

type Outcome = 'passed' | 'failed';

/** A Vitest JSON report (the fields the counter reads) for one file with these tests. */
function report(tests: Outcome[], fileFailed = false) {
  const count = (status: Outcome) => tests.filter((test) => test === status).length;
  return {
    numPassedTests: count('passed'),
    numFailedTests: count('failed'),
    numPendingTests: 0,
    numTodoTests: 0,
    success: !fileFailed && count('failed') === 0,
    testResults: [
      {
        name: '/repo/src/example.test.ts',
        status: fileFailed || count('failed') > 0 ? 'failed' : 'passed',
        message: fileFailed ? 'Cannot find module ./missing.js' : '',
        assertionResults: tests.map((status, index) => ({
          fullName: `example ${index}`,
          status,
        })),
      },
    ],
  };
}

/** A repository whose workspaces left these files behind, counted by the script. */
function count(workspaces: Record<string, { report?: unknown; status?: unknown }>) {
  const root = mkdtempSync(join(tmpdir(), 'threadline-count-'));
  roots.push(root);
  for (const [name, files] of Object.entries(workspaces)) {
    mkdirSync(join(root, name), { recursive: true });
    if (files.report)
      writeFileSync(join(root, name, '.vitest-report.json'), JSON.stringify(files.report));
    if (files.status)
      writeFileSync(join(root, name, '.vitest-status.json'), JSON.stringify(files.status));
  }
  const run = spawnSync(process.execPath, [counter, root], { encoding: 'utf8' });
  const lines = run.stdout.trim().split('\n');
  return { exitCode: run.status, summary: lines.at(-1), failures: lines.slice(0, -1) };
}

const clean = { state: 'passed', unhandledErrors: [] };

describe('count-test-results', () => {
  it('adds up every workspace and exits 0 when all passed', () => {
    const result = count({
      'packages/schema': { report: report(['passed', 'passed']), status: clean },
      'apps/gateway': { report: report(['passed']), status: clean },
      scripts: { report: report(['passed']), status: clean },
    });
    expect(result).toEqual({ exitCode: 0, summary: '4 passed, 0 failed', failures: [] });
  });

  it('counts an unhandled error as a failure although every test passed', () => {
    // what a socket 'error' with no listener did to the simulator: Vitest exited 1, no test failed
    const result = count({
      'packages/schema': { report: report(['passed']), status: clean },
      'apps/simulator': {
        report: report(['passed', 'passed', 'passed']),
        status: { state: 'passed', unhandledErrors: ['Error: read ECONNRESET'] },
      },
    });
    expect(result.summary).toBe('4 passed, 1 failed');
    expect(result.exitCode).toBe(1);
    expect(result.failures).toEqual([
      'FAILED apps/simulator: unhandled error: Error: read ECONNRESET',
    ]);
  });

  it('counts a run Vitest failed without a failed test, and a run that never finished', () => {
    const result = count({
      'packages/engine': {
        report: report(['passed']),
        status: { state: 'failed', unhandledErrors: [] },
      },
      'packages/client': {
        report: report(['passed']),
        status: { state: 'running', unhandledErrors: [] },
      },
      'packages/store-sqlite': { status: { state: 'running', unhandledErrors: [] } },
      'packages/store-postgres': {
        report: report(['passed']),
        status: { state: 'interrupted', unhandledErrors: [] },
      },
    });
    expect(result.summary).toBe('3 passed, 4 failed');
    expect(result.exitCode).toBe(1);
  });

  it('counts failed tests and files that failed before their tests ran', () => {
    const result = count({
      'packages/engine': {
        report: report(['passed', 'failed']),
        status: { state: 'failed', unhandledErrors: [] },
      },
      'packages/schema': {
        report: report([], true),
        status: { state: 'failed', unhandledErrors: [] },
      },
    });
    expect(result.summary).toBe('1 passed, 2 failed');
    expect(result.failures).toEqual([
      'FAILED packages/engine: example 1',
      'FAILED packages/schema: /repo/src/example.test.ts (Cannot find module ./missing.js)',
    ]);
  });

  it('fails when no test ran at all', () => {
    expect(count({}).exitCode).toBe(1);
  });
});
