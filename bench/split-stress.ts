/**
 * The split hunt, long form: `npx tsx --conditions=@threadline/source bench/split-stress.ts
 * [--runs 20] [--customers 40] [--turns 8] [--store postgres|sqlite|both] [--cpu-load]
 * [--kinds racing,link-after-resolve,mixed]`.
 *
 * Each run: two engines on one PostgreSQL database (two pools, as two gateway instances) or
 * two engines on one SQLite store, customers writing on SMS, WhatsApp and Telegram at once,
 * an app linking, replying (WhatsApp replies fail and fall back to SMS) and resolving after
 * one or two turns (see `runSplitStress` in @threadline/engine/test). `--cpu-load` keeps a
 * busy loop running in another process for the whole run (the scheduler then puts it on
 * the other core). Prints one row per run and store, and every finding; exits 1 when any
 * run found a split, two open conversations for one contact, or a failed ingest.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeSplitStress,
  runSplitStress,
  type SplitStressKind,
  type SplitStressReport,
} from '@threadline/engine/test';
import { createPostgresStore } from '@threadline/store-postgres';
import { createTestDatabase } from '@threadline/store-postgres/test';
import { createSqliteStore } from '@threadline/store-sqlite';
import { table } from './bench-support.js';

if (process.argv.includes('--help')) {
  console.log(
    'usage: npx tsx --conditions=@threadline/source bench/split-stress.ts [--runs 20] [--customers 40] [--turns 8]\n' +
      '         [--store postgres|sqlite|both] [--cpu-load] [--kinds racing,link-after-resolve,mixed]\n' +
      'Exits 1 when any run found a split, two open conversations for one contact, or a failed ingest.',
  );
  process.exit(0);
}

const option = (name: string) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const runs = Number(option('--runs') ?? 20);
const customers = Number(option('--customers') ?? 40);
const turns = Number(option('--turns') ?? 8);
const which = option('--store') ?? 'both';
const kinds = (option('--kinds')?.split(',') ?? [
  'racing',
  'link-after-resolve',
  'mixed',
]) as SplitStressKind[];
const cpuLoad = process.argv.includes('--cpu-load');

// A busy loop in its own process, for the whole run.
const burner = cpuLoad
  ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
  : undefined;
burner?.on('error', () => {});

const rows: Array<Record<string, string | number>> = [];
const findings: string[] = [];
let failed = false;

function record(store: string, run: number, report: SplitStressReport, seconds: number) {
  const splits = report.contactSplits.length + report.conversationSplits.length;
  rows.push({
    store,
    run,
    seconds: seconds.toFixed(1),
    inbound: report.inbound,
    replies: report.replies,
    links: report.links,
    resolves: report.resolves,
    samples: report.samples,
    'failed ingests': report.failedIngests.length,
    'two-open samples': report.twoOpen.length,
    'contact splits': report.contactSplits.length,
    'conversation splits': report.conversationSplits.length,
    // the known sequential case, until continuity folds a resolved conversation on merge
    'of them link-after-resolve': [...report.contactSplits, ...report.conversationSplits].filter(
      (line) => line.includes('(link-after-resolve)'),
    ).length,
  });
  if (report.failedIngests.length + report.twoOpen.length + splits > 0) {
    failed = true;
    findings.push(`${store} run ${run}:\n${describeSplitStress(report)}`);
  }
}

const database = which === 'sqlite' ? undefined : await createTestDatabase();
try {
  for (let run = 1; run <= runs; run++) {
    if (database) {
      const schema = database.schemaName();
      const stores = [0, 1].map(() =>
        createPostgresStore({ connectionString: database.url, schema, poolSize: 8 }),
      ) as [ReturnType<typeof createPostgresStore>, ReturnType<typeof createPostgresStore>];
      await Promise.all(stores.map((store) => store.ready));
      const started = performance.now();
      const report = await runSplitStress({ stores, customers, turns, seed: run, kinds });
      record('PostgreSQL, 2 instances', run, report, (performance.now() - started) / 1000);
      await Promise.all(stores.map((store) => store.close()));
    }
    if (which !== 'postgres') {
      const directory = mkdtempSync(join(tmpdir(), 'threadline-split-'));
      const store = createSqliteStore({ filename: join(directory, 'threadline.db') });
      const started = performance.now();
      const report = await runSplitStress({
        stores: [store, store],
        customers,
        turns,
        seed: run,
        kinds,
      });
      record('SQLite, 2 engines', run, report, (performance.now() - started) / 1000);
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    }
  }
} finally {
  burner?.kill('SIGKILL');
  await database?.drop();
}

console.log(
  `\nSplit hunt: ${runs} runs, ${customers} customers × ${turns} turns, kinds ${kinds.join(', ')}${cpuLoad ? ', with a busy loop on the other core' : ''}\n`,
);
console.log(table(rows));
if (findings.length > 0) console.log(`\n${findings.join('\n\n')}`);
process.exitCode = failed ? 1 : 0;
