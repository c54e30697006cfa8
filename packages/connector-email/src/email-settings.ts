import {
  type ConnectorEnvironmentContext,
  ConnectorError,
  type Environment,
  loadSetting,
  toCanonicalEmail,
} from '@threadline/connector-kit';
import type { SendMailOptions } from 'nodemailer';

/** What sends the mail: a nodemailer transporter, or anything with the same `sendMail`. */
export interface MailTransport {
  sendMail(mail: SendMailOptions): Promise<unknown>;
  close?(): void;
}

export interface EmailConnectorSettings {
  /** Connector id (default `email`): ingress is `/webhooks/email/<id>`. */
  id?: string;
  /** Outbound SMTP server, e.g. `smtp://user:pass@smtp.example.com:587` (env `SMTP_URL`). */
  smtpUrl?: string;
  /** A ready transport instead of `smtpUrl` (a pooled transporter, a test double). */
  transport?: MailTransport;
  /** Our sender, `Support <support@acme.example>` or a bare address (env `EMAIL_FROM`). */
  from?: string;
  /** Port of the inbound SMTP server; off when unset, `0` for any free port (env `SMTP_INBOUND_PORT`). */
  inboundPort?: number;
  /** Interface the inbound server binds (default `127.0.0.1`; env `SMTP_INBOUND_HOST`). */
  inboundHost?: string;
  /** Recipient domains accepted at `RCPT` (default: the domain of `from`; env `EMAIL_INBOUND_DOMAINS`). */
  inboundDomains?: string[];
  /** Largest inbound message in bytes (default 25 MiB; env `EMAIL_MAX_MESSAGE_BYTES`). */
  maxMessageBytes?: number;
  /** Secret for the HTTP inbound-parse ingress signature (env `EMAIL_INBOUND_SECRET`). */
  inboundSecret?: string;
  /** Authserv-ids whose Authentication-Results are trusted (env `EMAIL_TRUSTED_AUTHSERV_IDS`). */
  trustedAuthServIds?: string[];
  /** Subject of outbound messages that start a thread without one. */
  defaultSubject?: string;
  /** Largest total size of files attached to one outbound email (default 10 MiB). */
  maxAttachmentBytes?: number;
  /** How long fetching one outbound attachment may take (default 15 s). */
  attachmentTimeoutMs?: number;
  /**
   * A mailbox to read inbound mail from, for addresses whose MX cannot point at Threadline:
   * `imaps://user:password@imap.example.com:993` (env `IMAP_URL`; `imap://` upgrades with
   * STARTTLS when the server offers it).
   */
  imapUrl?: string;
  /** The folder read (default `INBOX`; env `IMAP_FOLDER`). */
  imapFolder?: string;
  /**
   * How often the folder is searched for unseen mail even without news, in ms (default 60 s;
   * env `IMAP_POLL_INTERVAL` in seconds). With IDLE this is only a safety net.
   */
  imapPollIntervalMs?: number;
  /** Wait for new mail with IMAP IDLE (default true; env `IMAP_IDLE=0` polls only). */
  imapIdle?: boolean;
  /** Reconnecting to the IMAP server: first wait and longest wait (default 1 s and 60 s). */
  imapRetry?: { retryDelayMs?: number; maxRetryDelayMs?: number };
  /** TLS key and certificate: the inbound server offers STARTTLS only with them. */
  inboundTls?: { key: string | Buffer; cert: string | Buffer };
  /** fetch for outbound attachments (default: global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Clock, for receive times. */
  now?: () => Date;
  /** Where settings not given fall back to (default `process.env`). */
  env?: Environment;
}

/** Settings with every default applied. */
export interface ResolvedEmailSettings {
  id: string;
  smtpUrl: string | undefined;
  from: { address: string; name?: string };
  domain: string;
  inboundPort: number | undefined;
  inboundHost: string;
  inboundDomains: string[];
  maxMessageBytes: number;
  inboundSecret: string | undefined;
  trustedAuthServIds: string[];
  defaultSubject: string;
  maxAttachmentBytes: number;
  attachmentTimeoutMs: number;
  imap: ImapSettings | undefined;
}

/** The mailbox read for inbound mail. */
export interface ImapSettings {
  host: string;
  port: number;
  /** TLS from the first byte (`imaps://`); otherwise STARTTLS when offered. */
  secure: boolean;
  user: string;
  password: string;
  folder: string;
  pollIntervalMs: number;
  idle: boolean;
  /** The URL without its password, for logs and status. */
  displayUrl: string;
}

export const defaultMaxMessageBytes = 25 * 1024 * 1024;
export const defaultMaxAttachmentBytes = 10 * 1024 * 1024;

function invalid(message: string): ConnectorError {
  return new ConnectorError('configuration_invalid', message);
}

/** `Support <support@acme.example>` → address and display name. */
export function parseSenderAddress(raw: string): { address: string; name?: string } {
  const match = /^\s*"?([^"<]*?)"?\s*<([^<>]+)>\s*$/.exec(raw);
  const rawAddress = match ? match[2]! : raw;
  let address: string;
  try {
    address = toCanonicalEmail(rawAddress);
  } catch {
    throw invalid(`EMAIL_FROM "${raw}" is not an email address`);
  }
  const name = match?.[1]?.trim();
  return name ? { address, name } : { address };
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0);
  return items.length > 0 ? items : undefined;
}

function integer(value: string | undefined, name: string, max: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > max) {
    throw invalid(`${name} must be a whole number from 0 to ${max}, got "${value}"`);
  }
  return number;
}

