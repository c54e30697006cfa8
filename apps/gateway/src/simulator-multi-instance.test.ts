import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@threadline/connector-kit';
import {
  deletePrefix,
  redisUnavailable,
  testRedisUrl,
  uniquePrefix,
} from '@threadline/queue-redis/test';
import {
  createTestDatabase,
  postgresUnavailable,
  type TestDatabase,
} from '@threadline/store-postgres/test';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The simulator's `resolve-and-return` scenario (the app resolves every conversation after
 * one reply; customers come back inside the continuity window on another channel) against
 * two gateway processes sharing PostgreSQL
 * and Redis behind a load balancer that sends every connection to either at random (so one
 * customer's webhooks, web chat sockets and the app's calls land on both), with one gateway
 * killed by SIGKILL mid-run. The simulator checks continuity, loss, duplicates and routing;
 * the test asserts those correctness SLOs from its JSON report and prints the latency SLO
 * (p95 round trip), which measures the machine as much as the gateways. It runs as a separate
 * program (its CLI), as it would against any deployment.
 */
const gatewayDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const simulatorCli = join(gatewayDirectory, '..', 'simulator', 'src', 'cli.ts');
const [postgresMissing, redisMissing] = await Promise.all([
  postgresUnavailable(),
  redisUnavailable(),
]);
const simulatorMissing = existsSync(simulatorCli) ? undefined : `no simulator at ${simulatorCli}`;
if (simulatorMissing)
  console.warn(`\n  SKIPPED the simulator multi-instance run: ${simulatorMissing}.\n`);

const apiKey = 'multi-instance-simulator-key-0123';

