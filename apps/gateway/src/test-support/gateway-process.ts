import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort } from '@threadline/connector-kit';

const gatewayDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The gateway as a real process (`src/server.ts` through tsx), for tests that SIGKILL it.
 * It gets PATH, HOME, HOST=127.0.0.1 and LOG_LEVEL=warn plus `env`; everything it prints goes
 * to `onOutput`, so a failing assertion can show it.
 */
export function spawnGateway(
  env: Record<string, string>,
  onOutput: (chunk: string) => void,
): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@threadline/source', '--import', 'tsx', 'src/server.ts'],
    {
      cwd: gatewayDirectory,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (chunk) => onOutput(String(chunk)));
  child.stderr?.on('data', (chunk) => onOutput(String(chunk)));
  return child;
}

/**
 * Until `/healthz` answers or the process exits. No deadline of its own: the test's time limit
 * bounds a gateway that hangs, so a slow start on a busy machine is not a failure.
 */
export async function waitUntilHealthy(
  child: ChildProcess,
  baseUrl: string,
  output: () => string,
): Promise<void> {
  for (;;) {
    const healthy = await fetch(`${baseUrl}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    if (child.exitCode !== null) throw new Error(`gateway exited: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A gateway process that a test starts, kills and starts again on one port and data
 * directory: PORT, THREADLINE_DATA_DIR and THREADLINE_PUBLIC_URL are set, `env` (read at each
 * start) adds the rest. `output()` is what the current process printed.
 */
export function restartableGateway(dataDirectory: string, env: () => Record<string, string>) {
  let port = 0;
  let child: ChildProcess | undefined;
  let output = '';
  const base = () => `http://127.0.0.1:${port}`;
  return {
    base,
    get child() {
      return child;
    },
    output: () => output,
    async start(): Promise<void> {
      port ||= await freePort();
      output = '';
      child = spawnGateway(
        {
          PORT: String(port),
          THREADLINE_DATA_DIR: dataDirectory,
          THREADLINE_PUBLIC_URL: base(),
          ...env(),
        },
        (chunk) => {
          output += chunk;
        },
      );
      await waitUntilHealthy(child, base(), () => output);
    },
  };
}
