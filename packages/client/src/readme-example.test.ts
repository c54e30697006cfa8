// Runs the README's example bot, as written, against a real gateway: the code block is taken
// from README.md and started with Node (tsx), in a fresh directory, as a user would run it.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiKey, startTestGateway, type TestGateway } from './test-support/start-test-gateway.js';

const packageDirectory = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(packageDirectory, 'README.md'), 'utf8');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The first TypeScript block under a heading of the README. */
function codeBlockUnder(heading: string): string {
  const section = readme.slice(readme.indexOf(`## ${heading}`));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block?.[1]) throw new Error(`no TypeScript block under "${heading}"`);
  return block[1];
}

let gateway: TestGateway;
let appDirectory: string;
let exampleFile: string;
const bots: ChildProcess[] = [];

beforeEach(async () => {
  gateway = await startTestGateway();
  appDirectory = mkdtempSync(join(tmpdir(), 'threadline-readme-bot-'));
  // inside the package, so `@threadline/client` resolves as it does for an installed package
  const artifacts = join(packageDirectory, 'test-artifacts');
  mkdirSync(artifacts, { recursive: true });
  exampleFile = join(artifacts, `readme-bot-${process.pid}-${Date.now()}.ts`);
  writeFileSync(exampleFile, codeBlockUnder('Example: a bot that answers every customer'));
});
afterEach(async () => {
  for (const bot of bots.splice(0)) bot.kill('SIGKILL');
  await gateway.close();
  rmSync(appDirectory, { recursive: true, force: true });
  rmSync(exampleFile, { force: true });
});

/** Starts the example bot; `stop()` sends SIGTERM and resolves with its exit code and output. */
function startBot() {
  const bot = spawn(
    process.execPath,
    ['--conditions=@threadline/source', '--import', tsx, exampleFile],
    {
      cwd: appDirectory,
      env: { ...process.env, THREADLINE_URL: gateway.baseUrl, THREADLINE_API_KEY: apiKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  bots.push(bot);
  let output = '';
  bot.stdout.on('data', (chunk: Buffer) => (output += chunk));
  bot.stderr.on('data', (chunk: Buffer) => (output += chunk));
  let running = true;
  const exited = new Promise<number | null>((resolve) =>
    bot.once('exit', (code) => {
      running = false;
      resolve(code);
    }),
  );
  return {
    output: () => output,
    running: () => running,
    async stop() {
      bot.kill('SIGTERM');
      return { code: await exited, output };
    },
  };
}

/** Polls until `check` holds (the event stream and the send queue are asynchronous). */
async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  bot: { output(): string; running(): boolean },
) {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (await check()) return;
    if (!bot.running()) throw new Error(`the bot exited before ${what}:\n${bot.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${what} after 15 s; the bot printed:\n${bot.output()}`);
}

const openStreams = async () => {
  const metrics = await (await fetch(`${gateway.baseUrl}/metrics`)).text();
  return Number(/^threadline_open_event_streams (\d+)/m.exec(metrics)?.[1] ?? 0);
};

async function customerWrites(id: string, text: string) {
  const response = await gateway.deliver(gateway.sms, {
    kind: 'message',
    id,
    from: '+14155550177',
    content: { type: 'text', text },
  });
  expect(response.status).toBe(200);
}

describe('the README example bot', () => {
  it('answers on a first run (no saved cursor) and resumes after its cursor when restarted', async () => {
    const first = startBot();
    await until(async () => (await openStreams()) === 1, 'connecting', first);
    await customerWrites('SM-readme-1', 'Where is my order?');
    await until(() => gateway.sms.sent.length === 1, 'the first answer', first);
    expect(gateway.sms.sent[0]).toMatchObject({
      to: { address: '+14155550177' },
      content: { type: 'text', text: 'Thanks, we are on it.' },
    });
    const stopped = await first.stop();
    expect(stopped, stopped.output).toMatchObject({ code: 0 });
    const cursor = Number(readFileSync(join(appDirectory, 'threadline-cursor.txt'), 'utf8'));
    expect(cursor).toBeGreaterThan(0);

    // written while the bot was down: the next run picks it up from the saved cursor
    await customerWrites('SM-readme-2', 'Any news?');
    const second = startBot();
    await until(() => gateway.sms.sent.length === 2, 'the second answer', second);
    const again = await second.stop();
    expect(again, again.output).toMatchObject({ code: 0 });
    expect(gateway.sms.sent).toHaveLength(2);
    expect(
      Number(readFileSync(join(appDirectory, 'threadline-cursor.txt'), 'utf8')),
    ).toBeGreaterThan(cursor);
  });
});