function runNode(args: string[], cwd: string, env: Record<string, string | undefined>) {
  const child = spawn(
    process.execPath,
    ['--conditions=@threadline/source', '--import', 'tsx', ...args],
    {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const state = { child, output: '' };
  const keep = (chunk: Buffer) => {
    state.output = (state.output + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return state;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.skipIf(
  postgresMissing !== undefined || redisMissing !== undefined || simulatorMissing !== undefined,
)('the resolve-and-return scenario against two gateways, one killed mid-run', () => {
  const processes: ChildProcess[] = [];
  const directories: string[] = [];
  let balancer: Server | undefined;
  const sockets = new Set<Socket>();
  let database: TestDatabase | undefined;
  const prefix = uniquePrefix('simulated');

  afterAll(async () => {
    for (const child of processes) child.kill('SIGKILL');
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => (balancer ? balancer.close(resolve) : resolve(undefined)));
    await database?.drop();
    await deletePrefix(prefix);
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('keeps every journey whole: continuity 100%, nothing lost or duplicated', async () => {
    database = await createTestDatabase();
    const reportDirectory = mkdtempSync(join(tmpdir(), 'threadline-simulation-'));
    directories.push(reportDirectory);
    const reportFile = join(reportDirectory, 'report.json');
    const [balancerPort, smtpPort, ...fakePorts] = await Promise.all(
      Array.from({ length: 7 }, () => freePort()),
    );
    const publicUrl = `http://127.0.0.1:${balancerPort}`;
    const fakes = ['twilio', 'whatsapp-cloud', 'telegram', 'media', 'app'];
    const simulator = runNode(
      [
        simulatorCli,
        'run',
        'resolve-and-return',
        '--target',
        publicUrl,
        '--api-key',
        apiKey,
        '--smtp',
        `127.0.0.1:${smtpPort}`,
        ...fakes.flatMap((name, index) => ['--fake-port', `${name}=${fakePorts[index]}`]),
        '--no-color',
        '--json',
        reportFile,
      ],
      gatewayDirectory,
      {},
    );
    processes.push(simulator.child);
    // The simulator prints the environment that points a gateway at its fake providers.
    await until(
      () => simulator.output.includes('SMTP_INBOUND_PORT') || simulator.child.exitCode !== null,
      60_000,
      'the simulator to describe its fake providers',
    );
    const providerEnv: Record<string, string> = {};
    for (const line of simulator.output.split('\n')) {
      const match = /^\s+([A-Z][A-Z0-9_]+)=(.*)$/.exec(line);
      if (match && match[1] !== 'SMTP_INBOUND_PORT') providerEnv[match[1]!] = match[2]!;
    }
    expect(Object.keys(providerEnv).length, simulator.output).toBeGreaterThan(10);

    const gateways = await Promise.all(
      ['gateway-a', 'gateway-b'].map(async (name) => {
        const port = await freePort();
        const dataDirectory = mkdtempSync(join(tmpdir(), `threadline-${name}-`));
        directories.push(dataDirectory);
        const gateway = runNode(['src/server.ts'], gatewayDirectory, {
          ...providerEnv,
          PORT: String(port),
          HOST: '127.0.0.1',
          THREADLINE_DATA_DIR: dataDirectory,
          THREADLINE_API_KEYS: apiKey,
          THREADLINE_PUBLIC_URL: publicUrl,
          THREADLINE_ALLOW_PRIVATE_WEBHOOKS: '1',
          THREADLINE_INSTANCE_ID: name,
          SMTP_INBOUND_PORT: String(smtpPort),
          DATABASE_URL: database!.url,
          REDIS_URL: testRedisUrl,
          THREADLINE_REDIS_PREFIX: prefix,
          THREADLINE_JOB_LEASE: '5s',
          THREADLINE_LISTENER_LEASE: '3s',
          LOG_LEVEL: 'warn',
        });
        processes.push(gateway.child);
        return { name, port, ...gateway };
      }),
    );
    // every new connection goes to a live gateway at random
    balancer = createNetServer((socket) => {
      const alive = gateways.filter(
        (gateway) => gateway.child.exitCode === null && gateway.child.signalCode === null,
      );
      const upstream = connect(alive[Math.floor(Math.random() * alive.length)]!.port, '127.0.0.1');
      for (const end of [socket, upstream]) {
        sockets.add(end);
        end.on('close', () => sockets.delete(end));
      }
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => balancer!.listen(balancerPort, '127.0.0.1', resolve));
    for (const gateway of gateways)
      await until(
        () =>
          fetch(`http://127.0.0.1:${gateway.port}/readyz`).then(
            (response) => response.ok,
            () => false,
          ),
        60_000,
        `${gateway.name} to be ready: ${gateway.output}`,
      );

    // a third of the way into the run (about 40 s), gateway-a dies without warning
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    expect(simulator.child.exitCode, simulator.output).toBeNull();
    gateways[0]!.child.kill('SIGKILL');

    await until(() => simulator.child.exitCode !== null, 240_000, 'the simulator to finish');
    const summary = simulator.output.slice(
      Math.max(0, simulator.output.indexOf('journeys by') - 20),
    );
    const context = `${summary}\n${gateways[1]!.output.slice(-3000)}`;
    // 0: every SLO held; 1: one failed (judged below); 2: the run itself failed
    expect([0, 1], context).toContain(simulator.child.exitCode);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      slos: Array<{ key: string; target: string; actual: string; ok: boolean; reason: string }>;
      continuity: { journeys: number; passed: number };
      handoff?: Array<{ ok: boolean }>;
    };
    // correctness: continuity 100%, 0 lost, 0 duplicated, 0 misrouted, 0 errors
    const latency = /^(p50|p95|p99|max)\./;
    const correctness = report.slos.filter((slo) => !latency.test(slo.key));
    expect(correctness.map((slo) => slo.key).sort(), context).toEqual([
      'continuity',
      'duplicated',
      'errors',
      'lost',
      'misrouted',
    ]);
    for (const slo of correctness) expect(slo, context).toMatchObject({ ok: true });
    expect(report.continuity.passed).toBe(report.continuity.journeys);
    for (const check of report.handoff ?? []) expect(check.ok, context).toBe(true);
    // latency depends on what else the machine runs: reported, not asserted
    for (const slo of report.slos.filter((entry) => latency.test(entry.key)))
      console.info(
        `simulator-multi-instance SLO ${slo.key}: ${slo.actual} (target ${slo.target}, ${slo.ok ? 'met' : 'missed'})`,
      );
  }, 360_000);
});
