import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectionSlots, freePort, type GatewayTarget, waitFor } from './gateway-target.js';

/** The gateway package folder, found through node_modules from this file. */
export function gatewayDirectory(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, 'node_modules', '@threadline', 'gateway');
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    const parent = dirname(directory);
    if (parent === directory)
      throw new Error('@threadline/gateway is not installed next to the simulator');
    directory = parent;
  }
}

export interface SpawnOptions {
  env: Record<string, string>;
  apiKey: string;
  /** Port for the gateway (default: a free one). */
  port?: number;
  /** Port for its inbound SMTP server, when email is simulated. */
  smtpInboundPort?: number;
  logLevel?: string;
}

/**
 * The real gateway as a child process (`src/server.ts` through tsx, or the built
 * `dist/server.js`), configured only through its environment, on a fresh data directory.
 * `restart()` kills it with SIGKILL — no graceful shutdown — and starts it again on the same
 * data, as a crash and a supervisor would.
 */
export async function startSpawnedGateway(options: SpawnOptions): Promise<GatewayTarget> {
  const directory = gatewayDirectory();
  const dataDirectory = mkdtempSync(join(tmpdir(), 'threadline-simulator-spawn-'));
  const port = options.port ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const source = join(directory, 'src', 'server.ts');
  const args = existsSync(source)
    ? ['--conditions=@threadline/source', '--import', 'tsx', source]
    : [join(directory, 'dist', 'server.js')];
  let child: ChildProcess | undefined;
  let output = '';

  async function start(): Promise<void> {
    output = '';
    const started = spawn(process.execPath, args, {
      cwd: directory,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...options.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        THREADLINE_DATA_DIR: dataDirectory,
        THREADLINE_API_KEYS: options.apiKey,
        THREADLINE_PUBLIC_URL: baseUrl,
        THREADLINE_ALLOW_PRIVATE_WEBHOOKS: '1',
        LOG_LEVEL: options.logLevel ?? 'warn',
        ...(options.smtpInboundPort ? { SMTP_INBOUND_PORT: String(options.smtpInboundPort) } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    started.stdout?.on('data', keep);
    started.stderr?.on('data', keep);
    await waitFor(
      async () => {
        if (started.exitCode !== null)
          throw new Error(`the gateway exited (${started.exitCode}): ${output}`);
        return fetch(`${baseUrl}/readyz`).then(
          (response) => response.ok,
          () => false,
        );
      },
      60_000,
      () => `the gateway did not become ready on ${baseUrl}: ${output.slice(-2_000)}`,
      100,
    );
  }

  async function stop(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    const timer = setTimeout(() => running.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  await start();

  return {
    kind: 'spawn',
    baseUrl,
    apiKey: options.apiKey,
    fetch: (input, init) => globalThis.fetch(input, init),
    link: {
      publicUrl: baseUrl,
      fetch: (url, init) => globalThis.fetch(url, init),
      slot: connectionSlots(256),
      socketUrl: () => baseUrl,
      smtp: () =>
        options.smtpInboundPort ? { host: '127.0.0.1', port: options.smtpInboundPort } : undefined,
    },
    output: () => output,
    async restart() {
      const stoppedAt = performance.now();
      await stop('SIGKILL');
      await start();
      return { downForMs: performance.now() - stoppedAt };
    },
    async close() {
      await stop('SIGTERM');
      rmSync(dataDirectory, { recursive: true, force: true });
    },
  };
}
