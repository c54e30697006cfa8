import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectorRuntime, ConnectorStatus } from '@threadline/connector-kit';
import { ImapFlow } from 'imapflow';
import type { ImapSettings } from './email-settings.js';

export interface ImapMailboxReaderOptions {
  settings: ImapSettings;
  /** Largest message read; a larger one is left unseen in the folder for a person. */
  maxMessageBytes: number;
  /**
   * Stores one raw message; resolves once it is durable (ingested, or quarantined when it
   * cannot be read). A rejection leaves the message unseen, to be read again.
   */
  deliver(raw: Buffer): Promise<void>;
  onStatus(status: ConnectorStatus): void;
  log: ConnectorRuntime['log'];
  /** The wait after a failure, doubled on each further failure (default 1 s). */
  retryDelayMs?: number;
  /** The longest wait between attempts (default 60 s). */
  maxRetryDelayMs?: number;
}

/**
 * Inbound mail from an IMAP folder, for mailboxes whose MX cannot point at Threadline.
 * Each unseen message is fetched (without setting `\Seen`), handed to `deliver`, and flagged
 * `\Seen` only once `deliver` has made it durable: a crash in between reads it again, and
 * the engine's dedupe on the Message-ID makes that a no-op. New mail is noticed with IDLE
 * (or by searching every `pollIntervalMs`). A lost connection is logged and reopened with
 * backoff; nothing here ever throws.
 */
export class ImapMailboxReader {
  private readonly abortController = new AbortController();
  private running: Promise<void> | undefined;
  private client: ImapFlow | undefined;
  private draining = false;
  private newMail = false;
  private wake: (() => void) | undefined;
  private lastStatus: ConnectorStatus | undefined;
  /** Messages over the size limit, warned about once each. */
  private readonly oversized = new Set<number>();

  constructor(private readonly options: ImapMailboxReaderOptions) {}

  start(): void {
    this.running ??= this.run();
  }

