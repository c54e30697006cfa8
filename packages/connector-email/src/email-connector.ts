import {
  assertSendable,
  type Capabilities,
  type ConnectorEnvironmentContext,
  ConnectorError,
  type ConnectorRuntime,
  type ConnectorStatus,
  type ConnectorV1,
  defineCapabilities,
  type InboundEvent,
  type InboundRequest,
  metaSignature,
  type OutboundMessage,
  type ParseResult,
  type SendResult,
  toCanonicalEmail,
  verifyMetaSignature,
} from '@threadline/connector-kit';
import type { ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import { buildOutboundMail, outboundParts } from './build-outbound-mail.js';
import {
  type ConvertParsedMailOptions,
  convertParsedMail,
  type MailEnvelope,
  mediaAttachments,
  type StoredMedia,
} from './convert-parsed-mail.js';
import {
  type EmailConnectorSettings,
  emailSettingsFromEnv,
  type MailTransport,
  type ResolvedEmailSettings,
  resolveEmailSettings,
} from './email-settings.js';
import { resolveOutboundAttachments } from './fetch-outbound-attachments.js';
import { ImapMailboxReader } from './imap-mailbox-reader.js';
import { mapSmtpError } from './map-smtp-error.js';
import { parseRawMail, rawMailBytes, rawMailRecord } from './parse-raw-mail.js';
import {
  type InboundDelivery,
  type InboundSmtpServer,
  startInboundSmtpServer,
} from './smtp-inbound-server.js';

/** The header that signs a raw message posted to the inbound-parse HTTP ingress. */
export const emailSignatureHeader = 'x-threadline-email-signature';

/**
 * The `x-threadline-email-signature` value for a raw message posted to the HTTP ingress:
 * `sha256=` + hex HMAC-SHA256 of the exact body, keyed with `EMAIL_INBOUND_SECRET`.
 */
export function signInboundEmail(secret: string, body: string): string {
  return metaSignature(secret, body);
}

/** What email carries: long text, files of any kind, no buttons, templates or receipts. */
export const emailCapabilities: Capabilities = defineCapabilities({
  text: { maxLength: 100_000 },
  media: ['image', 'audio', 'video', 'file'],
  maxAttachments: 10,
});

const acceptedContentTypes = new Set(['message/rfc822', 'text/plain', 'application/octet-stream']);

/**
 * The email connector: sends with nodemailer over SMTP, receives through its own SMTP
 * server or from an IMAP folder (both started by `start`), or raw MIME posted to its HTTP
 * ingress by an inbound-parse relay. Every inbound path reads a message the same way. See
 * the package README for threading, bounces and authentication results.
 */
export class EmailConnector implements ConnectorV1 {
  readonly specificationVersion = 'v1' as const;
  readonly id: string;
  readonly channel = 'email';
  /** Replies carry In-Reply-To/References and the thread's subject: send needs the history. */
  readonly threadHistory = true;
  readonly capabilities = emailCapabilities;
  /** The inbound SMTP server and the IMAP reader run on one gateway instance at a time. */
  readonly singleListener: boolean;
  private readonly settings: ResolvedEmailSettings;
  private readonly transport: MailTransport | undefined;
  private readonly fetchImpl: typeof globalThis.fetch | undefined;
  private readonly now: () => Date;
  private readonly inboundTls: EmailConnectorSettings['inboundTls'];
  private readonly imapRetry: EmailConnectorSettings['imapRetry'];
  private runtime: ConnectorRuntime | undefined;
  private server: InboundSmtpServer | undefined;
  private state: ConnectorStatus = { state: 'ready' };
  private imapReader: ImapMailboxReader | undefined;
  private imapState: ConnectorStatus | undefined;

  constructor(settings: EmailConnectorSettings = {}) {
    this.settings = resolveEmailSettings(settings);
    this.id = this.settings.id;
    this.singleListener =
      this.settings.inboundPort !== undefined || this.settings.imap !== undefined;
    this.fetchImpl = settings.fetch;
    this.now = settings.now ?? (() => new Date());
    this.inboundTls = settings.inboundTls;
    this.imapRetry = settings.imapRetry;
    this.transport =
      settings.transport ??
      (this.settings.smtpUrl
        ? nodemailer.createTransport({
            url: this.settings.smtpUrl,
            connectionTimeout: 30_000,
            greetingTimeout: 15_000,
            socketTimeout: 60_000,
          })
        : undefined);
  }

  /** The port the inbound SMTP server listens on once started (useful with port 0). */
  get inboundPort(): number | undefined {
    return this.server?.port;
  }

  get inboundHost(): string | undefined {
    return this.server?.host;
  }

  /** The inbound SMTP server's state; once it is fine, the IMAP reader's when there is one. */
  status(): ConnectorStatus {
    if (this.state.state !== 'ready' || !this.imapState) return this.state;
    return this.imapState;
  }

  /**
   * HTTP ingress for inbound-parse relays that POST the raw message (`message/rfc822`).
   * The body must be signed: `x-threadline-email-signature: sha256=<hex HMAC-SHA256 of the
   * body with EMAIL_INBOUND_SECRET>`. Without a secret the ingress refuses everything.
   */
  async parse(request: InboundRequest): Promise<ParseResult> {
    const secret = this.settings.inboundSecret;
    if (!secret) {
      throw ConnectorError.signatureInvalid(
        'the email HTTP ingress is off: set EMAIL_INBOUND_SECRET to accept signed messages',
      );
    }
    const signature = request.headers[emailSignatureHeader];
    if (!signature) throw ConnectorError.signatureInvalid(`${emailSignatureHeader} header missing`);
    if (!verifyMetaSignature(secret, request.body, signature)) {
      throw ConnectorError.signatureInvalid(`${emailSignatureHeader} does not match the body`);
    }
    const contentType = request.headers['content-type'];
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType && !acceptedContentTypes.has(mediaType)) {
      throw ConnectorError.payloadInvalid(
        '(content-type)',
        `expected a raw message (message/rfc822), got ${mediaType}`,
      );
    }
    const raw = rawMailBytes(request.body, contentType);
    try {
      const read = await this.readMail(raw, undefined);
      return { events: await this.withStoredMedia(read, this.runtime) };
    } catch (error) {
      if (ConnectorError.isConnectorError(error)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw ConnectorError.payloadInvalid('(body)', `the message cannot be read: ${reason}`, error);
    }
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    assertSendable(message.content, this.capabilities, this.channel);
    const to = toCanonicalEmail(message.to.address, { path: 'to.address' });
    if (!this.transport) {
      throw new ConnectorError(
        'configuration_invalid',
        'email cannot send: SMTP_URL is not set, this connector only receives',
      );
    }
    const { media } = outboundParts(message);
    const attachments = await resolveOutboundAttachments(media, {
      maxBytes: this.settings.maxAttachmentBytes,
      timeoutMs: this.settings.attachmentTimeoutMs,
      ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}),
    });
    for (const link of attachments.links) {
      this.runtime?.log('info', 'email attachment sent as a link', {
        messageId: message.id,
        label: link.label,
        reason: link.reason,
      });
    }
    const { externalId, mail } = buildOutboundMail(
      { ...message, to: { channel: 'email', address: to } },
      {
        from: this.settings.from,
        messageIdDomain: this.settings.domain,
        defaultSubject: this.settings.defaultSubject,
      },
      attachments,
    );
    try {
      await this.transport.sendMail(mail);
    } catch (error) {
      throw mapSmtpError(error);
    }
    return { externalId, status: 'sent' };
  }

  /**
   * Keeps the runtime (attachments are stored through it), starts reading the IMAP folder
   * when `imapUrl` is set, and starts the inbound SMTP server when `inboundPort` is set.
   */
  async start(runtime: ConnectorRuntime): Promise<void> {
    this.runtime = runtime;
    const imap = this.settings.imap;
    if (imap && !this.imapReader) {
      this.imapState = { state: 'starting', detail: `connecting to ${imap.displayUrl}` };
      this.imapReader = new ImapMailboxReader({
        settings: imap,
        maxMessageBytes: this.settings.maxMessageBytes,
        deliver: (raw) => this.deliver({ raw }),
        onStatus: (status) => {
          this.imapState = status;
          runtime.reportStatus(this.status());
        },
        log: runtime.log,
        ...this.imapRetry,
      });
      this.imapReader.start();
    }
    const port = this.settings.inboundPort;
    if (port === undefined || this.server) return;
    this.state = { state: 'starting' };
    try {
      this.server = await startInboundSmtpServer({
        host: this.settings.inboundHost,
        port,
        maxMessageBytes: this.settings.maxMessageBytes,
        inboundDomains: this.settings.inboundDomains,
        ...(this.inboundTls ? { tls: this.inboundTls } : {}),
        deliver: (delivery) => this.deliver(delivery),
        log: runtime.log,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.state = { state: 'disconnected', detail: reason };
      runtime.reportStatus(this.state);
      throw new ConnectorError(
        'configuration_invalid',
        `the inbound SMTP server cannot listen on ${this.settings.inboundHost}:${port}: ${reason}`,
        { cause: error },
      );
    }
    this.state = { state: 'ready' };
    runtime.reportStatus(this.state);
    runtime.log('info', 'inbound SMTP server listening', {
      host: this.server.host,
      port: this.server.port,
      domains: this.settings.inboundDomains,
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const reader = this.imapReader;
    this.imapReader = undefined;
    await Promise.all([server?.close(), reader?.stop()]);
    // an instance that stopped reading (it lost the listeners' lease) is not broken
    this.imapState = undefined;
    this.transport?.close?.();
  }

  /**
   * Stores one message received over SMTP: durable (ingested, or quarantined when it cannot
   * be read) before the caller acknowledges it. Throws when the gateway could not store it,
   * so the sender is asked to retry.
   */
  async deliver(delivery: { raw: Buffer; envelope?: InboundDelivery['envelope'] }): Promise<void> {
    const runtime = this.runtime;
    if (!runtime) {
      throw new ConnectorError('configuration_invalid', 'the email connector has not been started');
    }
    const record = rawMailRecord(delivery.raw);
    let read: ReadMail;
    try {
      read = await this.readMail(delivery.raw, delivery.envelope);
    } catch (error) {
      const typed = ConnectorError.isConnectorError(error) ? error : undefined;
      const reason = typed?.message ?? `the message cannot be read: ${String(error)}`;
      await runtime.quarantine({
        reason,
        ...(typed?.path ? { path: typed.path } : {}),
        contentType: record.contentType,
        body: record.body,
      });
      runtime.log('warn', 'inbound email quarantined', { reason });
      return;
    }
    const events = await this.withStoredMedia(read, runtime);
    await runtime.ingest(events, record);
  }

  /** Parses and normalizes a raw message; throws `payload_invalid` when it cannot be read. */
  private async readMail(raw: Uint8Array, envelope: MailEnvelope | undefined): Promise<ReadMail> {
    const mail = await parseRawMail(raw);
    const options: ConvertParsedMailOptions = {
      raw,
      receivedAt: this.now(),
      inboundDomains: this.settings.inboundDomains,
      trustedAuthServIds: this.settings.trustedAuthServIds,
      ...(envelope ? { envelope } : {}),
    };
    return { mail, options, events: convertParsedMail(mail, options) };
  }

  /**
   * Stores a message's attachments through the runtime and names them by the stored media.
   * Without a runtime (before `start`) they keep the `<Message-ID>#<MIME part>` reference
   * into the raw message stored beside the events.
   */
  private async withStoredMedia(
    read: ReadMail,
    runtime: ConnectorRuntime | undefined,
  ): Promise<InboundEvent[]> {
    const attachments = mediaAttachments(read.mail);
    const isMessage = read.events.some((event) => event.type === 'message');
    if (!runtime || !isMessage || attachments.length === 0) return read.events;
    const media: StoredMedia[] = [];
    for (const attachment of attachments) {
      media.push(
        await runtime.saveMedia({
          body: attachment.content,
          contentType: attachment.contentType,
          ...(attachment.filename ? { filename: attachment.filename } : {}),
        }),
      );
    }
    return convertParsedMail(read.mail, { ...read.options, media });
  }
}

interface ReadMail {
  mail: ParsedMail;
  options: ConvertParsedMailOptions;
  events: InboundEvent[];
}

/** An email connector; settings not given fall back to the environment variables. */
export function createEmailConnector(settings: EmailConnectorSettings = {}): EmailConnector {
  return new EmailConnector(settings);
}

/**
 * The email connector the gateway runs, configured from its environment (`EMAIL_FROM`,
 * `SMTP_URL`, `SMTP_INBOUND_PORT`, `SMTP_INBOUND_HOST`, `EMAIL_INBOUND_DOMAINS`,
 * `EMAIL_MAX_MESSAGE_BYTES`, `EMAIL_INBOUND_SECRET`, `EMAIL_TRUSTED_AUTHSERV_IDS`), or
 * undefined when email is not configured.
 */
export function emailConnectorFromEnv(
  context: ConnectorEnvironmentContext,
): EmailConnector | undefined {
  const settings = emailSettingsFromEnv(context);
  return settings ? new EmailConnector(settings) : undefined;
}
