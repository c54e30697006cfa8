import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const simulatorDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0))
    rmSync(directory, { recursive: true, force: true });
});

/** The CLI as `npm run cli -w @threadline/simulator -- …` runs it: in the workspace folder. */
function simulate(args: string[], userDirectory: string) {
  return promisify(execFile)(
    process.execPath,
    ['--conditions=@threadline/source', '--import', 'tsx', 'src/cli.ts', ...args],
    {
      cwd: simulatorDirectory,
      env: { ...process.env, INIT_CWD: userDirectory },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
}

const scenario = {
  name: 'paths',
  seed: 3,
  personas: [{ name: 'phone', count: 2, identities: ['sms'], link: 'auto' }],
  journeys: [{ name: 'sms-only', steps: [{ channel: 'sms' }] }],
  app: { replyAfter: '5ms..10ms' },
  load: { arrivalRate: '4/s', duration: '1s', journeys: 2 },
  providers: { statusDelay: '5ms..10ms' },
  drainTimeout: '10s',
};

describe('paths given to the simulator CLI', () => {
  it('are resolved against the directory the user ran npm in, not the workspace', async () => {
    const userDirectory = mkdtempSync(join(tmpdir(), 'threadline-simulate-'));
    directories.push(userDirectory);
    writeFileSync(join(userDirectory, 'paths.json'), JSON.stringify(scenario));

    await simulate(
      ['run', 'paths.json', '--quiet', '--json', 'report.json', '--html', 'out/../report.html'],
      userDirectory,
    );
    expect(JSON.parse(readFileSync(join(userDirectory, 'report.json'), 'utf8'))).toMatchObject({
      passed: true,
    });
    expect(readFileSync(join(userDirectory, 'report.html'), 'utf8')).toContain('<html');
    expect(existsSync(join(simulatorDirectory, 'report.json'))).toBe(false);
    expect(existsSync(join(simulatorDirectory, 'report.html'))).toBe(false);

    await simulate(['generate', 'paths.json', '--out', 'traffic.jsonl'], userDirectory);
    await simulate(
      ['replay', 'traffic.jsonl', '--quiet', '--json', 'replayed.json'],
      userDirectory,
    );
    expect(JSON.parse(readFileSync(join(userDirectory, 'replayed.json'), 'utf8'))).toMatchObject({
      passed: true,
    });
  });
});
