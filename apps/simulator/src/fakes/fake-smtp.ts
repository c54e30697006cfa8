import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import nodemailer, { type Transporter } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { PlannedMessage, PlannedPersona } from '../plan-traffic.js';
import { replyRef } from '../traffic-ledger.js';
import {
  type FakeContext,
  type ProviderFake,
  ProviderRateLimit,
  providerFault,
  redeliveryPatterns,
  sleep,
  tinyPng,
} from './provider-fake.js';

export const supportAddress = 'support@threadline.example';

class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Email both ways over real SMTP (even in-process: SMTP is a socket protocol): an SMTP
 * server that receives the gateway's mail, and a customer's mail client that delivers to
 * the gateway's inbound SMTP server — retried on a 4xx or a lost connection, as an MTA
 * queue does. A customer answering an email threads it (`In-Reply-To`, `References`).
 */
export function createSmtpFake(context: FakeContext): ProviderFake & { port(): number } {
  const limit = new ProviderRateLimit(context.scenario.providers.rateLimitPerSecond);
  const attempts = new Map<string, number>();
  const lastReceived = new Map<string, { messageId: string; subject: string }>();
  const transports = new Map<string, Transporter>();
  let server: SMTPServer | undefined;
  let port = 0;

  function transport(host: string, portNumber: number): Transporter {
    const key = `${host}:${portNumber}`;
    let existing = transports.get(key);
    if (!existing) {
      existing = nodemailer.createTransport({
        host,
        port: portNumber,
        secure: false,
        ignoreTLS: true,
        pool: true,
        maxConnections: 8,
        connectionTimeout: 5_000,
        greetingTimeout: 5_000,
        socketTimeout: 15_000,
      });
      transports.set(key, existing);
    }
    return existing;
  }

  return {
    name: 'smtp',
    channel: 'email',
    port: () => port,

    async start() {
      server = new SMTPServer({
        disabledCommands: ['STARTTLS', 'AUTH'],
        authOptional: true,
        logger: false,
        size: 25 * 1024 * 1024,
        onData(stream, session, callback) {
          const receivedAt = context.ledger.now();
          const to = session.envelope.rcptTo[0]?.address.toLowerCase() ?? '';
          void simpleParser(stream)
            .then(async (mail) => {
              const text = `${mail.subject ?? ''} ${mail.text ?? ''}`;
              const ref = replyRef(text);
              const externalId = mail.messageId?.replace(/^<|>$/g, '');
              const record = (
                outcome: Parameters<typeof context.ledger.recordProviderSend>[0]['outcome'],
                id?: string,
              ) =>
                context.ledger.recordProviderSend({
                  channel: 'email',
                  provider: 'smtp',
                  receivedAt,
                  outcome,
                  externalId: id,
                  to,
                  text,
                  ref,
                });
              if (!limit.take()) {
                record('rate_limited');
                throw new SmtpReply(421, '4.7.0 Too many messages, try again in 1 seconds');
              }
              const fault = providerFault(context, 'email', ref ?? `${to}:${text}`, attempts);
              if (fault === '429') {
                record('rate_limited');
                throw new SmtpReply(421, '4.7.0 Too many messages, try again in 1 seconds');
              }
              if (fault === '5xx') {
                record('server_error');
                throw new SmtpReply(452, '4.3.1 Insufficient system storage');
              }
              if (fault === 'timeout') {
                record('timeout');
                await sleep(context.scenario.faults.providerErrors?.timeoutAfter ?? 1_000);
                throw new SmtpReply(421, '4.4.2 Connection timed out');
              }
              record('accepted', externalId);
              if (mail.messageId)
                lastReceived.set(to, { messageId: mail.messageId, subject: mail.subject ?? '' });
              callback();
            })
            .catch((error: unknown) => {
              const reply =
                error instanceof SmtpReply ? error : new SmtpReply(451, '4.3.0 Local error');
              callback(
                Object.assign(new Error(reply.message), { responseCode: reply.responseCode }),
              );
            });
        },
      });
      // A connection reset inside a transaction reaches the server as an 'error' event: the
      // gateway sending this mail was killed (a chaos run does it on purpose) and will send
      // again after its restart. Without a listener it would be an uncaught exception.
      server.on('error', () => undefined);
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      port = (server.server.address() as AddressInfo).port;
    },

    async close() {
      for (const item of transports.values()) item.close();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },

    gatewayEnvironment() {
      return {
        EMAIL_FROM: `Support <${supportAddress}>`,
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        SMTP_INBOUND_HOST: '127.0.0.1',
        EMAIL_INBOUND_DOMAINS: 'threadline.example',
      };
    },

    async deliver(message: PlannedMessage, persona: PlannedPersona) {
      const address = persona.identities.email!;
      const domain = address.split('@')[1] ?? 'mail.example';
      const externalId = `${message.id}.${context.scenario.seed}@${domain}`;
      const record = context.ledger.customerMessage(message, externalId);
      const thread = lastReceived.get(address);
      const content = message.content;
      const text =
        content.kind === 'text' ? content.text : content.kind === 'image' ? content.caption : '';
      const mail = {
        from: { name: persona.name, address },
        to: supportAddress,
        subject: thread
          ? thread.subject.startsWith('Re:')
            ? thread.subject
            : `Re: ${thread.subject}`
          : `Question about my order (ref ${message.id})`,
        messageId: `<${externalId}>`,
        ...(thread ? { inReplyTo: thread.messageId, references: [thread.messageId] } : {}),
        date: new Date(),
        text,
        ...(content.kind === 'image'
          ? {
              attachments: [
                { filename: content.fileName, content: tinyPng, contentType: 'image/png' },
              ],
            }
          : {}),
        envelope: { from: address, to: [supportAddress] },
      };
      const scale = context.scenario.providers.redeliveryScale;
      const pattern = redeliveryPatterns.smtp;
      for (let index = 0; ; index++) {
        const startedAt = context.ledger.now();
        const endpoint = context.gateway().smtp();
        let outcome = 'connection_failed';
        let ok = false;
        if (endpoint) {
          try {
            const info = (await transport(endpoint.host, endpoint.port).sendMail(mail)) as {
              response?: string;
            };
            outcome = info.response?.slice(0, 3) ?? '250';
            ok = true;
          } catch (error) {
            const code = (error as { responseCode?: number }).responseCode;
            outcome = code ? String(code) : 'connection_failed';
            if (!code) {
              // a broken pooled connection: start afresh next time
              transports.get(`${endpoint.host}:${endpoint.port}`)?.close();
              transports.delete(`${endpoint.host}:${endpoint.port}`);
            }
          }
        }
        const attempt = { startedAt, endedAt: context.ledger.now(), outcome, ok };
        if (record.acknowledged) {
          record.extraDeliveries.push(attempt);
        } else {
          record.attempts.push(attempt);
          if (ok) record.acknowledged = attempt;
        }
        if (!ok) context.ledger.count('errors', `ingress_smtp_${outcome}`);
        if (ok) {
          // an MTA may hand the same message over twice (a lost 250): the Message-ID is the same
          if (record.extraDeliveries.length + 1 >= message.deliveries) return;
          context.ledger.count('faults', 'webhook_redelivered');
          await sleep(20);
          continue;
        }
        const wait = pattern[index];
        if (wait === undefined) {
          record.abandoned = true;
          return;
        }
        await sleep(wait * scale);
      }
    },
  };
}
