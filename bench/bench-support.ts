import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, twilioSignature } from '@threadline/connector-kit';

export { freePort };

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const telegramToken = '7123456789:AAHbenchTokenForThreadline000000000';
export const telegramSecret = 'bench-telegram-secret';
export const twilioAccount = 'AC00000000000000000000000000000000';
export const twilioToken = 'bench-twilio-token';
export const apiKey = 'bench-api-key';

/** A child process running a TypeScript entry point from source; resolves once it listens. */
export async function startChild(
  entry: string,
  env: Record<string, string>,
  ready: () => Promise<boolean>,
  nodeArguments: string[] = [],
): Promise<ChildProcess> {
  const child = fork(entry, [], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      ...(process.env.THREADLINE_ANALYTICS_ROLLUPS
        ? { THREADLINE_ANALYTICS_ROLLUPS: process.env.THREADLINE_ANALYTICS_ROLLUPS }
        : {}),
      ...env,
    },
    execArgv: ['--conditions=@threadline/source', '--import', 'tsx', ...nodeArguments],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return child;
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${entry} did not start`);
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** A gateway child process with Telegram and SMS configured and a fresh data directory. */
export async function startGateway(
  extraEnv: Record<string, string> = {},
  nodeArguments: string[] = [],
) {
  const port = await freePort();
  const dataDirectory = mkdtempSync(join(tmpdir(), 'threadline-bench-'));
  const base = `http://127.0.0.1:${port}`;
  const child = await startChild(
    join(root, 'apps/gateway/src/server.ts'),
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      THREADLINE_DATA_DIR: dataDirectory,
      THREADLINE_API_KEYS: apiKey,
      THREADLINE_PUBLIC_URL: base,
      LOG_LEVEL: 'warn',
      TELEGRAM_BOT_TOKEN: telegramToken,
      TELEGRAM_WEBHOOK_SECRET: telegramSecret,
      TELEGRAM_MODE: 'webhook',
      TELEGRAM_API_ROOT: 'http://127.0.0.1:9',
      TWILIO_ACCOUNT_SID: twilioAccount,
      TWILIO_AUTH_TOKEN: twilioToken,
      TWILIO_FROM_NUMBER: '+14155550000',
      TWILIO_RATE_LIMIT_PER_SECOND: '100000',
      WEBCHAT_DEMO_PAGE: 'off',
      ...extraEnv,
    },
    async () => (await fetch(`${base}/healthz`)).ok,
    nodeArguments,
  );
  return { child, port, base, dataDirectory };
}

const padding = 'x'.repeat(600);

/**
 * A Telegram Bot API update of about 1 KB, unique per `sequence`, from `user` (by default one
 * of 5,000 customers chosen by the sequence).
 */
export function telegramUpdate(
  sequence: number,
  sentAt = Date.now(),
  user = 100000 + (sequence % 5000),
): string {
  return JSON.stringify({
    update_id: sequence,
    message: {
      message_id: sequence,
      from: {
        id: user,
        is_bot: false,
        first_name: 'Bench',
        last_name: 'Customer',
        language_code: 'en',
      },
      chat: { id: user, first_name: 'Bench', last_name: 'Customer', type: 'private' },
      date: Math.floor(sentAt / 1000),
      text: `t=${sentAt} ${padding}`,
    },
  });
}

/** A signed Twilio inbound SMS webhook of about 1 KB, unique per `sequence`. */
export function twilioInbound(
  base: string,
  sequence: number,
  sentAt = Date.now(),
): { body: string; signature: string } {
  const url = `${base}/webhooks/sms/sms`;
  const params: Array<[string, string]> = [
    ['ToCountry', 'US'],
    ['ToState', 'CA'],
    ['SmsMessageSid', `SM${String(sequence).padStart(32, '0')}`],
    ['NumMedia', '0'],
    ['ToCity', 'SAN FRANCISCO'],
    ['FromZip', '94105'],
    ['SmsSid', `SM${String(sequence).padStart(32, '0')}`],
    ['FromState', 'CA'],
    ['SmsStatus', 'received'],
    ['FromCity', 'SAN FRANCISCO'],
    ['Body', `t=${sentAt} ${padding.slice(0, 300)}`],
    ['FromCountry', 'US'],
    ['To', '+14155550000'],
    ['ToZip', '94105'],
    ['NumSegments', '3'],
    ['MessageSid', `SM${String(sequence).padStart(32, '0')}`],
    ['AccountSid', twilioAccount],
    ['From', `+1415555${String(1000 + (sequence % 5000)).padStart(4, '0')}`],
    ['ApiVersion', '2010-04-01'],
  ];
  return {
    body: new URLSearchParams(params).toString(),
    signature: twilioSignature(twilioToken, url, params),
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  ]!;
}

export function table(rows: Array<Record<string, string | number>>): string {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => String(row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, index) => cell.padEnd(widths[index]!)).join(' | ')} |`;
  return [
    line(columns),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map((row) => line(columns.map((column) => String(row[column] ?? '')))),
  ].join('\n');
}

/** A comma-separated numeric option (`--sizes 1000,100000`), or the default when it is absent. */
export function numbersOption(name: string, fallback: number[]): number[] {
  const index = process.argv.indexOf(name);
  const values = index >= 0 ? (process.argv[index + 1] ?? '').split(',').map(Number) : [];
  return values.length > 0 && values.every((value) => Number.isFinite(value) && value > 0)
    ? values
    : fallback;
}

/** The resident memory of a process (VmRSS) and its peak (VmHWM), in MB. */
export function residentMemory(pid: number): { current: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const read = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { current: read('VmRSS'), peak: read('VmHWM') };
}

/** A numeric command-line option (`--name 10`), or the default when it is absent. */
export function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index >= 0 ? Number(process.argv[index + 1]) : Number.NaN;
  return Number.isFinite(value) ? value : fallback;
}