export function resolveEmailSettings(settings: EmailConnectorSettings): ResolvedEmailSettings {
  const env = settings.env ?? process.env;
  const fromRaw = loadSetting({
    value: settings.from,
    environmentVariable: 'EMAIL_FROM',
    settingName: 'from',
    env,
    required: true,
  })!;
  const from = parseSenderAddress(fromRaw);
  const domain = from.address.slice(from.address.lastIndexOf('@') + 1);
  const smtpUrl = loadSetting({
    value: settings.smtpUrl,
    environmentVariable: 'SMTP_URL',
    settingName: 'smtpUrl',
    env,
  });
  if (smtpUrl !== undefined && !/^smtps?:\/\//i.test(smtpUrl)) {
    throw invalid('SMTP_URL must start with smtp:// or smtps://');
  }
  const inboundPort =
    settings.inboundPort ?? integer(env.SMTP_INBOUND_PORT, 'SMTP_INBOUND_PORT', 65_535);
  if (inboundPort !== undefined && (!Number.isInteger(inboundPort) || inboundPort < 0)) {
    throw invalid(`inboundPort must be a port number, got ${inboundPort}`);
  }
  const inboundDomains = (
    settings.inboundDomains ??
    list(env.EMAIL_INBOUND_DOMAINS) ?? [domain]
  ).map((item) => item.toLowerCase());
  const maxMessageBytes =
    settings.maxMessageBytes ??
    integer(env.EMAIL_MAX_MESSAGE_BYTES, 'EMAIL_MAX_MESSAGE_BYTES', 2 ** 31) ??
    defaultMaxMessageBytes;
  const imapUrl = loadSetting({
    value: settings.imapUrl,
    environmentVariable: 'IMAP_URL',
    settingName: 'imapUrl',
    env,
  });
  const pollSeconds = integer(env.IMAP_POLL_INTERVAL, 'IMAP_POLL_INTERVAL', 86_400);
  if (pollSeconds === 0) throw invalid('IMAP_POLL_INTERVAL must be at least 1 (seconds)');
  const imap =
    imapUrl === undefined
      ? undefined
      : parseImapUrl(imapUrl, {
          folder: settings.imapFolder ?? (env.IMAP_FOLDER?.trim() || 'INBOX'),
          pollIntervalMs:
            settings.imapPollIntervalMs ??
            (pollSeconds === undefined ? 60_000 : pollSeconds * 1000),
          idle: settings.imapIdle ?? env.IMAP_IDLE?.trim() !== '0',
        });
  const id = settings.id ?? 'email';
  return {
    id,
    smtpUrl,
    from,
    domain,
    inboundPort,
    inboundHost: settings.inboundHost ?? env.SMTP_INBOUND_HOST ?? '127.0.0.1',
    inboundDomains,
    maxMessageBytes,
    inboundSecret: loadSetting({
      value: settings.inboundSecret,
      environmentVariable: 'EMAIL_INBOUND_SECRET',
      settingName: 'inboundSecret',
      env,
    }),
    trustedAuthServIds: settings.trustedAuthServIds ?? list(env.EMAIL_TRUSTED_AUTHSERV_IDS) ?? [],
    defaultSubject: settings.defaultSubject ?? `Message from ${from.name ?? domain}`,
    maxAttachmentBytes: settings.maxAttachmentBytes ?? defaultMaxAttachmentBytes,
    attachmentTimeoutMs: settings.attachmentTimeoutMs ?? 15_000,
    imap,
  };
}

/**
 * `imaps://user:password@host:993` (or `imap://`, port 143) into connection settings; the
 * user and password are URL-decoded (`%40` for an `@` in a user name).
 */
export function parseImapUrl(
  raw: string,
  options: Pick<ImapSettings, 'folder' | 'pollIntervalMs' | 'idle'>,
): ImapSettings {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('IMAP_URL is not a URL: use imaps://user:password@imap.example.com:993');
  }
  const scheme = url.protocol.toLowerCase();
  if (scheme !== 'imap:' && scheme !== 'imaps:') {
    throw invalid(`IMAP_URL must start with imap:// or imaps://, not ${scheme}//`);
  }
  if (!url.hostname) throw invalid('IMAP_URL has no host');
  if (!url.username || !url.password) {
    throw invalid('IMAP_URL must carry the mailbox user and password: imaps://user:password@host');
  }
  const secure = scheme === 'imaps:';
  const port = url.port ? Number(url.port) : secure ? 993 : 143;
  const display = new URL(url.href);
  display.password = '';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    secure,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    ...options,
    displayUrl: display.href.replace(/\/$/, ''),
  };
}

/**
 * Settings from the gateway's environment, or undefined when email is not configured
 * (`EMAIL_FROM` unset). `SMTP_URL` without `EMAIL_FROM` is an error; `EMAIL_FROM` without
 * `SMTP_URL` gives a connector that receives but cannot send.
 */
export function emailSettingsFromEnv(
  context: ConnectorEnvironmentContext,
): EmailConnectorSettings | undefined {
  const { env } = context;
  const from = env.EMAIL_FROM?.trim() || undefined;
  const smtpUrl = env.SMTP_URL?.trim() || undefined;
  if (from === undefined) {
    if (smtpUrl !== undefined) throw invalid('SMTP_URL is set but EMAIL_FROM is missing');
    if (env.IMAP_URL?.trim()) throw invalid('IMAP_URL is set but EMAIL_FROM is missing');
    return undefined;
  }
  return { from, ...(smtpUrl ? { smtpUrl } : {}), env };
}