  /**
   * Stops once the message in hand is stored and flagged, or after `stopTimeoutMs` with the
   * server not answering (the message is then read again next time, a no-op).
   */
  async stop(stopTimeoutMs = 10_000): Promise<void> {
    this.abortController.abort();
    this.wake?.();
    // nothing is in hand: end a connection attempt or an IDLE now
    if (!this.draining) this.client?.close();
    const waited = new AbortController();
    await Promise.race([
      this.running,
      sleep(stopTimeoutMs, undefined, { signal: waited.signal }).then(
        () => this.client?.close(),
        () => undefined,
      ),
    ]);
    waited.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { settings, log } = this.options;
    const signal = this.abortController.signal;
    const retryDelayMs = this.options.retryDelayMs ?? 1_000;
    const maxRetryDelayMs = this.options.maxRetryDelayMs ?? 60_000;
    let failures = 0;
    while (!signal.aborted) {
      const client = this.connectClient();
      let lostWith: Error | undefined;
      client.on('error', (error: Error) => {
        lostWith = error;
        this.wake?.();
      });
      client.on('close', () => this.wake?.());
      let delay = retryDelayMs;
      try {
        await client.connect();
        const lock = await client.getMailboxLock(settings.folder);
        try {
          const waiting = settings.idle
            ? `IDLE, and a search every ${settings.pollIntervalMs / 1000} s`
            : `a search every ${settings.pollIntervalMs / 1000} s`;
          this.report({
            state: 'ready',
            detail: `reading ${settings.folder} at ${settings.displayUrl} (${waiting})`,
          });
          if (failures > 0)
            log('info', 'IMAP mailbox connected again', { url: settings.displayUrl });
          failures = 0;
          while (!signal.aborted && client.usable) {
            await this.drain(client);
            if (signal.aborted || !client.usable) break;
            await this.waitForMail(client);
          }
        } finally {
          if (client.usable) lock.release();
        }
        if (!signal.aborted) {
          throw lostWith ?? new Error('the IMAP server closed the connection');
        }
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        delay = Math.min(retryDelayMs * 2 ** (failures - 1), maxRetryDelayMs);
        const reason = describeImapError(error);
        const detail = `${settings.displayUrl} ${settings.folder}: ${reason.message}; retrying in ${Math.ceil(delay / 1000)} s`;
        log('warn', 'IMAP mailbox unavailable', { error: detail });
        this.report({ state: reason.authenticationFailed ? 'disconnected' : 'degraded', detail });
      } finally {
        this.client = undefined;
        client.close();
      }
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  private connectClient(): ImapFlow {
    const { settings } = this.options;
    const client = new ImapFlow({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      auth: { user: settings.user, pass: settings.password },
      logger: false,
      // IDLE is started here, after each pass over the folder, not on a timer
      disableAutoIdle: true,
      // servers drop an IDLE after about 30 minutes
      maxIdleTime: 5 * 60_000,
      connectionTimeout: 30_000,
      greetingTimeout: 15_000,
    });
    client.on('exists', (update: { count: number; prevCount: number }) => {
      if (update.count <= update.prevCount) return;
      this.newMail = true;
      this.wake?.();
    });
    this.client = client;
    return client;
  }

  /** Stores every unseen message of the folder, oldest first, flagging each once stored. */
  private async drain(client: ImapFlow): Promise<void> {
    const signal = this.abortController.signal;
    this.draining = true;
    this.newMail = false;
    try {
      const found = await client.search({ seen: false }, { uid: true });
      const uids = (found || []).sort((a, b) => a - b);
      for (const uid of uids) {
        if (signal.aborted) return;
        if (this.oversized.has(uid)) continue;
        const range = String(uid);
        const header = await client.fetchOne(range, { uid: true, size: true }, { uid: true });
        // expunged by someone else meanwhile
        if (!header) continue;
        if ((header.size ?? 0) > this.options.maxMessageBytes) {
          this.oversized.add(uid);
          this.options.log('warn', 'IMAP message over the size limit left unseen', {
            uid,
            size: header.size,
            limit: this.options.maxMessageBytes,
          });
          continue;
        }
        const message = await client.fetchOne(range, { uid: true, source: true }, { uid: true });
        const source = message ? message.source : undefined;
        if (!source) continue;
        try {
          await this.options.deliver(source);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new Error(`message ${uid} could not be stored, left unseen: ${reason}`, {
            cause: error,
          });
        }
        await client.messageFlagsAdd(range, ['\\Seen'], { uid: true });
      }
    } finally {
      this.draining = false;
    }
  }

  /** Until new mail is announced (IDLE), the poll interval passes, or the connection ends. */
  private async waitForMail(client: ImapFlow): Promise<void> {
    const { settings } = this.options;
    if (this.newMail) return;
    // the next command (the search) ends the IDLE
    if (settings.idle) void client.idle().catch(() => undefined);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, settings.pollIntervalMs);
      this.wake = done;
      if (this.newMail || this.abortController.signal.aborted || !client.usable) done();
    });
  }

  private report(status: ConnectorStatus): void {
    if (this.lastStatus?.state === status.state && this.lastStatus.detail === status.detail) {
      return;
    }
    this.lastStatus = status;
    this.options.onStatus(status);
  }
}

/** An imapflow failure in words a person can act on. */
function describeImapError(error: unknown): { message: string; authenticationFailed: boolean } {
  if (!(error instanceof Error)) return { message: String(error), authenticationFailed: false };
  const details = error as Error & {
    authenticationFailed?: boolean;
    responseText?: string;
    code?: string;
  };
  if (details.authenticationFailed) {
    const said = details.responseText ? ` (${details.responseText})` : '';
    return {
      message: `the server refused the user and password of IMAP_URL${said}`,
      authenticationFailed: true,
    };
  }
  const said = details.responseText && details.responseText !== error.message;
  const code = details.code && !error.message.includes(details.code) ? ` [${details.code}]` : '';
  return {
    message: `${error.message}${said ? ` (${details.responseText})` : ''}${code}`,
    authenticationFailed: false,
  };
}
