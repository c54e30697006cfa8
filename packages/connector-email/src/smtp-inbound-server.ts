import type { AddressInfo } from 'node:net';
import type { ConnectorRuntime } from '@threadline/connector-kit';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { MailEnvelope } from './convert-parsed-mail.js';

/** One message as our SMTP server received it. */
export interface InboundDelivery {
  raw: Buffer;
  envelope: MailEnvelope;
  remoteAddress: string;
}

/** Answer the SMTP client with this reply instead of 250 (`451` asks it to retry later). */
export class SmtpReply extends Error {
  override name = 'SmtpReply';
  readonly responseCode: number;

  constructor(responseCode: number, message: string) {
    super(message);
    this.responseCode = responseCode;
  }
}

export interface InboundSmtpServerOptions {
  host: string;
  port: number;
  /** Largest message accepted (announced as SIZE, enforced with 552). */
  maxMessageBytes: number;
  /** Recipient domains accepted; other recipients get 550 at RCPT. */
  inboundDomains: readonly string[];
  /** Name in the greeting (default: the machine's host name). */
  serverName?: string;
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Store one message. Resolving answers 250 (the message is ours now); an {@link SmtpReply}
   * answers its code; any other error answers 451 so the sender retries.
   */
  deliver(delivery: InboundDelivery): Promise<void>;
  log: ConnectorRuntime['log'];
}

export interface InboundSmtpServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

function reply(responseCode: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode });
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * An SMTP server for MX-style delivery to Threadline: no authentication, recipients
 * limited to our domains at `RCPT`, a size limit, and each message acknowledged only once
 * `deliver` has made it durable.
 */
export async function startInboundSmtpServer(
  options: InboundSmtpServerOptions,
): Promise<InboundSmtpServer> {
  const domains = new Set(options.inboundDomains.map((domain) => domain.toLowerCase()));
  const server = new SMTPServer({
    ...(options.serverName ? { name: options.serverName } : {}),
    banner: 'Threadline ESMTP',
    size: options.maxMessageBytes,
    authOptional: true,
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 10_000,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    onRcptTo(address, _session, callback) {
      if (domains.has(domainOf(address.address))) return callback();
      callback(
        reply(550, `5.7.1 <${address.address}>: relay access denied, recipient not served here`),
      );
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        // past the limit the message is refused anyway: stop holding it in memory
        if (bytes <= options.maxMessageBytes) chunks.push(chunk);
      });
      stream.once('error', (error) => {
        options.log('warn', 'smtp data stream failed', { error: String(error) });
        callback(reply(451, '4.3.0 Reading the message failed, try again later'));
      });
      stream.once('end', () => {
        if (stream.sizeExceeded || bytes > options.maxMessageBytes) {
          callback(reply(552, `5.3.4 Message exceeds the ${options.maxMessageBytes} byte limit`));
          return;
        }
        const mailFrom = session.envelope.mailFrom || undefined;
        const delivery: InboundDelivery = {
          raw: Buffer.concat(chunks),
          envelope: {
            ...(mailFrom?.address ? { mailFrom: mailFrom.address } : {}),
            rcptTo: session.envelope.rcptTo.map((recipient) => recipient.address),
          },
          remoteAddress: session.remoteAddress,
        };
        options.deliver(delivery).then(
          () => callback(null, '2.0.0 Message stored'),
          (error: unknown) => {
            if (error instanceof SmtpReply) {
              callback(reply(error.responseCode, error.message));
              return;
            }
            options.log('error', 'inbound email could not be stored; asked the sender to retry', {
              error: error instanceof Error ? error.message : String(error),
            });
            callback(reply(451, '4.3.0 Temporary failure storing the message, try again later'));
          },
        );
      });
    },
  });
  server.on('error', (error: Error) => {
    options.log('warn', 'smtp server error', { error: error.message });
  });
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.server.off('error', onError);
      resolve(server.server.address() as AddressInfo);
    });
  });
  return {
    host: address.address,
    port: address.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
