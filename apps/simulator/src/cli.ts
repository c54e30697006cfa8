#!/usr/bin/env node
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { userPath } from '@threadline/gateway';
import { bundledScenarioNames, loadScenario, parseScenario } from './load-scenario.js';
import { planTraffic, speedUp, type TrafficPlan } from './plan-traffic.js';
import { createProgress } from './report/progress-bar.js';
import { renderHtmlReport } from './report/render-html-report.js';
import { renderTerminalReport } from './report/render-terminal-report.js';
import { runSimulation, type TargetChoice } from './run-simulation.js';
import { parseTraffic, trafficLines } from './traffic-file.js';

const usage = `simulate — synthetic customers for a Threadline gateway

Usage:
  simulate run <scenario|file.yaml> [target] [report]   play a scenario live
  simulate generate <scenario|file.yaml> [--seed N] [--out traffic.jsonl]
                                                        write its traffic as JSON Lines (stdout by default)
  simulate replay <traffic.jsonl> [--speed N] [target] [report]
                                                        play a traffic file (the same traffic every time)
  simulate list                                         the bundled scenarios
  simulate validate <scenario|file.yaml>                check a scenario file

Target (default: in-process, the gateway built with createApp over a temp store):
  --spawn                     start the gateway as a child process (needed for a hard restart)
  --target <url>              a gateway someone else runs; needs --api-key, prints the
                              environment that points it at the fake providers
  --api-key <key>             an API key of that gateway
  --smtp <host:port>          its inbound SMTP server (for email traffic)
  --fake-port <name=port>     fixed port of a fake (twilio, whatsapp-cloud, telegram, media, app); repeatable
  --fake-host <address>       where the fakes listen (default 127.0.0.1)

Report:
  --json <file>               write the report as JSON
  --html <file>               write the report as one self-contained HTML page
  --quiet                     no progress bar
  --no-color                  no colours in the summary

Options:
  --seed <n>                  override the scenario's seed
  --speed <n>                 replay n times faster

The exit code is 0 only when every SLO of the scenario holds, 1 when one fails, 2 on an error.`;

function fail(message: string): never {
  process.stderr.write(`simulate: ${message}\n`);
  process.exit(2);
}

function planFor(nameOrPath: string, seed: string | undefined): TrafficPlan {
  const loaded = loadScenario(nameOrPath);
  if (seed === undefined) return planTraffic(loaded.scenario, loaded.source);
  const source = { ...(loaded.source as Record<string, unknown>), seed: Number(seed) };
  return planTraffic(parseScenario(source, loaded.path), source);
}

function targetFrom(values: Record<string, unknown>): TargetChoice {
  if (values.target) {
    if (!values['api-key']) fail('--target needs --api-key');
    const smtp = values.smtp ? String(values.smtp) : undefined;
    const [host, port] = smtp?.split(':') ?? [];
    const fakePorts: Record<string, number> = {};
    for (const entry of (values['fake-port'] as string[] | undefined) ?? []) {
      const [name, port] = entry.split('=');
      if (!name || !port || !/^\d+$/.test(port)) fail(`--fake-port ${entry}: use name=port`);
      fakePorts[name] = Number(port);
    }
    return {
      kind: 'remote',
      url: String(values.target),
      apiKey: String(values['api-key']),
      ...(host && port ? { smtp: { host, port: Number(port) } } : {}),
      fakePorts,
      ...(values['fake-host'] ? { fakeHost: String(values['fake-host']) } : {}),
    };
  }
  return values.spawn ? { kind: 'spawn' } : { kind: 'in-process' };
}

async function play(plan: TrafficPlan, values: Record<string, unknown>): Promise<number> {
  const color = !values['no-color'] && Boolean(process.stdout.isTTY);
  const progress = createProgress(process.stderr, !values.quiet);
  const report = await runSimulation({
    plan,
    target: targetFrom(values),
    progress,
    log: (line) => progress.note(line),
  });
  process.stdout.write(renderTerminalReport(report, { color }));
  // report paths are the user's: relative to where they ran the command, not this workspace
  if (values.json) {
    const file = userPath(String(values.json));
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`report written to ${file}\n`);
  }
  if (values.html) {
    const file = userPath(String(values.html));
    writeFileSync(file, renderHtmlReport(report));
    process.stdout.write(`report written to ${file}\n`);
  }
  return report.passed ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      spawn: { type: 'boolean' },
      target: { type: 'string' },
      'api-key': { type: 'string' },
      smtp: { type: 'string' },
      'fake-port': { type: 'string', multiple: true },
      'fake-host': { type: 'string' },
      json: { type: 'string' },
      html: { type: 'string' },
      quiet: { type: 'boolean' },
      'no-color': { type: 'boolean' },
      seed: { type: 'string' },
      speed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, argument] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${usage}\n`);
    return command || values.help ? 0 : 2;
  }
  if (values.seed !== undefined && !/^\d+$/.test(values.seed)) fail('--seed takes a whole number');
  switch (command) {
    case 'list': {
      const names = bundledScenarioNames();
      const width = Math.max(14, ...names.map((name) => name.length + 1));
      for (const name of names) {
        const { scenario } = loadScenario(name);
        process.stdout.write(`${name.padEnd(width)} ${scenario.description}\n`);
      }
      return 0;
    }
    case 'validate': {
      if (!argument) fail('validate needs a scenario');
      const { scenario, path } = loadScenario(argument);
      const plan = planTraffic(scenario, {});
      process.stdout.write(
        `${path}: valid — ${plan.personas.length} customers, ${plan.journeys.length} journeys, ${plan.messages.length} messages\n`,
      );
      return 0;
    }
    case 'generate': {
      if (!argument) fail('generate needs a scenario');
      const plan = planFor(argument, values.seed);
      const out = values.out ? createWriteStream(userPath(values.out)) : process.stdout;
      for (const line of trafficLines(plan))
        if (!out.write(line))
          await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      if (values.out)
        await new Promise<void>((resolve) =>
          (out as ReturnType<typeof createWriteStream>).end(resolve),
        );
      process.stderr.write(
        `${plan.messages.length} messages of ${plan.journeys.length} journeys by ${plan.personas.length} customers (seed ${plan.scenario.seed})\n`,
      );
      return 0;
    }
    case 'run': {
      if (!argument) fail('run needs a scenario');
      return play(planFor(argument, values.seed), values);
    }
    case 'replay': {
      if (!argument) fail('replay needs a traffic file');
      const text =
        argument === '-' ? readFileSync(0, 'utf8') : readFileSync(userPath(argument), 'utf8');
      const speed = values.speed === undefined ? 1 : Number(values.speed);
      if (!(speed > 0)) fail('--speed takes a positive number');
      return play(speedUp(parseTraffic(text, argument), speed), values);
    }
    default:
      fail(`unknown command "${command}"\n\n${usage}`);
  }
}

main(process.argv.slice(2)).then(
  // exit once everything written has left: a pipe takes its time
  (code) => process.stdout.write('', () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`simulate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
